"""The readers (qa.ingest.readers and its pdf, docx, html, markdown modules): PDF, DOCX, HTML and Markdown plans built
in the tests from known text, read into the same clauses as the plain-text plan; page numbers of PDF clauses; and
every bad file refused with its name and the problem."""

from __future__ import annotations

import io
import zipfile

import pytest

from qa.ingest.documents import build_document
from qa.ingest.docx import format_number
from qa.ingest.html import read_html
from qa.ingest.markdown import read_markdown
from qa.ingest.parsing import PREAMBLE_PATH
from qa.ingest.pdf import join_pdf_pages, read_pdf
from qa.ingest.readers import read_document
from qa.ingest.readtext import DocumentError, page_of
from qa.text import chinese_numeral
from tests.formats import (
    ITEM_1,
    ITEM_2,
    ITEM_3,
    ITEM_4,
    ITEM_5,
    PREAMBLE,
    TITLE,
    TYPED,
    TYPED_PATHS,
    make_docx,
    make_gov_page,
    make_pdf,
)


def paths(doc) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.path_key for c in doc.clauses]


def texts(doc) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {c.path_key: c.text for c in doc.clauses}


def test_reference_txt_plan() -> None:
    doc = build_document("jiangzhou.txt", "\n".join(TYPED).encode("gb18030"))
    assert paths(doc) == TYPED_PATHS and doc.info.title == TITLE and doc.pages == ()
    assert doc.page_of(10) == 0


# ---------------------------------------------------------------------------------------------- PDF


@pytest.fixture(scope="module")
def pdf_bytes() -> bytes:
    """Three pages: hard wrapped at 30 characters, a running header and "— n —" on each page."""
    return make_pdf(TYPED, width=30, lines_per_page=7, header="江州市卫生健康委员会文件")


def test_multi_page_pdf_gives_the_clauses_of_the_typed_plan(pdf_bytes: bytes) -> None:
    doc = build_document("jiangzhou.pdf", pdf_bytes)
    assert doc.encoding == "pdf" and len(doc.pages) == 3
    assert paths(doc) == TYPED_PATHS
    assert doc.info.title == TITLE
    # hard line breaks joined: each clause reads as the typed sentence, wrapped across pages too
    assert texts(doc) == {
        PREAMBLE_PATH: PREAMBLE, "一、/(一)/1.": f"1.{ITEM_1}", "一、/(一)/2.": f"2.{ITEM_2}", "一、/(二)/3.": f"3.{ITEM_3}",
        "二、/4.": f"4.{ITEM_4}", "二、/5.": f"5.{ITEM_5}",
    }
    assert "—" not in doc.text
    header = "江州市卫生健康委员会文件"  # the running header is kept once, on page 1, where a plan's red head stands
    assert doc.text.count(header) == 1 and doc.text.startswith(header)
    assert not any(header in c.text for c in doc.clauses)
    assert doc.clauses[1].office == "体改处"


def test_pdf_clause_spans_map_to_their_pages(pdf_bytes: bytes) -> None:
    from pypdf import PdfReader

    doc = build_document("jiangzhou.pdf", pdf_bytes)
    page_texts = [p.extract_text() for p in PdfReader(io.BytesIO(pdf_bytes)).pages]
    for clause in doc.clauses:
        first, last = doc.page_of(clause.start), doc.page_of(clause.end - 1)
        # the clause's first and last characters' lines are on those pages of the PDF
        head, tail = clause.text[:8], clause.text.replace("\n", "")[-6:]
        assert head in page_texts[first - 1].replace("\n", ""), (clause.path_key, first)
        assert tail in page_texts[last - 1].replace("\n", ""), (clause.path_key, last)
        assert doc.text[clause.start : clause.end].replace("\n", "") == clause.text.replace("\n", "")
    spans = {c.path_key: (doc.page_of(c.start), doc.page_of(c.end - 1)) for c in doc.clauses}
    assert spans[PREAMBLE_PATH] == (1, 1) and spans["二、/5."][1] == 3
    assert any(first < last for first, last in spans.values())  # at least one clause runs over a page break


