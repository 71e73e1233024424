"""Old Word files (.doc / .wps) through antiword (qa/ingest/doc.py): read when it is installed, skipped with what
to do when it is not, refused with the reason for what it cannot read. The real-file test reads the corpus's
fast-saved .doc in ../shared/corpus (never copied here) and is skipped where that or antiword is missing."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

import qa.ingest.doc
from qa.ingest.doc import ReaderMissing, read_doc
from qa.ingest.documents import build_document
from qa.ingest.readers import SUFFIXES, read_document
from qa.ingest.readtext import DocumentError

CORPUS_DOC = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "hainan-health-in-all-policies-plan-explained.doc"
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def test_doc_and_wps_are_plan_formats() -> None:
    assert {".doc", ".wps"} <= SUFFIXES


@pytest.mark.parametrize("name", ["old.doc", "old.wps"])
def test_without_antiword_the_file_is_skipped_with_what_to_do(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setattr(qa.ingest.doc.shutil, "which", lambda exe: None)
    with pytest.raises(ReaderMissing) as raised:
        read_document(name, OLE + b"\x00" * 600)
    message = str(raised.value)
    assert message.startswith(f"{name}: ") and "install antiword" in message and "save it as .docx" in message
    assert isinstance(raised.value, DocumentError)  # every caller that handles unreadable files handles this one


def test_a_file_that_is_no_old_word_file_is_refused_before_antiword_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(qa.ingest.doc.subprocess, "run", lambda *a, **k: pytest.fail("antiword must not run"))
    with pytest.raises(DocumentError, match=r"plan\.doc: not a Word 97–2003 document.*save it as \.docx"):
        read_doc("plan.doc", b"PK\x03\x04 a .docx renamed")


def test_antiword_is_given_a_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(qa.ingest.doc.shutil, "which", lambda exe: "/usr/bin/antiword")

    def hang(cmd, **kwargs):  # type: ignore[no-untyped-def]
        assert kwargs["timeout"] == 5 and cmd[1:] == ["-m", "UTF-8.txt", "-w", "0", "-"] and kwargs["input"].startswith(OLE)
        raise subprocess.TimeoutExpired(cmd, kwargs["timeout"])

    monkeypatch.setattr(qa.ingest.doc.subprocess, "run", hang)
    with pytest.raises(DocumentError, match=r"slow\.doc: antiword did not finish in 5 s"):
        read_doc("slow.doc", OLE + b"\x00" * 600, timeout=5)


def test_antiword_output_is_read_as_utf8_one_paragraph_a_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(qa.ingest.doc.shutil, "which", lambda exe: "/usr/bin/antiword")
    out = "\n附件５\n\n\n   《某省实施方案》\n政策解读\n     在新时代……\f一、总则\n".encode()
    monkeypatch.setattr(qa.ingest.doc.subprocess, "run", lambda cmd, **k: subprocess.CompletedProcess(cmd, 0, out, b""))
    read = read_doc("x.doc", OLE)
    assert read.text == "附件５\n\n《某省实施方案》\n政策解读\n在新时代……\n一、总则\n" and read.encoding == "doc"


def test_what_antiword_cannot_read_is_refused_with_its_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(qa.ingest.doc.shutil, "which", lambda exe: "/usr/bin/antiword")
    monkeypatch.setattr(
        qa.ingest.doc.subprocess, "run", lambda cmd, **k: subprocess.CompletedProcess(cmd, 1, b"", b"- is not a Word Document.")
    )
    with pytest.raises(DocumentError, match=r"bad\.doc: antiword cannot read it \(is not a Word Document\.\); .*save it as \.docx"):
        read_doc("bad.doc", OLE)


@pytest.mark.skipif(shutil.which("antiword") is None or not CORPUS_DOC.is_file(), reason="needs antiword and ../shared/corpus")
def test_a_fast_saved_doc_is_read_whole() -> None:
    doc = build_document(CORPUS_DOC.name, CORPUS_DOC.read_bytes())
    assert doc.encoding == "doc"
    # antiword keeps what catdoc loses of a fast-saved file: every 一是/二是/三是 of the three parts
    assert doc.text.count("一是") == 3 and doc.text.count("三是") == 3 and "出台《方案》的重要意义" in doc.text
    assert doc.info.title == "《海南省将健康融入所有政策实施方案》政策解读" and doc.info.kind == "解读" and doc.info.region == "海南省"
