"""``python -m eval calibrate``: grid-search the refusal thresholds on the calib split only, write calibration.toml.

Also reads that file back: ``read_calibration`` (a test keeps the settings' defaults equal to it) and
``describe_calibration`` (the line every eval report gives about where its thresholds came from).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.check_gold import GOLD_SETS, GoldItem, load_gold
from eval.harness import EVAL_DIR, Harness, rel_path, select_split
from eval.metrics import score_answer
from qa.settings import Settings

CALIBRATION_PATH = EVAL_DIR / "calibration.toml"
# Refusal thresholds searched by `calibrate` (both are shares in 0..1).
NEAR_MISS_GRID = tuple(round(0.1 * i, 1) for i in range(0, 10))
CONFIDENCE_GRID = tuple(round(0.05 * i, 2) for i in range(0, 19))


def read_calibration(path: Path) -> tuple[float, float, dict[str, Any]]:
    """(refusal_min_confidence, refusal_min_confidence_near_miss, the [calib] table) written by ``calibrate``."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return float(data["refusal_min_confidence"]), float(data["refusal_min_confidence_near_miss"]), dict(data.get("calib", {}))
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{path}: not a calibration file ({exc}); rerun `python -m eval calibrate`") from exc


def describe_calibration(settings: Settings, path: Path | None) -> str:
    """Where the refusal thresholds the eval runs with (the settings', as users get them) came from.

    The eval never swaps in other values: it measures what the app and CLI do. ``calibrate`` chooses the
    values on the calib split; the settings' defaults carry them (a test keeps the two equal).
    """
    used = f"refusal thresholds min_confidence={settings.refusal_min_confidence:g}, min_confidence_near_miss={settings.refusal_min_confidence_near_miss:g} (the settings')"
    if path is None or not path.is_file():
        return used + "; not calibrated by this eval (run `python -m eval calibrate`)"
    confidence, near, calib = read_calibration(path)
    if (confidence, near) == (settings.refusal_min_confidence, settings.refusal_min_confidence_near_miss):
        return used + f", as calibrated on the calibration splits only ({calib.get('splits') or 'sample calib'}: {calib.get('items', '?')} items, {calib.get('date', '?')}, {rel_path(path)})"
    return used + f"; NOTE {rel_path(path)} chose min_confidence={confidence:g}, min_confidence_near_miss={near:g} on the calib split: update the settings"


def calibrate(args: argparse.Namespace, settings: Settings, items: list[GoldItem]) -> int:
    """Grid-search refusal_min_confidence × refusal_min_confidence_near_miss on the calibration splits; write and print the choice.

    With ``--sets`` (default: every gold set) the calibration splits of all of them are pooled, each set's
    documents in a store of their own; otherwise the given gold file's calibration split. Objective: (unanswerable
    items refused) - 2 × (answerable items refused), ties broken by answer accuracy, then by closeness to the
    current settings. Retrieval runs once per item; only the answerer is re-run. Also prints a reliability table
    (confidence bucket → share answered right) of the chosen policy.
    """
    from tqdm import tqdm

    pools: list[tuple[str, list[GoldItem], Harness]] = []
    names = [s.strip() for s in (args.sets or "").split(",") if s.strip()]
    if names:
        for name in names:
            if name not in GOLD_SETS:
                raise ValueError(f"--sets: unknown gold set {name!r}; choose from {', '.join(GOLD_SETS)}")
            gold_set = GOLD_SETS[name]
            store = settings.store_path.with_name(f"{settings.store_path.name}-{name}")  # as the scoreboard and `fit` name them
            pools.append((name, select_split(load_gold(gold_set.path, name), gold_set.calib_split), Harness(settings.replace(store_path=store), gold_set.documents)))
    else:
        name = items[0].gold_set if items else "sample"
        pools.append((name, select_split(items, GOLD_SETS[name].calib_split), Harness(settings, args.plans)))
    searched = []
    for name, calib, harness in pools:
        harness.prepare()
        assistant = harness.assistant("hybrid")
        for item in tqdm(calib, desc=f"retrieve ({name} {GOLD_SETS[name].calib_split})", unit="item", file=sys.stderr, dynamic_ncols=True):
            standalone = assistant.standalone(item.question, item.previous_questions)
            searched.append((item, standalone, assistant.retrieve(standalone, item.question), assistant.extractive))
    grid = [(near, conf) for near in NEAR_MISS_GRID for conf in CONFIDENCE_GRID]
    # The answer (and its confidence) does not depend on the confidence threshold, only whether it is given:
    # answer once per near-miss threshold, then refuse what falls below each confidence threshold.
    at_near = {near: _answers(searched, settings, near, 0.0) for near in tqdm(NEAR_MISS_GRID, desc="answer", unit="threshold", file=sys.stderr, dynamic_ncols=True)}
    scores: list[tuple[tuple[float, ...], float, float, dict[str, int]]] = []
    for near, conf in grid:
        counts = _counts(_thresholded(at_near[near], conf))
        objective = counts["unanswerable_refused"] - 2 * counts["answerable_refused"]
        distance = abs(near - settings.refusal_min_confidence_near_miss) + abs(conf - settings.refusal_min_confidence)
        scores.append(((objective, counts["correct"], -distance), near, conf, counts))
    scores.sort(key=lambda s: s[0], reverse=True)
    key, near, confidence, counts = scores[0]
    n_una = sum(1 for entry in searched if not entry[0].answerable)
    n_ans = len(searched) - n_una
    splits = ", ".join(f"{name} {GOLD_SETS[name].calib_split} ({len(calib)})" for name, calib, _ in pools)
    reliability = reliability_table(_thresholded(at_near[near], confidence))
    today = dt.date.today().isoformat()
    text = "\n".join([
        f"# Refusal thresholds chosen by `python -m eval calibrate` on the calibration splits ONLY: {splits},",
        "# each chosen by a hash of the id; the reported splits (sample test, corpus sealed) never influenced them.",
        "# Objective: (unanswerable refused) - 2 x (answerable refused), ties broken by answer accuracy, then by",
        "# closeness to the settings' values. Copy them into the refusal_min_confidence / refusal_min_confidence_near_miss",
        "# defaults of qa/settings.py: the app, the CLI and `python -m eval` all use the settings (a test checks they agree).",
        f"refusal_min_confidence = {confidence}",
        f"refusal_min_confidence_near_miss = {near}",
        "",
        "[calib]",
        f'date = "{today}"',
        f'splits = "{splits}"',
        f"items = {len(searched)}",
        f"answerable = {n_ans}",
        f"unanswerable = {n_una}",
        f"unanswerable_refused = {counts['unanswerable_refused']}",
        f"answerable_refused = {counts['answerable_refused']}",
        f"answer_correct = {counts['correct']}",
        f"objective = {key[0]}",
        f'grid = "near miss {NEAR_MISS_GRID[0]}..{NEAR_MISS_GRID[-1]} step 0.1 x confidence {CONFIDENCE_GRID[0]}..{CONFIDENCE_GRID[-1]} step 0.05"',
        f"previous_near_miss = {settings.refusal_min_confidence_near_miss}",
        f"previous_confidence = {settings.refusal_min_confidence}",
        "",
        "# Reliability of the chosen policy on these items: confidence bucket -> items, share answered right",
        "# (answerable: not refused and every keyword quoted; unanswerable: refused).",
        *[f"# {line}" for line in reliability.splitlines()],
        "",
    ])
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"calibration splits: {splits}: {len(searched)} items ({n_ans} answerable, {n_una} unanswerable); {len(grid)} policies tried")
    print(f"refusal_min_confidence = {confidence}\nrefusal_min_confidence_near_miss = {near}")
    print(f"on them: unanswerable refused {counts['unanswerable_refused']}/{n_una}, answerable refused {counts['answerable_refused']}/{n_ans}, "
          f"answers correct {counts['correct']}/{n_ans}")
    print("best policies (objective, correct answers): " + "; ".join(
        f"near miss {c:g} conf {f:g} -> {k[0]:g}, {k[1]}" for k, c, f, _ in scores[:6]))
    print("\nreliability (chosen policy):\n" + reliability)
    print(f"written to {rel_path(args.output)}")
    return 0