def test_pdf_pages_reach_chunk_metadata_and_citation_labels(pdf_bytes: bytes) -> None:
    from qa.answer.answers import Citation
    from qa.ingest.chunking import chunk_document
    from qa.search.results import Retrieved
    from qa.store import StoredChunk

    doc = build_document("jiangzhou.pdf", pdf_bytes)
    chunks = chunk_document(doc, 480, len)
    assert [c.metadata["page"] for c in chunks] == [doc.page_of(c.start) for c in doc.clauses]
    last = chunks[-1]
    assert last.metadata["page_end"] == 3
    citation = Citation.from_hit(1, Retrieved(StoredChunk(last.chunk_id, last.text, last.metadata), 0.1), "")
    assert citation.page == last.metadata["page"] and citation.label.endswith("页）")
    txt = chunk_document(build_document("j.txt", "\n".join(TYPED).encode()), 480, len)
    assert {c.metadata["page"] for c in txt} == {0}
    plain = Citation.from_hit(1, Retrieved(StoredChunk(txt[1].chunk_id, txt[1].text, txt[1].metadata), 0.1), "")
    assert plain.label == f"《{TITLE}》一、(一)1." and plain.page_label == ""


@pytest.mark.parametrize("number", ["— {n} —", "-{n}-", "第{n}页", "第{n}页 共3页", "{n}"])
def test_pdf_page_number_styles_are_removed(number: str) -> None:
    doc = build_document("p.pdf", make_pdf(TYPED, width=30, lines_per_page=7, page_number=number))
    assert paths(doc) == TYPED_PATHS
    assert "页" not in doc.text and not any(line.strip().isdigit() for line in doc.text.split("\n"))


@pytest.mark.parametrize(
    ("pages", "text", "starts"),
    [
        # header on every page (kept on page 1 only), footer page numbers dropped, margin-wrapped line joined
        (["标题行\n一、总则\n第一行很长很长很长很长很长很长很长很长,没有结束\n— 1 —",
          "标题行\n接着上一页的句子。\n二、其他\n— 2 —"],
         "标题行\n一、总则\n第一行很长很长很长很长很长很长很长很长,没有结束接着上一页的句子。\n二、其他", (0, 33)),
        # a short line before a page break is not joined; a page without text starts where the next begins
        (["甲。", "", "乙。"], "甲。\n乙。", (0, 2, 3)),
        # Latin words cut at the margin get their space back
        (["The plan improves primary health\ncare services."], "The plan improves primary health care services.", (0,)),
        ([""], "", (0,)),
    ],
)
def test_join_pdf_pages(pages: list[str], text: str, starts: tuple[int, ...]) -> None:
    joined, offsets = join_pdf_pages(pages)
    assert joined == text
    assert offsets == starts


@pytest.mark.parametrize(("offset", "page"), [(0, 1), (34, 1), (35, 2), (99, 2)])
def test_page_of(offset: int, page: int) -> None:
    assert page_of((0, 35), offset) == page
    assert page_of((), offset) == 0


# --------------------------------------------------------------------------------------------- DOCX


def test_docx_with_word_list_numbering() -> None:
    items = [
        (TITLE, None), (PREAMBLE, None),
        ("深化医药卫生体制改革", 0), ("推进分级诊疗。", 1), (ITEM_1, 2), (ITEM_2, 2), ("加强公共卫生。", 1), (ITEM_3, 2),
        ("提升医疗服务能力", 0), (ITEM_4, 2), (ITEM_5, 2),
    ]
    doc = build_document("jiangzhou.docx", make_docx(items))
    assert doc.encoding == "docx" and doc.info.title == TITLE
    # Word restarts the 1. level under each parent, as its list definition says
    assert paths(doc) == [PREAMBLE_PATH, "一、/（一）/1.", "一、/（一）/2.", "一、/（二）/1.", "二、/1.", "二、/2."]
    assert texts(doc)["一、/（一）/2."] == f"2.{ITEM_2}"
    assert doc.clauses[0].text == PREAMBLE


def test_docx_with_typed_numbers_and_a_list_style() -> None:
    typed = make_docx([(line, None) for line in TYPED])
    assert paths(build_document("typed.docx", typed)) == TYPED_PATHS
    styled = make_docx([(TITLE, None), ("一、总体要求", None), ("2020年起实施家庭医生签约。", "List Number"), ("建成社区医院5家。", "List Number")])
    doc = build_document("styled.docx", styled)
    assert paths(doc) == ["一、/1.", "一、/2."]
    assert texts(doc)["一、/1."] == "1. 2020年起实施家庭医生签约。"  # the space keeps "1.2020" from reading as a decimal


def test_docx_table_rows_become_units_of_their_own() -> None:
    doc = build_document("t.docx", make_docx([(TITLE, None), ("一、目标", None)], table=[["指标", "目标值"], ["签约率", "75%"]]))
    assert [(c.path_key, c.kind, c.text) for c in doc.clauses] == [("一、", "clause", "一、目标"), ("一、/表1/第1行", "table_row", "指标：签约率；目标值：75%")]
    assert "签约率" not in doc.text  # the table is data (ReadText.tables), not body text


