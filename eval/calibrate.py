"""``python -m eval calibrate``: grid-search the refusal thresholds on the calib split only, write calibration.toml.

Also reads that file back: ``read_calibration`` (a test keeps the settings' defaults equal to it) and
``describe_calibration`` (the line every eval report gives about where its thresholds came from).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tomllib
from pathlib import Path
from typing import Any

from eval.check_gold import GOLD_SETS, GoldItem
from eval.harness import EVAL_DIR, Harness, rel_path, select_split
from eval.metrics import score_answer
from qa.settings import Settings

CALIBRATION_PATH = EVAL_DIR / "calibration.toml"
# Refusal thresholds searched by `calibrate` (both are shares in 0..1).
COVERAGE_GRID = tuple(round(0.05 * i, 2) for i in range(0, 19))
CONFIDENCE_GRID = tuple(round(0.05 * i, 2) for i in range(0, 19))


def read_calibration(path: Path) -> tuple[float, float, dict[str, Any]]:
    """(refusal_min_coverage, refusal_min_confidence, the [calib] table) written by ``calibrate``."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return float(data["refusal_min_coverage"]), float(data["refusal_min_confidence"]), dict(data.get("calib", {}))
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{path}: not a calibration file ({exc}); rerun `python -m eval calibrate`") from exc


def describe_calibration(settings: Settings, path: Path | None) -> str:
    """Where the refusal thresholds the eval runs with (the settings', as users get them) came from.

    The eval never swaps in other values: it measures what the app and CLI do. ``calibrate`` chooses the
    values on the calib split; the settings' defaults carry them (a test keeps the two equal).
    """
    used = f"refusal thresholds min_coverage={settings.refusal_min_coverage:g}, min_confidence={settings.refusal_min_confidence:g} (the settings')"
    if path is None or not path.is_file():
        return used + "; not calibrated by this eval (run `python -m eval calibrate`)"
    coverage, confidence, calib = read_calibration(path)
    if (coverage, confidence) == (settings.refusal_min_coverage, settings.refusal_min_confidence):
        return used + f", as calibrated on the calib split only ({calib.get('items', '?')} items, {calib.get('date', '?')}, {rel_path(path)})"
    return used + f"; NOTE {rel_path(path)} chose min_coverage={coverage:g}, min_confidence={confidence:g} on the calib split: update the settings"


def calibrate(args: argparse.Namespace, settings: Settings, items: list[GoldItem]) -> int:
    """Grid-search refusal_min_coverage × refusal_min_confidence on the calib split; write and print the choice.

    Objective: (unanswerable items refused) - 2 × (answerable items refused), ties broken by answer accuracy,
    then by closeness to the current settings. Retrieval runs once per item; only the answerer is re-run.
    """
    from tqdm import tqdm

    from qa.answer.extractive import RefusalPolicy

    calib = select_split(items, GOLD_SETS[items[0].gold_set].calib_split if items else "calib")
    harness = Harness(settings, args.plans)
    harness.prepare()
    assistant = harness.assistant("hybrid")
    searched = []
    for item in tqdm(calib, desc="retrieve (calib)", unit="item", file=sys.stderr, dynamic_ncols=True):
        standalone = assistant.standalone(item.question, item.previous_questions)
        searched.append((item, standalone, assistant.search(standalone)))
    grid = [(cov, conf) for cov in COVERAGE_GRID for conf in CONFIDENCE_GRID]
    scores: list[tuple[tuple[float, ...], float, float, dict[str, int]]] = []
    for cov, conf in tqdm(grid, desc="grid", unit="policy", file=sys.stderr, dynamic_ncols=True):
        policy = RefusalPolicy(min_coverage=cov, min_coverage_figure=settings.refusal_min_coverage_figure, min_confidence=conf)
        answerer = assistant.extractive.with_policy(policy)
        counts = {"unanswerable_refused": 0, "answerable_refused": 0, "correct": 0}
        for item, standalone, result in searched:
            answer = answerer.answer(standalone, result, asked=item.question)
            if not item.answerable:
                counts["unanswerable_refused"] += int(answer.refused)
            elif answer.refused:
                counts["answerable_refused"] += 1
            else:
                counts["correct"] += int(score_answer(answer.text, False, [], True, item.evidence, item.docs, item.keywords, 0.0).correct)
        objective = counts["unanswerable_refused"] - 2 * counts["answerable_refused"]
        distance = abs(cov - settings.refusal_min_coverage) + abs(conf - settings.refusal_min_confidence)
        scores.append(((objective, counts["correct"], -distance), cov, conf, counts))
    scores.sort(key=lambda s: s[0], reverse=True)
    key, coverage, confidence, counts = scores[0]
    n_una = sum(1 for i in calib if not i.answerable)
    n_ans = len(calib) - n_una
    today = dt.date.today().isoformat()
    text = "\n".join([
        "# Refusal thresholds chosen by `python -m eval calibrate` on the calib split ONLY (about 40% of",
        "# eval/gold.jsonl, chosen by a hash of the id); the reported test split never influenced them.",
        "# Objective: (unanswerable refused) - 2 x (answerable refused), ties broken by answer accuracy, then by",
        "# closeness to the settings' values. Copy them into the refusal_min_coverage / refusal_min_confidence",
        "# defaults of qa/settings.py: the app, the CLI and `python -m eval` all use the settings (a test checks they agree).",
        f"refusal_min_coverage = {coverage}",
        f"refusal_min_confidence = {confidence}",
        "",
        "[calib]",
        f'date = "{today}"',
        f"items = {len(calib)}",
        f"answerable = {n_ans}",
        f"unanswerable = {n_una}",
        f"unanswerable_refused = {counts['unanswerable_refused']}",
        f"answerable_refused = {counts['answerable_refused']}",
        f"answer_correct = {counts['correct']}",
        f"objective = {key[0]}",
        f'grid = "coverage {COVERAGE_GRID[0]}..{COVERAGE_GRID[-1]} x confidence {CONFIDENCE_GRID[0]}..{CONFIDENCE_GRID[-1]}, step 0.05"',
        f"previous_coverage = {settings.refusal_min_coverage}",
        f"previous_confidence = {settings.refusal_min_confidence}",
        "",
    ])
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"calib split: {len(calib)} items ({n_ans} answerable, {n_una} unanswerable); {len(grid)} policies tried")
    print(f"refusal_min_coverage = {coverage}\nrefusal_min_confidence = {confidence}")
    print(f"on calib: unanswerable refused {counts['unanswerable_refused']}/{n_una}, answerable refused {counts['answerable_refused']}/{n_ans}, "
          f"answers correct {counts['correct']}/{n_ans}")
    print("best policies (objective, correct answers): " + "; ".join(
        f"cov {c:g} conf {f:g} -> {k[0]:g}, {k[1]}" for k, c, f, _ in scores[:6]))
    print(f"written to {rel_path(args.output)}")
    return 0
