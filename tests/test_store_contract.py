"""Every clause store backend passes tests/store_contract.py: in memory, embedded Chroma and a `chroma run` server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.store_contract import MODEL, ClauseStoreContract
from vectorstore import ChromaClauseStore, ChromaConfig, InMemoryClauseStore


class TestInMemoryClauseStore(ClauseStoreContract):
    @pytest.fixture
    def store(self) -> InMemoryClauseStore:
        return InMemoryClauseStore(MODEL)


class TestEmbeddedChromaClauseStore(ClauseStoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> ChromaClauseStore:
        return ChromaClauseStore(ChromaConfig(path=tmp_path / "store"), MODEL)

    def test_chunks_of_an_interrupted_write_are_invisible_and_repaired(self, store: ChromaClauseStore) -> None:
        """Chunks written without their record (a killed ingest) are never read, and repair removes them."""
        from tests.store_contract import chunk_meta, write

        write(store, "plan-a", "h1", [[1.0, 0.0, 0.0]])
        chunks, _ = store._open()
        chunks.upsert(ids=["plan-a:h2:0"], documents=["half-written"], embeddings=[[1.0, 0.0, 0.0]], metadatas=[chunk_meta("plan-a", "h2", 0)])
        assert [c.text for c in store.all_chunks()] == ["plan-a 第0条"]
        assert [h.text for h in store.query([1.0, 0.0, 0.0], 5)] == ["plan-a 第0条"]
        assert store.repair() == ["plan-a"]
        assert store.chunk_count() == 1

    def test_repair_spares_the_chunks_a_live_run_is_writing(self, store: ChromaClauseStore) -> None:
        from tests.store_contract import chunk_meta, write

        write(store, "plan-a", "h1", [[1.0, 0.0, 0.0]])
        chunks, _ = store._open()
        metas = [chunk_meta("plan-b", "h1", 0, run_id="live"), chunk_meta("plan-c", "h1", 0, run_id="dead"), chunk_meta("plan-d", "h1", 0)]
        chunks.upsert(ids=["b", "c", "d"], documents=["b", "c", "d"], embeddings=[[0.0, 1.0, 0.0]] * 3, metadatas=metas)
        assert store.repair(live_runs={"live"}) == ["plan-c", "plan-d"]  # a chunk without a run id is an older run's
        assert sorted(m["doc_id"] for m in store.iter_metadata()) == ["plan-a", "plan-b"]


    def test_a_filtered_query_scored_exactly_from_the_plans_chunk_ids_finds_what_chroma_finds(self, store: ChromaClauseStore) -> None:
        """``among`` (the plans' chunk ids, as the searcher knows them) reads those vectors by id and scores them here:
        the same chunks, order and cosine scores as Chroma's own filtered query; a plan's chunk of another version
        (an ingest writing it) never shows."""
        import numpy as np

        from tests.store_contract import chunk_meta, write

        rng = np.random.default_rng(3)
        ids = {d: write(store, d, "h1", rng.normal(size=(6, 8)).tolist()) for d in ("plan-a", "plan-b", "plan-c")}
        chunks, _ = store._open()
        chunks.upsert(ids=["plan-a:h2:0"], documents=["half-written"], embeddings=[[1.0] * 8], metadatas=[chunk_meta("plan-a", "h2", 0)])
        query = [1.0] * 8
        for k in (3, 12):
            wanted = {"plan-a", "plan-c"}
            chroma = store.query(query, k, doc_ids=wanted)
            exact = store.query(query, k, doc_ids=wanted, among=ids["plan-a"] + ids["plan-c"] + ["plan-a:h2:0"])
            assert [c.chunk_id for c in exact] == [c.chunk_id for c in chroma] and "plan-a:h2:0" not in [c.chunk_id for c in exact]
            assert [round(c.score, 5) for c in exact] == [round(c.score, 5) for c in chroma]
            assert [c.text for c in exact] == [c.text for c in chroma]
        assert store.query(query, 3, doc_ids={"plan-b"}, among=[]) == []

    def test_a_bulk_load_stores_what_one_plan_at_a_time_stores(self, store: ChromaClauseStore, tmp_path: Path) -> None:
        """``load_documents`` (the bench corpora) writes the chunks and records ``write_document`` writes, in batches
        across plans, and moves the change token."""
        from qa.store import PlanWrite
        from tests.store_contract import chunk_meta, write

        vectors = {"plan-a": [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], "plan-b": [[0.0, 0.0, 1.0]], "plan-c": [[0.6, 0.8, 0.0]] * 3}
        one_by_one = ChromaClauseStore(ChromaConfig(path=tmp_path / "one-by-one"), MODEL)
        for doc_id, vs in vectors.items():
            write(one_by_one, doc_id, "h1", vs)
        before = store.generation()
        store.load_documents([
            PlanWrite(doc_id, "h1", [f"{doc_id}:h1:{n}" for n in range(len(vs))], [f"{doc_id} 第{n}条" for n in range(len(vs))], vs,
                      [chunk_meta(doc_id, "h1", n) for n in range(len(vs))], {"title": doc_id, "chunks": len(vs)})
            for doc_id, vs in vectors.items()
        ], batch=2)  # batches that cut across plans
        assert store.generation() != before
        strip = lambda records: {d: ({k: v for k, v in r.metadata.items() if k != "committed_at"}, r.doc_hash) for d, r in records.items()}  # noqa: E731
        assert strip(store.documents()) == strip(one_by_one.documents())
        assert sorted((c.chunk_id, c.text, c.metadata["doc_id"]) for c in store.all_chunks()) == sorted((c.chunk_id, c.text, c.metadata["doc_id"]) for c in one_by_one.all_chunks())
        assert store.chunk_counts() == {"plan-a": 2, "plan-b": 1, "plan-c": 3}
        assert [h.chunk_id for h in store.query([0.0, 0.0, 1.0], 1)] == ["plan-b:h1:0"]


@pytest.mark.server
class TestServerChromaClauseStore(ClauseStoreContract):
    @pytest.fixture(scope="class")
    def server(self, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
        from tests.test_chroma_server import ChromaServer, free_port

        running = ChromaServer(tmp_path_factory.mktemp("chroma-contract"), free_port())
        running.start()
        yield running
        running.stop()

    @pytest.fixture
    def store(self, server, request: pytest.FixtureRequest) -> ChromaClauseStore:  # type: ignore[no-untyped-def]
        # one server for the class; a collection prefix per test keeps each test's store empty
        prefix = request.node.name[:48]
        return ChromaClauseStore(ChromaConfig(mode="http", port=server.port, collection_prefix=prefix), MODEL)
