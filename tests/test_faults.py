"""Faults: an ingest killed with SIGKILL part-way, searches running while plans are re-ingested, and a store
that is corrupted or not writable. Real processes and real Chroma; a fake embedder where the model is not the point."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from backends import open_store
from qa.ingest.chunking import chunk_document
from qa.ingest.documents import build_document
from qa.ingest.pipeline import Ingestor
from qa.search.hybrid import HybridSearcher
from qa.settings import Settings
from qa.store import StoreError
from tests.conftest import ROOT
from tests.test_ingestion import CountingEmbeddings


def plan_text(number: int, items: int, version: str) -> str:
    """A plan of ``items`` clauses under two sections; every clause names the version, so versions differ everywhere."""
    lines = [f"第{number}市2024年卫生健康工作要点", "一、基层卫生"]
    for k in range(1, items + 1):
        if k == items // 2 + 1:
            lines.append("二、公共卫生")
        lines.append(f"{k}.第{number}号规划第{k}项任务({version}版),年内新增托位{k * 10}个,建成社区医院{k}家。")
    return "\n".join(lines) + "\n"


def write_plans(folder: Path, plans: int, items: int, version: str) -> dict[str, tuple[str, int]]:
    """Write the plans; return doc id -> (content hash, chunk count) that ingest must end up with."""
    folder.mkdir(parents=True, exist_ok=True)
    expected = {}
    for n in range(plans):
        name = f"plan-{n:02d}.txt"
        data = plan_text(n, items, version).encode()
        (folder / name).write_bytes(data)
        doc = build_document(name, data)
        expected[doc.info.doc_id] = (doc.content_hash, len(chunk_document(doc, 480, len)))
    return expected


def worker(*args: str) -> list[str]:
    return [sys.executable, "-m", "tests.ingest_worker", *args]


def seen(store: Path) -> dict:
    out = subprocess.run(worker("--check", str(store)), cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    return json.loads(out.stdout)


def ingest_to_the_end(store: Path, folder: Path) -> list[str]:
    out = subprocess.run(worker(str(store), str(folder)), cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.splitlines()


def kill_when(store: Path, folder: Path, trigger, delay: float, seconds_per_batch: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Start an ingest, SIGKILL it ``delay`` s after ``trigger(lines so far)`` is true."""
    process = subprocess.Popen(worker(str(store), str(folder), seconds_per_batch), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines: list[str] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.strip())
            if trigger(lines):
                time.sleep(delay)
                break
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL, lines  # it was killed, not finished
    return lines


def assert_consistent(view: dict, allowed: dict[str, set[str]]) -> None:
    """Every committed plan is whole: its chunk count as promised, at one of the allowed versions."""
    for doc_id, plan in view["plans"].items():
        assert plan["hash"] in allowed[doc_id], doc_id
        assert plan["visible"] == plan["promised"], (doc_id, plan)


def killed_and_resumed(tmp_path: Path, trigger, delay: float, seconds_per_batch: str, items: int) -> tuple[dict, list[str]]:  # type: ignore[no-untyped-def]
    """Ingest old versions; kill the ingest of new versions at ``trigger`` + ``delay``; check; ingest again; check.

    Returns what a reader saw right after the kill and the resumed run's output.
    """
    store, folder = tmp_path / "store", tmp_path / "plans"
    old = write_plans(folder, plans=3, items=items, version="旧")
    ingest_to_the_end(store, folder)
    assert_consistent(seen(store), {d: {h} for d, (h, _) in old.items()})

    new = write_plans(folder, plans=4, items=items + 40, version="新")  # three changed plans, one new
    kill_when(store, folder, trigger, delay, seconds_per_batch)
    view = seen(store)
    allowed = {d: {h, old[d][0]} if d in old else {h} for d, (h, _) in new.items()}
    assert_consistent(view, allowed)  # after the kill: no plan half-written, old or new version whole
    assert set(view["plans"]) >= set(old)  # nothing stored before was lost

    out = ingest_to_the_end(store, folder)
    final = seen(store)
    assert {d: (p["hash"], p["visible"]) for d, p in final["plans"].items()} == new  # completed
    assert final["total"] == sum(n for _, n in new.values())  # the killed run's leftovers were removed
    return view, out


