"""The health of an embedded Chroma store, told in one clear message each (what happened, what to do), naming the path.

Checked before Chroma opens the folder (Chroma itself would take an empty, missing or foreign database for a new
store and write its tables into it): a folder whose ``chroma.sqlite3`` is empty, missing beside its index folders, not
a database, another program's database, damaged, or locked by another program. And, for the calls that follow, what
Chroma's errors mean (:func:`store_error`): a damaged page, a lock, a full disk, a read-only file. Before a plan is
written, :func:`check_room` keeps a reserve of free disk space: Chroma applies its log of writes on the next read,
so a disk filled by a write leaves even the intact plans unreadable until space is freed.

Only the standard library's sqlite3 here (read-only, with a bounded wait); ``vectorstore.chroma`` calls it.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from pathlib import Path

from qa.store import StoreError

DATABASE = "chroma.sqlite3"
CHROMA_TABLES = frozenset({"collections", "segments", "embeddings", "embedding_metadata"})
_SEGMENT_DIR = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_MOVE_ASIDE = "restore the store from a backup, or move the folder aside and run `planqa ingest` to build it again"


def damaged(path: Path, detail: str) -> StoreError:
    return StoreError(f"the store {path} is damaged ({detail}); {_MOVE_ASIDE}")


def locked(path: Path, seconds: float) -> StoreError:
    return StoreError(
        f"the store {path} is locked by another program (its database {path / DATABASE} stayed locked for {seconds:g} s): close the "
        "program that holds it (an sqlite3 shell, a backup or sync tool, another Chroma) and try again; PLANQA_STORE_BUSY_SECONDS sets the wait"
    )


def disk_full(path: Path, detail: str = "") -> StoreError:
    return StoreError(
        f"the disk holding the store {path} is full{f' ({detail})' if detail else ''}: free space on it and try again; "
        "the plans committed before are kept (what could not be written is written by the next ingest)"
    )


def read_only(path: Path) -> StoreError:
    return StoreError(
        f"the store {path} is read-only: it can be searched, not written; to ingest, make it writable (its folder and "
        f"{DATABASE}) or ingest into another store with --store"
    )


def check_database(path: Path, create: bool, busy_seconds: float) -> None:
    """Raise a :class:`StoreError` naming ``path`` unless it is a Chroma store (or, with ``create``, no store yet)."""
    if path.exists() and not path.is_dir():
        raise StoreError(f"the store {path} is a file, not a store folder; give the store's folder with --store (PLANQA_STORE_PATH)")
    db = path / DATABASE
    if not db.exists():
        if path.is_dir() and any(_SEGMENT_DIR.match(p.name) for p in path.iterdir()):
            raise StoreError(f"the store {path} has lost its database: {db} is missing beside its index folders (deleted or moved?); {_MOVE_ASIDE}")
        if not create:
            raise StoreError(f"there is no store at {path} (no {DATABASE}): run `planqa ingest` first, or give the store's folder with --store (PLANQA_STORE_PATH)")
        return
    try:
        with db.open("rb") as file:
            head = file.read(16)
    except OSError as exc:
        raise StoreError(f"the store's database {db} cannot be read ({exc.strerror}); check its permissions") from exc
    if not head:
        raise StoreError(f"the store's database {db} is empty (0 bytes), not a store: it was truncated or replaced; {_MOVE_ASIDE}")
    if head != b"SQLite format 3\x00":
        raise damaged(path, f"{db} is not an SQLite database")
    try:
        connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=busy_seconds)
        try:
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            connection.close()
    except sqlite3.Error as exc:
        raise store_error(exc, path, busy_seconds) from exc
    if not tables >= CHROMA_TABLES:
        shown = ", ".join(sorted(tables)[:6]) or "none"
        raise StoreError(
            f"{db} is an SQLite database of something else, not a Chroma store (its tables: {shown}); it is left as it is: "
            "give the store's folder with --store (PLANQA_STORE_PATH), or move that file aside"
        )


def writable(path: Path) -> bool:
    """Whether Chroma may write the store (the folder, its database and index folders), as this user."""
    if not path.exists():
        return os.access(path.parent if path.parent.exists() else Path("."), os.W_OK)
    parts = [path, path / DATABASE, *(p for p in path.iterdir() if p.is_dir())]
    return all(os.access(p, os.W_OK) for p in parts if p.exists()) and _can_create(path)


def _can_create(path: Path) -> bool:
    probe = path / ".planqa-write-test"
    try:
        probe.write_text("ok")
        probe.unlink()
        return True
    except OSError:
        return False


def check_room(path: Path, chunks: int, stored_chunks: int, min_free_mb: float) -> None:
    """Refuse to write ``chunks`` chunks when the disk would keep less than ``min_free_mb`` MB free: a write that fills
    the disk leaves the store unreadable until space is freed (Chroma applies pending writes on the next read)."""
    if min_free_mb <= 0:
        return
    try:
        free = shutil.disk_usage(path).free
        used = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    except OSError:
        return
    # what a chunk took so far, three times (the log, the segment it is applied to, the index); a new store: 8 KB
    per_chunk = max(8_192, 3 * used // stored_chunks) if stored_chunks >= 100 else 8_192
    need = chunks * per_chunk + int(min_free_mb * 1048576)
    if free < need:
        raise disk_full(path, f"{free / 1048576:.1f} MB free; writing {chunks} chunks needs about {(need - min_free_mb * 1048576) / 1048576:.1f} MB "
                              f"and {min_free_mb:g} MB are kept free so that the store stays readable (PLANQA_STORE_MIN_FREE_MB)")


def store_error(exc: BaseException, path: Path, busy_seconds: float) -> StoreError:
    """What an error of Chroma or sqlite on the embedded store at ``path`` means, as one clear message."""
    text = str(exc)
    low = text.lower()
    if "disk is full" in low or "no space left" in low or "compaction" in low or "code: 13" in low:
        return disk_full(path, text[:160])
    if "readonly database" in low or "read-only file system" in low or "code: 8)" in low:
        return read_only(path)
    if "database is locked" in low or "code: 5)" in low or "database table is locked" in low:
        return locked(path, busy_seconds)
    if "malformed" in low or "not a database" in low or "code: 11" in low or "code: 26" in low or "corrupt" in low:
        return damaged(path, text[:160])
    return StoreError(f"the store {path} could not be used ({type(exc).__name__}: {text[:200]}); if this persists, {_MOVE_ASIDE}")


def is_locked(path: Path, wait: float) -> bool:
    """Whether another program holds a lock on the store's database that keeps readers out for ``wait`` seconds."""
    if not (path / DATABASE).exists():
        return False
    try:
        connection = sqlite3.connect(f"file:{path / DATABASE}?mode=ro", uri=True, timeout=wait)
        try:
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            connection.close()
    except sqlite3.OperationalError as exc:
        return "locked" in str(exc)
    except sqlite3.Error:
        return False
    return False
