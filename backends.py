"""Which backend implements each of PlanQA's interfaces: the one place that wires settings to Chroma, the
embedder and the answerer. The edges (``cli``, ``ui``, ``eval``, ``bench``) build through it; ``qa`` itself
never imports a backend package. It also claims an embedded store for one process (:func:`lock_store`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.embeddings import make_embeddings
from qa.service import Assistant
from qa.settings import Settings
from vectorstore import ChromaClauseStore, ChromaConfig


def open_store(settings: Settings, model_id: str, create: bool = True) -> ChromaClauseStore:
    """The Chroma clause store the settings name (embedded at ``store_path``, or a ``chroma run`` server). Without
    ``create``, a folder that holds no store yet is an error naming it (for commands that only read)."""
    return ChromaClauseStore(ChromaConfig.of(settings, create=create), model_id)


def build_assistant(settings: Settings, mode: str = "hybrid", create: bool = True) -> Assistant:
    """An :class:`Assistant` on the configured embedder and store; heavy parts load on first use."""
    from qa.answer.tokens import install_bpe_files

    install_bpe_files(settings.tiktoken_cache_dir)
    embeddings = make_embeddings(settings)
    return Assistant(settings, open_store(settings, embeddings.model_id, create=create), embeddings, mode=mode)


# ------------------------------------------------------------------------------------------ one process per embedded store


class StoreInUse(RuntimeError):
    """Another process owns the embedded store; the message names it and says what to do instead."""


@dataclass
class StoreLock:
    """An advisory ``flock`` on ``<store>.lock`` beside an embedded store, held until :meth:`release` or the
    process ends (the kernel drops it even after a crash, so a stale file never blocks anyone)."""

    path: Path
    fd: int

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)  # closing the descriptor drops the lock
            self.fd = -1


def lock_path(settings: Settings) -> Path:
    store = Path(settings.store_path).expanduser().absolute()
    return store.with_name(store.name + ".lock")


def lock_store(settings: Settings, command: str, url: str = "", shared: bool = False, wait: float = 0.0) -> StoreLock | None:
    """Claim the embedded store for this process: exclusively for ``serve`` and ``ingest`` (writers, and a server
    that keeps the store open), shared for ``ask`` and ``search``. A Chroma server (``chroma_mode = http``) serves
    many processes, so nothing is locked then (None): there the writer lock in the store (:mod:`qa.ingest.writer`)
    keeps writers apart. Raises :class:`StoreInUse` once ``wait`` seconds have passed (at once by default)."""
    import fcntl
    import time

    if settings.chroma_mode != "embedded":
        return None
    path = lock_path(settings)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        if not shared:
            raise StoreInUse(f"the store {settings.store_path} is read-only (cannot create its lock file {path}); it can be searched, "
                             "not written: ingest into a writable copy, or fix its permissions") from None
        return None  # a read-only store's readers need no lock: nothing can write it
    deadline = time.monotonic() + max(0.0, wait)
    while True:
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() < deadline:
                time.sleep(0.25)
                continue
            try:  # held shared (by readers), or exclusively (by the owner whose card is in the file)?
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                owner: dict[str, Any] = {}
            except BlockingIOError:
                owner = _owner(fd)
            os.close(fd)
            raise StoreInUse(_in_use_message(settings, command, owner)) from None
    if not shared:  # the owner's card, for the message a second process prints
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "command": command, "url": url}).encode("utf-8"), 0)
    return StoreLock(path, fd)


def _owner(fd: int) -> dict[str, Any]:
    try:
        data = json.loads(os.pread(fd, 4096, 0).decode("utf-8") or "{}")
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _in_use_message(settings: Settings, command: str, owner: dict[str, Any]) -> str:
    store = settings.store_path
    if owner.get("command") == "serve":
        url = owner.get("url") or "http://HOST:PORT"
        via = f"`planqa {command} --server {url}` (a staff key with --api-key for ingest)" if command != "serve" else f"the server at {url}"
        return (f"the embedded store {store} is owned by `planqa serve` (pid {owner.get('pid', '?')}, {url}); embedded Chroma is "
                f"one process's database. Use {via}, stop that server first, or run Chroma as a server (`chroma run`, "
                "PLANQA_CHROMA_MODE=http) for several processes")
    who = f"`planqa {owner['command']}` (pid {owner.get('pid', '?')})" if owner.get("command") else "another PlanQA command (ask or search)"
    return (f"the embedded store {store} is in use by {who}; wait for it to finish and try again (PLANQA_WRITER_WAIT_SECONDS "
            "makes ingest wait for it), or run Chroma as a server (`chroma run`, PLANQA_CHROMA_MODE=http) for several processes")
