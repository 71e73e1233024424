"""qa.ingest.documents: decoding bytes in every common Chinese encoding, and the metadata of a plan (catalog or inferred)."""

from __future__ import annotations

import codecs
import random
from pathlib import Path

import pytest

from qa.ingest.documents import DocumentError, build_document, decode_text, load_catalog
from qa.ingest.parsing import PREAMBLE_PATH

PLANS = Path(__file__).resolve().parent.parent / "data" / "plans"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# Real snippets: traditional (taizhou, repaired so Big5 can hold it), simplified (ganzhou), and PDF-spaced (guizhou).
TRADITIONAL = (
    "2023年全市衛生健康工作要點\n"
    "今年是貫徹落實黨的二十大精神的開局之年。\n"
    "一、抓實抓細新階段新冠疫情防控工作\n"
    "(一)持續強化監測預警\n"
    "1.加強疫情監測特別是變異毒株監測,采取常規與應急監測、哨點與人群監測、輸入與本土監測相結合。(責任處室:疾控處)\n"
    "2.對入境人員和本土病例中出現的新型變異株情況,立即進行流調溯源、規範開展處置。(責任處室:疾控處)\n"
)
SIMPLIFIED = (
    "2023年全市卫生健康工作的总体要求是:坚持以习近平新时代中国特色社会主义思想为指导,全面贯彻党的二十大精神。\n"
    "一、大力实施健康赣州建设筑基行动\n"
    "1.全面推进健康促进行动。扎实推进“15+4”健康赣州行动,打造于都县、南康区、信丰县等一批健康赣州建设样板县(区)。\n"
    "2.全面推进妇幼健康促进行动。做好适龄女生免费接种人乳头瘤病毒疫苗。\n"
)
SPACED = (
    "一、目标任务\n\n"
    "(一)医疗服务更加可及。2020 年,每千常住人口执业(助理)医师2.5 人、注册护士3.14 人。\n\n"
    "(二)疾病防控更加有力。2020 年,法定传染病总发病率控制\n\n在全国平均水平以下。\n"
)
TEXTS = {"traditional": TRADITIONAL, "simplified": SIMPLIFIED, "spaced": SPACED}


def _encode(text: str, encoding: str) -> bytes:
    """Bytes as a file in ``encoding`` would hold them; ``+bom`` adds the byte order mark."""
    if encoding == "utf-8+bom":
        return codecs.BOM_UTF8 + text.encode("utf-8")
    if encoding == "utf-16-le+bom":
        return codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    if encoding == "utf-16-be+bom":
        return codecs.BOM_UTF16_BE + text.encode("utf-16-be")
    return text.encode(encoding)


ENCODINGS = ["utf-8", "utf-8+bom", "gb18030", "gbk", "utf-16-le", "utf-16-be", "utf-16-le+bom", "utf-16-be+bom"]


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("kind", sorted(TEXTS))
def test_decode_common_encodings(kind: str, encoding: str) -> None:
    text = TEXTS[kind]
    decoded, _ = decode_text(_encode(text, encoding), "plan.txt")
    assert decoded == text


def test_decode_big5() -> None:
    decoded, encoding = decode_text(TRADITIONAL.encode("big5"), "plan.txt")
    assert decoded == TRADITIONAL
    assert encoding == "big5"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (SIMPLIFIED.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + SIMPLIFIED.encode("utf-8"), "utf-8-sig"),
        (SIMPLIFIED.encode("gbk"), "gb18030"),
        (SIMPLIFIED.encode("gb18030"), "gb18030"),
        (SIMPLIFIED.encode("utf-16-le"), "utf-16-le"),
        (SIMPLIFIED.encode("utf-16-be"), "utf-16-be"),
        (SIMPLIFIED.encode("utf-16"), "utf-16"),
        (TRADITIONAL.encode("gb18030"), "gb18030"),
        ("Plan 2023\n1. Item one.\n".encode("utf-16-le"), "utf-16-le"),  # ASCII: told apart by the NULs
        ("Plan 2023\n1. Item one.\n".encode("utf-16-be"), "utf-16-be"),
    ],
)
def test_decode_reports_the_encoding(data: bytes, encoding: str) -> None:
    assert decode_text(data, "plan.txt")[1] == encoding


@pytest.mark.parametrize("line_end", ["\r\n", "\r"])
@pytest.mark.parametrize("encoding", ["utf-8", "gb18030", "utf-16-le+bom"])
def test_crlf_and_cr_line_ends_become_newlines(line_end: str, encoding: str) -> None:
    data = _encode(SIMPLIFIED.replace("\n", line_end), encoding)
    decoded, _ = decode_text(data, "plan.txt")
    assert decoded == SIMPLIFIED
    assert "\r" not in decoded


