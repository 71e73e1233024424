"""The app's HTML (ui.render): every piece of plan and user text escaped, markers linked to their cards, evidence
marked, refusals and notices shown."""

from __future__ import annotations

import re

import pytest

from qa.answer.answers import Answer, Citation
from qa.library import PlanRow
from qa.settings import Settings
from ui.render import (
    DISCLAIMER,
    answer_plain_text,
    header_html,
    highlight_html,
    render_answer_html,
    render_card_html,
    render_message_html,
    render_question_html,
    render_streaming_html,
)
from ui.render_kb import render_clause_tree_html, render_hits_html, render_plans_html, render_report_html

EVIL = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "**加粗** [链接](javascript:alert(1)) ![x](http://evil/x.png) `code` $x^2$",
]
TAGS = re.compile(r"<\s*(script|img|svg|iframe)\b", re.IGNORECASE)


def citation(marker: int = 1, text: str = "1.全面推进健康促进行动。居民健康素养水平提高至26%以上。", quote: str = "居民健康素养水平提高至26%以上。", **kw) -> Citation:
    values = dict(
        marker=marker, doc_id="ganzhou-2023", title="赣州市2023年卫生健康工作要点", path="一、/1.", path_label="一、1.",
        quote=quote, text=text, start=0, end=len(text), office="", issuer="赣州市卫生健康委员会", year=2023,
    )
    return Citation(**(values | kw))


def answer(text: str = "居民健康素养水平提高至26%以上。[1]", **kw) -> Answer:
    values = dict(question="赣州市居民健康素养水平要提高到多少?", text=text, citations=[citation()], timings={"total_ms": 120.0})
    return Answer(**(values | kw))


def no_injection(html: str) -> None:
    assert not TAGS.search(html), html
    assert 'href="javascript' not in html.lower() and "onerror=" not in html.replace("&lt;img src=x onerror=", "")
    assert "<strong" not in html and "<em>" not in html and "<code>code" not in html  # no Markdown rendered


# ------------------------------------------------------------------------------------------ rendering


@pytest.mark.parametrize("evil", EVIL)
def test_question_and_streamed_text_are_escaped(evil: str) -> None:
    for html in (render_question_html(evil), render_streaming_html(evil), render_message_html(evil)):
        no_injection(html)
    assert "&lt;" in render_question_html("<b>") and "&#42;&#42;" in render_question_html("**x**")


@pytest.mark.parametrize("evil", EVIL)
def test_clause_title_office_and_answer_text_are_escaped(evil: str) -> None:
    card = citation(text=f"1.条款{evil}居民健康素养水平提高至26%以上。", title=f"规划{evil}", office=evil, issuer=evil, path_label=evil)
    html = render_answer_html(answer(text=f"{evil}提高至26%以上。[1]", citations=[card], notices=[evil]))
    no_injection(html)
    assert html.count("<mark>") == 1 and "居民健康素养水平提高至26%以上。</mark>" in html
    plain = answer_plain_text(answer(text=evil, citations=[card]))
    assert evil in plain  # the clipboard gets the text as written


def test_markers_link_to_their_cards_and_unknown_markers_stay_text() -> None:
    html = render_answer_html(answer(text="甲[1]乙[7]。"), turn=3)
    assert '<a class="pq-marker" href="#pq-3-1"' in html and 'id="pq-3-1"' in html
    assert "&#91;7&#93;" in html and "pq-3-7" not in html
    card = html[html.index('id="pq-3-1"') :]
    assert "赣州市2023年卫生健康工作要点" in card and "一、1." in card and "赣州市卫生健康委员会 · 2023年" in card


def test_office_is_shown_when_given() -> None:
    html = render_card_html(citation(office="基层处"), turn=0)
    assert "责任处室：基层处" in html
    assert "责任处室" not in render_card_html(citation(), turn=0)


def test_card_shows_the_page_of_a_pdf_clause() -> None:
    assert "赣州市卫生健康委员会 · 2023年 · 第3页" in render_card_html(citation(page=3, page_end=3), turn=0)
    assert "第3-4页" in render_card_html(citation(page=3, page_end=4), turn=0)
    assert "页" not in render_card_html(citation(), turn=0).split("pq-clause")[0]


