"""Per-plan lexical segments: one plan version's jieba tokens as compact postings, and where they are kept.

A segment is cut once per plan version (content hash) and tokenizer fingerprint; the lexical index merges
segments for scoring (``qa.search.postings``), so committing, replacing or deleting a plan costs that plan.
With a folder (``SegmentFiles(root)``) each segment is one file ``<key>.seg`` (a JSON header, then raw
int32/float32 arrays), the plan's chunk records ``<key>.jsonl`` (read a line at a time when a search needs
a clause, so no process keeps every clause text in memory) and its search texts ``<key>.txt`` (scanned for
place names); ``manifest.json`` names the segments of the last consistent state and the place names they
were cut with, so a process starts by reading files instead of re-cutting every clause. Without a folder
(tests) the same lives in memory.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qa.store import StoredChunk

EMPTY_TOKEN = "∅"  # a clause without index tokens still counts as a document of length 1 (as bm25s indexed it)
_MAGIC = b"PQSEG1\n\0"


@dataclass
class Segment:
    """One plan version's postings: for each distinct token (``terms``, sorted) the chunks holding it and how often."""

    doc_id: str
    doc_hash: str
    key: str
    chunk_ids: tuple[str, ...]
    lengths: np.ndarray  # int32, tokens per chunk (repeats counted)
    terms: tuple[str, ...]
    ptr: np.ndarray  # int32, len(terms) + 1: postings of terms[i] are [ptr[i], ptr[i+1])
    docs: np.ndarray  # int32, chunk index within the plan
    tf: np.ndarray  # float32, occurrences of the term in that chunk
    years: frozenset[int] = frozenset()  # four-digit years the clauses name
    places: frozenset[str] = frozenset()  # the tokenizer's place names its texts contain (they shape its cut)
    _index: dict[str, int] | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.chunk_ids)

    def term_index(self) -> dict[str, int]:
        if self._index is None:
            self._index = {t: i for i, t in enumerate(self.terms)}
        return self._index

    def drop_postings(self) -> None:
        """Free the arrays once merged into the index's base (the segment's facts stay)."""
        empty = np.empty(0, dtype=np.int32)
        self.terms, self.ptr, self.docs, self.tf, self._index = (), np.zeros(1, dtype=np.int32), empty, empty.astype(np.float32), None


def segment_key(doc_id: str, doc_hash: str, fingerprint: str) -> str:
    """The file name of a plan version's segment: its id and content hash, and how it was cut."""
    digest = hashlib.sha256("\n".join((doc_id, doc_hash)).encode()).hexdigest()[:32]
    return f"{digest}-{fingerprint}"


def cut_segment(tokens_of: Any, doc_id: str, doc_hash: str, key: str, search_texts: Sequence[str], chunk_ids: Sequence[str],
                years: Iterable[int], place_words: Iterable[str]) -> Segment:
    """The segment of one plan: ``tokens_of(text)`` for every chunk's search text, counted into postings."""
    per_term: dict[str, list[tuple[int, int]]] = {}
    lengths = np.empty(len(search_texts), dtype=np.int32)
    for i, text in enumerate(search_texts):
        tokens = tokens_of(text) or [EMPTY_TOKEN]
        lengths[i] = len(tokens)
        for term, count in Counter(tokens).items():
            per_term.setdefault(term, []).append((i, count))
    terms = tuple(sorted(per_term))
    ptr = np.zeros(len(terms) + 1, dtype=np.int32)
    ptr[1:] = np.cumsum([len(per_term[t]) for t in terms])
    flat = [p for t in terms for p in per_term[t]]
    docs = np.fromiter((d for d, _ in flat), dtype=np.int32, count=len(flat))
    tf = np.fromiter((c for _, c in flat), dtype=np.float32, count=len(flat))
    joined = "\n".join(search_texts)
    places = frozenset(p for p in place_words if p in joined)
    return Segment(doc_id, doc_hash, key, tuple(chunk_ids), lengths, terms, ptr, docs, tf, frozenset(years), places)


