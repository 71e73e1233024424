"""``python -m eval fit``: fit the extractive answerer's span model on the calibration splits of every gold set.

Each answerable single-plan item of a calibration split (sample calib, corpus dev) gives one row per candidate
span of its top clauses, labelled 1 when the answer quoting that span would be right (every keyword in it, as
the eval scores answers); an unanswerable item's spans are all 0, so the model's probability of the best span
is also what a refusal is judged on. Logistic regression with an L2 penalty (Newton's method on the penalised
log-likelihood), weights written to ``qa/data/span_model.toml`` with what they were fitted on. The reported
splits (sample test, corpus sealed) never enter.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from eval.check_gold import GOLD_SETS, GoldItem, load_gold
from eval.harness import Harness, rel_path, select_split
from eval.metrics import answer_correct, evidence_forms
from qa.answer.question import PER_PLAN_KINDS
from qa.answer.spans import FEATURES, vector
from qa.normalize import search_form
from qa.settings import Settings

MODEL_PATH = Path(__file__).resolve().parent.parent / "qa" / "data" / "span_model.toml"
L2 = 1.0  # penalty on every weight but the bias: the fitted signals stay moderate where the data say little


def span_rows(answerer: Any, item: GoldItem, standalone: str, result: Any) -> list[tuple[list[float], int]]:
    """(signals, label) for every candidate span the answerer weighs for ``item`` ([] when nothing was
    retrieved). A single-plan answer's span is right when the answer quoting it would be (every keyword in it);
    a per-plan question's (各地…, 分别…) span is right when it holds one of the keywords and comes from one of
    the plans the item is about."""
    ask = answerer.asked(standalone, item.question, result.years)
    if not result.hits or result.uncovered:
        return []
    rows = []
    if ask.kind in PER_PLAN_KINDS or result.plans_apart:
        forms = [evidence_forms([k]) for k in item.keywords]
        for doc, candidates in answerer.plan_candidates(ask, result).items():
            for _, span, _cand, signals in answerer.scored_spans(ask, candidates):
                text = search_form(span.text)
                right = item.answerable and doc in item.docs and any(any(f in text for f in k) for k in forms)
                rows.append((vector(signals), int(right)))
        return rows
    candidates = answerer.candidates(ask, result.hits[: answerer.weights.candidates])
    for _, span, cand, signals in answerer.scored_spans(ask, candidates):
        phrase = answerer._phrase(ask.kind, cand.hit, span.text, 1, multi=False)
        right = item.answerable and answer_correct(phrase, item.keywords, refused=False)
        rows.append((vector(signals), int(right)))
    return rows


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = L2, iterations: int = 100) -> np.ndarray:
    """Weights of a logistic regression of ``y`` on ``x`` (column 0 the unpenalised bias), by Newton's method."""
    w = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], l2)
    penalty[0] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -30, 30)))
        grad = x.T @ (p - y) + penalty * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + np.diag(penalty) + 1e-9 * np.eye(x.shape[1])
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return w


def model_toml(weights: np.ndarray, on: str, stats: dict[str, Any]) -> str:
    lines = [
        "# The extractive answerer's span model (qa/answer/spans.py), written by `python -m eval fit`: logistic",
        "# weights over the span signals, fitted on the calibration splits only. Do not edit by hand: refit.",
        "[weights]",
        *[f"{name} = {value:.4f}" for name, value in zip(FEATURES, weights, strict=True)],
        "",
        "[fit]",
        f'on = "{on}"',
        f'date = "{dt.date.today().isoformat()}"',
        *[f"{key} = {value}" for key, value in stats.items()],
        "",
    ]
    return "\n".join(lines)


def fit_rows(groups: Iterable[list[tuple[list[float], int]]], l2: float = L2) -> tuple[np.ndarray, dict[str, Any]]:
    """Fit on per-item row groups; also how often the top span of an answerable item is a right one."""
    groups = [g for g in groups if g]
    x = np.array([r for g in groups for r, _ in g], dtype=float)
    y = np.array([label for g in groups for _, label in g], dtype=float)
    w = fit_logistic(x, y, l2)
    answerable = [g for g in groups if any(label for _, label in g)]
    top_right = sum(1 for g in answerable if max(g, key=lambda r: float(np.dot(w, r[0])))[1])
    stats = {"items": len(groups), "spans": len(y), "right_spans": int(y.sum()), "answerable_with_a_right_span": len(answerable),
             "top_span_right": top_right, "l2": l2}
    return w, stats


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval fit", description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=MODEL_PATH, help=f"where the model goes (default {rel_path(MODEL_PATH)})")
    parser.add_argument("--l2", type=float, default=L2, help=f"L2 penalty (default {L2})")
    parser.add_argument("--config", type=Path, help="PlanQA TOML settings file")
    args = parser.parse_args(argv)
    settings = Settings.load(config_file=args.config)
    groups, used = [], []
    for name, gold_set in GOLD_SETS.items():
        store = settings.store_path.with_name(f"{settings.store_path.name}-{name}")
        harness = Harness(settings.replace(store_path=store), gold_set.documents)
        harness.prepare()
        assistant = harness.assistant("hybrid")
        items = select_split(load_gold(gold_set.path, name), gold_set.calib_split)
        used.append(f"{name} {gold_set.calib_split} ({len(items)})")
        for item in items:
            standalone = assistant.standalone(item.question, item.previous_questions)
            groups.append(span_rows(assistant.extractive, item, standalone, assistant.retrieve(standalone, item.question)))
    weights, stats = fit_rows(groups, args.l2)
    args.output.write_text(model_toml(weights, " + ".join(used), stats), encoding="utf-8")
    print(f"fitted on {' + '.join(used)}: {stats}")
    print("\n".join(f"  {n:16s} {v:+.3f}" for n, v in zip(FEATURES, weights, strict=True)))
    print(f"written to {rel_path(args.output)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
