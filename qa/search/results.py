"""What a search returns: the filters it ran with, the ranked clauses (``Retrieved``) and the ``SearchResult``."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from qa.injection import addresses_reader, without_directives
from qa.store import StoredChunk


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval to plans (doc ids), regions (substring of the plan's region) or years."""

    doc_ids: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    years: frozenset[int] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.doc_ids or self.regions or self.years)

    @classmethod
    def of(cls, doc_ids: Sequence[str] = (), regions: Sequence[str] = (), years: Sequence[int] = ()) -> Filters:
        return cls(frozenset(doc_ids), frozenset(regions), frozenset(int(y) for y in years))


@dataclass(frozen=True)
class Retrieved:
    """One retrieved clause with its fused score and how each leg ranked it (ranks are 1-based; 0 = not found)."""

    chunk: StoredChunk
    score: float
    dense_rank: int = 0
    dense_score: float = 0.0
    lexical_rank: int = 0
    lexical_score: float = 0.0

    @property
    def meta(self) -> dict[str, Any]:
        return self.chunk.metadata

    @property
    def doc_id(self) -> str:
        return self.chunk.doc_id

    @property
    def text(self) -> str:
        return self.chunk.text

    @property
    def path_label(self) -> str:
        return str(self.meta.get("path_label", ""))

    @property
    def title(self) -> str:
        return str(self.meta.get("short_title") or self.meta.get("title", ""))

    def as_dict(self) -> dict[str, Any]:
        m = self.meta
        return {
            "doc_id": self.doc_id, "title": self.title, "path": m.get("path"), "path_label": self.path_label,
            "text": self.text, "office": m.get("office", ""), "start": m.get("start"), "end": m.get("end"), "page": m.get("page", 0),
            "score": round(self.score, 5), "dense_rank": self.dense_rank, "dense_score": round(self.dense_score, 4),
            "lexical_rank": self.lexical_rank, "lexical_score": round(self.lexical_score, 3),
        }


@dataclass
class SearchResult:
    """Ranked clauses plus what the searcher understood of the question."""

    question: str
    search_text: str
    hits: list[Retrieved]
    filters: Filters
    inferred: Filters = field(default_factory=Filters)
    uncovered: list[str] = field(default_factory=list)  # places/years named in the question that no plan covers
    years: tuple[int, ...] = ()  # years the question names
    timings: dict[str, float] = field(default_factory=dict)
    plans_apart: bool = False  # the question names several plans apart (赣州和任城区…): one answer part per plan

    def quotable(self) -> SearchResult:
        """This result as an answer may use it: the sentences of each clause that address the reader (an
        instruction to the model, a script tag, a ``javascript:`` link: :mod:`qa.injection`) left out, and a clause
        holding nothing else left out too. The answerer and the LLM read this, never the raw text."""
        if not any(addresses_reader(hit.text) for hit in self.hits):
            return self
        hits = []
        for hit in self.hits:
            kept = without_directives(hit.text)
            if kept.strip():
                hits.append(hit if kept == hit.text else dataclasses.replace(hit, chunk=dataclasses.replace(hit.chunk, text=kept)))
        return dataclasses.replace(self, hits=hits)
