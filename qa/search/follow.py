"""How the lexical index follows the store: only plans whose committed version changed are read and cut.

``update`` takes the index a process has (or, at start, the segments recorded beside the store) and the
store's committed plans now, and returns the new index: segments of unchanged plans are reused, a new or
replaced plan is read from the store (its chunks only) and cut, a deleted plan's chunks are marked dead. A
place name that comes or goes with a plan changes how jieba cuts the texts holding it (and only those, see
``Tokenizer``), so those plans are cut again too. The work is the changed plans' clauses, not the corpus.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from qa.search.lexical import Tokenizer
from qa.search.postings import MAX_TAIL, LexicalIndex
from qa.search.scope import named_years
from qa.search.segments import Segment, SegmentFiles, cut_segment, segment_key
from qa.store import ClauseStore, StoredChunk

log = logging.getLogger(__name__)


@dataclass
class UpdateReport:
    """What one update did: plans cut (new, replaced or touched by a place name), reused, removed; seconds."""

    cut: int = 0
    loaded: int = 0
    removed: int = 0
    seconds: float = 0.0


class Lexicon:
    """The tokenizer, the segment files and the rules that turn a store state into a :class:`LexicalIndex`."""

    def __init__(self, tokenizer: Tokenizer, files: SegmentFiles) -> None:
        self.tokenizer = tokenizer
        self.files = files
        self.last = UpdateReport()
        self.base_current = False  # whether the base beside the store is what this process started from, unchanged
        self._pending: list[tuple[Segment, list[StoredChunk], list[str]]] = []  # cut by update(), written by persist()
        self._pending_manifest: list[str] | None = None

    def update(self, index: LexicalIndex | None, store: ClauseStore, active: dict[str, str], places: Iterable[str]) -> LexicalIndex:
        """The index of the plan versions ``active`` (doc id -> hash), cut with place names ``places``.

        ``index`` is the one this process has; None at start, when the last merged base and the segment files
        recorded beside the store are read instead (each valid for the place names it was cut with)."""
        started = time.perf_counter()
        report = UpdateReport()
        self._pending = []
        fingerprint = self.tokenizer.fingerprint()
        wanted = set(places)
        recorded: dict[str, Segment] = {}
        starting = index is None
        if index is None:
            index, before = self._base(fingerprint)
            self.tokenizer.set_places(wanted)
            changed = before ^ wanted
            manifest_places, keys = self.files.manifest()
            for doc_id, doc_hash in active.items():
                placed = index.plans.get(doc_id)
                key = segment_key(doc_id, doc_hash, fingerprint)
                if (placed is None or placed.segment.doc_hash != doc_hash) and key in keys:
                    segment = self.files.get(key)
                    if segment is not None and not self._stale(segment, manifest_places ^ wanted, wanted - manifest_places):
                        recorded[doc_id] = segment
        else:
            before = self.tokenizer.place_words
            changed = self.tokenizer.set_places(wanted)
        kept = {d for d, p in index.plans.items() if active.get(d) == p.segment.doc_hash and d not in recorded
                and not self._stale(p.segment, changed, changed - before)}
        to_cut = {d: h for d, h in active.items() if d not in kept and d not in recorded}
        fresh = self._cut(store, to_cut, fingerprint)
        removed = [d for d in index.plans if d not in active]
        report.cut, report.loaded, report.removed = len(fresh), len(kept) + len(recorded), len(removed)
        new = index.with_changes([*recorded.values(), *fresh], removed) if (fresh or recorded or removed) else index
        if starting and len(recorded) + len(fresh) > MAX_TAIL:
            new = new.merged()  # no usable base: merge now rather than search a long tail
        if starting:
            self.base_current = self.base_current and new is index
        self._pending_manifest = [p.segment.key for p in new.plans.values()] if (fresh or removed) else None
        report.seconds = round(time.perf_counter() - started, 3)
        self.last = report
        if fresh or report.removed:
            log.info("lexical index: %d plans cut, %d reused, %d removed in %.2f s", report.cut, report.loaded, report.removed, report.seconds)
        return new

    def _base(self, fingerprint: str) -> tuple[LexicalIndex, frozenset[str]]:
        """The last merged base written beside the store (if cut the same way) and the place names it was cut with."""
        found = self.files.load_base()
        self.base_current = found is not None and found[2].get("fingerprint") == fingerprint
        if not self.base_current:
            return LexicalIndex.build([]), frozenset()
        arrays, texts, header = found  # type: ignore[misc]
        return LexicalIndex.from_checkpoint(arrays, texts, header), frozenset(header.get("places", ()))

    def save_base(self, index: LexicalIndex, places: Iterable[str]) -> None:
        """Write a merged ``index`` as the base the next process starts from."""
        arrays, texts, header = index.checkpoint()
        name = uuid.uuid4().hex[:16]  # several searchers (processes, the eval's modes) may write bases at once
        self.files.save_base(name, arrays, texts, {**header, "fingerprint": self.tokenizer.fingerprint(), "places": sorted(places)})

    def _stale(self, segment: Segment, changed: frozenset[str] | set[str], added: frozenset[str] | set[str]) -> bool:
        """Whether the place names that came or went (``changed``; ``added`` among them) cut ``segment``'s texts differently."""
        return bool(segment.places & changed) or (bool(added) and _names_any(self.files.texts(segment.key), added))

    def _cut(self, store: ClauseStore, versions: dict[str, str], fingerprint: str) -> list[Segment]:
        """Read the chunks of ``versions`` from the store (one read) and cut one segment per plan."""
        if not versions:
            return []
        by_plan: dict[str, list[StoredChunk]] = {}  # in the store's order, which breaks ties between equal scores
        for chunk in store.all_chunks(active=versions):
            by_plan.setdefault(chunk.doc_id, []).append(chunk)
        for doc_id in versions:
            by_plan.setdefault(doc_id, [])
        out = []
        places = self.tokenizer.place_words
        for doc_id, chunks in by_plan.items():
            texts = [str(c.metadata.get("search_text", "")) for c in chunks]
            years = {y for t in texts for y in named_years(t)}
            key = segment_key(doc_id, versions[doc_id], fingerprint)
            segment = cut_segment(self.tokenizer.tokens, doc_id, versions[doc_id], key, texts, [c.chunk_id for c in chunks], years, places)
            self._pending.append((segment, chunks, texts))
            out.append(segment)
        return out

    def persist(self) -> None:
        """Write the segments the last :meth:`update` cut, and the manifest. Called once the caller saw the store
        unchanged while it read (a version read while a newer one replaced it may be partial: never written)."""
        for segment, chunks, texts in self._pending:
            self.files.put(segment, chunks, texts)
        self._pending = []
        if self._pending_manifest is not None:
            self.files.save_manifest(self.tokenizer.place_words, self._pending_manifest)
            self._pending_manifest = None

    def mentioning(self, index: LexicalIndex, word: str, keys: Iterable[str] | None = None) -> str | None:
        """The segment key of a plan (among ``keys``, default every live one) whose search texts contain ``word``
        (reads the segments' text files); None when none does."""
        keys = (p.segment.key for p in index.plans.values()) if keys is None else keys
        return next((k for k in keys if word in self.files.texts(k)), None)

    def carried_mentions(self, old: LexicalIndex | None, new: LexicalIndex, mentioned: dict[str, str | None]) -> dict[str, str | None]:
        """``mentioned`` (place -> key of a plan naming it, None: no plan) brought from index ``old`` to ``new`` at
        the cost of the change: a place named by a plan still live stays named; one named by no plan is looked for
        in the new plans only; one whose naming plan is gone is looked up again when next asked."""
        live = {p.segment.key for p in new.plans.values()}
        before = {p.segment.key for p in old.plans.values()} if old is not None else set()
        added = [k for k in live if k not in before]
        out: dict[str, str | None] = {}
        for place, key in dict(mentioned).items():  # a copy: searches add to it meanwhile
            if key is None:
                out[place] = self.mentioning(new, place, added)
            elif key in live:
                out[place] = key
        return out

    def records(self, index: LexicalIndex, positions: Iterable[int]) -> dict[str, StoredChunk]:
        """The chunks at ``positions``, read from their plans' record files (one open per plan)."""
        rows: dict[str, tuple[Segment, list[int]]] = {}
        for position in positions:
            segment, row = index.where(position)
            rows.setdefault(segment.key, (segment, []))[1].append(row)
        out: dict[str, StoredChunk] = {}
        for key, (_, wanted) in rows.items():
            for chunk in self.files.records(key, wanted):
                out[chunk.chunk_id] = chunk
        return out


def _names_any(text: str, words: Iterable[str]) -> bool:
    return any(w in text for w in words)

