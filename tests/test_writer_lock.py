"""One writer at a time per store (qa/ingest/writer.py), and the consistency check of ingest: a plan whose chunks
are fewer than its record says is written again or reported, never "unchanged". In process, on the in-memory and the
embedded Chroma store; real processes (embedded and `chroma run`, kill -9) are in tests/test_concurrent_ingest.py."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from backends import open_store
from qa.ingest.pipeline import Ingestor
from qa.ingest.writer import _boot_id, hold_writer, is_dead
from qa.settings import Settings
from qa.store import StoreBusy
from tests.test_faults import write_plans
from tests.test_ingestion import CountingEmbeddings
from vectorstore import InMemoryClauseStore


def card(**fields: object) -> dict:
    now = time.time()
    return {"run_id": "other", "pid": 1, "host": "elsewhere", "boot": "", "command": "ingest", "started": now, "expires": now + 60, **fields}


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait(timeout=30)
    return process.pid


@pytest.fixture(params=["memory", "chroma"])
def store(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    if request.param == "memory":
        return InMemoryClauseStore("fake-16")
    return open_store(Settings.load({"store_path": tmp_path / "store"}, env={}), "fake-16")


def test_a_second_writer_is_refused_naming_the_first(store) -> None:  # type: ignore[no-untyped-def]
    with hold_writer(store, "ingest", 0, 60, "STORE") as lease:
        with pytest.raises(StoreBusy) as refused, hold_writer(store, "serve", 0, 60, "STORE"):
            pass
        assert lease.run_id[:8] in str(refused.value) and f"pid {os.getpid()}" in str(refused.value)
        assert "`planqa ingest`" in str(refused.value) and "PLANQA_WRITER_WAIT_SECONDS" in str(refused.value)
    with hold_writer(store, "serve", 0, 60):  # released: the next one gets it
        pass


def test_a_second_writer_waits_for_the_first_to_finish(store) -> None:  # type: ignore[no-untyped-def]
    order: list[str] = []
    held = threading.Event()

    def first() -> None:
        with hold_writer(store, "ingest", 0, 60):
            held.set()
            time.sleep(0.5)
            order.append("first done")

    thread = threading.Thread(target=first)
    thread.start()
    held.wait(10)
    with hold_writer(store, "ingest", 30, 60):
        order.append("second holds")
    thread.join(10)
    assert order == ["first done", "second holds"]


def test_the_lock_of_a_dead_holder_is_broken_and_a_live_remote_one_is_not(store) -> None:  # type: ignore[no-untyped-def]
    store.claim_writer(card(expires=time.time() - 1))  # another machine's writer whose lease ran out
    with hold_writer(store, "ingest", 0, 60) as lease:
        assert store.claim_writer(card(run_id="x"))["run_id"] == lease.run_id
    store.claim_writer(card(run_id="killed", host=socket.gethostname(), boot=_boot_id(), pid=dead_pid()))  # killed -9 here
    with hold_writer(store, "ingest", 0, 60):
        pass
    store.claim_writer(card(run_id="remote"))  # alive as far as anyone here can tell: its lease runs
    with pytest.raises(StoreBusy, match="elsewhere"), hold_writer(store, "ingest", 0.3, 60):
        pass


def test_a_lease_is_renewed_while_its_run_lasts(store) -> None:  # type: ignore[no-untyped-def]
    with hold_writer(store, "ingest", 0, 1.0) as lease:
        time.sleep(2.0)  # longer than the lease: it must have been renewed
        holder = store.claim_writer(card(run_id="x"))
        assert holder["run_id"] == lease.run_id and not is_dead(holder)
        assert not lease.lost


def test_is_dead_tells_expired_and_gone_holders() -> None:
    here = {"host": socket.gethostname(), "boot": _boot_id()}
    assert is_dead(card(expires=time.time() - 1))
    assert not is_dead(card())
    assert is_dead(card(pid=dead_pid(), **here))
    assert not is_dead(card(pid=os.getpid(), **here))


# ------------------------------------------------------------------------------------------ the consistency check


@pytest.fixture
def plans(tmp_path: Path) -> Path:
    write_plans(tmp_path / "plans", plans=2, items=12, version="甲")
    return tmp_path / "plans"


def lose_chunks(store, doc_id: str, keep: int) -> None:  # type: ignore[no-untyped-def]
    """What the red team saw: the record committed, some of its chunks gone."""
    chunks, _ = store._open()
    ids = sorted(chunks.get(where={"doc_id": doc_id})["ids"])
    chunks.delete(ids=ids[keep:])


def test_a_plan_with_missing_chunks_is_written_again_not_unchanged(tmp_path: Path, plans: Path) -> None:
    settings = Settings.load({"store_path": tmp_path / "store"}, env={})
    emb = CountingEmbeddings()
    store = open_store(settings, emb.model_id)
    Ingestor(settings, store, emb).run([plans])
    promised = int(store.documents()["plan-00"].metadata["chunks"])
    lose_chunks(store, "plan-00", 1)
    report = Ingestor(settings, store, emb).run([plans])
    status = {r.doc_id: (r.status, r.message) for r in report.results}
    assert status["plan-00"][0] == "repaired" and f"1 of its {promised} chunks" in status["plan-00"][1]
    assert status["plan-01"][0] == "unchanged"
    assert store.chunk_counts()["plan-00"] == promised
    assert "1 repaired" in report.table()


def test_a_plan_with_missing_chunks_whose_file_is_not_given_is_reported_with_what_to_do(tmp_path: Path, plans: Path) -> None:
    settings = Settings.load({"store_path": tmp_path / "store"}, env={})
    emb = CountingEmbeddings()
    store = open_store(settings, emb.model_id)
    Ingestor(settings, store, emb).run([plans])
    lose_chunks(store, "plan-00", 1)
    report = Ingestor(settings, store, emb).run([plans / "plan-01.txt"])
    failed = {r.doc_id: r.message for r in report.failed}
    assert set(failed) == {"plan-00"}
    assert "incomplete" in failed["plan-00"] and str((plans / "plan-00.txt").resolve()) in failed["plan-00"]