def test_refusal_looks_different_and_shows_related_clauses() -> None:
    related = [citation(marker=1, path_label="五、22."), citation(marker=2, path_label="九、32.")]
    refused = render_answer_html(answer(text="所检索的规划文件中没有找到……", citations=[], related=related, refused=True))
    normal = render_answer_html(answer())
    assert "pq-refused" in refused and "未找到依据" in refused and "可能相关" in refused
    assert "五、22." in refused and "九、32." in refused and "<mark>" not in refused and 'id="pq-' not in refused
    assert "pq-refused" not in normal and "可能相关" not in normal and "来源" in normal


def test_notice_and_answerer_are_shown() -> None:
    html = render_answer_html(answer(notices=["LLM 接口不可用（超时），显示的是抽取式答案"], answerer="extractive"))
    assert 'class="pq-notice"' in html and "抽取式" in html
    assert "大模型 qwen" in render_answer_html(answer(answerer="llm:qwen"))


@pytest.mark.parametrize(
    ("text", "quote", "marked"),
    [
        ("甲。乙丙丁戊。己。", "乙丙丁戊。", ["乙丙丁戊。"]),
        ("甲。乙丙丁戊。己庚辛壬。", "乙丙丁戊。己庚辛壬。", ["乙丙丁戊。己庚辛壬。"]),
        ("甲。乙丙丁戊。中间。己庚辛壬。", "乙丙丁戊。己庚辛壬。", ["乙丙丁戊。", "己庚辛壬。"]),  # pieces found apart
        ("甲乙丙丁。", "不在条款里的话。", []),
        ("<b>乙丙丁戊</b>", "乙丙丁戊", ["乙丙丁戊"]),
    ],
)
def test_highlight_marks_the_quoted_evidence(text: str, quote: str, marked: list[str]) -> None:
    html = highlight_html(text, quote)
    assert re.findall(r"<mark>(.*?)</mark>", html) == marked
    assert "<b>" not in html


def test_knowledge_base_views_escape_document_text() -> None:
    from qa.ingest.pipeline import FileResult, IngestReport
    from qa.search.results import Filters, Retrieved, SearchResult
    from qa.store import StoredChunk

    evil = EVIL[1]
    meta = {"doc_id": "x", "title": evil, "short_title": evil, "path_label": evil, "headings": f"一、{evil}", "office": evil, "part": 1, "parts": 1}
    chunk = StoredChunk("x:1", f"1.{evil}", meta)
    hit = Retrieved(chunk, 0.03, dense_rank=2, dense_score=0.9, lexical_rank=1, lexical_score=5.0)
    result = SearchResult(evil, evil, [hit], Filters.of(regions=[evil]), uncovered=[evil])
    report = IngestReport([FileResult(evil, "x", "failed", message=evil)])
    rows = [PlanRow("x", evil, evil, 2023, 3, 3, evil)]
    for html in (render_clause_tree_html(evil, [chunk]), render_hits_html(result), render_report_html(report, [evil]), render_plans_html(rows)):
        no_injection(html)
    hits = render_hits_html(result)
    assert "0.0300" in hits and "#2" in hits and "#1" in hits  # fused score and each leg's rank


def test_header_has_disclaimer_only_in_public_mode() -> None:
    assert DISCLAIMER in header_html(Settings(public=True), "extractive")
    assert DISCLAIMER not in header_html(Settings(), "extractive")


@pytest.mark.parametrize("link", ["https://www.nhc.gov.cn/wjw/index.shtml", "[申领补贴](https://evil.example/x)", '<a href="http://evil.example">点此</a>', "www.evil.example"])
def test_links_in_clauses_are_shown_as_plain_text(link: str) -> None:
    """A clause's web address is text to read, never a link to follow: no anchor but the [n] markers."""
    text = f"1.建设全民健康信息平台，详见{link}。"
    html = render_answer_html(answer(citations=[citation(text=text, quote=text)]), turn=1)
    anchors = re.findall(r"<a\b[^>]*>", html)
    assert anchors and all('class="pq-marker"' in a and 'href="#pq-1-' in a for a in anchors), anchors
    assert "evil.example" not in "".join(anchors) and "nhc.gov.cn" not in "".join(anchors)