@pytest.mark.parametrize(
    ("fmt", "n", "label"),
    [("chineseCounting", 1, "一"), ("chineseCounting", 10, "十"), ("chineseCounting", 11, "十一"), ("chineseCounting", 20, "二十"),
     ("chineseCountingThousand", 105, "一百零五"), ("decimal", 7, "7"), ("decimalEnclosedCircle", 3, "③"), ("ideographTraditional", 2, "乙"),
     ("lowerLetter", 27, "aa"), ("upperRoman", 4, "IV"), ("decimalFullWidth", 12, "１２"), ("unknownFormat", 5, "5")],
)
def test_word_number_formats(fmt: str, n: int, label: str) -> None:
    assert format_number(fmt, n) == label


def test_chinese_numeral_round_trips_with_the_parser() -> None:
    from qa.text import chinese_number

    assert all(chinese_number(chinese_numeral(n)) == n for n in range(1, 1000))


# --------------------------------------------------------------------------------------------- HTML


@pytest.mark.parametrize("charset", ["utf-8", "gbk", "gb2312"])
def test_government_page_keeps_the_article_and_drops_the_furniture(charset: str) -> None:
    page = make_gov_page(TITLE, TYPED[1:], charset=charset)
    doc = build_document("jiangzhou.html", page)
    assert paths(doc) == TYPED_PATHS and doc.info.title == TITLE
    assert texts(doc)["一、/(一)/1."] == f"1.{ITEM_1}"
    for furniture in ("首页", "当前位置", "分享到", "相关文章", "关于印发", "ICP备", "网站地图", "不是条款", "color: red"):
        assert furniture not in doc.text, furniture
    assert not any("浏览次数" in c.text for c in doc.clauses)  # the article's info line is chrome the cleaner drops
    assert doc.info.issuer == "江州市卫生健康委员会" and doc.info.date == "2023-03-02"  # 发布时间 wins over 成文日期, as in .txt pages
    assert doc.encoding == f"html:{charset}"


def test_html_inline_tags_stay_inline_and_blocks_break_lines() -> None:
    page = (
        "<html><body><div id='content'><h2>一、<b>总体</b>要求</h2><p>1.建成<strong>社区医院</strong>5家,"
        "<a href='#'>详见附件</a>。</p><p>2.新增托位<br>300个。</p></div></body></html>"
    ).encode()
    read = read_html("p.html", page)
    assert read.text.split("\n") == ["一、总体要求", "1.建成社区医院5家,详见附件。", "2.新增托位", "300个。"]


def test_html_without_a_charset_declaration_is_detected() -> None:
    page = f"<html><body><p>{TITLE}</p><p>一、总则</p><p>1.{ITEM_1}</p></body></html>".encode("gb18030")
    read = read_html("p.htm", page)
    assert ITEM_1 in read.text and read.encoding == "html:gb18030"


# ----------------------------------------------------------------------------------------- Markdown


def test_markdown_plan() -> None:
    md = (
        f"# {TITLE}\n\n{PREAMBLE}\n\n## 一、深化医药卫生体制改革\n\n### (一)推进分级诊疗。\n\n1.{ITEM_1}\n\n"
        f"2.**{ITEM_2}**\n\n> 注:详见[附件](http://example.invalid/a.pdf)。\n\n---\n"
    )
    read = read_markdown("p.md", md.encode())
    assert "#" not in read.text and "**" not in read.text and "注:详见附件。" in read.text
    doc = build_document("p.md", md.encode())
    assert paths(doc) == [PREAMBLE_PATH, "一、/(一)/1.", "一、/(一)/2."] and doc.info.title == TITLE


# ---------------------------------------------------------------------------------------- bad files


def _truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _corrupt_zip(data: bytes) -> bytes:
    """A .docx whose document part's bytes were damaged (the zip's CRC check fails)."""
    at = data.index(b"word/document.xml") + 200
    return data[:at] + bytes(b ^ 0xFF for b in data[at : at + 64]) + data[at + 64 :]


@pytest.fixture(scope="module")
def docx_bytes() -> bytes:
    return make_docx([(line, None) for line in TYPED])


