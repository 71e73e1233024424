"""Tables as data (qa.ingest.tables, the .docx/.pdf readers, Markdown pipe tables): every data row one citable unit
``<section>/表N/第M行`` with "header：cell" text, never merged into a clause; built .docx/.pdf/.md plans with merged
cells, two-level headers, group and note rows and tables over pages, and the tables of the real documents in
../shared/corpus against their expectations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.ingest.chunking import chunk_document
from qa.ingest.documents import build_document
from qa.ingest.encoding import decode_text
from qa.ingest.parsing import parse_plan
from qa.ingest.readtext import Cell, Table
from qa.ingest.tables import TABLE_ROW_KIND, cell_text, header_row_count, is_caption, pipe_tables, records
from tests.formats import TITLE, GridTable, Merged, make_docx, make_table_pdf

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
EXPECTATIONS = Path(__file__).parent / "expectations"

# An indicator table as plans print them: a two-level header (目标值 over 2022年 / 2030年), a domain cell merged
# down its rows, a group row (结果性指标) over the indicators, a note row (说明：…) under indicator 1, a target
# that spans both years.
INDICATORS = [
    [Merged("领域", rows=2), Merged("序号", rows=2), Merged("指标", rows=2), Merged("目标值", cols=2), None],
    [None, None, None, "2022年", "2030年"],
    [Merged("健康知识普及", rows=4), Merged("结果性指标", cols=4), None, None, None],
    [None, "1", "居民健康素养水平（%）", "≥22", "≥30"],
    [None, None, Merged("说明：具备健康素养的人的比例。", cols=3), None, None],
    [None, "2", "成人肥胖增长率（%）", Merged("持续减缓", cols=2), None],
]
INDICATOR_ROWS = [
    ("一、/表1/第1行", "领域：健康知识普及；序号：1；指标：居民健康素养水平（%）；目标值-2022年：≥22；目标值-2030年：≥30；说明：具备健康素养的人的比例。"),
    ("一、/表1/第2行", "领域：健康知识普及；序号：2；指标：成人肥胖增长率（%）；目标值-2022年、目标值-2030年：持续减缓"),
]
BEFORE = [TITLE, "一、主要指标", "表1 主要指标"]
AFTER = ["二、重点任务", "1.做实家庭医生签约服务。"]


def rows_of(doc) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(c.path_key, c.text) for c in doc.clauses if c.kind == TABLE_ROW_KIND]


def table(rows: list[list[str | Cell]], header_rows: int = 0) -> Table:
    """A Table from plain strings (one column each) or Cells."""
    return Table(tuple(tuple(c if isinstance(c, Cell) else Cell(c, i) for i, c in enumerate(row)) for row in rows), 0, header_rows)


# ---------------------------------------------------------------------------------------- built files


@pytest.fixture(scope="module")
def indicator_docx() -> bytes:
    return make_docx([*((line, None) for line in BEFORE), GridTable(INDICATORS), *((line, None) for line in AFTER)])


@pytest.fixture(scope="module")
def indicator_pdf() -> bytes:
    return make_table_pdf(BEFORE, INDICATORS, AFTER, widths=[7, 3, 12, 5, 5])


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_indicator_table_rows_are_units_under_their_section(fmt: str, indicator_docx: bytes, indicator_pdf: bytes) -> None:
    doc = build_document(f"plan.{fmt}", indicator_docx if fmt == "docx" else indicator_pdf)
    assert rows_of(doc) == INDICATOR_ROWS
    assert [c.path_key for c in doc.clauses] == ["一、", "一、/表1/第1行", "一、/表1/第2行", "二、/1."]
    row = doc.clauses[1]
    # the section's title, the caption above the table, the group row the indicator stands under
    assert row.headings == ("一、主要指标", "表1 主要指标", "结果性指标")
    # no cell in the body text or in any clause: the section keeps its own lines only
    assert doc.clauses[0].text == "一、主要指标\n表1 主要指标"
    for cell in ("居民健康素养水平", "持续减缓", "结果性指标", "2030年"):
        assert cell not in doc.text and not any(cell in c.text for c in doc.clauses if c.kind != TABLE_ROW_KIND)
    assert doc.clauses[-1].text == "1.做实家庭医生签约服务。"


def test_a_table_before_any_numbered_unit_and_a_second_table() -> None:
    first = GridTable([["发文机关", "发文日期"], ["江州市卫生健康委员会", "2023年3月1日"]])
    second = GridTable([["任务", "责任单位"], ["签约服务", "基层处"], ["疫情监测", "疾控处"]], header_rows=1)
    doc = build_document("t.docx", make_docx([(TITLE, None), first, ("一、重点任务", None), ("1.做实签约服务。", None), second]))
    assert rows_of(doc) == [
        ("表1/第1行", "发文机关：江州市卫生健康委员会；发文日期：2023年3月1日"),
        ("一、/1./表2/第1行", "任务：签约服务；责任单位：基层处"),
        ("一、/1./表2/第2行", "任务：疫情监测；责任单位：疾控处"),
    ]
    assert doc.clauses[0].headings == ()  # before any numbered unit: no section, no caption


def test_a_key_value_table_has_no_header() -> None:
    form = GridTable([["项目名称：", "社区医院建设", "建设年限：", "2023—2025年"], ["牵头单位：", "市卫生健康委", "总投资：", "1.2亿元"]])
    doc = build_document("t.docx", make_docx([(TITLE, None), ("一、重点项目", None), form]))
    assert rows_of(doc) == [
        ("一、/表1/第1行", "项目名称：社区医院建设；建设年限：2023—2025年"),
        ("一、/表1/第2行", "牵头单位：市卫生健康委；总投资：1.2亿元"),
    ]


@pytest.mark.parametrize(
    ("box", "lines"),
    [
        (GridTable([["注：本计划由市卫生健康委负责解释。"]]), ["注：本计划由市卫生健康委负责解释。"]),  # a one-cell text box
        (GridTable([["甲单位", "乙单位"]]), ["甲单位 | 乙单位"]),  # one row: no data under a header
    ],
)
def test_a_layout_table_stays_text(box: GridTable, lines: list[str]) -> None:
    doc = build_document("t.docx", make_docx([(TITLE, None), ("一、总则", None), box]))
    assert rows_of(doc) == []
    assert doc.clauses[-1].text.split("\n")[1:] == lines


def test_a_pdf_table_over_pages_with_its_header_repeated_is_one_table() -> None:
    grid = [["序号", "指标", "目标值"]] + [[str(n), f"指标{n}", f"{n}%"] for n in range(1, 9)]
    doc = build_document("p.pdf", make_table_pdf(BEFORE, grid, AFTER, widths=[3, 8, 5], rows_per_page=3))
    rows = [c for c in doc.clauses if c.kind == TABLE_ROW_KIND]
    assert [(c.path_key, c.text) for c in rows] == [(f"一、/表1/第{n}行", f"序号：{n}；指标：指标{n}；目标值：{n}%") for n in range(1, 9)]
    assert [c.page for c in rows] == [1, 1, 1, 2, 2, 2, 3, 3]
    chunks = {c.path: c for c in chunk_document(doc, 480, len)}
    row = chunks["一、/表1/第5行"]
    assert (row.metadata["kind"], row.metadata["page"], row.metadata["path_label"]) == ("table_row", 2, "一、表1第5行")
    assert row.text == "序号：5；指标：指标5；目标值：5%"


def test_a_pdf_frame_around_text_is_no_table() -> None:
    doc = build_document("p.pdf", make_table_pdf([TITLE, "一、总则"], [["1.做实家庭医生签约服务。"], ["2.完善监测预警体系。"]]))
    assert rows_of(doc) == [] and not any("table" in note for note in doc.notes)
    assert [c.path_key for c in doc.clauses] == ["一、/1.", "一、/2."]


def test_a_pdf_table_that_cannot_be_read_cleanly_is_noted_and_kept_as_text() -> None:
    grid = [["序号", "指标", "说明"], ["1", "签约率", "重点人群签约率达到75%以上并逐年提高"], ["2", "直报率", "传染病网络直报率保持100%不得下降"]]
    # the last cell has no rule under it: no cell holds its text
    doc = build_document("p.pdf", make_table_pdf(BEFORE, grid, AFTER, widths=[3, 4, 18], frame_only=[(2, 2)]))
    assert rows_of(doc) == []
    assert "table on page 1 could not be read cleanly; kept as text" in doc.notes
    assert "不得下降" in doc.text


def test_markdown_pipe_tables_become_rows() -> None:
    md = f"# {TITLE}\n\n## 一、主要指标\n\n表1 主要指标\n\n| 指标 | 2023年 | 2024年目标 |\n|:---|---:|:---:|\n| 居民健康素养水平 | 28.5% | 30%以上 |\n| 孕产妇死亡率 | 8.2/10万 | |\n\n## 二、重点任务\n\n1.做实签约服务。\n"
    doc = build_document("p.md", md.encode())
    assert rows_of(doc) == [
        ("一、/表1/第1行", "指标：居民健康素养水平；2023年：28.5%；2024年目标：30%以上"),
        ("一、/表1/第2行", "指标：孕产妇死亡率；2023年：8.2/10万"),  # the empty cell left out
    ]
    assert "|" not in doc.text and doc.clauses[1].headings == ("一、主要指标", "表1 主要指标")


def test_ingest_show_prints_the_rows_under_their_section(tmp_path: Path, capsys, indicator_pdf: bytes) -> None:  # type: ignore[no-untyped-def]
    from cli import main

    (tmp_path / "plan.pdf").write_bytes(indicator_pdf)
    assert main(["ingest", str(tmp_path), "--store", str(tmp_path / "store"), "--show"]) == 0
    lines = capsys.readouterr().out.split("\n")
    at = lines.index("  一、主要指标")
    assert lines[at + 1 : at + 3] == ["    表1 主要指标", "      结果性指标"]
    assert lines[at + 3].startswith("        一、表1第1行 [@") and " p.1] 领域：健康知识普及；序号：1；" in lines[at + 3]


# ---------------------------------------------------------------------------------------- pure parts


@pytest.mark.parametrize(
    ("text", "tables", "kept"),
    [
        ("前\n| a | b |\n|---|---|\n| 1 | 2 |\n后", [[["a", "b"], ["1", "2"]]], "前\n后"),
        ("a | b\n--- | ---\n1 | 2", [[["a", "b"], ["1", "2"]]], ""),  # no outer pipes
        ("| a | b |\n| :-: | -: |\n| x \\| y | 2 |", [[["a", "b"], ["x | y", "2"]]], ""),  # alignment, escaped pipe
        ("| a | b |\n| 1 | 2 |", [], "| a | b |\n| 1 | 2 |"),  # no delimiter row: not a table
        ("| a |\n|---|\n| 1 |", [], "| a |\n|---|\n| 1 |"),  # one column: not a data table
        ("| a | b | c |\n|---|---|---|\n| 1 |\n| 1 | 2 | 3 | 4 |", [[["a", "b", "c"], ["1", "", ""], ["1", "2", "3"]]], ""),
    ],
)
def test_pipe_tables(text: str, tables: list[list[list[str]]], kept: str) -> None:
    rest, found = pipe_tables(text)
    assert rest == kept
    assert [[[c.text for c in row] for row in t.rows] for t in found] == tables


def test_pipe_table_offset_is_where_it_stood() -> None:
    rest, (found,) = pipe_tables("一、指标\n| a | b |\n|---|---|\n| 1 | 2 |\n二、任务")
    assert rest[: found.offset] == "一、指标" and rest[found.offset :] == "\n二、任务"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("省自然资源和\n规划厅", "省自然资源和规划厅"),  # a narrow column's line break
        ("2022\n年目\n标值", "2022年目标值"),
        ("（一\n）\n健\n康", "（一）健康"),  # a merged cell printed one character a line
        (" 2016 年为 68.7 ", "2016年为68.7"),  # PDF spacing around digits
        ("primary health\ncare", "primary health care"),  # Latin words keep one space
        ("部⻔", "部门"),  # a radical code point of a PDF text layer
        ("\u3000\n", ""),
    ],
)
def test_cell_text(raw: str, clean: str) -> None:
    assert cell_text(raw) == clean


@pytest.mark.parametrize(
    ("line", "caption"),
    [
        # numbered
        ("表1 主要指标", True), ("附表2", True), ("表一　重点项目", True), ("续表3", True), ("表 3-1 分工", True),
        # ending in a noun that names a table or list
        ("健康中国行动主要指标", True), ("省级相关部门“将健康融入所有政策”职责清单", True), ("重点任务分工", True), ("重点项目一览表", True),
        # not captions: a sentence, a lead-in, a numbered heading, a long line, words that only contain 表
        ("主要指标如下：", False), ("到2025年，各项指标全面完成。", False), ("一、主要指标", False), ("表彰先进集体", False),
        ("发挥党员干部代表作用", False), ("全面推进健康中国建设" * 7 + "指标", False),
    ],
)
def test_is_caption(line: str, caption: bool) -> None:
    assert is_caption(line) is caption


def test_header_rows() -> None:
    plain = table([["部门", "职责"], ["省委组织部", "考核评价"]])
    assert header_row_count(plain) == 1
    two_level = Table((
        (Cell("指标", 0), Cell("目标值", 1, 2)),
        (Cell("指标", 0, first=False), Cell("2022年", 1), Cell("2030年", 2)),
        (Cell("签约率", 0), Cell("70%", 1), Cell("75%", 2)),
    ), 0)
    assert header_row_count(two_level) == 2
    assert records(two_level)[0] == ["指标", "目标值-2022年", "目标值-2030年"]
    titled = Table(((Cell("表1 主要指标", 0, 2),), (Cell("指标", 0), Cell("目标", 1)), (Cell("签约率", 0), Cell("75%", 1))), 0)
    labels, found, caption = records(titled)
    assert (header_row_count(titled), labels, caption) == (2, ["指标", "目标"], "表1 主要指标")
    assert found[0].parts == ["指标：签约率", "目标：75%"]
    marked = table([["年份", "目标"], ["2023年", "70%"], ["2024年", "75%"]], header_rows=2)  # Word's repeat-header rows
    assert header_row_count(marked) == 2


def test_sample_plans_without_tables_parse_as_before() -> None:
    """The sample plans have no tables: each clause is what the parser alone makes of the text."""
    for path in sorted((ROOT / "data" / "plans").glob("*.txt")):
        doc = build_document(path.name, path.read_bytes())
        assert doc.clauses == parse_plan(decode_text(path.read_bytes(), path.name)[0]).clauses, path.name
        assert not rows_of(doc)


# ------------------------------------------------------------------------------------ real documents

needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not here")


@pytest.fixture(scope="module")
def corpus() -> dict[str, object]:
    built = {}
    for name in ("hainan-department-duties-list", "national-healthy-china-action-2019-2030", "national-basic-healthcare-law"):
        expected = json.loads((EXPECTATIONS / f"{name}.json").read_text(encoding="utf-8"))
        path = CORPUS / expected["file"]
        built[name] = (build_document(path.name, path.read_bytes()), expected)
    return built


def _by_row(doc) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Rows by their table and row number (``表1/第4行``): the section part of the path is the parser's."""
    return {"/".join(c.path[-2:]): c for c in doc.clauses if c.kind == TABLE_ROW_KIND}