@pytest.mark.parametrize("line_end", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8+bom", "gb18030", "utf-16-le+bom", "utf-16-be"])
def test_taizhou_in_any_encoding_and_line_end_parses_the_same(encoding: str, line_end: str) -> None:
    text = (PLANS / "taizhou-2023.txt").read_text(encoding="utf-8")
    reference = build_document("taizhou-2023.txt", text.encode("utf-8"))
    doc = build_document("taizhou-2023.txt", _encode(text.replace("\n", line_end), encoding))
    assert [c.path_key for c in doc.clauses] == [c.path_key for c in reference.clauses]
    assert [c.text for c in doc.clauses] == [c.text for c in reference.clauses]
    assert doc.text == text
    for c in doc.clauses:  # spans index the decoded text
        assert doc.text[c.start : c.end] == reference.text[c.start : c.end]


def test_big5_plan_parses() -> None:
    doc = build_document("taizhou-big5.txt", TRADITIONAL.encode("big5"))
    assert doc.encoding == "big5"
    assert doc.info.title == "2023年全市衛生健康工作要點"
    assert [c.path_key for c in doc.clauses] == [PREAMBLE_PATH, "一、/(一)/1.", "一、/(一)/2."]
    assert doc.clauses[1].office == "疾控處"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "empty"),
        (b"   \r\n\t\n", "empty"),
        (b"\x89PNG\r\n\x1a\n" + random.Random(1).randbytes(600), "binary"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Filter /FlateDecode >>\nstream\n"
         + random.Random(2).randbytes(600), "binary"),
        (random.Random(3).randbytes(4000), "binary"),
        (b"\x00" * 64, "binary"),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + bytes(range(256)) * 3, "binary"),
    ],
)
def test_unreadable_files_raise_document_error_naming_the_file(data: bytes, problem: str) -> None:
    with pytest.raises(DocumentError, match=problem) as raised:
        decode_text(data, "plans/weird-2023.txt")
    assert "plans/weird-2023.txt" in str(raised.value)
    with pytest.raises(DocumentError, match="weird-2023.txt"):
        build_document("weird-2023.txt", data)


def test_mixed_utf8_and_gbk_lines_are_each_decoded_and_noted() -> None:
    # Two sources pasted into one file: the title and section in UTF-8, the clauses in GBK.
    lines = SIMPLIFIED.splitlines()
    data = "\n".join(lines[:2]).encode("utf-8") + b"\n" + "\n".join(lines[2:]).encode("gbk") + b"\n"
    text, encoding = decode_text(data, "mixed.txt")
    assert text == SIMPLIFIED and encoding == "mixed:utf-8+gb18030"
    doc = build_document("mixed.txt", data)
    assert [c.path_key for c in doc.clauses] == [PREAMBLE_PATH, "一、/1.", "一、/2."]
    assert any("mixed encodings" in note and "gb18030" in note for note in doc.notes)


def test_file_with_only_page_chrome_raises_document_error() -> None:
    with pytest.raises(DocumentError, match="chrome-only.txt"):
        build_document("chrome-only.txt", "相关文章\n扫一扫在手机打开当前页\n— 2 —\n".encode())


# ---------------------------------------------------------------------------------------- metadata


@pytest.fixture(scope="module")
def catalog() -> dict[str, dict]:
    return load_catalog(PLANS)


def _doc(name: str, entry: dict | None = None):  # type: ignore[no-untyped-def]
    return build_document(name, (PLANS / name).read_bytes(), entry)


@pytest.mark.parametrize(
    "name", ["ganzhou-2023.txt", "longgang-2023.txt", "guizhou-2019-2022.txt", "rencheng-2021.txt", "taizhou-2023.txt"]
)
def test_catalog_entry_is_used_when_present(catalog: dict[str, dict], name: str) -> None:
    entry = catalog[name]
    doc = _doc(name, entry)
    info = doc.info
    assert info.doc_id == Path(name).stem
    assert (info.title, info.short_title, info.issuer, info.region, info.year, info.date) == (
        entry["title"], entry["short_title"], entry["issuer"], entry["region"], entry["year"], entry["date"]
    )
    assert info.citation_title == entry["short_title"]
    assert not any("catalog" in note for note in doc.notes)


