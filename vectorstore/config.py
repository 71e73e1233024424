"""Where the Chroma store is: the store's own small config, so ``vectorstore`` needs nothing of PlanQA's settings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ChromaConfig:
    """``mode`` is ``embedded`` (a PersistentClient at ``path``) or ``http`` (a ``chroma run`` server at host:port)."""

    path: Path = Path("store")
    mode: str = "embedded"
    host: str = "127.0.0.1"
    port: int = 8000
    ssl: bool = False
    token: str = ""  # bearer token sent to the server; "" for none
    collection_prefix: str = "planqa"  # collections are <prefix>_<embedder id>
    create: bool = True  # embedded: a folder without a store may become one (ingest, serve); False: an error (ask, search)
    busy_seconds: float = 5.0  # embedded: how long a database another program has locked is waited for
    min_free_mb: float = 64.0  # embedded: disk space a write must leave free, so that the store stays readable

    @classmethod
    def of(cls, settings: Any, create: bool = True) -> ChromaConfig:
        """The store fields of any settings object that has PlanQA's ``store_path`` and ``chroma_*`` attributes."""
        return cls(
            path=Path(settings.store_path), mode=settings.chroma_mode, host=settings.chroma_host, port=int(settings.chroma_port),
            ssl=bool(settings.chroma_ssl), token=settings.chroma_token, collection_prefix=settings.collection_prefix, create=create,
            busy_seconds=float(getattr(settings, "store_busy_seconds", 5.0)), min_free_mb=float(getattr(settings, "store_min_free_mb", 64.0)),
        )