# The expectations list a law's borderless metadata block as table 1; PlanQA keeps it as document metadata instead
# (see test_basic_law_metadata_block_is_no_table), as the expectation's notes allow.
KEPT_AS_METADATA = frozenset({"national-basic-healthcare-law"})


def _expectations() -> list:  # type: ignore[type-arg]
    from eval.structure import UNSEEN, load_expectations

    return [e for e in load_expectations() + load_expectations(UNSEEN) if e.source.is_file()]


@pytest.mark.parametrize("expectation", _expectations(), ids=lambda e: e.name)
def test_table_rows_of_every_expected_document(expectation) -> None:  # type: ignore[no-untyped-def]
    """Every table row an expectations file lists is there with its text (a note row under it may follow, after
    ；); a document whose expectations list no table row gets none."""
    from qa.ingest.documents import DocumentError

    try:
        doc = build_document(expectation.source.name, expectation.source.read_bytes())
    except DocumentError as exc:  # e.g. a .doc on a machine without antiword
        pytest.skip(str(exc))
    rows = _by_row(doc)
    if expectation.name in KEPT_AS_METADATA or not expectation.table_rows:
        assert not rows, list(rows)[:3]
        return
    for want in expectation.table_rows:
        got = rows["/".join(want["path"].split("/")[-2:])]
        assert got.text == want["text"] or got.text.startswith(want["text"] + "；"), (want["path"], got.text)


