"""The ingest pipeline and the hybrid searcher on the in-memory store with a fake embedder: no Chroma, no model."""

from __future__ import annotations

from pathlib import Path

from qa.ingest.pipeline import Ingestor
from qa.search.hybrid import HybridSearcher
from qa.search.results import Filters
from qa.settings import Settings
from tests.test_ingestion import CountingEmbeddings, plans, settings  # noqa: F401  (fixtures)
from vectorstore import InMemoryClauseStore


def _ingest(plans: Path, settings: Settings) -> tuple[InMemoryClauseStore, CountingEmbeddings, Ingestor]:
    embeddings = CountingEmbeddings()
    store = InMemoryClauseStore(embeddings.model_id)
    ingestor = Ingestor(settings, store, embeddings)
    report = ingestor.run([plans])
    assert not report.failed, report.table()
    return store, embeddings, ingestor


def test_ingest_writes_every_clause_with_its_path(plans: Path, settings: Settings) -> None:
    store, embeddings, _ = _ingest(plans, settings)
    paths = sorted((c.doc_id, c.metadata["path"]) for c in store.all_chunks())
    assert ("city-2024", "一、/1.") in paths
    assert ("county-2024", "一、/(二)") in paths
    assert set(store.documents()) == {"city-2024", "county-2024"}
    assert len(embeddings.embedded) == store.chunk_count()


def test_an_unchanged_plan_is_skipped_and_a_changed_one_reuses_vectors(plans: Path, settings: Settings) -> None:
    store, embeddings, ingestor = _ingest(plans, settings)
    first = len(embeddings.embedded)
    assert {r.status for r in ingestor.run([plans]).results} == {"unchanged"}
    text = (plans / "city-2024.txt").read_text(encoding="utf-8")
    (plans / "city-2024.txt").write_text(text.replace("新增托位300个", "新增托位400个"), encoding="utf-8")
    report = ingestor.run([plans])
    assert {r.doc_id: r.status for r in report.results}["city-2024"] == "updated"
    assert len(embeddings.embedded) == first + 1  # only the changed clause is embedded again


def test_the_searcher_finds_a_clause_by_its_words_and_follows_deletes(plans: Path, settings: Settings) -> None:
    store, embeddings, _ = _ingest(plans, settings)
    searcher = HybridSearcher(store, embeddings, mode="lexical")  # the fake embedder's vectors carry no meaning
    hits = searcher.search("家庭医生签约率", k=3).hits
    assert hits[0].doc_id == "city-2024"
    assert "家庭医生签约率达到45%" in hits[0].text
    store.delete_document("city-2024")
    assert all(h.doc_id != "city-2024" for h in searcher.search("家庭医生签约率", k=3).hits)


def test_filters_restrict_both_legs_to_the_named_plans(plans: Path, settings: Settings) -> None:
    store, embeddings, _ = _ingest(plans, settings)
    searcher = HybridSearcher(store, embeddings)
    hits = searcher.search("新建发热门诊", k=5, filters=Filters.of(doc_ids=["city-2024"])).hits
    assert hits
    assert {h.doc_id for h in hits} == {"city-2024"}
