"""How the searcher's state follows the store: the change token, and what a search reads from Chroma.

Store reads are counted on a real embedded Chroma store; the searcher must re-read the plans only when a
plan was committed or deleted (by any process), and an answer must not go back to the store per word.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from backends import open_store
from qa.answer.extractive import ExtractiveAnswerer, RefusalPolicy
from qa.ingest.pipeline import Ingestor
from qa.search.hybrid import HybridSearcher
from qa.settings import Settings
from tests.test_ingestion import PLAN_A, PLAN_B, CountingEmbeddings
from vectorstore import ChromaClauseStore, ChromaConfig


class CountingStore(ChromaClauseStore):
    """A real store that counts the full reads of the plan records."""

    reads = 0

    def documents(self):  # type: ignore[no-untyped-def]
        self.reads += 1
        return super().documents()


class LegacyStore(CountingStore):
    """A store written before the change token existed (or by an older PlanQA): no token to compare."""

    def generation(self) -> str:
        return ""


@pytest.fixture
def setup(tmp_path: Path):
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "city-2024.txt").write_text(PLAN_A, encoding="utf-8")
    (plans / "county-2024.txt").write_text(PLAN_B, encoding="utf-8")
    settings = Settings.load({"store_path": tmp_path / "store"}, env={})
    emb = CountingEmbeddings()
    writer = open_store(settings, emb.model_id)  # another process's store object
    Ingestor(settings, writer, emb).run([plans])
    return settings, emb, writer, plans


def test_the_change_token_moves_on_commit_and_delete_only(setup):
    settings, emb, writer, plans = setup
    first = writer.generation()
    assert first
    Ingestor(settings, writer, emb).run([plans])  # unchanged plans: nothing committed
    assert writer.generation() == first
    (plans / "county-2024.txt").write_text(PLAN_B + "(三)新增托位1200个。\n", encoding="utf-8")
    Ingestor(settings, writer, emb).run([plans])
    second = writer.generation()
    assert second != first
    writer.delete_document("city-2024")
    assert writer.generation() not in {first, second}
    assert open_store(settings, emb.model_id).generation() == writer.generation()  # stored, not per object


def test_searches_and_answers_read_the_plans_only_after_a_change(setup):
    settings, emb, writer, plans = setup
    store = CountingStore(ChromaConfig.of(settings), emb.model_id)
    searcher = HybridSearcher(store, emb)
    answerer = ExtractiveAnswerer(searcher.tokenizer, RefusalPolicy(), idf=searcher.idf)
    searcher.search("新增托位")
    loaded = store.reads  # the first search reads the plans (and all_chunks reads them once more)
    for question in ("家庭医生签约率", "疫苗接种率", "新增托位"):
        answerer.answer(question, searcher.search(question))
    assert store.reads == loaded  # three searches and answers, no change: the plans were not read again

    (plans / "county-2024.txt").write_text(PLAN_B + "(三)新增托位1200个。\n", encoding="utf-8")
    Ingestor(settings, writer, emb).run([plans])
    texts = [h.text for h in searcher.search("新增托位1200个", k=3).hits]
    assert "(三)新增托位1200个。" in texts
    assert store.reads == loaded + 1  # once per change: the unmoved token says that read was one consistent version


def test_a_store_without_the_token_is_followed_by_reading_the_plans(setup):
    settings, emb, writer, plans = setup
    store = LegacyStore(ChromaConfig.of(settings), emb.model_id)
    searcher = HybridSearcher(store, emb)
    searcher.search("新增托位")
    writer.delete_document("city-2024")
    assert {h.doc_id for h in searcher.search("新增托位", k=5).hits} <= {"county-2024"}
    assert store.reads >= 2


def test_a_place_named_in_a_clause_is_covered_and_one_named_nowhere_is_not(setup):
    settings, emb, _, _ = setup
    searcher = HybridSearcher(open_store(settings, emb.model_id), emb)
    searcher.refresh()
    searcher.tokenizer.add_places(["社区医院"])  # tagged as a place; only a clause text names it
    assert searcher.scope("社区医院建几家?").uncovered == ()
    assert searcher.scope("南京市新增多少托位?").uncovered == ("南京市",)
    assert searcher.scope("南京市新增多少托位?").uncovered == ("南京市",)  # the cached answer is the same



def test_what_places_clauses_name_follows_a_change_reading_only_the_changed_plans(setup):
    """A place no clause named becomes named when a plan naming it comes in (only that plan's texts are read), and
    unnamed again when that plan goes; a place named by an untouched plan stays named without a read."""
    settings, emb, writer, plans = setup
    searcher = HybridSearcher(open_store(settings, emb.model_id), emb)
    searcher.tokenizer.add_places(["南京市", "社区医院"])
    searcher.refresh()
    assert searcher.scope("南京市新增多少托位?").uncovered == ("南京市",)
    assert searcher.scope("社区医院建几家?").uncovered == ()
    (plans / "visit-2024.txt").write_text("2024年某区卫生健康工作要点\n一、协作\n1.与南京市共建专科联盟2个。\n", encoding="utf-8")
    Ingestor(settings, writer, emb).run([plans])
    read: list[str] = []
    texts = searcher.lexicon.files.texts
    searcher.lexicon.files.texts = lambda key: read.append(key) or texts(key)  # type: ignore[method-assign]
    searcher.search("专科联盟")
    assert len(read) == 1  # the new plan's texts (was 南京市 named there?), no other plan's
    assert searcher.scope("南京市新增多少托位?").uncovered == ()
    assert searcher.scope("社区医院建几家?").uncovered == () and len(read) == 1  # still named by city-2024: no read
    writer.delete_document("visit-2024")
    searcher.search("专科联盟")
    assert searcher.scope("南京市新增多少托位?").uncovered == ("南京市",)


@pytest.mark.parametrize(
    ("region", "short_title", "words"),
    [
        ("江西省赣州市", "赣州市2023年卫生健康工作要点", {"赣州", "赣州市", "江西", "江西省"}),
        ("江苏省泰州市", "泰州市泰州医药高新区", {"泰州", "泰州市", "江苏", "江苏省"}),
        ("山东省济宁市任城区", "任城区2021年度工作要点", {"任城", "任城区", "济宁", "济宁市", "山东", "山东省"}),
        ("", "八大工程行动计划", set()),
    ],
)
def test_place_words_of_a_plan_in_every_written_form(region: str, short_title: str, words: set[str]) -> None:
    from qa.search.hybrid import _place_words, _plan_info

    assert _place_words([_plan_info("plan", {"region": region, "short_title": short_title})]) == words