@pytest.mark.slow
def test_ingest_killed_while_embedding_leaves_a_consistent_store_and_the_next_run_completes(tmp_path: Path) -> None:
    view, _ = killed_and_resumed(tmp_path, lambda lines: lines[-1].startswith("start 3 "), 0.1, "0.02", items=40)
    assert view["plans"]["plan-00"]["hash"] != view["plans"]["plan-02"]["hash"]  # killed between plans' versions


@pytest.mark.slow
def test_ingest_killed_while_writing_chunks_is_repaired_by_the_next_run(tmp_path: Path) -> None:
    """Killed right after the first changed plan is embedded, at delays swept across the writing of its 400
    chunks (about 0.2 s) until one lands inside it: wherever the kill hits, readers see whole plans, and the
    next run removes the half-written version and completes."""
    items = 360
    batches = -(-(items + 40) // 8)  # embedding batches of the first changed plan (one chunk per clause)
    interrupted = []
    for n, delay in enumerate((0.06, 0.12, 0.02, 0.2)):  # most often the first lands inside the write

        def first_plan_embedded(lines: list[str]) -> bool:
            return sum(1 for line in lines if line.startswith("batch")) >= batches

        view, out = killed_and_resumed(tmp_path / f"run{n}", first_plan_embedded, delay, "0", items=items)
        if view["total"] > sum(p["visible"] for p in view["plans"].values()):
            interrupted.append(delay)
            assert "repaired plan-00" in out, out  # the half-written version was removed first
            break
    assert interrupted, "no kill landed inside a write: the sweep of delays no longer covers it"


@pytest.mark.slow  # 6 s of racing threads: kept out of the edit-test loop, run in CI
def test_searches_during_a_reingest_see_one_version_of_each_plan(tmp_path: Path) -> None:
    settings = Settings.load({"store_path": tmp_path / "store", "embed_batch_size": 4}, env={})
    folder = tmp_path / "plans"
    embeddings = CountingEmbeddings()
    store = open_store(settings, embeddings.model_id)
    ingestor = Ingestor(settings, store, embeddings)
    write_plans(folder, plans=2, items=40, version="v0")
    ingestor.run([folder])
    searcher = HybridSearcher(open_store(settings, embeddings.model_id), embeddings)
    searcher.search("预热")  # jieba and the first index load before the race starts
    stop = threading.Event()
    searches: list[int] = []
    mixed: list[dict] = []
    errors: list[BaseException] = []

    def search_loop() -> None:
        while not stop.is_set():
            try:
                result = searcher.search("新增托位 建成社区医院 第5项任务", k=60)
            except BaseException as exc:  # noqa: BLE001 - reported below, the test must not hang
                errors.append(exc)
                return
            versions: dict[str, set[str]] = {}
            for hit in result.hits:
                versions.setdefault(hit.doc_id, set()).add(str(hit.meta["doc_hash"]))
            mixed.extend({d: v} for d, v in versions.items() if len(v) > 1)
            searches.append(len(result.hits))

    threads = [threading.Thread(target=search_loop) for _ in range(3)]  # several: one's refresh lands amid another's search
    for thread in threads:
        thread.start()
    try:
        for version in range(1, 9):
            write_plans(folder, plans=2, items=40, version=f"v{version}")
            ingestor.run([folder])
            time.sleep(0.05)  # let a search or two land between ingests too
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert not errors and not mixed
    assert len(searches) >= 10 and min(searches) > 0  # it kept answering all along


def test_corrupted_store_gives_a_clear_error(tmp_path: Path) -> None:
    settings = Settings.load({"store_path": tmp_path / "store"}, env={})
    store_dir = settings.store_path
    store_dir.mkdir()
    (store_dir / "chroma.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError) as raised:
        open_store(settings, "fake-16").documents()
    message = str(raised.value)
    assert str(store_dir) in message and "move the folder aside and run `planqa ingest`" in message
    # (a store that is not writable: tests/test_ingestion.py::test_unwritable_store_gives_a_clear_error)