@needs_corpus
def test_duty_list_gives_26_department_rows(corpus: dict) -> None:  # type: ignore[type-arg]
    doc, expected = corpus["hainan-department-duties-list"]
    rows = _by_row(doc)
    assert list(rows) == [f"表1/第{m}行" for m in range(1, 27)]
    for want in expected["table_rows"]:
        assert rows["/".join(want["path"].split("/")[-2:])].text == want["text"]
    assert all(row.text.startswith("部门：") and "；职责与任务：" in row.text for row in rows.values())
    assert not any("职责与任务" in c.text for c in doc.clauses if c.kind != TABLE_ROW_KIND)


@needs_corpus
def test_healthy_china_indicator_table_is_one_table_of_124_indicators(corpus: dict) -> None:  # type: ignore[type-arg]
    doc, expected = corpus["national-healthy-china-action-2019-2030"]
    rows = _by_row(doc)
    # 13 pages, header repeated on each, group rows and 说明 rows not counted: row M is indicator M
    assert list(rows) == [f"表1/第{m}行" for m in range(1, 125)]
    assert all(f"；序号：{m}；" in rows[f"表1/第{m}行"].text for m in range(1, 125))
    for want in expected["table_rows"]:
        got = rows["/".join(want["path"].split("/")[-2:])].text
        # the indicator's own cells as expected; a 说明/计算方法 row under it is appended to its text
        assert got == want["text"] or got.startswith(want["text"] + "；"), (want["path"], got)
    assert rows["表1/第10行"].text.count("提高10%") == 2  # targets cut by the page break are whole again
    assert rows["表1/第19行"].text.startswith("领域：（二）合理膳食行动")  # empty domain cell at a page top
    assert rows["表1/第29行"].text.startswith("领域：（四）控烟行动")  # empty domain cell at a page foot
    assert (rows["表1/第1行"].page, rows["表1/第124行"].page) == (10, 22)
    assert rows["表1/第2行"].headings[-1] == "个人和社会倡导性指标"
    assert not any("居民健康素养水平（%）" in c.text for c in doc.clauses if c.kind != TABLE_ROW_KIND)


