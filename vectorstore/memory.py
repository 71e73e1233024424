"""An in-memory :class:`qa.store.ClauseStore`: the same commit rules as Chroma, no persistence.

For fast tests of the searcher and the ingest pipeline, and for trying PlanQA on a few plans without a store on
disk. It passes the same contract suite as ``ChromaClauseStore`` (``tests/store_contract.py``).
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from qa.store import DocumentRecord, StoredChunk


class InMemoryClauseStore:
    """Chunks and plan records in dicts, guarded by one lock (searches and an ingest may run in two threads)."""

    def __init__(self, model_id: str) -> None:
        self.model_id = model_id
        self._lock = threading.Lock()
        self._chunks: dict[str, tuple[str, list[float], dict[str, Any]]] = {}  # id -> (text, vector, metadata)
        self._documents: dict[str, DocumentRecord] = {}
        self._generation = ""
        self._writer: dict[str, Any] | None = None

    def documents(self) -> dict[str, DocumentRecord]:
        with self._lock:
            return dict(self._documents)

    def generation(self) -> str:
        return self._generation

    def chunk_count(self) -> int:
        return len(self._chunks)

    def cached_embeddings(self, keys: Sequence[str]) -> dict[str, list[float]]:
        wanted = set(keys)
        with self._lock:
            return {str(m["embed_key"]): list(v) for _, v, m in self._chunks.values() if m.get("embed_key") in wanted}

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
        with self._lock:
            for cid, text, vector, meta in zip(ids, texts, embeddings, metadatas, strict=True):
                self._chunks[cid] = (text, [float(x) for x in vector], dict(meta))
            self._documents[doc_id] = DocumentRecord(doc_id, doc_hash, {**record, "doc_hash": doc_hash, "committed_at": time.time()})
            self._generation = uuid.uuid4().hex
            self._remove_stale(doc_id, doc_hash)

    def delete_document(self, doc_id: str) -> None:
        with self._lock:
            self._documents.pop(doc_id, None)
            self._generation = uuid.uuid4().hex
            self._remove_stale(doc_id, None)

    def repair(self, live_runs: Collection[str] = ()) -> list[str]:
        with self._lock:
            stale = [
                cid for cid, (_, _, m) in self._chunks.items()
                if m.get("doc_hash") != getattr(self._documents.get(str(m["doc_id"])), "doc_hash", None) and m.get("run_id") not in live_runs
            ]
            repaired = sorted({str(self._chunks[cid][2]["doc_id"]) for cid in stale})
            for cid in stale:
                del self._chunks[cid]
            return repaired

    def chunk_counts(self) -> dict[str, int]:
        with self._lock:
            counts: dict[str, int] = {}
            for _, _, m in self._chunks.values():
                record = self._documents.get(str(m["doc_id"]))
                if record is not None and record.doc_hash == m.get("doc_hash"):
                    counts[record.doc_id] = counts.get(record.doc_id, 0) + 1
            return counts

    def claim_writer(self, card: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if self._writer is None:
                self._writer = dict(card)
            return dict(self._writer)

    def renew_writer(self, run_id: str, expires: float) -> bool:
        with self._lock:
            if self._writer is None or self._writer.get("run_id") != run_id:
                return False
            self._writer["expires"] = expires
            return True

    def release_writer(self, run_id: str) -> None:
        with self._lock:
            if self._writer is not None and self._writer.get("run_id") == run_id:
                self._writer = None

    def _remove_stale(self, doc_id: str, keep_hash: str | None) -> None:
        for cid in [c for c, (_, _, m) in self._chunks.items() if m.get("doc_id") == doc_id and m.get("doc_hash") != keep_hash]:
            del self._chunks[cid]

    def iter_metadata(self) -> Iterable[dict[str, Any]]:
        with self._lock:
            return [dict(m) for _, _, m in self._chunks.values()]

    def all_chunks(self, active: dict[str, str] | None = None) -> list[StoredChunk]:
        active = active if active is not None else {r.doc_id: r.doc_hash for r in self.documents().values()}
        with self._lock:
            return [StoredChunk(cid, text, dict(m)) for cid, (text, _, m) in self._chunks.items() if active.get(str(m.get("doc_id"))) == m.get("doc_hash")]

    def query(
        self, vector: Sequence[float], k: int, doc_ids: Collection[str] | None = None, active: dict[str, str] | None = None,
        among: Sequence[str] | None = None,  # every chunk is scored exactly here anyway
    ) -> list[StoredChunk]:
        active = active if active is not None else {r.doc_id: r.doc_hash for r in self.documents().values()}
        with self._lock:
            scored = [
                (_cosine(vector, v), cid, text, m) for cid, (text, v, m) in self._chunks.items()
                if active.get(str(m.get("doc_id"))) == m.get("doc_hash") and (doc_ids is None or m.get("doc_id") in doc_ids)
            ]
        scored.sort(key=lambda s: -s[0])
        return [StoredChunk(cid, text, dict(m), score) for score, cid, text, m in scored[:k]]


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return sum(x * y for x, y in zip(a, b, strict=False)) / norm if norm else 0.0
