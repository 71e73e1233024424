"""BM25 over per-plan segments, scored with the statistics of all live chunks (``LexicalIndex``).

The scores are bm25s's "lucene" BM25 as the whole-corpus build computes them (k1 1.5, b 0.75,
idf = ln(1 + (N - df + 0.5) / (df + 0.5)), tf / (tf + k1 (1 - b + b dl / avgdl)), a query token counted as
often as it occurs), but N, df and avgdl are read at query time from the live chunks, so adding a plan
changes nothing already indexed. The index is immutable: ``with_changes`` returns a new one that shares the
old arrays, so a search holding the old index keeps a consistent view while the new one is made.

Layout: a *base* (every term's postings of many plans merged into one CSR: ``ptr``/``docs``/``tf``, numpy)
plus a few *tail* segments added since; positions (one per chunk) are never reused until a merge, a
deleted or replaced plan's positions are just marked dead. ``merged()`` folds the tail into the base and
drops dead positions (O(corpus), numpy only, no tokenising): run off the search path when the tail grows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from qa.search.segments import Segment

K1, B = 1.5, 0.75
MAX_TAIL = 24  # tail segments before a merge is due (each costs one dict lookup per query token)


@dataclass(frozen=True)
class Placed:
    """A segment at its positions ``[start, start + len)``."""

    segment: Segment
    start: int


@dataclass(frozen=True)
class _Base:
    vocab: dict[str, int] = field(default_factory=dict)
    ptr: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))
    docs: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int32))
    tf: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.float32))


class LexicalIndex:
    """BM25 over the live chunks of its segments. Build with ``LexicalIndex.build(segments)``."""

    def __init__(self, base: _Base, tail: tuple[Placed, ...], plans: dict[str, Placed], ids: list[str],
                 lengths: np.ndarray, live: np.ndarray) -> None:
        self._base, self._tail, self.plans = base, tail, plans
        self._ids, self._lengths, self._live = ids, lengths, live
        self.n = int(live.sum())
        # an exact integer sum: the same avgdl whatever the layout, so incremental and whole builds score alike
        self._avgdl = int(lengths[live].sum(dtype=np.int64)) / self.n if self.n else 1.0
        self._df: dict[str, int] = {}
        self._starts: tuple[np.ndarray, list[Placed]] | None = None
        self._all_live = self.n == len(live)
        self._norm: np.ndarray | None = None  # k1 (1 - b + b dl / avgdl) per position, made on first search

    @classmethod
    def build(cls, segments: Iterable[Segment]) -> LexicalIndex:
        return cls(_Base(), (), {}, [], np.empty(0, dtype=np.int32), np.empty(0, dtype=bool)).with_changes(segments, ()).merged()

    # -- changes -----------------------------------------------------------------------------------

    def with_changes(self, added: Iterable[Segment], removed: Iterable[str]) -> LexicalIndex:
        """A new index with ``added`` segments (replacing their plans' old ones) and the plans ``removed`` gone."""
        added = list(added)
        plans = dict(self.plans)
        live = self._live.copy()
        for doc_id in [*removed, *(s.doc_id for s in added)]:
            old = plans.pop(doc_id, None)
            if old is not None:
                live[old.start : old.start + len(old.segment)] = False
        start = len(self._live)
        ids = self._ids[:start]  # a copy: an update that is discarded (the store moved meanwhile) leaves no trace
        tail = list(self._tail)
        pieces = [self._lengths]
        for seg in added:
            placed = Placed(seg, start)
            plans[seg.doc_id] = placed
            tail.append(placed)
            ids.extend(seg.chunk_ids)
            pieces.append(seg.lengths.astype(np.int32))
            start += len(seg)
        lengths = np.concatenate(pieces) if added else self._lengths
        live = np.concatenate([live, np.ones(start - len(live), dtype=bool)]) if added else live
        tail = [p for p in tail if plans.get(p.segment.doc_id) is p]  # a replaced tail segment leaves the tail
        return LexicalIndex(self._base, tuple(tail), plans, ids, lengths, live)

    @property
    def is_merged(self) -> bool:
        return not self._tail and self._all_live

    @property
    def needs_merge(self) -> bool:
        return len(self._tail) > MAX_TAIL or (len(self._live) > 1000 and self.n < 0.75 * len(self._live))

    def merged(self) -> LexicalIndex:
        """The same index with every live plan's postings in one base and dead positions dropped (plan order kept)."""
        order = sorted(self.plans.values(), key=lambda p: p.start)
        remap = np.full(len(self._live), -1, dtype=np.int64)  # old position -> new position (-1: dead)
        plans: dict[str, Placed] = {}
        lengths, ids = [], []
        start = 0
        for placed in order:
            n = len(placed.segment)
            remap[placed.start : placed.start + n] = np.arange(start, start + n)
            plans[placed.segment.doc_id] = Placed(_facts_only(placed.segment), start)
            lengths.append(self._lengths[placed.start : placed.start + n])
            ids.extend(placed.segment.chunk_ids)
            start += n
        vocab = dict(self._base.vocab)
        rows = [np.repeat(np.arange(len(vocab), dtype=np.int64), np.diff(self._base.ptr))]
        docs, tfs = [remap[self._base.docs]], [self._base.tf]
        for placed in self._tail:  # the tail holds live segments only (see with_changes)
            seg = placed.segment
            gids = np.fromiter((vocab.setdefault(t, len(vocab)) for t in seg.terms), dtype=np.int64, count=len(seg.terms))
            rows.append(np.repeat(gids, np.diff(seg.ptr)))
            docs.append(remap[seg.docs.astype(np.int64) + placed.start])
            tfs.append(seg.tf)
        row, doc, tf = np.concatenate(rows), np.concatenate(docs), np.concatenate(tfs)
        keep = doc >= 0
        row, doc, tf = row[keep], doc[keep], tf[keep]
        sort = np.argsort(row, kind="stable")
        ptr = np.zeros(len(vocab) + 1, dtype=np.int64)
        np.cumsum(np.bincount(row, minlength=len(vocab)), out=ptr[1:])
        base = _Base(vocab, ptr, doc[sort].astype(np.int32), tf[sort].astype(np.float32))
        lengths_all = np.concatenate(lengths) if lengths else np.empty(0, dtype=np.int32)
        return LexicalIndex(base, (), plans, ids, lengths_all, np.ones(start, dtype=bool))

    def checkpoint(self) -> tuple[dict[str, np.ndarray], dict[str, list[str]], dict]:
        """(arrays, texts, header) of this index once merged, for ``SegmentFiles.save_base``."""
        if self._tail or not self._all_live:
            raise ValueError("only a merged index (no tail, no dead chunks) is written as a base")
        plans = [[p.segment.doc_id, p.segment.doc_hash, p.segment.key, p.start, len(p.segment), sorted(p.segment.years), sorted(p.segment.places)]
                 for p in sorted(self.plans.values(), key=lambda p: p.start)]
        arrays = {"ptr": self._base.ptr, "docs": self._base.docs, "tf": self._base.tf, "lengths": self._lengths}
        return arrays, {"terms": list(self._base.vocab), "ids": list(self._ids[: len(self._live)])}, {"plans": plans, "arrays": list(arrays), "texts": ["terms", "ids"]}

    @classmethod
    def from_checkpoint(cls, arrays: dict[str, np.ndarray], texts: dict[str, list[str]], header: dict) -> LexicalIndex:
        """The index :meth:`checkpoint` wrote; its arrays may be memory-mapped (read-only: indexes never change in place)."""
        terms = texts["terms"] if len(arrays["ptr"]) > 1 else []
        ids = texts["ids"] if len(arrays["lengths"]) else []
        lengths = arrays["lengths"]
        plans = {}
        for doc_id, doc_hash, key, start, n, years, places in header["plans"]:
            segment = Segment(doc_id, doc_hash, key, tuple(ids[start : start + n]), lengths[start : start + n], (), np.zeros(1, dtype=np.int32),
                              np.empty(0, dtype=np.int32), np.empty(0, dtype=np.float32), frozenset(years), frozenset(places))
            plans[doc_id] = Placed(segment, start)
        base = _Base({t: i for i, t in enumerate(terms)}, arrays["ptr"], arrays["docs"], arrays["tf"])
        return cls(base, (), plans, list(ids), lengths, np.ones(len(lengths), dtype=bool))

    # -- reading -----------------------------------------------------------------------------------

    @property
    def positions(self) -> int:
        return len(self._live)

    def chunk_id(self, position: int) -> str:
        return self._ids[position]

    def plan_ids(self, doc_id: str) -> list[str]:
        placed = self.plans.get(doc_id)
        return list(placed.segment.chunk_ids) if placed else []

    def where(self, position: int) -> tuple[Segment, int]:
        """The segment holding ``position`` and the chunk's index in it."""
        if self._starts is None:
            order = sorted(self.plans.values(), key=lambda p: p.start)
            self._starts = (np.array([p.start for p in order], dtype=np.int64), order)
        starts, order = self._starts
        placed = order[int(np.searchsorted(starts, position, side="right")) - 1]
        if not placed.start <= position < placed.start + len(placed.segment):
            raise KeyError(position)
        return placed.segment, position - placed.start

    def _postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """(positions, tf) of ``term`` over base and tail, live positions only."""
        docs, tfs = [], []
        row = self._base.vocab.get(term)
        if row is not None:
            lo, hi = self._base.ptr[row], self._base.ptr[row + 1]
            docs.append(self._base.docs[lo:hi])
            tfs.append(self._base.tf[lo:hi])
        for placed in self._tail:
            local = placed.segment.term_index().get(term)
            if local is not None:
                lo, hi = placed.segment.ptr[local], placed.segment.ptr[local + 1]
                docs.append(placed.segment.docs[lo:hi] + placed.start)
                tfs.append(placed.segment.tf[lo:hi])
        if not docs:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        d, t = (docs[0], tfs[0]) if len(docs) == 1 else (np.concatenate(docs), np.concatenate(tfs))
        if self._all_live:
            return d, t
        keep = self._live[d]
        return d[keep], t[keep]

    def df(self, term: str) -> int:
        """In how many live chunks ``term`` occurs."""
        found = self._df.get(term)
        if found is None:
            found = self._df[term] = len(self._postings(term)[0])
        return found

    def idf(self, term: str) -> float:
        """BM25 (lucene) inverse document frequency of ``term``; a word absent from the corpus gets the highest."""
        df = self.df(term)
        return math.log((self.n - df + 0.5) / (df + 0.5) + 1.0)

    def scores(self, tokens: Sequence[str], allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(positions, BM25 scores) of the live chunks holding a query token (``allowed``: a position mask)."""
        if self._norm is None:
            self._norm = K1 * ((1.0 - B) + B * self._lengths.astype(np.float64) / self._avgdl)
        total = np.zeros(len(self._live), dtype=np.float64)
        found = False
        for term in tokens:
            docs, tf = self._postings(term)
            if not len(docs):
                continue
            idf = math.log(1.0 + (self.n - len(docs) + 0.5) / (len(docs) + 0.5))
            total[docs] += idf * tf / (self._norm[docs] + tf)  # a term's postings name each chunk once: no repeated index
            found = True
        if not found:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
        if allowed is not None:
            total *= allowed
        hit = np.flatnonzero(total)  # idf > 0 and tf > 0: every touched live chunk scores above 0
        return hit, total[hit]

    def search(self, tokens: Sequence[str], k: int, allowed: np.ndarray | None = None) -> list[tuple[str, float]]:
        """Top ``k`` (chunk id, score > 0), best first, ties by position (as bm25s broke them: plans in the order the
        store returned them, a new or replaced plan last, which is where the store puts it too)."""
        return [(self._ids[pos], score) for pos, score in self.search_positions(tokens, k, allowed)]

    def search_positions(self, tokens: Sequence[str], k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """:meth:`search` as (position, score)."""
        hit, score = self.scores(tokens, allowed)
        if k <= 0 or not len(hit):
            return []
        if k < len(hit):  # every chunk tied with the k-th stays a candidate, so the order below is exact
            threshold = np.partition(score, len(score) - k)[len(score) - k]
            keep = score >= threshold
            hit, score = hit[keep], score[keep]
        order = np.lexsort((hit, -score))[:k]  # ties by position: the order the store returned the plans in
        return [(int(hit[i]), float(score[i])) for i in order]

    def mask(self, doc_ids: Iterable[str]) -> np.ndarray:
        """A position mask of the live chunks of ``doc_ids``."""
        out = np.zeros(len(self._live), dtype=bool)
        for doc_id in doc_ids:
            placed = self.plans.get(doc_id)
            if placed is not None:
                out[placed.start : placed.start + len(placed.segment)] = True
        return out


def _facts_only(segment: Segment) -> Segment:
    """A copy of ``segment`` without its postings (merged into a base); the original stays intact for readers."""
    empty = np.empty(0, dtype=np.int32)
    return Segment(segment.doc_id, segment.doc_hash, segment.key, segment.chunk_ids, segment.lengths, (),
                   np.zeros(1, dtype=np.int32), empty, empty.astype(np.float32), segment.years, segment.places)