@needs_corpus
def test_basic_law_metadata_block_is_no_table(corpus: dict) -> None:  # type: ignore[type-arg]
    """Decision: the borderless 发文机关/发文日期… block of the law's web export is document metadata, kept in the
    text for the metadata reader, not table rows (pdfplumber's one-column 'tables' of its lined pages are refused)."""
    doc, _ = corpus["national-basic-healthcare-law"]
    assert not _by_row(doc) and not any("table" in note for note in doc.notes)
    assert "发文机关" in doc.text


# ------------------------------------------------------------------------------------------ PDF parts


@pytest.mark.parametrize(
    ("stream", "positions"),
    [
        # text on full-width background bands (a law's web export): 2 positions, no room for 2 columns
        (b"88.5 738.8 418.32 31.2 re\nf\n88.5 723.2 418.32 15.6 re\nf\n", {88, 507}),
        # a clipping rectangle paints nothing
        (b"0 0 595.3 841.9 re\nW* n\n", set()),
        # ruled lines: the ends of each segment
        (b"75.29 72.36 m\n520.01 72.36 l\nS\n110.4 72.36 m\n110.4 118 l\nS\n", {75, 520, 110}),
    ],
)
def test_rule_positions(stream: bytes, positions: set[int]) -> None:
    from qa.ingest.pdf_tables import _rule_positions

    assert _rule_positions(stream) == positions


