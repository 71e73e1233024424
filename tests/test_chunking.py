"""qa.ingest.chunking: clauses -> chunks with provenance; long clauses split at sentence ends (token counter = ``len``)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from qa.ingest.chunking import CONTEXT_SEPARATOR, Chunk, chunk_document, context_line, pack
from qa.ingest.documents import Document, build_document, load_catalog
from qa.normalize import search_form
from qa.text import split_keeping_ends

PLANS = Path(__file__).resolve().parent.parent / "data" / "plans"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
NAMES = ["ganzhou-2023", "longgang-2023", "guizhou-2019-2022", "rencheng-2021", "taizhou-2023"]
MIN_BUDGET = 32  # chunk_document never packs to fewer tokens than this, whatever max_tokens says


@cache
def doc(name: str) -> Document:
    file = f"{name}.txt"
    return build_document(file, (PLANS / file).read_bytes(), load_catalog(PLANS)[file])


def parts_of(chunks: list[Chunk], path: str) -> list[Chunk]:
    return [c for c in chunks if c.path == path]


# ------------------------------------------------------------------------------- sentence splitting


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        (
            "1.全面推进健康促进行动。扎实推进“15+4”健康赣州行动,打造于都县、南康区、信丰县等一批健康赣州建设样板县(区)。推进健康促进场所建设。",
            ["1.全面推进健康促进行动。", "扎实推进“15+4”健康赣州行动,打造于都县、南康区、信丰县等一批健康赣州建设样板县(区)。", "推进健康促进场所建设。"],
        ),
        (  # ; ends a sentence too; a decimal point does not
            "2020 年,每千常住人口执业(助理)医师2.5 人;2022年,实现90%以上的居民15 分钟内能够达到最近的医疗点。",
            ["2020 年,每千常住人口执业(助理)医师2.5 人;", "2022年,实现90%以上的居民15 分钟内能够达到最近的医疗点。"],
        ),
        (  # a section's own text: the heading line keeps its line break
            "一、目标任务\n以按期打赢脱贫攻坚战为统领,以改革创新为动力,奋力实现卫生健康事业高质量发展六大目标:",
            ["一、目标任务\n", "以按期打赢脱贫攻坚战为统领,以改革创新为动力,奋力实现卫生健康事业高质量发展六大目标:"],
        ),
        (
            "(三十五)推动贵州省国家健康医疗大数据西部中心建设。\n2020 年,建成省市县全民健康信息平台。",
            ["(三十五)推动贵州省国家健康医疗大数据西部中心建设。\n", "2020 年,建成省市县全民健康信息平台。"],
        ),
        (  # the office note stays with its sentence
            "10.持續開展科普宣傳,引導群眾做自己健康的第一責任人。(責任處室:宣傳處)",
            ["10.持續開展科普宣傳,引導群眾做自己健康的第一責任人。", "(責任處室:宣傳處)"],
        ),
        ("是否推进?已推进!", ["是否推进?", "已推进!"]),
        ("", []),
    ],
)
def test_split_keeping_ends(text: str, sentences: list[str]) -> None:
    assert split_keeping_ends(text) == sentences
    assert "".join(split_keeping_ends(text)) == text


@pytest.mark.parametrize(
    ("sentences", "budget", "parts"),
    [
        (["甲乙。", "丙丁。", "戊己庚。"], 10, ["甲乙。丙丁。戊己庚。"]),
        (["甲乙。", "丙丁。", "戊己庚。"], 6, ["甲乙。丙丁。", "戊己庚。"]),
        (["甲乙。", "丙丁。", "戊己庚。"], 4, ["甲乙。", "丙丁。", "戊己庚。"]),
        # one sentence over budget is cut where the budget is reached
        (["甲乙。", "一二三四五六七八九十。", "丙。"], 4, ["甲乙。", "一二三四", "五六七八", "九十。", "丙。"]),
        (["甲乙。", "一二三四五六七八九十。", "丙。"], 6, ["甲乙。", "一二三四五六", "七八九十。", "丙。"]),
    ],
)
def test_pack(sentences: list[str], budget: int, parts: list[str]) -> None:
    assert pack(sentences, budget, len) == parts
    assert "".join(parts) == "".join(sentences)


# ------------------------------------------------------------------------------------- chunking


def test_short_clauses_are_one_chunk_each() -> None:
    d = doc("ganzhou-2023")
    chunks = chunk_document(d, 10_000, len)
    assert [c.path for c in chunks] == [c.path_key for c in d.clauses]
    for chunk, clause in zip(chunks, d.clauses, strict=True):
        assert (chunk.part, chunk.parts) == (1, 1)
        assert chunk.text == clause.text
        assert chunk.search_text == search_form(clause.text)
        assert (chunk.start, chunk.end) == (clause.start, clause.end)
        assert chunk.doc_id == "ganzhou-2023"


def test_long_clause_splits_at_sentence_ends() -> None:
    d = doc("ganzhou-2023")
    clause = d.clauses[1]
    assert clause.path_key == "一、/1."
    context = search_form(context_line(d, clause)) + CONTEXT_SEPARATOR
    budget = 80
    parts = parts_of(chunk_document(d, len(context) + budget, len), "一、/1.")
    assert [p.text for p in parts] == [
        "1.全面推进健康促进行动。扎实推进“15+4”健康赣州行动,打造于都县、南康区、信丰县等一批健康赣州建设样板县(区)。",
        "推进健康促进场所建设,打造升级市级健康教育示范点。实现市县两级无烟党政机关全覆盖。",
        "市县两级分别开展“百名千场”健康科普巡讲“六进”活动20场、50场以上,居民健康素养水平提高至26%以上。",
        "扩大学校减盐健康教育试点覆盖面至9个县(市、区)100所学校。",
    ]
    assert [(p.part, p.parts) for p in parts] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert "".join(p.text for p in parts) == clause.text
    for p in parts:
        assert len(p.search_text) <= budget
        assert (p.path, p.path_label, p.doc_id) == ("一、/1.", "一、1.", "ganzhou-2023")
        assert p.metadata["short_title"] == "赣州市2023年卫生健康工作要点"
        assert p.metadata["lead"] == "全面推进健康促进行动"
        assert (p.metadata["clause_start"], p.metadata["clause_end"]) == (clause.start, clause.end)
        assert p.clause_hash == clause.content_hash
        assert d.text[p.start : p.end] == p.text  # clean source: the span is exactly the part
    assert parts[0].start == clause.start and parts[-1].end == clause.end
    assert all(a.end == b.start for a, b in zip(parts, parts[1:], strict=False))


@pytest.mark.parametrize("max_tokens", [1, 40, 120])
@pytest.mark.parametrize("name", NAMES)
def test_tiny_budget_keeps_provenance(name: str, max_tokens: int) -> None:
    d = doc(name)
    chunks = chunk_document(d, max_tokens, len)
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    assert {c.path for c in chunks} == {c.path_key for c in d.clauses}
    split = 0
    for order, clause in enumerate(d.clauses):
        parts = [c for c in chunks if c.metadata["order"] == order]
        assert [p.part for p in parts] == list(range(1, len(parts) + 1))
        assert all(p.parts == len(parts) for p in parts)
        split += len(parts) > 1
        # the parts together are the clause, in order
        assert "".join(p.text for p in parts) == clause.text
        context = search_form(context_line(d, clause)) + CONTEXT_SEPARATOR
        budget = max(MIN_BUDGET, max_tokens - len(context))
        for p in parts:
            assert (p.path, p.path_label, p.doc_id, p.doc_hash) == (clause.path_key, clause.path_label, d.info.doc_id, d.content_hash)
            assert p.metadata["short_title"] == d.info.citation_title
            assert p.metadata["headings"] == "\n".join(clause.headings)
            assert clause.start <= p.start < p.end <= clause.end
            # the span holds the part's own words: only noise and layout differ
            assert search_form(d.text[p.start : p.end]) == p.search_text, p.chunk_id
            assert len(p.search_text) <= budget or len(parts) == 1
            assert p.embed_text == context + p.search_text
        starts = [p.start for p in parts]
        assert starts == sorted(starts)
    assert split > 0  # the budget is small enough to split something in every plan


@pytest.mark.parametrize("name", NAMES)
def test_split_parts_end_at_sentence_ends_when_sentences_fit(name: str) -> None:
    """With a budget larger than every sentence, no part is cut mid-sentence."""
    d = doc(name)
    longest = max(len(search_form(s)) for c in d.clauses for s in split_keeping_ends(c.text))
    chunks = chunk_document(d, longest + 60, len)
    for clause_order in {c.metadata["order"] for c in chunks if c.parts > 1}:
        parts = [c for c in chunks if c.metadata["order"] == clause_order]
        for p in parts[:-1]:
            assert p.text.rstrip("\n").endswith(("。", ";", "；", "!", "?", "！", "？")) or p.text.endswith("\n"), p.text


def test_embed_text_starts_with_title_and_heading_chain() -> None:
    d = doc("taizhou-2023")
    first = parts_of(chunk_document(d, 10_000, len), "一、/(一)/1.")[0]
    expected = search_form("泰州市2023年卫生健康工作要点 › 一、抓實抓細新階段新冠疫情防控工作 › (一)持續強化監測預警")
    assert first.embed_text.startswith(expected)
    assert first.embed_text == expected + CONTEXT_SEPARATOR + first.search_text
    assert first.embed_text.startswith("泰州市2023年卫生健康工作要点›一、抓实抓细新阶段新冠疫情防控工作›(一)持续强化监测预警")
    assert first.metadata["office"] == "疾控處"
    assert first.path_label == "一、(一)1."


@pytest.mark.parametrize(
    ("name", "path", "context"),
    [
        ("ganzhou-2023", "前言", "赣州市2023年卫生健康工作要点"),
        ("ganzhou-2023", "十、/38.", "赣州市2023年卫生健康工作要点 › 十、持续增强卫生健康治理能力水平"),
        ("guizhou-2019-2022", "二、/(七)",
         "贵州省卫生健康服务能力提升“八大工程”行动计划(2019—2022年) › 二、重点工作 › 乡村能力提升工程"),
        ("rencheng-2021", "九、", "任城区2021年度卫生健康工作要点"),
    ],
)
def test_context_line(name: str, path: str, context: str) -> None:
    d = doc(name)
    clause = next(c for c in d.clauses if c.path_key == path)
    assert context_line(d, clause) == context
    chunk = parts_of(chunk_document(d, 10_000, len), path)[0]
    assert chunk.embed_text.startswith(search_form(context))


def test_chunk_ids_are_stable_and_change_with_the_content() -> None:
    d = doc("longgang-2023")
    first = [c.chunk_id for c in chunk_document(d, 64, len)]
    assert first == [c.chunk_id for c in chunk_document(d, 64, len)]
    assert all(cid.startswith(f"longgang-2023:{d.content_hash[:12]}:") for cid in first)
    changed = build_document("longgang-2023.txt", (PLANS / "longgang-2023.txt").read_bytes() + "\n补充说明。".encode())
    assert {c.chunk_id for c in chunk_document(changed, 64, len)}.isdisjoint(first)


def test_fixture_with_page_breaks_keeps_spans_inside_the_clause() -> None:
    d = build_document("pdf-pages.txt", (FIXTURES / "pdf-pages.txt").read_bytes())
    clause = next(c for c in d.clauses if c.path_key == "一、")
    parts = parts_of(chunk_document(d, 1, len), "一、")
    assert len(parts) > 1
    assert "".join(p.text for p in parts) == clause.text
    for p in parts:
        assert clause.start <= p.start < p.end <= clause.end
