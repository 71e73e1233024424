"""Eval metrics: pure functions of retrieved texts, answers and gold fields (no I/O, no store, no model).

Matching is always on :func:`qa.normalize.search_form` of both sides, the form evidence is checked in by
``eval/check_gold.py``: a traditional clause matches simplified evidence, spacing and width do not matter.

- Retrieval: the rank of the first retrieved clause holding any evidence string (0 = none in the list);
  hit@k = share of answerable items with that rank in 1..k; MRR = mean of 1/rank (0 when missed). For a
  cross-document item, evidence of any gold doc counts.
- Answers (answerable items): correct = not refused and every keyword in the answer text. Citation
  precision = cited clauses holding evidence / cited clauses (items with citations); recall = gold docs
  covered by a cited clause of that doc holding evidence / gold docs (every answerable item; a refusal covers 0).
- Refusals: unanswerable items refused (higher is better); answerable items refused (lower is better).
- Latency: p50/p95 in ms.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from qa.normalize import search_form

HIT_KS = (1, 3, 5, 10)


def evidence_forms(evidence: Iterable[str]) -> list[str]:
    """Search forms of the evidence strings, empty ones dropped."""
    return [form for form in (search_form(e) for e in evidence) if form]


def holds_evidence(text: str, forms: Sequence[str]) -> bool:
    """Whether ``text`` contains any evidence string (``forms`` already in search form)."""
    norm = search_form(text)
    return any(form in norm for form in forms)


def first_hit_rank(texts: Sequence[str], evidence: Sequence[str]) -> int:
    """1-based rank of the first text holding any evidence string; 0 when none does (or there is no evidence)."""
    forms = evidence_forms(evidence)
    if not forms:
        return 0
    for rank, text in enumerate(texts, start=1):
        if holds_evidence(text, forms):
            return rank
    return 0


def retrieval_summary(ranks: Sequence[int], ks: Sequence[int] = HIT_KS) -> dict[str, Any]:
    """hit@k for each k and MRR over first-hit ranks (0 = missed). Values are None when there are no items."""
    n = len(ranks)
    out: dict[str, Any] = {"n": n}
    for k in ks:
        out[f"hit@{k}"] = _ratio(sum(1 for r in ranks if 0 < r <= k), n)
    out["mrr"] = _ratio(sum(1.0 / r for r in ranks if r > 0), n)
    return out


def answer_correct(text: str, keywords: Sequence[str], refused: bool) -> bool:
    """An answer is correct when it is not a refusal and every keyword occurs in its text."""
    if refused:
        return False
    forms = evidence_forms(keywords)
    norm = search_form(text)
    return bool(forms) and all(form in norm for form in forms)


@dataclass(frozen=True)
class CitationScore:
    precision: float | None  # None when nothing was cited
    recall: float


def citation_scores(cited: Sequence[tuple[str, str]], evidence: Sequence[str], docs: Sequence[str]) -> CitationScore:
    """Precision and recall of cited clauses, given as (doc_id, clause text), against the gold evidence and docs."""
    forms = evidence_forms(evidence)
    holding = [(doc_id, holds_evidence(text, forms)) for doc_id, text in cited]
    precision = _ratio(sum(1 for _, ok in holding if ok), len(holding))
    covered = {doc_id for doc_id, ok in holding if ok and doc_id in docs}
    recall = len(covered) / len(set(docs)) if docs else 0.0
    return CitationScore(precision, recall)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0..100) with linear interpolation (numpy's default); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


@dataclass(frozen=True)
class AnswerOutcome:
    """How one answerer did on one item."""

    refused: bool
    correct: bool = False  # answerable items only
    precision: float | None = None
    recall: float = 0.0
    latency_ms: float = 0.0


@dataclass(frozen=True)
class ItemOutcome:
    """One gold item's scores: first-hit rank per retrieval mode, and the outcome per answerer."""

    id: str
    category: str
    answerable: bool
    ranks: dict[str, int] = field(default_factory=dict)
    search_ms: dict[str, float] = field(default_factory=dict)
    answers: dict[str, AnswerOutcome] = field(default_factory=dict)


