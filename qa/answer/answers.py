"""The answer types every answerer returns, and the grounding check run on every answer. Pure, no I/O."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from qa.normalize import search_form
from qa.search.results import Retrieved
from qa.text import CITATION_MARKER, sentences

REFUSAL_PREFIX = "所检索的规划文件中没有找到"


@dataclass(frozen=True)
class Citation:
    """One cited clause: marker ``[n]`` in the answer text, the plan, the clause path, the quoted sentence(s)."""

    marker: int
    doc_id: str
    title: str
    path: str
    path_label: str
    quote: str
    text: str
    start: int
    end: int
    office: str = ""
    issuer: str = ""
    year: int = 0
    page: int = 0  # page of the clause's start in a PDF; 0 when the format has no pages
    page_end: int = 0

    @property
    def page_label(self) -> str:
        """``第3页`` (``第3-4页`` across a page break); empty for formats without pages."""
        if not self.page:
            return ""
        return f"第{self.page}页" if self.page_end <= self.page else f"第{self.page}-{self.page_end}页"

    @property
    def label(self) -> str:
        """``《赣州市2023年卫生健康工作要点》一、1.``, with ``（第3页）`` for a PDF."""
        return f"《{self.title}》{self.path_label}" + (f"（{self.page_label}）" if self.page else "")

    @classmethod
    def from_hit(cls, marker: int, hit: Retrieved, quote: str) -> Citation:
        m = hit.meta
        return cls(
            marker=marker, doc_id=hit.doc_id, title=hit.title, path=str(m.get("path", "")), path_label=hit.path_label,
            quote=quote, text=hit.text, start=int(m.get("start", 0)), end=int(m.get("end", 0)),
            office=str(m.get("office", "")), issuer=str(m.get("issuer", "")), year=int(m.get("year", 0) or 0),
            page=int(m.get("page", 0) or 0), page_end=int(m.get("page_end", 0) or 0),
        )


@dataclass
class Answer:
    """What ``Assistant.ask`` returns to the chat, the CLI, the API and the eval."""

    question: str
    text: str
    citations: list[Citation] = field(default_factory=list)
    refused: bool = False
    retrieved: list[Retrieved] = field(default_factory=list)
    related: list[Citation] = field(default_factory=list)  # 可能相关: nearest clauses shown with a refusal
    answerer: str = "extractive"
    standalone_question: str = ""  # the question as rewritten from the conversation
    notices: list[str] = field(default_factory=list)  # e.g. "LLM endpoint failed; extractive answer shown"
    dropped: list[str] = field(default_factory=list)  # parts removed by the grounding check
    confidence: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    def as_dict(self, retrieved_limit: int = 10) -> dict[str, Any]:
        return {
            "question": self.question,
            "standalone_question": self.standalone_question,
            "answer": self.text,
            "refused": self.refused,
            "answerer": self.answerer,
            "confidence": round(self.confidence, 4),
            "citations": [asdict(c) | {"label": c.label} for c in self.citations],
            "related": [asdict(c) | {"label": c.label} for c in self.related],
            "retrieved": [hit.as_dict() for hit in self.retrieved[:retrieved_limit]],
            "notices": self.notices,
            "dropped": self.dropped,
            "timings": self.timings,
        }

    def sources_block(self) -> str:
        """The cited clauses listed as ``[1] 《title》 path``."""
        return "\n".join(f"[{c.marker}] {c.label}" for c in self.citations)


# ------------------------------------------------------------------------------------------ grounding

_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_QUOTED = re.compile(r"[“\"「『]([^”\"」』]{2,60})[”\"」』]")


@dataclass
class Grounded:
    text: str
    markers: list[int]
    dropped: list[str]


def check_grounding(text: str, sources: dict[int, str], context: str = "") -> Grounded:
    """Keep only the sentences of ``text`` that its cited sources support.

    ``sources`` maps each valid marker ``n`` to the clause text it stands for. A sentence is dropped when
    it cites a marker that is not a source, or when a number or quoted phrase in it does not occur in the
    clauses it cites (or, for a sentence citing nothing, in any source). ``context`` (the question) may
    supply numbers too: "2023年" in the question is not an invention. Comparison is on the search form.
    """
    norm_sources = {n: search_form(t) for n, t in sources.items()}
    all_sources = "".join(norm_sources.values())
    norm_context = search_form(context)
    kept: list[str] = []
    markers: list[int] = []
    dropped: list[str] = []
    for sentence in sentences(text):
        if not sentence.strip():
            continue
        cited = [int(m) for m in CITATION_MARKER.findall(sentence)]
        bad = [n for n in cited if n not in norm_sources]
        if bad:
            dropped.append(f"{sentence.strip()} (cites [{']['.join(map(str, bad))}], which is not a retrieved clause)")
            continue
        support = "".join(norm_sources[n] for n in cited) if cited else all_sources
        body = search_form(CITATION_MARKER.sub("", sentence))
        missing = [x for x in _NUMBER.findall(body) if x not in support and x not in norm_context]
        missing += [q for q in _QUOTED.findall(sentence) if search_form(q) not in support]
        if missing:
            dropped.append(f"{sentence.strip()} (not in the cited clause: {', '.join(missing)})")
            continue
        kept.append(sentence)
        markers.extend(n for n in cited if n not in markers)
    return Grounded("".join(kept).strip(), markers, dropped)
