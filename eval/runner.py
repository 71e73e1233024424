"""``python -m eval``: score retrieval modes and answerers on the gold set, write reports, check thresholds.

    python -m eval [--store DIR] [--gold eval/gold.jsonl] [--out eval/reports] [--split test|calib|all]
                   [--modes hybrid,dense,lexical,naive] [--check-thresholds]
    python -m eval calibrate [--store DIR] [--gold …]     # refusal thresholds from the calib split only
    python -m eval check-gold                             # every gold item grounded in the plans

The sample plans are ingested first (idempotent: unchanged plans are skipped by content hash). Each mode
retrieves for every item; the hybrid mode also answers through ``Assistant.ask`` (the entry point the chat,
CLI and API use), so answers, citations, refusals and latency are measured as users see them.

This module is the command line only: the pass over the items is ``eval.harness``, the threshold search
``eval.calibrate``, the Markdown, JSON and plots ``eval.report``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import time
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval import check_gold
from eval.calibrate import CALIBRATION_PATH, calibrate, describe_calibration
from eval.check_gold import GoldItem, load_gold
from eval.harness import EVAL_DIR, EXTRACTIVE, MODES, Harness, evaluate, rel_path, select_split
from eval.metrics import summarize, threshold_failures
from eval.report import render_summary, write_report
from qa.settings import Settings

DEFAULT_OUT = EVAL_DIR / "reports"
THRESHOLDS_PATH = EVAL_DIR / "thresholds.toml"


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", dest="store_path", type=Path, help="Chroma store directory (default: settings, PLANQA_STORE_PATH)")
    parser.add_argument("--config", type=Path, help="PlanQA TOML settings file (PLANQA_CONFIG)")
    parser.add_argument("--gold", type=Path, default=check_gold.GOLD_PATH, help="gold JSONL (default eval/gold.jsonl)")
    parser.add_argument("--plans", type=Path, default=check_gold.PLANS_DIR, help="plans the gold set refers to (default data/plans)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m eval",
        description="Evaluate PlanQA on the gold set. Subcommands: `calibrate` (refusal thresholds on the calib split), `check-gold`.",
    )
    _common(parser)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="report folder (default eval/reports)")
    parser.add_argument("--split", choices=["test", "calib", "all"], default="test", help="items reported (default test: calib is for calibration)")
    parser.add_argument("--modes", default=",".join(MODES), help=f"comma-separated retrieval modes (default {','.join(MODES)})")
    parser.add_argument("--calibration", type=Path, default=CALIBRATION_PATH, help="refusal thresholds written by `calibrate`, compared with the settings'")
    parser.add_argument("--thresholds", type=Path, default=THRESHOLDS_PATH, help="minimum/maximum metric values (default eval/thresholds.toml)")
    parser.add_argument("--check-thresholds", action="store_true", help="exit 1 when a metric is outside eval/thresholds.toml")
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    return parser


def build_calibrate_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m eval calibrate", description="Grid-search the refusal thresholds on the calib split only.")
    _common(parser)
    parser.add_argument("--output", type=Path, default=CALIBRATION_PATH, help="where to write the chosen values (default eval/calibration.toml)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m eval`` (and later ``planqa eval``). Returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["check-gold"]:
        return check_gold.main(argv[1:])
    calibrating = argv[:1] == ["calibrate"]
    args = (build_calibrate_parser() if calibrating else build_parser()).parse_args(argv[1:] if calibrating else argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.load({"store_path": args.store_path}, config_file=args.config)
        items = load_gold(args.gold)
        problems = check_gold.check(items, check_gold.load_plans(args.plans))
        if problems:
            print("the gold set has problems (run `python -m eval check-gold`):", *problems[:20], sep="\n  ", file=sys.stderr)
            return 2
        if calibrating:
            return calibrate(args, settings, items)
        return run(args, settings, items)
    except (ValueError, RuntimeError, ImportError, OSError) as exc:  # configuration and store errors: one clear line
        print(f"eval: error: {exc}", file=sys.stderr)
        return 2


def run(args: argparse.Namespace, settings: Settings, items: list[GoldItem]) -> int:
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = [m for m in modes if m not in MODES]
    if unknown or not modes:
        raise ValueError(f"--modes: unknown {', '.join(unknown) or '(none)'}; choose from {', '.join(MODES)}")
    calibration_note = describe_calibration(settings, args.calibration)
    selected = select_split(items, args.split)
    harness = Harness(settings, args.plans)
    harness.prepare()
    started = time.perf_counter()
    outcomes, records, answerer_notes = evaluate(selected, harness, modes)
    summary = summarize(outcomes)
    thresholds = load_thresholds(args.thresholds)
    failures = threshold_failures(summary["overall"], thresholds["min"], thresholds["max"]) if thresholds else []
    meta = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "gold": rel_path(args.gold),
        "split": args.split,
        "split_sizes": _split_sizes(items),
        "reported": {"items": len(selected), "answerable": sum(1 for i in selected if i.answerable), "unanswerable": sum(1 for i in selected if not i.answerable)},
        "modes": modes,
        "store": str(settings.store_path) if settings.chroma_mode == "embedded" else f"{settings.chroma_host}:{settings.chroma_port}",
        "embedder": harness.embeddings.model_id,
        "top_k": settings.top_k,
        "refusal_min_coverage": settings.refusal_min_coverage,
        "refusal_min_confidence": settings.refusal_min_confidence,
        "calibration": calibration_note,
        "answerers": {EXTRACTIVE: harness.assistant("hybrid").answerer_name, **answerer_notes} if "hybrid" in modes else {},
        "notes": harness.notes,
        "seconds": round(time.perf_counter() - started, 1),
        "thresholds_file": rel_path(args.thresholds) if thresholds else None,
        "thresholds_split": thresholds.get("split") if thresholds else None,
    }
    written = write_report(args.out, meta, summary, records, modes, thresholds, failures, plots=not args.no_plots)
    print(render_summary(meta, summary, modes))
    print("\nreports: " + ", ".join(rel_path(p) for p in written))
    if args.check_thresholds:
        if not thresholds:
            print(f"--check-thresholds: no thresholds file at {args.thresholds}", file=sys.stderr)
            return 2
        if thresholds.get("split") and thresholds["split"] != args.split:
            print(f"note: thresholds were set on the {thresholds['split']} split; this run reports {args.split}", file=sys.stderr)
        if failures:
            print("metrics below their thresholds:", *failures, sep="\n  ", file=sys.stderr)
            return 1
        print(f"all {len(thresholds['min']) + len(thresholds['max'])} thresholds met")
    return 0


def _split_sizes(items: Sequence[GoldItem]) -> dict[str, dict[str, int]]:
    sizes: dict[str, dict[str, int]] = {}
    for split in ("calib", "test"):
        chosen = [i for i in items if i.split == split]
        sizes[split] = {"items": len(chosen), "answerable": sum(1 for i in chosen if i.answerable), "unanswerable": sum(1 for i in chosen if not i.answerable)}
    return sizes


def load_thresholds(path: Path) -> dict[str, Any]:
    """``{"split", "min": {metric: value}, "max": {metric: value}}`` from the TOML file, or {} when there is none."""
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: invalid TOML ({exc})") from exc
    return {"split": data.get("split", ""), "min": dict(data.get("min", {})), "max": dict(data.get("max", {}))}

