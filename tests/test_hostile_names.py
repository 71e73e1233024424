"""File names and catalog entries that attack the terminal or the reader (issue 15): control characters, ANSI
escapes and bidi overrides in names are printed escaped, a name that is not UTF-8 and a catalog field that cannot
be read are named failed rows, and what still reaches the last-resort handler says so in one line."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from qa.ingest.pipeline import Ingestor
from qa.ingest.report import printable
from qa.settings import Settings
from tests.hostile import GOOD
from tests.test_ingestion import CountingEmbeddings
from vectorstore import InMemoryClauseStore


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("赣州-2023.txt", "赣州-2023.txt"),
        ("\x1b[31mred\x1b[0m.txt", "\\x1b[31mred\\x1b[0m.txt"),
        ("evil\u202etxt.md", "evil\\u202etxt.md"),
        ("a\rb\nc\td\x7f\x9b", "a\\x0db\\x0ac\\x09d\\x7f\\x9b"),
        ("zero\u200bwidth\u2028line", "zero\\u200bwidth\\u2028line"),
        (os.fsdecode(b"\xb8\xd3\xd6\xdd.txt"), "\\xb8\\xd3\\xd6\\xdd.txt"),
        ("全角\u3000空格 space", "全角\u3000空格 space"),
    ],
)
def test_printable_escapes_what_would_act_on_a_terminal(text: str, shown: str) -> None:
    assert printable(text) == shown


def ingest(folder: Path, embeddings: CountingEmbeddings | None = None):  # type: ignore[no-untyped-def]
    settings = Settings.load({"store_path": folder.parent / "store"}, env={})
    embeddings = embeddings or CountingEmbeddings()
    return Ingestor(settings, InMemoryClauseStore(embeddings.model_id), embeddings).run([folder])


def test_the_ingest_table_escapes_file_names_and_a_name_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "plans"
    folder.mkdir()
    for name in (b"\x1b[2J\x1b[31mred.txt", b"evil\xe2\x80\xaetxt.md", b"\xb8\xd3\xd6\xdd.txt", b"good.txt"):
        (folder / os.fsdecode(name)).write_text(GOOD, encoding="utf-8")
    report = ingest(folder)
    statuses = {printable(r.name): r.status for r in report.results}
    assert statuses == {"\\x1b[2J\\x1b[31mred.txt": "new", "evil\\u202etxt.md": "new", "\\xb8\\xd3\\xd6\\xdd.txt": "failed", "good.txt": "new"}
    refused = next(r for r in report.results if r.status == "failed")
    assert "the file name is not UTF-8 text" in refused.message and "rename the file" in refused.message
    table = report.table()
    assert "\x1b" not in table and "\u202e" not in table and "\\x1b[2J\\x1b[31mred.txt" in table
    table.encode("utf-8")  # no half surrogate pairs left to fail a UTF-8 terminal


@pytest.mark.parametrize(
    ("entry", "error"),
    [
        ('year = "abc"', "year = 'abc' is not a year; write it as a number (year = 2023)"),
        ('years = ["2019", "二〇二〇"]', "years = ['2019', '二〇二〇'] are not years"),
        ("years = { from = 2019 }", "are not years"),
        ('date = "May 2023"', "date = 'May 2023' is not a date; write it as date = \"2023-05-20\""),
    ],
)
def test_a_catalog_field_that_cannot_be_read_is_a_named_failed_row(tmp_path: Path, entry: str, error: str) -> None:
    folder = tmp_path / "plans"
    folder.mkdir()
    (folder / "bad.txt").write_text(GOOD, encoding="utf-8")
    (folder / "good.txt").write_text(GOOD, encoding="utf-8")
    (folder / "catalog.toml").write_text(f'["bad.txt"]\n{entry}\n\n["good.txt"]\nyear = 2023\n', encoding="utf-8")
    results = {r.name: r for r in ingest(folder).results}
    assert results["good.txt"].status == "new"
    bad = results["bad.txt"]
    assert bad.status == "failed" and bad.message.startswith(f"{folder / 'catalog.toml'}: the entry for bad.txt: ") and error in bad.message


class BrokenEmbeddings(CountingEmbeddings):
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        raise ValueError("a bug nobody foresaw")


def test_what_reaches_the_last_resort_handler_is_one_plain_line(tmp_path: Path, caplog) -> None:
    folder = tmp_path / "plans"
    folder.mkdir()
    (folder / "plan.txt").write_text(GOOD, encoding="utf-8")
    with caplog.at_level(logging.INFO, logger="qa.ingest.pipeline"):
        [result] = ingest(folder, BrokenEmbeddings()).results
    assert result.status == "failed"
    assert result.message == f"{folder / 'plan.txt'}: could not be ingested (ValueError: a bug nobody foresaw); the other files are; please report this file as a PlanQA bug"
    assert [r.exc_info for r in caplog.records if r.levelno >= logging.WARNING] == [None]  # no traceback without -v


def test_show_prints_names_escaped(tmp_path: Path, capsys) -> None:
    from cli import main

    path = tmp_path / "\x1b[31mred.txt"
    path.write_text(GOOD, encoding="utf-8")
    assert main(["ingest", "--show", str(path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\\x1b[31mred.txt" in out


def test_a_server_upload_report_prints_names_escaped() -> None:
    """``planqa ingest --server`` prints the server's report as the local table does: no raw control character."""
    from api.commands import upload_lines

    report = {"results": [{"status": "new", "name": "\x1b[2Jplan.txt", "doc_id": "plan\u202e", "clauses": 3, "message": "note\x07"}],
              "problems": ["bad\x1b]0;title\x07.txt: not a plan file"]}
    lines = upload_lines(report)
    assert lines == ["new       \\x1b[2Jplan.txt  plan\\u202e  3 clauses  note\\x07", "refused   bad\\x1b]0;title\\x07.txt: not a plan file"]
    assert all(line.isprintable() for line in lines)
