"""Hybrid retrieval: dense (Chroma + the embedder) and lexical (jieba + BM25), fused by reciprocal rank.

Questions are normalised like clauses (t2s, width, whitespace). Filters by plan, region and year can be given,
and are inferred from the question when it names a place or a year ("赣州…", "2021年…") without an LLM; a
named place or year that no stored plan covers is reported, so the answerer can refuse a near miss.

What a search returns lives in ``qa.search.results``, the fusion of the two legs in ``qa.search.fusion``, and
the same search as a LangChain retriever in ``qa.search.retriever``.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.embeddings import ClauseEmbeddings
from qa.normalize import search_form, to_simplified
from qa.search.follow import Lexicon
from qa.search.fusion import fuse, interleave_by_plan
from qa.search.lexical import Tokenizer, expand_query
from qa.search.postings import LexicalIndex
from qa.search.results import Filters, SearchResult
from qa.search.scope import PlanInfo, Scope, infer_scope, place_core, suffixed_names
from qa.search.segments import SegmentFiles
from qa.store import ClauseStore, StoredChunk
from qa.text import ADMIN_SUFFIXES, COMMON_ADMIN_SUFFIXES, suffix_pattern


class HybridSearcher:
    """Dense + lexical retrieval over one clause store. Thread-safe; the lexical index follows the store."""

    def __init__(self, store: ClauseStore, embeddings: ClauseEmbeddings, mode: str = "hybrid", cache_dir: Path | None = None) -> None:
        if mode not in {"hybrid", "dense", "lexical"}:
            raise ValueError(f"retrieval mode {mode!r}: use hybrid, dense or lexical")
        self.store = store
        self.embeddings = embeddings
        self.mode = mode
        self._lock = threading.Lock()
        self._snapshot = _Snapshot()
        self.tokenizer = Tokenizer()
        self.lexicon = Lexicon(self.tokenizer, SegmentFiles(cache_dir))
        self._merging: threading.Thread | None = None
        self._bare: dict[tuple[str, str], PlanInfo] = {}  # (doc id, hash) -> what its record says, read once per version

    # -- the store's current state ------------------------------------------------------------------

    def refresh(self, wait: bool = True) -> None:
        """Bring the lexical index and plan list up to the store's committed plans.

        The store's change token is read first (one small read; any process's ingest moves it): when it has not
        moved, nothing is read. Otherwise the plan records are read, and only plans whose committed version
        changed are read and cut (``qa.search.follow``); the new state is swapped in with one assignment, so a
        search running in another thread uses all of the old state or all of the new. While one thread
        updates, others (``wait=False``, as searches do) go on with the old state instead of waiting.
        """
        generation = self.store.generation()  # read first: plans read after it are at least this new
        current = self._snapshot
        if generation and generation == current.generation and current.index is not None:
            return  # nothing committed or deleted since: no need to read every plan record
        records = self.store.documents()
        if _signature(records) == current.signature and current.index is not None:
            self._snapshot = dataclasses.replace(current, generation=generation)
            return
        if not self._lock.acquire(blocking=wait or current.index is None):
            return  # another thread is updating: this search uses the state it has
        try:
            for _attempt in range(5):
                signature = _signature(records)
                snapshot = self._snapshot
                if signature == snapshot.signature and snapshot.index is not None:
                    return
                active = {r.doc_id: r.doc_hash for r in records.values()}
                # a change costs what changed: only new versions' records are read into plan info
                self._bare = {k: self._bare.get(k) or _plan_info(k[0], records[k[0]].metadata) for k in active.items()}
                bare = {d: self._bare[d, h] for d, h in active.items()}
                index = self.lexicon.update(snapshot.index, self.store, active, _place_words(bare.values()))
                # Consistent when no commit moved the change token meanwhile (one small read); a store without one
                # (written before it existed) has its plan records read again instead.
                again = records if generation and self.store.generation() == generation else self.store.documents()
                if _signature(again) == signature:
                    self.lexicon.persist()  # what was read is one consistent version: keep its segments
                    break
                records = again  # a plan was committed while reading: read that version instead
            else:
                self.lexicon.persist()  # five commits in a row overtook the reads: serve the last one read
            plans = {d: dataclasses.replace(bare[d], mentioned_years=frozenset(index.plans[d].segment.years)) for d in active if d in index.plans}
            mentioned = self.lexicon.carried_mentions(snapshot.index, index, snapshot.mentioned)
            self._snapshot = _Snapshot(signature, index, plans, active, generation, mentioned)
        finally:
            self._lock.release()
        if index.needs_merge or (self.lexicon.files.root is not None and not self.lexicon.base_current):
            self._merge_later(index, self.tokenizer.place_words)

    def _merge_later(self, index: LexicalIndex, places: frozenset[str]) -> None:
        """In a thread: fold the tail segments into the base, swap it in if no update came meanwhile, and write it
        beside the store as the base the next process starts from (then files of replaced plans are removed)."""

        def merge() -> None:
            merged = index if index.is_merged else index.merged()
            with self._lock:
                if self._snapshot.index is not index:
                    return
                self._snapshot = dataclasses.replace(self._snapshot, index=merged)  # the same plans: what they name holds
                self.lexicon.save_base(merged, places)
                self.lexicon.base_current = True
            self.lexicon.files.prune(p.segment.key for p in merged.plans.values())

        if self._merging is None or not self._merging.is_alive():
            self._merging = threading.Thread(target=merge, name="lexical-merge", daemon=True)
            self._merging.start()

    # The parts of the current snapshot (read one at a time; a search takes the snapshot once instead).
    @property
    def _index(self) -> LexicalIndex | None:
        return self._snapshot.index

    @property
    def _plans(self) -> dict[str, PlanInfo]:
        return self._snapshot.plans

    @property
    def plans(self) -> dict[str, PlanInfo]:
        self.refresh()
        return self._plans

    def chunks_of(self, doc_id: str) -> list[StoredChunk]:
        self.refresh()
        placed = self._snapshot.index.plans.get(doc_id) if self._snapshot.index else None
        found = self.lexicon.files.records(placed.segment.key) if placed else []
        return sorted(found, key=lambda c: (c.metadata.get("order", 0), c.metadata.get("part", 1)))

    def children(self, doc_id: str, path: str) -> list[str]:
        """The texts of the clauses numbered under ``path`` in plan ``doc_id``, in document order: the items
        (一)(二)… a lead-in such as "可以采取下列紧急措施：" introduces. Reads the snapshot the last search used."""
        placed = self._snapshot.index.plans.get(doc_id) if self._snapshot.index else None
        if placed is None:
            return []
        prefix = f"{path}/"
        found = [c for c in self.lexicon.files.records(placed.segment.key) if str(c.metadata.get("path", "")).startswith(prefix)]
        found.sort(key=lambda c: (c.metadata.get("order", 0), c.metadata.get("part", 1)))
        return [c.text for c in found]

    # -- filters -----------------------------------------------------------------------------------

    def idf(self, token: str) -> float:
        """How rare ``token`` is among stored clauses (BM25 idf); rare question words weigh more in evidence checks.

        Called many times per answer right after a search refreshed the index, so it does not refresh itself."""
        if self._index is None:
            self.refresh()
        return self._index.idf(token) if self._index is not None else 1.0

    def known(self, token: str) -> bool:
        """Whether some stored clause has ``token`` among its lexical tokens."""
        if self._index is None:
            self.refresh()
        return self._index is not None and self._index.df(token) > 0

    def plan_years(self, doc_id: str) -> tuple[int, ...]:
        """The years a stored plan is for (2019..2022 for a 2019—2022 plan); () for an unknown plan.

        Called per candidate sentence right after a search refreshed (as :meth:`idf`), so it reads the plans that
        search used instead of asking the store for its change token each time (~10 reads per answer)."""
        if self._snapshot.index is None:
            self.refresh()
        plan = self._plans.get(doc_id)
        return plan.years if plan else ()

    def scope(self, question: str) -> Scope:
        """The plans the question names by place and year, and the places/years no stored plan covers."""
        return self._scope_in(question, self.plans)

    def _scope_in(self, question: str, plans: dict[str, PlanInfo]) -> Scope:
        text = to_simplified(question)
        tagged = [(w.word, w.flag) for w in self.tokenizer.tagged(text)]  # one jieba pass for both kinds of names
        names = [*self.tokenizer.places_of(tagged), *suffixed_names(tagged)]
        return infer_scope(text, names, plans, self._mentioned_in_corpus)

    def _mentioned_in_corpus(self, place: str) -> bool:
        """A place named inside some clause (于都县 in the Ganzhou plan) is not 'uncovered'."""
        snapshot = self._snapshot
        if place not in snapshot.mentioned and snapshot.index is not None:  # place names hold no newline: each clause in turn
            snapshot.mentioned[place] = self.lexicon.mentioning(snapshot.index, place)
        return snapshot.mentioned.get(place) is not None

    def _allowed_docs(self, filters: Filters) -> set[str] | None:
        if not filters:
            return None
        allowed = set(self._plans)
        if filters.doc_ids:
            allowed &= set(filters.doc_ids)
        if filters.regions:
            allowed = {d for d in allowed if any(search_form(r) in search_form(self._plans[d].region + self._plans[d].title) for r in filters.regions)}
        if filters.years:
            allowed = {d for d in allowed if set(self._plans[d].years) & set(filters.years)}
        return allowed

    # -- search ------------------------------------------------------------------------------------

    def search(self, question: str, k: int = 10, filters: Filters | None = None, infer: bool = True, per_plan: bool = False) -> SearchResult:
        """The ``k`` best clauses for ``question``; explicit ``filters`` win over inferred ones. With ``per_plan``
        (a question answered one part per plan: 各地…, 分别…, 哪些规划…) every plan's best clauses come first, so
        a plan ranked below the others' many clauses still speaks."""
        started = time.perf_counter()
        self.refresh(wait=False)
        snapshot = self._snapshot  # both legs search this one version of the store
        text = search_form(question)
        scope = self._scope_in(question, snapshot.plans) if infer else Scope()  # the plans of the version searched
        inferred, uncovered = Filters.of(doc_ids=sorted(scope.doc_ids)), list(scope.uncovered)
        active_filters = filters if filters else inferred
        allowed = self._allowed_docs(active_filters)
        timings: dict[str, float] = {}
        dense: list[StoredChunk] = []
        lexical: list[tuple[str, float]] = []
        found: list[tuple[int, float]] = []
        depth = max(k * 3, 30)
        if allowed is not None and not allowed:
            return SearchResult(question, text, [], active_filters, inferred, uncovered, scope.years, {"total_ms": _ms(started)})
        if self.mode in {"hybrid", "dense"}:
            t = time.perf_counter()
            vector = self.embeddings.embed_query(text)
            dense = self.store.query(vector, depth, doc_ids=allowed, active=snapshot.active, among=_chunk_ids(snapshot, allowed))
            timings["dense_ms"] = _ms(t)
        if self.mode in {"hybrid", "lexical"} and snapshot.index is not None:
            t = time.perf_counter()
            mask = snapshot.index.mask(allowed) if allowed is not None else None
            tokens = self.tokenizer.tokens(expand_query(text, self.tokenizer.cut(text)))
            found = snapshot.index.search_positions(tokens, depth, mask)
            lexical = [(snapshot.index.chunk_id(pos), score) for pos, score in found]
            timings["lexical_ms"] = _ms(t)
        hits = fuse(dense, lexical, self._lexical_records(snapshot, dense, found))
        if per_plan or (not filters and scope.apart):  # "赣州和任城区…分别…": every named plan gets its best clauses up front
            hits = interleave_by_plan(hits)
        timings["total_ms"] = _ms(started)
        return SearchResult(question, text, hits[:k], active_filters, inferred, uncovered, scope.years, timings, plans_apart=scope.apart)


    def _lexical_records(self, snapshot: _Snapshot, dense: list[StoredChunk], found: list[tuple[int, float]]) -> dict[str, StoredChunk]:
        """The lexical hits the dense leg did not bring, read from the segments' record files."""
        if snapshot.index is None:
            return {}
        have = {c.chunk_id for c in dense}
        wanted = [pos for pos, _ in found if snapshot.index.chunk_id(pos) not in have]
        return {c.chunk_id: c for c in dense} | self.lexicon.records(snapshot.index, wanted)