@pytest.mark.parametrize(
    ("name", "make", "problem"),
    [
        ("truncated.pdf", lambda pdf, docx: _truncated(pdf), "truncated PDF"),
        ("encrypted.pdf", lambda pdf, docx: make_pdf(TYPED[:4], password="s3cret"), "encrypted PDF"),
        ("corrupt.pdf", lambda pdf, docx: pdf[:200] + b"\x00garbage\x00" * 50 + b"\n%%EOF\n", "corrupt PDF"),
        ("not-a.pdf", lambda pdf, docx: "一、总则\n1.这是文本。\n".encode(), "not a PDF"),
        ("scanned.pdf", lambda pdf, docx: make_pdf([""], page_number=None), "no text layer"),
        ("truncated.docx", lambda pdf, docx: _truncated(docx), "corrupt or truncated .docx"),
        ("corrupt.docx", lambda pdf, docx: _corrupt_zip(docx), "corrupt"),
        ("old-word.docx", lambda pdf, docx: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "old .doc"),
        ("plain.docx", lambda pdf, docx: "一、总则".encode(), "corrupt or truncated .docx"),
        ("not-word.docx", lambda pdf, docx: _zip({"hello.txt": b"hi"}), "corrupt .docx"),
        ("empty.docx", lambda pdf, docx: make_docx([]), "no text"),
        ("nav-only.html", lambda pdf, docx: b"<html><body><div class='nav'><a href='/'>home</a></div></body></html>", "no article text"),
        ("empty.pdf", lambda pdf, docx: b"", "empty"),
        ("plan.doc", lambda pdf, docx: docx, "not a Word 97–2003 document"),
        ("plan.xlsx", lambda pdf, docx: docx, "unsupported file type .xlsx"),
        ("plan", lambda pdf, docx: docx, "unsupported file type (none)"),
    ],
)
def test_bad_files_raise_a_document_error_naming_file_and_problem(pdf_bytes: bytes, docx_bytes: bytes, name: str, make, problem: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DocumentError) as raised:
        build_document(name, make(pdf_bytes, docx_bytes))
    message = str(raised.value)
    assert message.startswith(f"{name}: ") and problem in message, message
    assert ";" in message  # …and what to do about it


def _zip(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_zip_bomb_docx_is_refused(monkeypatch: pytest.MonkeyPatch, docx_bytes: bytes) -> None:
    import qa.ingest.docx

    monkeypatch.setattr(qa.ingest.docx, "MAX_UNZIPPED_BYTES", 1000)
    with pytest.raises(DocumentError, match="unpacks to more than"):
        read_document("bomb.docx", docx_bytes)


def test_pdf_with_an_owner_password_only_opens() -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(TYPED, width=30, lines_per_page=7))))
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")  # may not copy/print, may read
    out = io.BytesIO()
    writer.write(out)
    assert paths(build_document("restricted.pdf", out.getvalue())) == TYPED_PATHS


def test_pdf_after_leading_junk_is_read(pdf_bytes: bytes) -> None:
    assert read_pdf("mail.pdf", b"\r\n" + pdf_bytes).pages


@pytest.mark.parametrize(
    ("text", "doubtful"),
    [
        ("一、总体要求\n到2025年，居民健康素养水平提高到30%以上。", False),
        ("\ufffd\ufffd\ufffd2025\ufffd\ufffd", True),  # replacement characters
        ("5A 2D 7F 31 0C 9E 44 B2 6A 1F 3C 8D 2E 7B 91 0A 5C 6E 3F 2A 8B 1D 4E 9C", True),  # a font map pypdf could not follow
        ("Annex 1 2 3", False),  # too short to judge
    ],
)
def test_pdf_pages_read_again_when_pypdf_text_is_doubtful(text: str, doubtful: bool) -> None:
    from qa.ingest.pdf import _doubtful, text_quality

    assert _doubtful(text) == doubtful
    assert text_quality("居民健康素养") > text_quality("居民\ufffd\ufffd素养")


def test_a_doubtful_page_is_read_again_with_pdfium_and_the_better_text_kept() -> None:
    """pypdf's text of page 1 replaced by garbage: PDFium's reading of the real page wins, and the notes say so."""
    from eval.structure import CORPUS
    from qa.ingest.pdf import Budget, _second_extractor

    data = (CORPUS / "national-basic-healthcare-law.pdf").read_bytes()
    pages, notes = ["\ufffd" * 40, "第二页"], []
    _second_extractor(data, pages, [0, 1], notes, Budget("national-basic-healthcare-law.pdf", 60, 2))
    assert "中华人民共和国基本医疗卫生与健康促进法" in pages[0].replace(" ", "")
    assert notes == ["text of page(s) 1, 2 read with PDFium (pypdf's had replacement characters or little Chinese)"]