def _answers(searched: list, settings: Settings, near_miss: float, confidence: float) -> list[tuple[GoldItem, Any, bool]]:
    """(item, answer, right) for every searched item under one refusal policy."""
    from qa.answer.extractive import RefusalPolicy

    policy = RefusalPolicy(
        min_coverage=settings.refusal_min_coverage, min_coverage_figure=settings.refusal_min_coverage_figure,
        min_confidence=confidence, min_confidence_near_miss=near_miss,
    )
    out = []
    for item, standalone, result, extractive in searched:
        answer = extractive.with_policy(policy).answer(standalone, result, asked=item.question)
        if not item.answerable:
            right = answer.refused
        else:
            right = not answer.refused and score_answer(answer.text, False, [], True, item.evidence, item.docs, item.keywords, 0.0).correct
        out.append((item, answer, right))
    return out


@dataclass(frozen=True)
class _Decision:
    """An answer as a threshold leaves it: refused or not, with its confidence."""

    refused: bool
    confidence: float


def _thresholded(answers: list[tuple[GoldItem, Any, bool]], confidence: float) -> list[tuple[GoldItem, Any, bool]]:
    """``answers`` (given at threshold 0) with those below ``confidence`` refused."""
    out = []
    for item, answer, right in answers:
        refused = answer.refused or float(answer.confidence or 0.0) < confidence
        out.append((item, _Decision(refused, float(answer.confidence or 0.0)), (not item.answerable) if refused else (right and item.answerable)))
    return out


def _counts(answers: list[tuple[GoldItem, Any, bool]]) -> dict[str, int]:
    return {
        "unanswerable_refused": sum(1 for item, answer, _ in answers if not item.answerable and answer.refused),
        "answerable_refused": sum(1 for item, answer, _ in answers if item.answerable and answer.refused),
        "correct": sum(1 for item, _, right in answers if item.answerable and right),
    }


RELIABILITY_BUCKETS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.01)


def reliability_table(answers: list[tuple[GoldItem, Any, bool]]) -> str:
    """Markdown: per confidence bucket, how many answers (and refusals) fell in it and the share that were right."""
    rows = ["| confidence | answered | right | refused | right |", "|---|---:|---:|---:|---:|"]
    for low, high in zip(RELIABILITY_BUCKETS, RELIABILITY_BUCKETS[1:], strict=False):
        chosen = [(a, right) for _, a, right in answers if low <= float(a.confidence or 0.0) < high]
        answered = [right for a, right in chosen if not a.refused]
        refused = [right for a, right in chosen if a.refused]
        share = lambda values: f"{sum(values) / len(values):.2f}" if values else "–"  # noqa: E731
        rows.append(f"| {low:.1f}–{min(high, 1.0):.1f} | {len(answered)} | {share(answered)} | {len(refused)} | {share(refused)} |")
    return "\n".join(rows)
