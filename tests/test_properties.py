"""Property-based tests (hypothesis) of the cleaner and the clause parser, on any text and on generated plans:
they never crash, spans always point into the source, and every character of body text lands in exactly
one place (one clause, or the title / front matter / heading chain that describes the clauses)."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from qa.ingest.cleaning import source_lines
from qa.ingest.encoding import decode_text
from qa.ingest.parsing import parse_plan
from qa.ingest.pdf import join_pdf_pages
from qa.normalize import compact, repair_line, search_form

# Characters plans are made of, weighted towards what the cleaner and parser react to: numbering markers,
# sentence punctuation, '?' padding, pinyin, page-number dashes, metadata bars, full-width and odd spaces.
NOISE = "一二三四五六七八九十百、，,()（）0123456789.．①②③第章节条——-—–~。；;:：!！?？ \t\u3000\u00a0\u200b\ufeff|"
WORDS = "卫生健康工作要点计划方案责任处室基层处发布时间浏览次数索引号发布机构相关文章页共年月日推进加强建设社区医院"
PINYIN = "aāáǎàeéwèishēng"
ANY_TEXT = st.text(
    alphabet=st.one_of(st.sampled_from(NOISE + WORDS + PINYIN + "\n\n\n\r"), st.characters(codec="utf-8", exclude_categories=["Cs"])),
    max_size=400,
)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _is_subsequence(needle: str, haystack: str) -> bool:
    it = iter(haystack)
    return all(ch in it for ch in needle)


def check_plan(text: str) -> None:
    """The invariants of :func:`parse_plan` on ``text``."""
    parsed = parse_plan(text)
    previous_end = 0
    for clause in parsed.clauses:
        # spans point into the source, in order, without overlap
        assert 0 <= clause.start <= clause.end <= len(text), clause
        assert clause.start >= previous_end, (clause, previous_end)
        previous_end = clause.end
        # the clause text is its span with noise deleted: its characters occur there, in order
        assert _is_subsequence(compact(clause.text), compact(text[clause.start : clause.end])), clause
        assert clause.text.strip(), clause
        search_form(clause.text)  # never raises

    # every body line lands in exactly one clause, or is the title, front matter or a heading of the clauses
    texts = [compact(c.text) for c in parsed.clauses]
    described = compact(parsed.title) + "\n" + compact(parsed.front_matter)
    headings = {compact(h).rstrip("。") for c in parsed.clauses for h in c.headings}
    for line in source_lines(text).lines:
        body = compact(line.text)
        holders = [i for i, c in enumerate(parsed.clauses) if c.start <= line.start < c.end or c.start == line.start]
        assert len(holders) <= 1, (line, holders)
        if holders:
            assert body in texts[holders[0]], (line, parsed.clauses[holders[0]])
        else:
            assert body in described or body.rstrip("。") in headings, (line, parsed)


@SETTINGS
@given(ANY_TEXT)
@example("一、目标:健康\n1.建成社区医院5家。")
@example("?\n")
@example("一、\n(一)\n1.")
@example("衛(wèi)生\n—3—\n第3页\n索引号|1|发布机构|某委")
def test_parser_invariants_on_any_text(text: str) -> None:
    check_plan(text)


# A generated plan: a title, maybe a preamble, sections of numbered items whose sentences are all distinct.
# Sentences open with a word: "2.0000…" is a decimal, not item 2, and is left to the table tests.
SENTENCE = st.builds(
    lambda head, rest: head + rest + "。", st.sampled_from(WORDS), st.text(alphabet=st.sampled_from(WORDS + "0123456789%"), min_size=3, max_size=30)
)


@st.composite
def plans(draw) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    """(plan text, the body sentences in it): numbered 一、/(一)/1. clauses, each sentence tagged to be unique."""
    cn = "一二三四五六七八九"
    lines = ["某市2024年卫生健康工作要点"]
    sentences: list[str] = []
    tag = 0

    def sentence() -> str:
        nonlocal tag
        tag += 1
        text = f"{draw(SENTENCE)[:-1]}第{tag}项。"  # unique, so counting it is meaningful
        sentences.append(text)
        return text

    if draw(st.booleans()):
        lines.append(sentence())
    item = 0
    for s in range(draw(st.integers(1, 4))):
        # a section line is a heading (a title, no sentence) or has its own body (two sentences or more)
        lines.append(f"{cn[s]}、{sentence()}{sentence()}" if draw(st.booleans()) else f"{cn[s]}、总体要求{s}")
        for sub in range(draw(st.integers(0, 3))):
            lines.append(f"({cn[sub]}){sentence()}{sentence()}" if draw(st.booleans()) else f"({cn[sub]})重点任务{sub}")
            for _ in range(draw(st.integers(0, 3))):
                item += 1
                lines.append(f"{item}." + "".join(sentence() for _ in range(draw(st.integers(1, 3)))))
    separator = draw(st.sampled_from(["\n", "\r\n", "\n\n", "\n\u3000\u3000"]))
    return separator.join(lines) + "\n", sentences


@SETTINGS
@given(plans())
def test_every_sentence_of_a_generated_plan_lands_in_exactly_one_clause(plan: tuple[str, list[str]]) -> None:
    text, sentences = plan
    text = text.replace("\r\n", "\n")
    check_plan(text)
    parsed = parse_plan(text)
    body = "\n".join(c.text for c in parsed.clauses)
    for sentence in sentences:
        assert body.count(sentence) == 1, (sentence, parsed.clauses)
    assert not parsed.warnings


@SETTINGS
@given(ANY_TEXT)
def test_repair_line_only_deletes(line: str) -> None:
    """Repairing a line only deletes: radicals (⼀) are read as the characters they show by the marker reader and the
    search form, the display text keeps them (a clause is its span with noise deleted)."""
    line = line.replace("\n", " ").replace("\r", " ")
    assert _is_subsequence(repair_line(line), line)


@SETTINGS
@given(st.binary(max_size=600))
def test_decoding_any_bytes_gives_text_or_a_document_error(data: bytes) -> None:
    from qa.ingest.readtext import DocumentError

    try:
        text, encoding = decode_text(data, "any.txt")
    except DocumentError as exc:
        assert str(exc).startswith("any.txt: ")
        return
    assert "\r" not in text and encoding
    check_plan(text)


@SETTINGS
@given(st.lists(ANY_TEXT, min_size=1, max_size=5))
def test_pdf_page_join_offsets_point_into_the_text(pages: list[str]) -> None:
    text, starts = join_pdf_pages(pages)
    assert len(starts) == len(pages)
    assert list(starts) == sorted(starts) and all(0 <= s <= len(text) for s in starts)
    check_plan(text)
