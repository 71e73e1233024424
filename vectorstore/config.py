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

    @classmethod
    def of(cls, settings: Any) -> ChromaConfig:
        """The store fields of any settings object that has PlanQA's ``store_path`` and ``chroma_*`` attributes."""
        return cls(
            path=Path(settings.store_path), mode=settings.chroma_mode, host=settings.chroma_host, port=int(settings.chroma_port),
            ssl=bool(settings.chroma_ssl), token=settings.chroma_token, collection_prefix=settings.collection_prefix,
        )
