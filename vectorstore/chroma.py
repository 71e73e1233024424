"""The clause store on Chroma (opened by ``vectorstore.connection``, the module that imports ``chromadb``).

Two collections per embedding model:

- ``<prefix>_<model>``: one record per chunk (clause or clause part), its vector, display text and provenance.
- ``<prefix>_<model>_documents``: one record per plan, holding the plan's current content hash. Writing this
  record is the commit point of an ingest: chunks of any other version of that plan are invisible to
  readers and removed on the next write, so a crash mid-ingest never leaves a half-written plan visible.

Chroma's default embedding function downloads a model: every collection here is opened with
``embedding_function=None`` and vectors are always computed by PlanQA's own embedder.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Collection, Iterable, Sequence
from typing import Any

import numpy as np

from qa.store import DocumentRecord, PlanWrite, StoredChunk, StoreError
from vectorstore import health
from vectorstore.config import ChromaConfig
from vectorstore.connection import _client

log = logging.getLogger(__name__)

ADD_BATCH = 256
GET_BATCH = 200
EXACT_MAX = 5000  # chunks of a filtered query scored exactly from their vectors (read by id) instead of by Chroma
PLANS_PER_READ = 50  # plans per read of their chunks (~2,500 chunks of typical plans)
BULK_BATCH = 5000  # chunks per upsert in a bulk load (Chroma's own maximum is ~5,400 embedded)


class ChromaClauseStore:
    """Clause chunks and plan records in Chroma, for one embedding model."""

    def __init__(self, config: ChromaConfig, model_id: str, client: Any = None) -> None:
        self.config = config
        self.model_id = model_id
        self.collection_name = f"{config.collection_prefix}_{model_id}"
        self._client = client
        self._chunks: Any = None
        self._documents: Any = None
        self.read_only = False

    @property
    def location(self) -> str:
        """Where the store is, for messages: its folder, or the Chroma server's address."""
        return f"{self.config.host}:{self.config.port}" if self.config.mode == "http" else str(self.config.path)

    # -- connection --------------------------------------------------------------------------------

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client, self.read_only = _client(self.config)
        return self._client

    def _writes(self) -> None:
        """Refuse a write to a read-only store (which is read from a copy: a write would be lost)."""
        _ = self.client
        if self.read_only:
            raise health.read_only(self.config.path)

    def _open(self) -> tuple[Any, Any]:
        if self._chunks is None:
            try:
                self._chunks = self.client.get_or_create_collection(
                    self.collection_name,
                    embedding_function=None,
                    configuration={"hnsw": {"space": "cosine"}},
                    metadata={"embedder": self.model_id},
                )
                self._documents = self.client.get_or_create_collection(
                    self.collection_name + "_documents",
                    embedding_function=None,
                    metadata={"embedder": self.model_id},
                )
            except StoreError:
                raise
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # (a PanicException of Chroma's Rust core too)
                self.reset_connection()
                if self.config.mode != "http":
                    raise health.store_error(exc, self.config.path, self.config.busy_seconds) from exc
                raise StoreError(f"Chroma store unavailable ({exc}); check the store path or server and retry") from exc
            found = (self._chunks.metadata or {}).get("embedder")
            if found != self.model_id:
                chunks, self._chunks = self._chunks, None
                raise StoreError(
                    f"collection {chunks.name!r} holds vectors of embedder {found!r}, not {self.model_id!r}; "
                    "vectors of different models cannot be mixed: use another collection_prefix or re-ingest into a new store"
                )
        return self._chunks, self._documents

    def reset_connection(self) -> None:
        """Forget the client and collections so the next call reconnects (a restarted server)."""
        self._client = None
        self._chunks = None
        self._documents = None

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a Chroma call; on a connection failure reconnect once, then report a clear error."""
        if self.config.mode != "http":
            return self._embedded_call(fn, *args, **kwargs)
        try:
            return fn(*args, **kwargs)
        except StoreError:
            raise
        except Exception as exc:
            log.warning("Chroma call failed (%s); reconnecting once", exc)
            self.reset_connection()
            try:
                return fn(*args, **kwargs)
            except Exception as exc2:
                self.reset_connection()
                raise StoreError(
                    f"Chroma server {self.config.host}:{self.config.port} did not answer ({exc2}); "
                    "check that it is running; the next call reconnects"
                ) from exc2

    def _embedded_call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a call on the embedded store; its errors as one clear message naming the store. Chroma waits for a
        database another program has locked for as long as that program holds it (a search hung 120 s): a read-only
        probe of the database first (about 1 ms) waits ``busy_seconds`` at most, then says so."""
        if health.is_locked(self.config.path, self.config.busy_seconds):
            raise health.locked(self.config.path, self.config.busy_seconds)
        try:
            return fn(*args, **kwargs)
        except StoreError:
            raise
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # Chroma's Rust core panics on a damaged page: pyo3's PanicException is a BaseException
            raise health.store_error(exc, self.config.path, self.config.busy_seconds) from exc

    # -- plans -------------------------------------------------------------------------------------

    def documents(self) -> dict[str, DocumentRecord]:
        """The committed version of every plan in the store."""

        def read() -> dict[str, DocumentRecord]:
            _, docs = self._open()
            got = docs.get(include=["metadatas"])
            return {
                i: DocumentRecord(i, str(m.get("doc_hash", "")), dict(m))
                for i, m in zip(got["ids"], got["metadatas"] or [], strict=False)
                if m is not None  # a record read while another writer replaces it can come back without metadata
            }

        return self._call(read)

    def generation(self) -> str:
        """A token that changes whenever a plan is committed or deleted; "" for a store written before it existed.

        One small read (the plan collection's own metadata) instead of every plan record: a searcher checks it
        before each search and re-reads the plans only when it changed (102 ms per search at 2,000 plans).
        """

        def read() -> str:
            self._open()
            docs = self.client.get_collection(self.collection_name + "_documents", embedding_function=None)
            return str((docs.metadata or {}).get("generation", ""))

        return self._call(read)

    def _bump_generation(self) -> None:
        _, docs = self._open()
        self._call(docs.modify, metadata={"embedder": self.model_id, "generation": uuid.uuid4().hex})

    def chunk_count(self) -> int:
        return self._call(lambda: self._open()[0].count())

    def cached_embeddings(self, keys: Sequence[str]) -> dict[str, list[float]]:
        """Vectors already in the store for these embedding keys (so unchanged clauses are not re-embedded)."""

        def read() -> dict[str, list[float]]:
            chunks, _ = self._open()
            found: dict[str, list[float]] = {}
            unique = list(dict.fromkeys(keys))
            for i in range(0, len(unique), GET_BATCH):
                got = chunks.get(where={"embed_key": {"$in": unique[i : i + GET_BATCH]}}, include=["embeddings", "metadatas"])
                for meta, vector in zip(got["metadatas"] or [], got["embeddings"] if got["embeddings"] is not None else [], strict=False):
                    found[str(meta["embed_key"])] = [float(x) for x in vector]
            return found

        return self._call(read)

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
        self._writes()
        chunks, docs = self._open()
        if self.config.mode != "http":  # a full disk would leave the store unreadable: refuse before filling it
            health.check_room(self.config.path, len(ids), self.chunk_count(), self.config.min_free_mb)
        for i in range(0, len(ids), ADD_BATCH):
            sl = slice(i, i + ADD_BATCH)
            self._call(
                chunks.upsert,
                ids=list(ids[sl]), documents=list(texts[sl]), embeddings=[list(e) for e in embeddings[sl]],
                metadatas=[dict(m) for m in metadatas[sl]],
            )
        self._call(
            docs.upsert,
            ids=[doc_id], documents=[str(record.get("title", doc_id))], embeddings=[[1.0]],
            metadatas=[{**record, "doc_hash": doc_hash, "committed_at": time.time()}],
        )
        self._bump_generation()
        self.remove_stale(doc_id, doc_hash)

    def load_documents(self, plans: Sequence[PlanWrite], batch: int = BULK_BATCH) -> None:
        """Write many new plans at once (a bulk load into a store no other program writes: the bench corpora).

        The same records as ``write_document`` writes one plan at a time, but the chunks of many plans go in one
        upsert (up to ``batch`` chunks, or Chroma's maximum) and the change token moves once at the end, which is
        what makes a 1M-clause corpus buildable in minutes: per plan, ``write_document`` pays a space check, a
        record upsert, a token change and a stale-version delete. No other version is removed: the plans must be
        new to this store.
        """
        self._writes()
        chunks, docs = self._open()
        if self.config.mode != "http":
            health.check_room(self.config.path, sum(len(p.ids) for p in plans), self.chunk_count(), self.config.min_free_mb)
        batch = min(batch, self._call(self.client.get_max_batch_size))
        rows = [(cid, text, vector, meta) for p in plans for cid, text, vector, meta in zip(p.ids, p.texts, p.embeddings, p.metadatas, strict=True)]
        for i in range(0, len(rows), batch):
            ids, texts, vectors, metas = zip(*rows[i : i + batch], strict=True)
            self._call(chunks.upsert, ids=list(ids), documents=list(texts), embeddings=[list(v) for v in vectors], metadatas=[dict(m) for m in metas])
        now = time.time()
        for i in range(0, len(plans), batch):
            part = plans[i : i + batch]
            self._call(
                docs.upsert, ids=[p.doc_id for p in part], documents=[str(p.record.get("title", p.doc_id)) for p in part], embeddings=[[1.0]] * len(part),
                metadatas=[{**p.record, "doc_hash": p.doc_hash, "committed_at": now} for p in part],
            )
        self._bump_generation()

    def remove_stale(self, doc_id: str, keep_hash: str | None) -> None:
        """Delete chunks of ``doc_id`` whose version is not ``keep_hash`` (all of them when None)."""
        chunks, _ = self._open()
        where: dict[str, Any] = {"doc_id": doc_id}
        if keep_hash is not None:
            where = {"$and": [{"doc_id": doc_id}, {"doc_hash": {"$ne": keep_hash}}]}
        self._call(chunks.delete, where=where)

    def delete_document(self, doc_id: str) -> None:
        """Remove a plan: its record first (readers stop seeing it at once), then its chunks."""
        self._writes()
        _, docs = self._open()
        self._call(docs.delete, ids=[doc_id])
        self._bump_generation()
        self.remove_stale(doc_id, None)

    def repair(self, live_runs: Collection[str] = ()) -> list[str]:
        """Remove chunks of versions that are not committed (no record, or another version) that no live run wrote
        (their ``run_id`` is not in ``live_runs``). Returns the doc ids repaired."""
        self._writes()
        records = self.documents()
        chunks, _ = self._open()
        stale: list[str] = []
        repaired: set[str] = set()
        for cid, meta in self._iter_ids_metadata():
            record = records.get(str(meta.get("doc_id")))
            if (record is None or record.doc_hash != meta.get("doc_hash")) and meta.get("run_id") not in live_runs:
                stale.append(cid)
                repaired.add(str(meta.get("doc_id")))
        for i in range(0, len(stale), GET_BATCH):
            self._call(chunks.delete, ids=stale[i : i + GET_BATCH])
        return sorted(repaired)

    def chunk_counts(self) -> dict[str, int]:
        """Chunks present of each plan's committed version."""
        records = self.documents()
        counts: dict[str, int] = {}
        for _, meta in self._iter_ids_metadata():
            record = records.get(str(meta.get("doc_id")))
            if record is not None and record.doc_hash == meta.get("doc_hash"):
                counts[record.doc_id] = counts.get(record.doc_id, 0) + 1
        return counts

    # -- the writer lock (qa.ingest.writer): one record in <prefix>_writer; Chroma's add never replaces a record,
    # so the first claim applied wins, whichever process or machine it came from.

    def _writer(self) -> Any:
        return self._call(lambda: self.client.get_or_create_collection(self.config.collection_prefix + "_writer", embedding_function=None))

    def claim_writer(self, card: dict[str, Any]) -> dict[str, Any]:
        self._writes()
        writer = self._writer()
        self._call(writer.add, ids=["writer"], embeddings=[[1.0]], metadatas=[dict(card)])
        got = self._call(writer.get, ids=["writer"], include=["metadatas"])
        metas = got["metadatas"] or []
        return dict(metas[0]) if metas and metas[0] else {}

    def renew_writer(self, run_id: str, expires: float) -> bool:
        writer = self._writer()
        got = self._call(writer.get, ids=["writer"], include=["metadatas"])
        metas = got["metadatas"] or []
        if not metas or not metas[0] or metas[0].get("run_id") != run_id:
            return False
        self._call(writer.update, ids=["writer"], metadatas=[{**metas[0], "expires": expires}])
        return True

    def release_writer(self, run_id: str) -> None:
        writer = self._writer()
        self._call(writer.delete, ids=["writer"], where={"run_id": run_id})

    # -- reading -----------------------------------------------------------------------------------

    def iter_metadata(self) -> Iterable[dict[str, Any]]:
        return (meta for _, meta in self._iter_ids_metadata())

    def _iter_ids_metadata(self) -> Iterable[tuple[str, dict[str, Any]]]:
        chunks, _ = self._open()
        total = self._call(chunks.count)
        for offset in range(0, total, 1000):
            got = self._call(chunks.get, include=["metadatas"], limit=1000, offset=offset)
            yield from ((cid, dict(m)) for cid, m in zip(got["ids"], got["metadatas"] or [], strict=False) if m is not None)

    def all_chunks(self, active: dict[str, str] | None = None) -> list[StoredChunk]:
        """Every committed chunk: the lexical index is built from this.

        ``active`` (doc id -> committed hash, default: read now) names the versions to read. They are read some
        plans at a time by doc id and hash, with no paging: a page at an offset costs Chroma the rows before it
        (a filtered 1,000-chunk page took 0.5-0.9 s at 100k clauses, every clause read 70 s; at 1M, hours), while
        a read by plan costs its own rows whatever the store holds. Chunks of other versions (an ingest writing
        one) are never fetched.
        """
        chunks, _ = self._open()
        active = active if active is not None else {r.doc_id: r.doc_hash for r in self.documents().values()}
        plans = list(active)
        out: list[StoredChunk] = []
        for i in range(0, len(plans), PLANS_PER_READ):
            part = plans[i : i + PLANS_PER_READ]
            where = _and({"doc_id": {"$in": part}}, {"doc_hash": {"$in": sorted({active[d] for d in part})}})
            got = self._call(chunks.get, where=where, include=["documents", "metadatas"])
            for cid, text, meta in zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=False):
                if meta is not None and active.get(str(meta.get("doc_id"))) == meta.get("doc_hash"):  # None: deleted meanwhile
                    out.append(StoredChunk(cid, text, dict(meta)))
        return out

    def query(
        self, vector: Sequence[float], k: int, doc_ids: Collection[str] | None = None, active: dict[str, str] | None = None,
        among: Sequence[str] | None = None,
    ) -> list[StoredChunk]:
        """The ``k`` nearest committed chunks to ``vector`` (cosine), best first; of the plans ``doc_ids`` when given.

        Only chunks of the committed versions (``active``, default: read now) are searched, so the chunks an
        ingest is writing neither show up nor crowd the results out. With ``among`` (those plans' chunk ids, at
        most ``EXACT_MAX``) the plans' vectors are read by id and scored exactly: Chroma's ``where doc_id $in``
        pre-filter costs ~30 ms at 100k clauses whatever few plans it keeps, a read by id ~3 ms.
        """
        chunks, _ = self._open()
        active = active if active is not None else {r.doc_id: r.doc_hash for r in self.documents().values()}
        if not active or (doc_ids is not None and not doc_ids):
            return []
        if among is not None and doc_ids is not None and len(among) <= EXACT_MAX:
            return self._exact(chunks, vector, k, among, active)
        where = {"doc_id": {"$in": sorted(doc_ids)}} if doc_ids is not None else None
        # No count() first and no filter on committed hashes (a round trip, and at 100k clauses a ~280 ms
        # filter): fetch a little extra and drop chunks of uncommitted versions below. Only while an ingest is
        # writing can those crowd the results out; then ask again with the filter.
        fetch = k + 16
        out, full = self._nearest(chunks, vector, fetch, where, active)
        if len(out) < k and full:
            out, _ = self._nearest(chunks, vector, k, _and(where, {"doc_hash": {"$in": sorted(set(active.values()))}}), active)
        return out[:k]

    def _exact(self, chunks: Any, vector: Sequence[float], k: int, among: Sequence[str], active: dict[str, str]) -> list[StoredChunk]:
        """The ``k`` chunks of ``among`` nearest to ``vector``, scored here by cosine (as Chroma's cosine space); only
        the best ones' texts and metadata are read."""
        got = self._call(chunks.get, ids=list(among), include=["embeddings"]) if among else {"ids": []}
        if not got["ids"]:
            return []
        matrix = np.asarray(got["embeddings"], dtype=np.float32)
        query = np.asarray(vector, dtype=np.float32)
        scores = matrix @ query / np.maximum(np.linalg.norm(matrix, axis=1) * np.linalg.norm(query), 1e-12)
        best = [int(i) for i in np.argsort(-scores, kind="stable")[: k + 16]]  # a few over, as below: some may be of no live version
        rows = self._call(chunks.get, ids=[got["ids"][i] for i in best], include=["documents", "metadatas"])
        found = {cid: (text, meta) for cid, text, meta in zip(rows["ids"], rows["documents"] or [], rows["metadatas"] or [], strict=False)}
        out = []
        for i in best:
            text, meta = found.get(got["ids"][i], ("", None))
            if meta is not None and active.get(str(meta.get("doc_id"))) == meta.get("doc_hash"):  # None: deleted meanwhile
                out.append(StoredChunk(got["ids"][i], str(text), dict(meta), float(scores[i])))
        return out[:k]

    def _nearest(
        self, chunks: Any, vector: Sequence[float], n: int, where: dict[str, Any] | None, active: dict[str, str],
    ) -> tuple[list[StoredChunk], bool]:
        """The committed chunks among the ``n`` nearest, and whether Chroma returned all ``n`` (so more may exist)."""
        got = self._call(chunks.query, query_embeddings=[list(vector)], n_results=n, where=where, include=["documents", "metadatas", "distances"])
        out = []
        for cid, text, meta, dist in zip(got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0], strict=False):
            if meta is not None and active.get(str(meta.get("doc_id"))) == meta.get("doc_hash"):  # None: deleted meanwhile; two plans may share a hash
                out.append(StoredChunk(cid, text, dict(meta), 1.0 - float(dist)))
        return out, len(got["ids"][0]) >= n


def _and(*clauses: dict[str, Any] | None) -> dict[str, Any]:
    """Chroma's ``where`` for all of the given conditions (None ones skipped)."""
    present = [c for c in clauses if c]
    return present[0] if len(present) == 1 else {"$and": present}
