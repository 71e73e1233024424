"""Readers and numbering on inputs the red-team run found misread (issue 15): list numbers past 999 and a code's
articles past 第九百九十九条, and (below) encrypted and padded PDFs, documents with no words, PDF bytes saved as text,
Japanese and Korean encodings."""

from __future__ import annotations

import pytest

from qa.ingest.markers import read_marker
from qa.ingest.parsing import parse_plan
from qa.text import chinese_numeral
from tests.formats import TITLE, TYPED, make_docx, make_pdf
from tests.hostile import numbered_plan


def test_a_list_runs_past_999_and_past_9999_in_sequence() -> None:
    clauses = parse_plan(numbered_plan(2_500)).clauses
    assert [c.path for c in clauses[998:1001]] == [("一、", "999."), ("一、", "1000."), ("一、", "1001.")]
    assert clauses[-1].path == ("一、", "2500.") and len(clauses) == 2_500
    clauses = parse_plan(numbered_plan(10_002)).clauses  # parsed whole; ingest refuses a plan of so many clauses
    assert [c.path[-1] for c in clauses[-5:]] == ["9998.", "9999.", "10000.", "10001.", "10002."] and len(clauses) == 10_002


def _article(n: int) -> str:
    if n < 1000:
        return chinese_numeral(n)
    thousands, rest = divmod(n, 1000)
    return chinese_numeral(thousands) + "千" + ("" if not rest else ("零" if rest < 100 else "") + chinese_numeral(rest))


@pytest.mark.parametrize(("label", "number"), [("第一千条", 1000), ("第一千零一条", 1001), ("第一千二百六十条", 1260), ("第两千条", 2000)])
def test_article_numbers_past_999_are_read(label: str, number: int) -> None:
    marker = read_marker(label + "　本法自公布之日起施行。")
    assert marker is not None and (marker.style, marker.number, marker.label) == ("article", number, label)


def test_a_code_with_articles_past_999_keeps_each_article() -> None:
    text = "第一编 总则\n" + "".join(f"第{_article(n)}条 第{n}条的规定。\n" for n in range(1, 1006))
    paths = [c.path[-1] for c in parse_plan(text).clauses]
    assert paths[994:1000] == ["第九百九十五条", "第九百九十六条", "第九百九十七条", "第九百九十八条", "第九百九十九条", "第一千条"]
    assert paths[-1] == "第一千零五条" and len(paths) == 1005


@pytest.mark.parametrize("line", ["千千、推进工作", "千方百计推进工作", "万众一心、共建健康"])
def test_numerals_that_make_no_number_open_no_clause(line: str) -> None:
    assert read_marker(line) is None


# ------------------------------------------------------------------------------------------------ readers