@dataclass(frozen=True)
class _Snapshot:
    """One consistent view of the store: committed plan versions, their chunks and the lexical index over them."""

    signature: tuple = ()
    index: LexicalIndex | None = None  # BM25 over per-plan segments; chunk records stay in the segment files
    plans: dict[str, PlanInfo] = field(default_factory=dict)
    active: dict[str, str] = field(default_factory=dict)  # doc id -> committed content hash
    generation: str = ""  # the store's change token when this was read
    mentioned: dict[str, str | None] = field(default_factory=dict)  # place -> key of a plan naming it, None: none (on demand)


def _chunk_ids(snapshot: _Snapshot, allowed: set[str] | None) -> list[str] | None:
    """The chunk ids of the ``allowed`` plans, from the lexical index (None: no filter, or no index to know them)."""
    if allowed is None or snapshot.index is None or not all(d in snapshot.index.plans for d in allowed):
        return None
    return [cid for d in sorted(allowed) for cid in snapshot.index.plans[d].segment.chunk_ids]


def _signature(records: dict[str, Any]) -> tuple:
    return tuple(sorted((r.doc_id, r.doc_hash) for r in records.values()))


@functools.cache
def _place_patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """Compiled once: re's own cache (512 patterns) is too small for the patterns of thousands of plans."""
    return (
        re.compile(r"[\u4e00-\u9fff]+?" + suffix_pattern(ADMIN_SUFFIXES)),  # 江西省 / 赣州市 in a region
        re.compile(r"^([\u4e00-\u9fff]{2,4}?)" + suffix_pattern(COMMON_ADMIN_SUFFIXES)),  # 泰州 of 泰州市… in a short title
        re.compile(suffix_pattern(COMMON_ADMIN_SUFFIXES)),  # 市 after 赣州
    )