def score_answer(
    text: str, refused: bool, cited: Sequence[tuple[str, str]], answerable: bool,
    evidence: Sequence[str], docs: Sequence[str], keywords: Sequence[str], latency_ms: float,
) -> AnswerOutcome:
    """The outcome of one answer; unanswerable items are only scored on whether they were refused."""
    if not answerable:
        return AnswerOutcome(refused=refused, latency_ms=latency_ms)
    cs = citation_scores(cited, evidence, docs)
    return AnswerOutcome(refused, answer_correct(text, keywords, refused), cs.precision, cs.recall, latency_ms)


def answer_summary(outcomes: Sequence[tuple[bool, AnswerOutcome]]) -> dict[str, Any]:
    """Answer metrics over (answerable, outcome) pairs; rates are None when their denominator is empty."""
    answerable = [o for a, o in outcomes if a]
    unanswerable = [o for a, o in outcomes if not a]
    precisions = [o.precision for o in answerable if o.precision is not None]
    latencies = [o.latency_ms for _, o in outcomes]
    return {
        "n_answerable": len(answerable),
        "n_unanswerable": len(unanswerable),
        "accuracy": _ratio(sum(1 for o in answerable if o.correct), len(answerable)),
        "citation_precision": _ratio(sum(precisions), len(precisions)),
        "citation_recall": _ratio(sum(o.recall for o in answerable), len(answerable)),
        "unanswerable_refused": _ratio(sum(1 for o in unanswerable if o.refused), len(unanswerable)),
        "answerable_refused": _ratio(sum(1 for o in answerable if o.refused), len(answerable)),
        "latency_p50_ms": _round(percentile(latencies, 50)),
        "latency_p95_ms": _round(percentile(latencies, 95)),
    }


def summarize(outcomes: Sequence[ItemOutcome]) -> dict[str, Any]:
    """Every metric overall and per category: ``{"n", "retrieval": {mode: …}, "answer": {answerer: …}}``."""
    return {
        "overall": _summary(outcomes),
        "categories": {cat: _summary([o for o in outcomes if o.category == cat]) for cat in dict.fromkeys(o.category for o in outcomes)},
    }


def _summary(outcomes: Sequence[ItemOutcome]) -> dict[str, Any]:
    modes = list(dict.fromkeys(m for o in outcomes for m in o.ranks))
    answerers = list(dict.fromkeys(a for o in outcomes for a in o.answers))
    retrieval = {}
    for mode in modes:
        scored = [o for o in outcomes if o.answerable and mode in o.ranks]
        summary = retrieval_summary([o.ranks[mode] for o in scored])
        latencies = [o.search_ms[mode] for o in outcomes if mode in o.search_ms]
        summary["latency_p50_ms"] = _round(percentile(latencies, 50))
        retrieval[mode] = summary
    answers = {name: answer_summary([(o.answerable, o.answers[name]) for o in outcomes if name in o.answers]) for name in answerers}
    return {
        "n": len(outcomes),
        "n_answerable": sum(1 for o in outcomes if o.answerable),
        "retrieval": retrieval,
        "answer": answers,
    }


def lookup(summary: dict[str, Any], dotted: str) -> Any:
    """A value of a summary by dotted path (``retrieval.hybrid.hit@5``); None when absent."""
    node: Any = summary
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def threshold_failures(summary: dict[str, Any], minimum: dict[str, float], maximum: dict[str, float]) -> list[str]:
    """Each metric below its minimum or above its maximum, as ``name = value < min``; a missing metric fails too."""
    failures = []
    for name, bound in minimum.items():
        value = lookup(summary, name)
        if value is None:
            failures.append(f"{name}: not measured (minimum {bound})")
        elif value < bound:
            failures.append(f"{name} = {value:.3f} < minimum {bound}")
    for name, bound in maximum.items():
        value = lookup(summary, name)
        if value is None:
            failures.append(f"{name}: not measured (maximum {bound})")
        elif value > bound:
            failures.append(f"{name} = {value:.3f} > maximum {bound}")
    return failures


def _ratio(num: float, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
