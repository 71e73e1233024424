"""Hostile files in a folder (issue 15): devices, pipes and sockets where plans are expected, inputs that made a rule
or a reader quadratic, a .docx that unpacks to hundreds of MB. Each is one named ``failed`` row, and the good plan
beside them still lands. The ingest runs in a child process with a generous timeout: a hang fails, it does not
stall the suite (nothing here asserts a time)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from qa.ingest.markdown import read_markdown, strip_closing_hashes, strip_emphasis, strip_links
from qa.ingest.report import printable
from tests.hostile import LANDING, write_corpus, write_landing

ROOT = Path(__file__).resolve().parent.parent
HANG = 300  # seconds: far over what the whole corpus takes; only a hang reaches it


def test_each_hostile_file_is_a_named_failed_row_and_the_good_plans_land(tmp_path: Path) -> None:
    expected = write_corpus(tmp_path / "plans")
    write_landing(tmp_path / "plans")
    run = subprocess.run(
        [sys.executable, "-m", "tests.hostile", str(tmp_path / "plans")], cwd=ROOT, capture_output=True, text=True, timeout=HANG
    )
    assert run.returncode == 0, run.stderr[-2000:]
    results = {r["name"]: r for r in map(json.loads, run.stdout.splitlines())}
    for name, clauses in {"good.txt": 6, **LANDING}.items():
        assert (results[name]["status"], results[name]["clauses"]) == ("new", clauses), (name, results[name])
    for name, phrase in expected.items():
        result = results[name]
        assert result["status"] == "failed" and phrase in result["message"] and printable(name) in result["message"], (name, result)
    assert set(results) == {"good.txt", *LANDING, *expected}
    assert "Traceback" not in run.stderr and "could not be ingested" not in run.stdout  # nothing reached the last resort


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("[" * 100_000, "[" * 100_000),  # no "]": nothing is a link
        ("[a](" * 50_000, "[a](" * 50_000),  # no ")": nothing is a link
        ("[链接](http://a.cn)" * 20_000, "链接" * 20_000),
        ("**a " * 40_000, "**a " * 40_000),  # no closer after a non-space
        ("**加强**" * 30_000, "加强" * 30_000),
        ("__a " * 40_000 + "**b**", "__a " * 40_000 + "b"),
        (" " * 100_000 + "#x", " " * 100_000 + "#x"),
    ],
    ids=["brackets", "open-links", "links", "bold-unclosed", "bold", "underscores", "spaces-hash"],
)
def test_markdown_rules_read_long_adversarial_lines(line: str, words: str) -> None:
    read = read_markdown("plan.md", line.encode())
    assert read.text == words


@pytest.mark.parametrize(
    "line",
    ["[a](b)", "![图](x.png)说明", "[a[b](c)", "[a](b(c))", "**粗**体", "** 不是**", "**a**b**", "__x__ **y**", "## 标题 ##", "a #", "#", " ##  "],
)
def test_markdown_scans_agree_with_the_patterns_they_replace(line: str) -> None:
    import re

    assert strip_links(line) == re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", line)
    assert strip_emphasis(line) == re.sub(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", r"\2", line)
    assert strip_closing_hashes(line) == re.sub(r"\s+#+\s*$", "", line)


def test_limits_sit_at_their_boundaries_and_far_above_the_sample_plans() -> None:
    from qa.ingest.documents import DocumentError, build_document
    from qa.ingest.limits import limits
    from tests.conftest import SAMPLE_PLANS
    from tests.hostile import PHRASE, numbered_plan

    budget = limits()
    assert len(build_document("many.txt", numbered_plan(budget.max_clauses).encode()).clauses) == budget.max_clauses
    with pytest.raises(DocumentError, match=r"many\.txt: 3,001 clauses \(the limit is 3,000\); split the plan"):
        build_document("many.txt", numbered_plan(budget.max_clauses + 1).encode())
    clause = "1." + PHRASE * ((budget.max_clause_chars - 2) // len(PHRASE))
    assert build_document("long.txt", f"一、目标\n{clause}\n".encode()).clauses[0].text == clause
    with pytest.raises(DocumentError, match=r"long\.txt: clause 一、1\. has 10,002 characters"):
        build_document("long.txt", f"一、目标\n{clause}推进工作\n".encode())
    for path in sorted(SAMPLE_PLANS.glob("*.txt")):
        doc = build_document(path.name, path.read_bytes())
        assert len(doc.clauses) * 10 < budget.max_clauses and max(len(c.text) for c in doc.clauses) * 10 < budget.max_clause_chars


SPACES = " " * 100_000


def test_metadata_rules_read_lines_with_long_runs_of_spaces_and_brackets() -> None:
    from qa.ingest.attachments import listed_attachments
    from qa.ingest.metadata_titles import kind_of, markdown_title

    assert markdown_title("plan.md", f"# 某县2024年卫生健康工作要点{SPACES}#\n".encode()) == "某县2024年卫生健康工作要点"
    assert markdown_title("plan.md", f"# 某县{SPACES}工作要点 ##\n".encode()).endswith("工作要点")
    assert kind_of("某县实施方案" + "（试行）" * 30_000) == "实施方案"
    listed = listed_attachments(f"附件：1.甲县实施方案{SPACES}2.乙县实施方案\n")
    assert [(a.number, a.title) for a in listed] == [(1, "甲县实施方案"), (2, "乙县实施方案")]


def test_a_page_title_with_a_long_run_of_spaces_is_read() -> None:
    from qa.ingest.html import read_html

    page = f"<html><head><title>某县卫生健康工作要点{SPACES}x_某县人民政府</title></head><body><p>一、目标</p><p>1.推进工作。</p></body></html>"
    text = read_html("page.html", page.encode()).text
    assert text.splitlines()[0].startswith("某县卫生健康工作要点") and "某县人民政府" not in text


def test_a_docx_list_with_a_huge_start_or_level_is_read_without_spelling_it_out() -> None:
    import io
    import re
    import zipfile

    from qa.ingest.docx import read_docx
    from tests.formats import make_docx

    source = zipfile.ZipFile(io.BytesIO(make_docx([("总体目标", 0), ("推进工作。", 0), ("完成任务。", 2)])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename in ("word/numbering.xml", "word/document.xml"):
                data = data.decode("utf-8")
            if info.filename == "word/numbering.xml":  # level 0 counts in Roman numerals from 10^12
                data = re.sub(r'(<w:lvl w:ilvl="0".*?<w:start w:val=")1(")', r"\g<1>1000000000000\2", data, count=1, flags=re.S)
                data = re.sub(r'(<w:lvl w:ilvl="0".*?<w:numFmt w:val=")\w+(")', r"\1lowerRoman\2", data, count=1, flags=re.S)
            if info.filename == "word/document.xml":  # and the last paragraph is at level 10^9
                data = data.replace('<w:ilvl w:val="2"/>', '<w:ilvl w:val="1000000000"/>')
            target.writestr(info.filename, data)
    lines = read_docx("plan.docx", out.getvalue()).text.splitlines()
    assert lines[0].startswith("1000000000000") and lines[0].endswith("总体目标")
    assert lines[1].startswith("1000000000001") and lines[2] == "完成任务。"


def test_a_docx_cell_spanning_a_billion_columns_is_read_as_a_table_of_word_size() -> None:
    import io
    import re
    import zipfile

    from qa.ingest.documents import build_document
    from tests.formats import make_docx

    source = zipfile.ZipFile(io.BytesIO(make_docx([("一、主要指标", None)], table=[["指标", "目标值"], ["孕产妇死亡率", "≤18"], ["婴儿死亡率", "≤5"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "word/document.xml":  # the header's first cell spans 10^9 columns, a row starts at 10^9
                data = re.sub(rb"<w:tcPr>", b'<w:tcPr><w:gridSpan w:val="1000000000"/>', data, count=1)
                data = data.replace(b"<w:tr>", b'<w:tr><w:trPr><w:gridBefore w:val="1000000000"/></w:trPr>', 1)
            target.writestr(info.filename, data)
    doc = build_document("plan.docx", out.getvalue())
    rows = [c.text for c in doc.clauses if c.kind == "table_row"]
    assert len(rows) == 2 and "孕产妇死亡率" in rows[0] and "≤18" in rows[0]


def test_cutting_a_run_on_sentence_counts_a_few_budgets_of_it_per_part() -> None:
    from qa.ingest.chunking import pack

    counted: list[int] = []

    def count(text: str) -> int:
        counted.append(len(text))
        return len(text)

    sentence = "健康促进行动，" * 15_000  # 105,000 characters without a sentence end
    parts = pack([sentence], 500, count)
    assert "".join(parts) == sentence and all(len(p) == 500 for p in parts[:-1]) and len(parts) == 210
    assert sum(counted) < 50 * len(sentence)  # linear: counting the whole rest at each cut would be ~200 times it


def test_an_article_under_190_nested_divs_in_an_8_mb_page_is_found() -> None:
    from qa.ingest.html import read_html

    items = "".join(f"<p>{i}.推进第{i}项健康促进工作，完成年度任务。</p>" for i in range(1, 2000))
    menu = "<div class='nav'><a href='/'>首页</a><a href='/a'>信息公开</a></div>"
    page = "<html><body>" + menu + "<div>" * 190 + "<p>一、目标</p>" + items + ("<p>" + "健康促进行动，" * 1400 + "</p>") * 300
    page += "</div>" * 190 + "</body></html>"
    lines = read_html("page.html", page.encode()).text.split("\n")
    assert lines[0] == "一、目标" and lines[1999] == "1999.推进第1999项健康促进工作，完成年度任务。" and len(lines) == 2300