def _plan_info(doc_id: str, meta: dict[str, Any], mentioned_years: set[int] = frozenset()) -> PlanInfo:  # type: ignore[assignment]
    region_part, short_place, _ = _place_patterns()
    title = str(meta.get("title", ""))
    short = str(meta.get("short_title", "")) or title
    region = to_simplified(str(meta.get("region", "")))
    year = int(meta.get("year", 0) or 0)
    # The years ingest stored ("2019,2020,…"; read from the title, the date and the plan's targets), else, for a
    # plan stored before they were, the title's span or the plan's year.
    stored = tuple(int(y) for y in re.findall(r"\d{4}", str(meta.get("years", "") or "")))
    span = re.search(r"(\d{4})\s*[—\-–~至到]+\s*(\d{4})", title)
    years = stored or (tuple(range(int(span[1]), int(span[2]) + 1)) if span else ((year,) if year else ()))
    places = set()
    for part in region_part.findall(region):
        core = place_core(part)
        if len(core) >= 2 and core != part:
            places.add(core)
    for part in short_place.findall(to_simplified(short)):
        places.add(part)
    return PlanInfo(doc_id, title, short, region, years, tuple(sorted(places)), frozenset(mentioned_years))


def _place_words(plans) -> set[str]:  # type: ignore[no-untyped-def]
    """Place names of the plans in every written form: 赣州, 赣州市, 龙岗, 龙岗区."""
    suffix = _place_patterns()[2]
    words = set()
    for plan in plans:
        text = plan.region + plan.short_title
        for place in plan.places:
            words.add(place)
            at = text.find(place)
            while at >= 0:  # each place followed by a suffix (as re.finditer(place + suffixes) would find them)
                end = at + len(place)
                found = suffix.match(text, end)
                if found:
                    words.add(text[at : found.end()])
                    end = found.end()
                else:
                    end = at + 1
                at = text.find(place, end)
    return words


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
