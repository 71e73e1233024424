"""What ingest and search need from a clause store: the :class:`ClauseStore` Protocol and its value types.

A store holds, for one embedding model, one record per chunk (its vector, display text and provenance
metadata) and one record per plan (its committed content hash and catalog fields). Writing a plan's record is
the commit point of an ingest: chunks of any other version of that plan are invisible to readers, so a crash
mid-ingest never leaves a half-written plan visible.

Backends: ``vectorstore.ChromaClauseStore`` (embedded or a ``chroma run`` server) and
``vectorstore.InMemoryClauseStore`` (tests, experiments). Both pass ``tests/store_contract.py``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable


class StoreError(RuntimeError):
    """The store cannot be used as configured; the message names the store and says what to do."""


class StoreBusy(StoreError):
    """Another writer holds the store's writer lock (see :mod:`qa.ingest.writer`); the message names it."""


@dataclass(frozen=True)
class StoredChunk:
    """A chunk read back from the store. ``score`` is cosine similarity (1 = same direction) when queried."""

    chunk_id: str
    text: str
    metadata: dict[str, Any]
    score: float = 0.0

    @property
    def doc_id(self) -> str:
        return str(self.metadata.get("doc_id", ""))


@dataclass(frozen=True)
class DocumentRecord:
    """The committed version of one plan: its content hash and the catalog fields ingest stored with it."""

    doc_id: str
    doc_hash: str
    metadata: dict[str, Any]


@dataclass(frozen=True)
class PlanWrite:
    """One plan's version as ``write_document`` takes it, for a bulk load of many (``ChromaClauseStore.load_documents``)."""

    doc_id: str
    doc_hash: str
    ids: Sequence[str]
    texts: Sequence[str]
    embeddings: Sequence[Sequence[float]]
    metadatas: Sequence[dict[str, Any]]
    record: dict[str, Any]


@runtime_checkable
class ClauseStore(Protocol):
    """Clause chunks and plan records for one embedding model.

    Every chunk's metadata holds at least ``doc_id``, ``doc_hash`` (the version it belongs to) and
    ``embed_key`` (what its vector was computed from). ``active`` arguments map doc id -> committed hash and
    name the versions to read (default: the committed ones, read now), so one search sees one version.
    """

    model_id: str

    def documents(self) -> dict[str, DocumentRecord]:
        """The committed version of every plan."""
        ...

    def generation(self) -> str:
        """A token that changes whenever a plan is committed or deleted (one small read)."""
        ...

    def chunk_count(self) -> int:
        """Chunks stored, of every version."""
        ...

    def cached_embeddings(self, keys: Sequence[str]) -> dict[str, list[float]]:
        """Vectors already stored for these embedding keys, so unchanged clauses are not re-embedded."""
        ...

    def write_document(
        self,
        doc_id: str,
        doc_hash: str,
        ids: Sequence[str],
        texts: Sequence[str],
        embeddings: Sequence[Sequence[float]],
        metadatas: Sequence[dict[str, Any]],
        record: dict[str, Any],
    ) -> None:
        """Write a plan's chunks, then commit its record, then drop its other versions' chunks."""
        ...

    def delete_document(self, doc_id: str) -> None:
        """Remove a plan: its record first (readers stop seeing it at once), then its chunks."""
        ...

    def repair(self, live_runs: Collection[str] = ()) -> list[str]:
        """Remove chunks of versions that are not committed, left by runs that are over (a chunk's ``run_id`` is not
        in ``live_runs``; called by the holder of the writer lock, so every other run is over); returns the doc ids."""
        ...

    def chunk_counts(self) -> dict[str, int]:
        """Chunks present of each plan's committed version (a record whose ``chunks`` differs lost some)."""
        ...

    # The writer lock: one record per store. A card is a dict of scalars holding at least ``run_id`` and
    # ``expires`` (epoch seconds); qa.ingest.writer decides when a holder is dead.

    def claim_writer(self, card: dict[str, Any]) -> dict[str, Any]:
        """Put ``card`` in the lock record if there is none (one atomic insert-if-absent); return the holder's card."""
        ...

    def renew_writer(self, run_id: str, expires: float) -> bool:
        """Extend the lease of ``run_id``; False when the lock is not (any longer) that run's."""
        ...

    def release_writer(self, run_id: str) -> None:
        """Remove the lock record if it is ``run_id``'s (of a dead holder, or one's own)."""
        ...

    def iter_metadata(self) -> Iterable[dict[str, Any]]:
        """The metadata of every stored chunk, of every version."""
        ...

    def all_chunks(self, active: dict[str, str] | None = None) -> list[StoredChunk]:
        """Every chunk of the committed (or the given ``active``) versions."""
        ...

    def query(
        self, vector: Sequence[float], k: int, doc_ids: Collection[str] | None = None, active: dict[str, str] | None = None,
        among: Sequence[str] | None = None,
    ) -> list[StoredChunk]:
        """The ``k`` nearest chunks of the active versions to ``vector`` (cosine, best first), optionally of some plans
        only; ``among`` (with ``doc_ids``) are those plans' chunk ids when the caller knows them, which lets a store
        score a few plans' chunks exactly instead of filtering its whole index by metadata."""
        ...