def test_catalog_is_part_of_the_content_hash(catalog: dict[str, dict]) -> None:
    name = "ganzhou-2023.txt"
    with_entry = _doc(name, catalog[name])
    assert _doc(name, catalog[name]).content_hash == with_entry.content_hash  # stable
    assert _doc(name).content_hash != with_entry.content_hash
    assert _doc(name, {**catalog[name], "date": "2023-03-01"}).content_hash != with_entry.content_hash


@pytest.mark.parametrize(
    ("name", "title", "issuer", "date", "years", "region", "kind", "missing"),
    [
        # A notice that prints the plan it issues: the notice's title, its 落款 (issuer and date) before the web
        # page's 发布机构 and 成文日期; the region is the issuer's whole place chain.
        ("rencheng-2021.txt", "关于印发《2021年度全区卫生健康工作要点》的通知", "济宁市任城区卫生健康局", "2021-03-10", (2021,), "济宁市任城区", "通知", []),
        ("taizhou-2023.txt", "2023年全市衛生健康工作要點", "泰州市衛生健康委員會", "2023-05-22", (2023,), "泰州市", "工作要点", []),
        # 来源 names a body: the issuer (a web site as 来源 would not be one)
        ("longgang-2023.txt", "龙岗区2023年度卫生健康工作要点", "深圳市龙岗区卫生健康局", "2023-02-28", (2023,), "深圳市龙岗区", "工作要点", []),
        ("guizhou-2019-2022.txt", "卫生健康服务能力提升“八大工程”行动计划(2019—2022年)", "", "", (2019, 2020, 2021, 2022), "", "行动计划",
         ["issuer", "region", "date"]),
        ("ganzhou-2023.txt", "ganzhou-2023", "", "", (), "", "", ["title", "issuer", "region", "years", "date", "kind"]),
    ],
)
def test_metadata_inferred_without_catalog(
    name: str, title: str, issuer: str, date: str, years: tuple[int, ...], region: str, kind: str, missing: list[str]
) -> None:
    doc = _doc(name)
    info = doc.info
    assert (info.title, info.issuer, info.date, info.years, info.region, info.kind) == (title, issuer, date, years, region, kind)
    assert info.year == (years[0] if years else 0)
    notes = [n for n in doc.notes if n.startswith("no catalog entry")]
    assert len(notes) == 1
    if missing:
        assert notes[0].endswith("could not infer " + ", ".join(missing))
    else:
        assert "could not infer" not in notes[0]


@pytest.mark.parametrize(
    ("name", "short_title"),
    [
        ("taizhou-2023.txt", "泰州市2023年全市衛生健康工作要點"),  # the place is added when the title lacks it
        ("rencheng-2021.txt", "任城区2021年度全区卫生健康工作要点"),
        ("longgang-2023.txt", "龙岗区2023年度卫生健康工作要点"),  # already names the place
    ],
)
def test_inferred_short_title_names_the_place(name: str, short_title: str) -> None:
    assert _doc(name).info.citation_title == short_title


def test_partial_catalog_entry_is_completed_from_the_text() -> None:
    doc = _doc("taizhou-2023.txt", {"short_title": "泰州市2023年卫生健康工作要点"})
    assert doc.info.short_title == "泰州市2023年卫生健康工作要点"
    assert doc.info.date == "2023-05-22"
    assert doc.info.issuer == "泰州市衛生健康委員會"


def test_parser_warnings_reach_the_document_notes() -> None:
    doc = build_document("numbering-jumps.txt", (FIXTURES / "numbering-jumps.txt").read_bytes())
    assert any("jumps from 2 to 4" in note for note in doc.notes)
    doc = build_document("no-numbering.txt", (FIXTURES / "no-numbering.txt").read_bytes())
    assert any("paragraph by paragraph" in note for note in doc.notes)


def test_doc_id_defaults_to_the_file_stem() -> None:
    doc = build_document("some/dir/pdf-pages.txt", (FIXTURES / "pdf-pages.txt").read_bytes())
    assert doc.info.doc_id == "pdf-pages"
    assert build_document("x.txt", b"\xe4\xb8\x80\xe3\x80\x81\xe6\x80\xbb\xe5\x88\x99\n", doc_id="plan-7").info.doc_id == "plan-7"


def test_load_catalog_without_a_file_is_empty(tmp_path: Path) -> None:
    assert load_catalog(tmp_path) == {}


def test_invalid_catalog_raises_document_error(tmp_path: Path) -> None:
    (tmp_path / "catalog.toml").write_text('["a.txt"\ntitle = ', encoding="utf-8")
    with pytest.raises(DocumentError, match="catalog.toml"):
        load_catalog(tmp_path)
