"""The contract every :class:`qa.store.ClauseStore` backend passes (after haystack's ``testing/document_store.py``).

A backend's test module subclasses :class:`ClauseStoreContract` and provides a ``store`` fixture returning an
empty store for the model id ``"contract-3"`` (3-dimensional vectors).
"""

from __future__ import annotations

from typing import Any

import pytest

from qa.store import ClauseStore

MODEL = "contract-3"


def chunk_meta(doc_id: str, doc_hash: str, n: int, **extra: Any) -> dict[str, Any]:
    return {"doc_id": doc_id, "doc_hash": doc_hash, "embed_key": f"{doc_id}-{doc_hash}-{n}", "path": f"{n}.", "order": n, **extra}


def write(store: ClauseStore, doc_id: str, doc_hash: str, vectors: list[list[float]], title: str = "") -> list[str]:
    """Write one plan version with one chunk per vector; returns the chunk ids."""
    ids = [f"{doc_id}:{doc_hash}:{n}" for n in range(len(vectors))]
    store.write_document(
        doc_id, doc_hash, ids, [f"{doc_id} 第{n}条" for n in range(len(vectors))], vectors,
        [chunk_meta(doc_id, doc_hash, n) for n in range(len(vectors))], {"title": title or doc_id, "chunks": len(vectors)},
    )
    return ids


class ClauseStoreContract:
    """What ingest and search rely on, whatever the backend."""

    def test_an_empty_store_has_nothing(self, store: ClauseStore) -> None:
        assert isinstance(store, ClauseStore)
        assert store.documents() == {}
        assert store.all_chunks() == []
        assert store.query([1.0, 0.0, 0.0], 5) == []
        assert store.chunk_count() == 0
        assert store.repair() == []

    def test_a_written_plan_is_committed_with_its_record_and_chunks(self, store: ClauseStore) -> None:
        before = store.generation()
        ids = write(store, "plan-a", "h1", [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], title="某市2024年卫生健康工作要点")
        record = store.documents()["plan-a"]
        assert record.doc_hash == "h1"
        assert record.metadata["title"] == "某市2024年卫生健康工作要点"
        assert record.metadata["chunks"] == 2
        chunks = {c.chunk_id: c for c in store.all_chunks()}
        assert set(chunks) == set(ids)
        assert chunks[ids[1]].text == "plan-a 第1条"
        assert chunks[ids[1]].doc_id == "plan-a"
        assert chunks[ids[1]].metadata["path"] == "1."
        assert store.chunk_count() == 2
        assert store.generation() != before

    def test_query_ranks_by_cosine_and_honours_k_and_plans(self, store: ClauseStore) -> None:
        write(store, "plan-a", "h1", [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
        write(store, "plan-b", "h2", [[0.9, 0.1, 0.0]])
        hits = store.query([1.0, 0.0, 0.0], 2)
        assert [h.chunk_id for h in hits] == ["plan-a:h1:0", "plan-b:h2:0"]
        assert hits[0].score == pytest.approx(1.0, abs=1e-4)
        assert hits[0].score > hits[1].score
        assert [h.doc_id for h in store.query([1.0, 0.0, 0.0], 5, doc_ids={"plan-b"})] == ["plan-b"]
        assert store.query([1.0, 0.0, 0.0], 5, doc_ids=set()) == []

    def test_a_new_version_replaces_the_old_one(self, store: ClauseStore) -> None:
        write(store, "plan-a", "h1", [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
        new_ids = write(store, "plan-a", "h2", [[0.0, 0.0, 1.0]])
        assert store.documents()["plan-a"].doc_hash == "h2"
        assert [c.chunk_id for c in store.all_chunks()] == new_ids
        assert [h.chunk_id for h in store.query([1.0, 0.0, 0.0], 5)] == new_ids
        assert store.chunk_count() == 1

    def test_only_the_named_versions_are_read(self, store: ClauseStore) -> None:
        write(store, "plan-a", "h1", [[1.0, 0.0, 0.0]])
        assert store.all_chunks(active={"plan-a": "another"}) == []
        assert store.query([1.0, 0.0, 0.0], 5, active={"plan-a": "another"}) == []
        assert len(store.all_chunks(active={"plan-a": "h1"})) == 1

    def test_two_plans_with_the_same_content_hash_are_both_kept(self, store: ClauseStore) -> None:
        write(store, "copy-1", "same", [[1.0, 0.0, 0.0]])
        write(store, "copy-2", "same", [[1.0, 0.0, 0.0]])
        assert sorted(c.doc_id for c in store.all_chunks()) == ["copy-1", "copy-2"]
        assert sorted(h.doc_id for h in store.query([1.0, 0.0, 0.0], 5)) == ["copy-1", "copy-2"]

    def test_delete_removes_record_and_chunks(self, store: ClauseStore) -> None:
        write(store, "plan-a", "h1", [[1.0, 0.0, 0.0]])
        write(store, "plan-b", "h2", [[0.0, 1.0, 0.0]])
        before = store.generation()
        store.delete_document("plan-a")
        assert set(store.documents()) == {"plan-b"}
        assert {c.doc_id for c in store.all_chunks()} == {"plan-b"}
        assert {m["doc_id"] for m in store.iter_metadata()} == {"plan-b"}
        assert store.generation() != before

    def test_stored_vectors_are_found_by_embedding_key(self, store: ClauseStore) -> None:
        write(store, "plan-a", "h1", [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
        cached = store.cached_embeddings(["plan-a-h1-1", "not-stored"])
        assert set(cached) == {"plan-a-h1-1"}
        assert cached["plan-a-h1-1"] == pytest.approx([0.0, 1.0, 0.0])

    def test_repair_keeps_committed_plans(self, store: ClauseStore) -> None:
        write(store, "plan-a", "h1", [[1.0, 0.0, 0.0]])
        assert store.repair() == []
        assert len(store.all_chunks()) == 1

    def test_chunk_counts_are_of_each_plans_committed_version(self, store: ClauseStore) -> None:
        write(store, "plan-a", "h1", [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
        write(store, "plan-b", "h1", [[0.0, 0.0, 1.0]])
        write(store, "plan-a", "h2", [[1.0, 0.0, 0.0]])
        assert store.chunk_counts() == {"plan-a": 1, "plan-b": 1}

    def test_the_writer_lock_is_one_record_claimed_once_renewed_and_released_by_its_run(self, store: ClauseStore) -> None:
        first = {"run_id": "run-1", "pid": 1, "host": "h", "expires": 10.0}
        assert store.claim_writer(first)["run_id"] == "run-1"
        assert store.claim_writer({**first, "run_id": "run-2"})["run_id"] == "run-1"  # a second claim finds the first
        assert store.renew_writer("run-1", 99.0) and not store.renew_writer("run-2", 99.0)
        assert float(store.claim_writer({**first, "run_id": "run-3"})["expires"]) == 99.0
        store.release_writer("run-2")  # not its lock: nothing happens
        assert store.claim_writer({**first, "run_id": "run-3"})["run_id"] == "run-1"
        store.release_writer("run-1")
        assert store.claim_writer({**first, "run_id": "run-3"})["run_id"] == "run-3"
