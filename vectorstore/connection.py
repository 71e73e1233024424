"""Opening Chroma: an HttpClient for a `chroma run` server, or a PersistentClient on an embedded store once
:func:`vectorstore.health.check_database` has found it sound (a read-only store opened as a private copy)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from qa.store import StoreError
from vectorstore import health
from vectorstore.config import ChromaConfig

log = logging.getLogger(__name__)


def _client(config: ChromaConfig) -> tuple[Any, bool]:
    """A Chroma client for the config, and whether the store is read-only (then the client reads a private copy)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if config.mode == "http":
        headers = {"Authorization": f"Bearer {config.token}"} if config.token else None
        try:
            return chromadb.HttpClient(
                host=config.host, port=config.port, ssl=config.ssl,
                headers=headers, settings=chroma_settings,
            ), False
        except Exception as exc:  # chromadb raises plain ValueError/ConnectionError variants here
            raise StoreError(
                f"cannot reach the Chroma server at {config.host}:{config.port} ({exc}); "
                "start it with `chroma run --path DIR --port PORT` or fix PLANQA_CHROMA_HOST/PORT"
            ) from exc
    if config.mode != "embedded":
        raise StoreError(f"setting chroma_mode: unknown {config.mode!r}; use 'embedded' or 'http'")
    path = config.path
    health.check_database(path, config.create, config.busy_seconds)
    read_only = (path / health.DATABASE).exists() and not health.writable(path)
    if not read_only:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"store directory {path} is not writable ({exc}); choose another with --store or fix its permissions") from exc
        if not health.writable(path):
            raise StoreError(f"store directory {path} is not writable; choose another with --store or fix its permissions")
    opened = _read_only_copy(path) if read_only else path
    try:
        return chromadb.PersistentClient(path=str(opened), settings=chroma_settings), read_only
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # Chroma's Rust core panics on a damaged page: pyo3's PanicException is a BaseException
        raise health.store_error(exc, path, config.busy_seconds) from exc


def _read_only_copy(path: Path) -> Path:
    """Chroma writes to its database whenever it opens one: a read-only store is read from a private copy (removed at exit)."""
    import atexit
    import shutil
    import tempfile

    copy = Path(tempfile.mkdtemp(prefix="planqa-readonly-")) / "store"
    atexit.register(shutil.rmtree, copy.parent, True)
    try:
        shutil.copytree(path, copy, ignore=shutil.ignore_patterns("*.lock"))
    except OSError as exc:
        raise StoreError(f"the store {path} is read-only and could not be copied to be read ({exc}); make it writable, or free space in {copy.parent.parent}") from exc
    log.warning("the store %s is read-only: searching a copy of it (writes are refused)", path)
    return copy