class SegmentFiles:
    """Where segments, their chunk records and their texts are kept: a folder, or memory when ``root`` is None."""

    def __init__(self, root: Path | None) -> None:
        self.root = Path(root) if root is not None else None
        self._memory: dict[str, tuple[Segment, list[StoredChunk], str]] = {}
        self._manifest: dict[str, Any] = {}
        self._offsets: dict[str, np.ndarray] = {}  # key -> byte offsets of its records (8 bytes a chunk)
        self._lock = threading.Lock()
        if self.root is not None:
            self.root.mkdir(parents=True, exist_ok=True)

    # -- writing -----------------------------------------------------------------------------------

    def put(self, segment: Segment, chunks: Sequence[StoredChunk], search_texts: Sequence[str]) -> None:
        if self.root is None:
            with self._lock:
                self._memory[segment.key] = (segment, list(chunks), "\n".join(search_texts))
            return
        lines = [json.dumps([c.chunk_id, c.text, c.metadata], ensure_ascii=False).encode() + b"\n" for c in chunks]
        offsets = np.zeros(len(lines) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([len(line) for line in lines])
        _write_atomic(self.root / f"{segment.key}.jsonl", b"".join(lines))
        _write_atomic(self.root / f"{segment.key}.txt", "\n".join(search_texts).encode())
        header = {
            "doc_id": segment.doc_id, "doc_hash": segment.doc_hash, "chunk_ids": list(segment.chunk_ids),
            "terms": list(segment.terms), "years": sorted(segment.years), "places": sorted(segment.places),
            "sizes": [len(segment.lengths), len(segment.ptr), len(segment.docs), len(offsets)],
        }
        head = json.dumps(header, ensure_ascii=False).encode()
        body = b"".join(a.tobytes() for a in (segment.lengths.astype(np.int32), segment.ptr.astype(np.int32),
                                               segment.docs.astype(np.int32), segment.tf.astype(np.float32), offsets))
        _write_atomic(self.root / f"{segment.key}.seg", _MAGIC + struct.pack("<I", len(head)) + head + body)
        self._offsets[segment.key] = offsets

    def save_manifest(self, places: Iterable[str], keys: Iterable[str]) -> None:
        """Record a consistent state: these segments, all cut with these place names."""
        manifest = {"places": sorted(places), "segments": sorted(keys)}
        self._manifest = manifest
        if self.root is not None:
            _write_atomic(self.root / "manifest.json", json.dumps(manifest, ensure_ascii=False).encode())

    def save_base(self, name: str, arrays: dict[str, np.ndarray], texts: dict[str, Sequence[str]], header: dict[str, Any]) -> None:
        """Write a merged index (``arrays`` as .npy, ``texts`` one string a line) and then ``base.json`` naming it:
        a reader finds the old base or the new one, whole. Bases no longer named are removed."""
        if self.root is None:
            self._memory_base = (arrays, texts, header)
            return
        for label, array in arrays.items():
            path = self.root / f"base.{name}.{label}.npy"
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=f".{path.name}.")
            with os.fdopen(fd, "wb") as f:
                np.save(f, np.ascontiguousarray(array))
            os.replace(tmp, path)
        for label, lines in texts.items():
            _write_atomic(self.root / f"base.{name}.{label}.txt", "\n".join(lines).encode())
        _write_atomic(self.root / "base.json", json.dumps({**header, "name": name}, ensure_ascii=False).encode())
        for old in self.root.glob("base.*.*"):
            if old.name.split(".")[1] != name and time.time() - old.stat().st_mtime > 600:
                old.unlink(missing_ok=True)

    def load_base(self) -> tuple[dict[str, np.ndarray], dict[str, list[str]], dict[str, Any]] | None:
        """The last merged index written by :meth:`save_base`: arrays memory-mapped (pages read as searches touch
        them, shared between processes on one machine), or None."""
        if self.root is None:
            return getattr(self, "_memory_base", None)
        try:
            header = json.loads((self.root / "base.json").read_text(encoding="utf-8"))
            name = header["name"]
            arrays = {label: np.load(self.root / f"base.{name}.{label}.npy", mmap_mode="r") for label in header["arrays"]}
            texts = {label: (self.root / f"base.{name}.{label}.txt").read_text(encoding="utf-8").split("\n") for label in header["texts"]}
        except (OSError, ValueError, KeyError):
            return None
        return arrays, texts, header

    # -- reading -----------------------------------------------------------------------------------

    def manifest(self) -> tuple[frozenset[str], frozenset[str]]:
        """(place names, segment keys) of the last recorded state; empty when there is none or it is unreadable."""
        data = self._manifest
        if self.root is not None:
            try:
                data = json.loads((self.root / "manifest.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                data = {}
        return frozenset(data.get("places", ())), frozenset(data.get("segments", ()))

    def get(self, key: str) -> Segment | None:
        """The stored segment ``key``, or None when it is missing or unreadable (it is then cut again)."""
        if self.root is None:
            found = self._memory.get(key)
            return _copy(found[0]) if found else None
        try:
            raw = (self.root / f"{key}.seg").read_bytes()
            if not raw.startswith(_MAGIC):
                return None
            (head_len,) = struct.unpack_from("<I", raw, len(_MAGIC))
            start = len(_MAGIC) + 4
            header = json.loads(raw[start : start + head_len])
            n, n_ptr, n_post, n_off = header["sizes"]
            at = start + head_len
            arrays = []
            for count, dtype in ((n, np.int32), (n_ptr, np.int32), (n_post, np.int32), (n_post, np.float32)):
                arrays.append(np.frombuffer(raw, dtype=dtype, count=count, offset=at))
                at += count * 4
            self._offsets[key] = np.frombuffer(raw, dtype=np.int64, count=n_off, offset=at).copy()
        except (OSError, ValueError, KeyError, struct.error):
            return None
        # lengths outlive a merge: a copy, so the file's bytes are not kept alive by it (the postings are views, dropped then)
        return Segment(header["doc_id"], header["doc_hash"], key, tuple(header["chunk_ids"]), arrays[0].copy(), tuple(header["terms"]),
                       *arrays[1:], frozenset(header["years"]), frozenset(header["places"]))

    def records(self, key: str, rows: Sequence[int] | None = None) -> list[StoredChunk]:
        """Chunks ``rows`` (indices within the plan; all when None) of segment ``key``, read from its records file."""
        if self.root is None:
            found = self._memory.get(key)
            chunks = found[1] if found else []
            return list(chunks) if rows is None else [chunks[r] for r in rows if r < len(chunks)]
        path = self.root / f"{key}.jsonl"
        out = []
        if not path.exists():  # removed by another process's prune: the hit is dropped, the search goes on
            return []
        with path.open("rb") as f:
            if rows is None:
                return [StoredChunk(cid, text, meta) for cid, text, meta in (json.loads(line) for line in f)]
            offsets = self._offsets_of(key)
            for r in (r for r in rows if r + 1 < len(offsets)):
                f.seek(int(offsets[r]))
                cid, text, meta = json.loads(f.read(int(offsets[r + 1] - offsets[r])))
                out.append(StoredChunk(cid, text, meta))
        return out

    def texts(self, key: str) -> str:
        """The plan's search texts, newline-joined."""
        if self.root is None:
            found = self._memory.get(key)
            return found[2] if found else ""
        try:
            return (self.root / f"{key}.txt").read_text(encoding="utf-8")
        except OSError:
            return ""

    def _offsets_of(self, key: str) -> np.ndarray:
        found = self._offsets.get(key)
        if found is None:
            self.get(key)  # reads the segment file, which holds them
            found = self._offsets.get(key, np.zeros(1, dtype=np.int64))
        return found

    def prune(self, keep: Iterable[str], min_age_s: float = 3600.0) -> int:
        """Remove the files of segments not in ``keep`` (plans deleted or replaced) and older than ``min_age_s``
        (another process sharing the folder may still be on the version before); returns how many."""
        keep = set(keep)
        if self.root is None:
            with self._lock:
                gone = [k for k in self._memory if k not in keep]
                for k in gone:
                    del self._memory[k]
            return len(gone)
        removed = 0
        now = time.time()
        for path in self.root.glob("*.seg"):
            if path.stem not in keep and now - path.stat().st_mtime > min_age_s:
                for suffix in (".seg", ".jsonl", ".txt"):
                    path.with_suffix(suffix).unlink(missing_ok=True)
                removed += 1
        return removed


def _copy(segment: Segment) -> Segment:
    return Segment(segment.doc_id, segment.doc_hash, segment.key, segment.chunk_ids, segment.lengths, segment.terms,
                   segment.ptr, segment.docs, segment.tf, segment.years, segment.places)


def _write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path``, then rename: a reader sees the old file or the new one."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
