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
