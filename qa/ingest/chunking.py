"""Clauses -> chunks: one chunk per clause (a table's data row is one too, kind ``table_row``), split at sentence
ends only when too long for the embedder.

Pure: the token counter is passed in (the embedder's own tokenizer in production, ``len`` in tests).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from qa.ingest.documents import Document
from qa.ingest.parsing import Clause
from qa.ingest.tables import TableRow
from qa.injection import directive_kinds
from qa.normalize import search_form
from qa.text import split_keeping_ends

CONTEXT_SEPARATOR = " › "


@dataclass(frozen=True)
class Chunk:
    """What the store holds for one clause (or one part of a long clause), with full provenance."""

    chunk_id: str
    doc_id: str
    doc_hash: str
    path: str  # "一、/(一)/2."
    path_label: str  # "一、(一)2."
    part: int  # 1-based; parts > 1 only for split clauses
    parts: int
    text: str  # display text of this part
    search_text: str
    embed_text: str  # context + clause, normalised: what the embedder sees
    start: int
    end: int
    metadata: dict[str, str | int]

    @property
    def clause_hash(self) -> str:
        return str(self.metadata["clause_hash"])


def pack(sentences: list[str], budget: int, count: Callable[[str], int]) -> list[str]:
    """Greedily group consecutive sentences into parts of at most ``budget`` tokens.

    A single sentence over budget is cut at the character that reaches the budget (rare: a run-on list); the work is
    linear in its length (the budget is looked for in a prefix a few budgets long).
    """
    parts: list[str] = []
    current = ""
    for sentence in sentences:
        while (over := _over_budget(sentence, budget, count)) is not None:
            cut = _longest_prefix(sentence[:over], budget, count)
            if current:
                parts.append(current)
                current = ""
            parts.append(sentence[:cut])
            sentence = sentence[cut:]
        if current and count(current + sentence) > budget:
            parts.append(current)
            current = ""
        current += sentence
    if current:
        parts.append(current)
    return parts


def _over_budget(text: str, budget: int, count: Callable[[str], int]) -> int | None:
    """The length of a prefix of ``text`` already over ``budget`` tokens (None when all of it fits): counted on
    growing prefixes, so cutting a long run-on sentence counts a few budgets' worth of it per part, not all of it."""
    size = max(budget, 64) * 4
    while True:
        if count(text[:size]) > budget:
            return size
        if size >= len(text):
            return None
        size *= 2


def _longest_prefix(text: str, budget: int, count: Callable[[str], int]) -> int:
    lo, hi = 1, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if count(text[:mid]) <= budget:
            lo = mid
        else:
            hi = mid - 1
    return lo


def context_line(doc: Document, clause: Clause) -> str:
    """``赣州市2023年卫生健康工作要点 › 一、大力实施健康赣州建设筑基行动``: what situates a clause."""
    return CONTEXT_SEPARATOR.join([doc.info.citation_title, *clause.headings])


def chunk_document(doc: Document, max_tokens: int, count_tokens: Callable[[str], int]) -> list[Chunk]:
    """One chunk per clause; clauses longer than ``max_tokens`` (with their context) split at sentence ends."""
    chunks: list[Chunk] = []
    for index, clause in enumerate(doc.clauses):
        context = search_form(context_line(doc, clause)) + CONTEXT_SEPARATOR
        budget = max(32, max_tokens - count_tokens(context))
        texts = [clause.text] if count_tokens(search_form(clause.text)) <= budget else pack(
            split_keeping_ends(clause.text), budget, lambda s: count_tokens(search_form(s))
        )
        offset = clause.start
        for part, text in enumerate(texts, start=1):
            start, end = _locate(doc.text, text, offset, clause)
            offset = end
            search_text = search_form(text)
            clause_hash = clause.content_hash
            chunk_id = f"{doc.info.doc_id}:{doc.content_hash[:12]}:{index:04d}.{part}"
            metadata: dict[str, str | int] = {
                "doc_id": doc.info.doc_id,
                "doc_hash": doc.content_hash,
                "title": doc.info.title,
                "short_title": doc.info.citation_title,
                "issuer": doc.info.issuer,
                "region": doc.info.region,
                "year": doc.info.year,
                "date": doc.info.date,
                "path": clause.path_key,
                "path_label": clause.path_label,
                "headings": "\n".join(clause.headings),
                "lead": clause.lead,
                "office": clause.office,
                "kind": clause.kind,
                "part": part,
                "parts": len(texts),
                "start": start,
                "end": end,
                "clause_start": clause.start,
                "clause_end": clause.end,
                "clause_hash": clause_hash,
                # Pages of the part's first and last character (PDF; a table row: the pages it is printed on);
                # 0 for formats without pages.
                "page": clause.page if isinstance(clause, TableRow) else doc.page_of(start),
                "page_end": clause.page_end if isinstance(clause, TableRow) else doc.page_of(max(start, end - 1)),
                "order": index,
                "search_text": search_text,
                # Instructions to the reader or active markup in the part (qa.injection): never quoted.
                "addresses_reader": ",".join(directive_kinds(text)),
            }
            embed_text = context + search_text
            chunks.append(
                Chunk(
                    chunk_id, doc.info.doc_id, doc.content_hash, clause.path_key, clause.path_label, part,
                    len(texts), text, search_text, embed_text, start, end, metadata,
                )
            )
    return chunks


def _locate(source: str, part: str, offset: int, clause: Clause) -> tuple[int, int]:
    """Span of a clause part in the source, searched from ``offset``.

    The clause text is its source span with noise deleted (pinyin glosses, '?' padding, line breaks, page
    furniture), so the part's characters appear in the source in order: the span runs from the first to the
    last of them. Falls back to the clause span should a character not be found.
    """
    if len(part) == len(clause.text):
        return clause.start, clause.end
    start, pos = -1, offset
    for ch in part:
        if ch.isspace():
            continue
        found = source.find(ch, pos, clause.end)
        if found < 0:
            return clause.start, clause.end
        start = found if start < 0 else start
        pos = found + 1
    return (start, pos) if start >= 0 else (clause.start, clause.end)


def embedding_key(embed_text: str, embedder_id: str) -> str:
    """Cache key of one embedding: the same text under the same model is never embedded twice."""
    return hashlib.sha256(f"{embedder_id}\n{embed_text}".encode()).hexdigest()