@pytest.mark.parametrize(
    ("pages", "text", "marks"),
    [
        # a table between two lines: its offset is the end of the line before; the line after is not joined to it
        (["一、主要指标，指标如下很长很长很长很长很长很长\n\ue000\n二、重点任务"], "一、主要指标，指标如下很长很长很长很长很长很长\n二、重点任务", [len("一、主要指标，指标如下很长很长很长很长很长很长")]),
        # a table over two pages: one offset per page, the same place in the text; page numbers still dropped
        (["甲。\n\ue000\n— 1 —", "\ue000\n— 2 —", "\ue000\n乙。\n— 3 —"], "甲。\n乙。", [2, 2, 2]),
        (["\ue000\n甲。"], "甲。", [0]),  # a table first
    ],
)
def test_table_marks_in_page_text(pages: list[str], text: str, marks: list[int]) -> None:
    from qa.ingest.pdf import _join

    joined, _, found = _join(pages)
    assert (joined, found) == (text, marks)


def test_the_table_search_keeps_to_its_time_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    import qa.ingest.pdf_tables

    monkeypatch.setattr(qa.ingest.pdf_tables, "TABLE_SECONDS", -1.0)
    grid = [["序号", "指标"], ["1", "签约率"], ["2", "直报率"]]
    doc = build_document("p.pdf", make_table_pdf(BEFORE, grid, AFTER, widths=[3, 6]))
    assert rows_of(doc) == [] and any(note.startswith("table search stopped after") for note in doc.notes)
    assert "签约率" in doc.text  # kept as text
