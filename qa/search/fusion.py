"""Fusing the dense and lexical legs: reciprocal rank fusion, and the round-robin over plans for questions
that name several."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from qa.search.results import Retrieved
from qa.store import StoredChunk

RRF_K = 60


def fuse(dense: Sequence[StoredChunk], lexical: Sequence[tuple[str, float]], chunks: dict[str, StoredChunk]) -> list[Retrieved]:
    """Reciprocal rank fusion (k=60) of the two legs; a leg that is empty simply does not vote."""
    scores: dict[str, float] = {}
    info: dict[str, dict[str, Any]] = {}
    for rank, chunk in enumerate(dense, start=1):
        scores[chunk.chunk_id] = scores.get(chunk.chunk_id, 0.0) + 1.0 / (RRF_K + rank)
        info.setdefault(chunk.chunk_id, {"chunk": chunk}).update(dense_rank=rank, dense_score=chunk.score)
    for rank, (cid, score) in enumerate(lexical, start=1):
        if cid not in chunks and cid not in info:
            continue
        scores[cid] = scores.get(cid, 0.0) + 1.0 / (RRF_K + rank)
        info.setdefault(cid, {"chunk": chunks.get(cid)}).update(lexical_rank=rank, lexical_score=score)
    ranked = sorted(scores, key=lambda cid: -scores[cid])
    return [Retrieved(score=scores[cid], **info[cid]) for cid in ranked]


def interleave_by_plan(hits: Sequence[Retrieved]) -> list[Retrieved]:
    """Round-robin over plans in the order of their best hit: each plan's 1st, then each plan's 2nd, …

    Used when a question names several plans: a joint ranking lets the plan with more matching clauses fill
    the top ranks, and a cross-plan answer needs each named plan's best clause.
    """
    per_plan: dict[str, list[Retrieved]] = {}
    for hit in hits:
        per_plan.setdefault(hit.doc_id, []).append(hit)
    out: list[Retrieved] = []
    depth = max((len(v) for v in per_plan.values()), default=0)
    for i in range(depth):
        out.extend(v[i] for v in per_plan.values() if i < len(v))
    return out