def _encrypted(user: str, algorithm: str) -> bytes:
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(TYPED))))
    writer.encrypt(user_password=user, owner_password="owner-secret", algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("algorithm", ["AES-128", "AES-256"])
def test_an_aes_pdf_that_needs_no_password_opens_and_one_that_does_is_refused_saying_so(algorithm: str) -> None:
    from qa.ingest.pdf import read_pdf
    from qa.ingest.readtext import DocumentError

    assert read_pdf("open.pdf", _encrypted("", algorithm)).text.startswith(TITLE)
    with pytest.raises(DocumentError, match=r"^locked\.pdf: encrypted PDF \(needs a password\); decrypt it or export the text$"):
        read_pdf("locked.pdf", _encrypted("user-secret", algorithm))


def test_bytes_after_the_end_of_file_marker_are_not_the_pdfs() -> None:
    from qa.ingest.pdf import read_pdf
    from qa.ingest.readtext import DocumentError

    pdf = make_pdf(TYPED)
    for tail in (b"\0" * 4096, b"\r\n" + b"x" * 100_000):
        assert read_pdf("padded.pdf", pdf + tail).text == read_pdf("plain.pdf", pdf).text and TITLE in read_pdf("plain.pdf", pdf).text
    with pytest.raises(DocumentError, match="truncated PDF"):
        read_pdf("cut.pdf", pdf[: pdf.rfind(b"%%EOF")] + b"\0" * 4096)


@pytest.mark.parametrize(
    ("name", "make", "error"),
    [
        ("plan.txt", lambda: make_pdf(["一、目标", "1.推进工作。"]), "the bytes of a PDF, not text; give it the extension .pdf"),
        ("plan.md", lambda: make_docx([("一、目标", None)]), "the bytes of a zip archive (a .docx or .xlsx?), not text"),
        ("page.html", lambda: b"\n  %PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "the bytes of a PDF, not text"),
        ("blank.txt", lambda: "\u200b\u200c\u2060\ufeff\u3000\n。。，，！？\n——……\n".encode(), "no Chinese or Latin words in the text"),
        ("digits.txt", lambda: "1. 2. 3.\n4.5% —— 6/7\n".encode(), "no Chinese or Latin words in the text"),
    ],
    ids=["pdf-as-txt", "docx-as-md", "pdf-as-html", "invisible", "digits"],
)
def test_what_is_no_plan_text_is_refused_naming_what_it_is(name: str, make, error: str) -> None:  # type: ignore[no-untyped-def]
    from qa.ingest.documents import DocumentError, build_document

    with pytest.raises(DocumentError, match=f"^{name}: ") as refused:
        build_document(name, make())
    assert error in str(refused.value)


JAPANESE = "健康増進計画について、市民の皆様の健康づくりを支援するため、次のとおり取り組みます。一、目標　すべての市民が健やかに暮らせるまちを目指します。\n" * 8
KOREAN = "건강 증진 계획에 대하여 시민 여러분의 건강을 지원하기 위해 다음과 같이 추진합니다. 一、목표 모든 시민이 건강하게 살 수 있는 도시를 지향합니다.\n" * 8


@pytest.mark.parametrize(
    ("text", "encoding", "language"),
    [(JAPANESE, "shift_jis", "Japanese"), (JAPANESE, "euc_jp", "Japanese"), (KOREAN, "euc_kr", "Korean"), (KOREAN, "cp949", "Korean")],
)
def test_japanese_and_korean_encodings_are_refused_not_stored_garbled(text: str, encoding: str, language: str) -> None:
    from qa.ingest.encoding import decode_text
    from qa.ingest.readtext import DocumentError

    with pytest.raises(DocumentError, match=rf"^plan\.txt: {language} \(\S+\) text, not Chinese; PlanQA reads Chinese plans"):
        decode_text(text.encode(encoding), "plan.txt")
    assert decode_text(text.encode("utf-8"), "plan.txt") == (text, "utf-8")  # as UTF-8 it is not garbled: read as it is


def test_chinese_in_gbk_and_big5_is_still_read_short_or_long() -> None:
    from qa.ingest.encoding import decode_text
    from tests.conftest import SAMPLE_PLANS

    plan = (SAMPLE_PLANS / "ganzhou-2023.txt").read_text(encoding="utf-8")
    lines = [line for line in plan.splitlines() if line.strip()]
    for text in [plan, *lines]:
        assert decode_text(text.encode("gbk"), "plan.txt") == (text, "gb18030")
    traditional = "一、切實強化「一老一幼」健康服務\n（一）加強職業病防治工作，從嚴管理幹部。\n" * 10
    assert decode_text(traditional.encode("big5"), "plan.txt") == (traditional, "big5")


def test_a_pdf_of_more_pages_than_the_budget_is_refused_before_its_pages_are_read() -> None:
    from qa.ingest.limits import limits
    from qa.ingest.pdf import read_pdf
    from qa.ingest.readtext import DocumentError

    pages = limits().max_pdf_pages + 1
    pdf = make_pdf([f"{n}.推进第{n}项工作。" for n in range(1, pages + 1)], lines_per_page=1, page_number=None)
    with pytest.raises(DocumentError, match=rf"^long\.pdf: {pages:,} pages \(the limit is {pages - 1:,}\); split the PDF"):
        read_pdf("long.pdf", pdf)


PIECES = ["附件", "附 件", "1", "：", "一、", "（一）", "1.", "第一条", "——", "专栏1", " ", " " * 300, "\u3000" * 120, "⼀", "推进工作", "，", "。", "a" * 200]


@pytest.mark.parametrize("pieces", [["附件", " " * 300], ["附件", " " * 300, "x"], ["——", " " * 300, "推进"], ["一、", "a" * 300], ["（⼀）", "推进" * 200]])
def test_the_marker_read_on_a_texts_head_is_the_marker_of_the_whole_text(pieces: list[str]) -> None:
    from qa.ingest.markers import MARKER_START, marker_start
    from qa.normalize import unify_radicals

    text = "".join(pieces)
    whole = MARKER_START.match(unify_radicals(text))
    head = marker_start(text)
    assert (head and head.span()) == (whole and whole.span())


def test_the_marker_read_on_a_texts_head_agrees_on_generated_texts() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from qa.ingest.markers import MARKER_START, marker_start
    from qa.normalize import unify_radicals

    @settings(max_examples=400, deadline=None)
    @given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=8))
    def agree(pieces: list[str]) -> None:
        text = "".join(pieces)
        whole, head = MARKER_START.match(unify_radicals(text)), marker_start(text)
        assert (head and head.span()) == (whole and whole.span())

    agree()


def test_a_sentence_wrapped_over_40_000_lines_is_one_paragraph_and_50_001_lines_are_refused() -> None:
    from qa.ingest.documents import DocumentError, build_document

    lines = [f"{n}.5万人，" for n in range(2, 40_000)]  # not numbered (2.5万 is a figure): one sentence wrapped
    clauses = parse_plan("一、目标\n1.推进，\n" + "\n".join(lines) + "\n").clauses
    assert len(clauses) == 1 and clauses[0].text == "1.推进，" + "".join(lines)
    with pytest.raises(DocumentError, match=r"^many\.txt: 50,001 lines of text \(the limit is 50,000\); split the plan"):
        build_document("many.txt", ("推进工作。\n" * 50_000 + "完成").encode())
