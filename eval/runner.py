"""``python -m eval``: score retrieval modes and answerers on the gold set, write reports, check thresholds.

    python -m eval [--set sample|corpus] [--store DIR] [--out eval/reports] [--split test|calib|dev|sealed|all]
                   [--modes hybrid,dense,lexical,naive] [--check-thresholds]
    python -m eval calibrate [--store DIR] [--sets …]     # refusal thresholds from the calibration splits only
    python -m eval check-gold [--set corpus]              # every gold item grounded in its documents
    python -m eval scoreboard                             # one row per gold set and split (the README's table)
    python -m eval fit                                    # the answerer's span model, from the calibration splits only

``--set sample`` (default) is eval/gold.jsonl over the five sample plans, reported on its test split; ``--set
corpus`` is eval/gold_corpus.jsonl over the ten documents of ../shared/corpus, reported on its sealed split,
whose items are never listed one by one (only aggregate and per-category rates). The documents are ingested first (idempotent: unchanged plans are skipped by content hash). Each mode
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
from eval.check_gold import GOLD_SETS, GoldItem, GoldSet, load_gold
from eval.harness import EVAL_DIR, EXTRACTIVE, MODES, Harness, evaluate, rel_path, select_split
from eval.metrics import summarize, threshold_failures
from eval.report import render_summary, write_report
from qa.settings import Settings

DEFAULT_OUT = EVAL_DIR / "reports"
THRESHOLDS_PATH = EVAL_DIR / "thresholds.toml"
SPLITS = ("test", "calib", "dev", "sealed", "all")


def thresholds_path(gold_set: GoldSet) -> Path:
    """eval/thresholds.toml for the sample set, eval/thresholds_<set>.toml for the others."""
    return THRESHOLDS_PATH if gold_set.name == "sample" else EVAL_DIR / f"thresholds_{gold_set.name}.toml"


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", dest="store_path", type=Path, help="Chroma store directory (default: settings, PLANQA_STORE_PATH)")
    parser.add_argument("--config", type=Path, help="PlanQA TOML settings file (PLANQA_CONFIG)")
    parser.add_argument("--set", dest="gold_set", choices=sorted(GOLD_SETS), default="sample", help="gold set: sample (default) or corpus")
    parser.add_argument("--gold", type=Path, help="gold JSONL (default: the set's, eval/gold.jsonl or eval/gold_corpus.jsonl)")
    parser.add_argument("--plans", type=Path, help="documents the gold set refers to (default: the set's, data/plans or ../shared/corpus)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m eval",
        description="Evaluate PlanQA on a gold set. Subcommands: `calibrate` (refusal thresholds on the calib split), `fit` (the span model on the calibration splits), `check-gold`, `scoreboard` (every set and split).",
    )
    _common(parser)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="report folder (default eval/reports)")
    parser.add_argument("--split", choices=SPLITS, help="items reported (default: the set's report split, test or sealed)")
    parser.add_argument("--modes", default=",".join(MODES), help=f"comma-separated retrieval modes (default {','.join(MODES)})")
    parser.add_argument("--calibration", type=Path, default=CALIBRATION_PATH, help="refusal thresholds written by `calibrate`, compared with the settings'")
    parser.add_argument("--thresholds", type=Path, help="minimum/maximum metric values (default eval/thresholds.toml, or eval/thresholds_<set>.toml)")
    parser.add_argument("--check-thresholds", action="store_true", help="exit 1 when a metric is outside eval/thresholds.toml")
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    return parser


def build_calibrate_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m eval calibrate", description="Grid-search the refusal thresholds on the calib split only.")
    _common(parser)
    parser.add_argument("--output", type=Path, default=CALIBRATION_PATH, help="where to write the chosen values (default eval/calibration.toml)")
    parser.add_argument("--sets", default=",".join(GOLD_SETS), help=f"pool the calibration splits of these gold sets (default {','.join(GOLD_SETS)}; '' for --gold's set only)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m eval`` (and later ``planqa eval``). Returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["check-gold"]:
        return check_gold.main(argv[1:])
    if argv[:1] == ["scoreboard"]:
        from eval.scoreboard import main as scoreboard_main

        return scoreboard_main(argv[1:])
    if argv[:1] == ["fit"]:
        from eval.fit import main as fit_main

        return fit_main(argv[1:])
    calibrating = argv[:1] == ["calibrate"]
    args = (build_calibrate_parser() if calibrating else build_parser()).parse_args(argv[1:] if calibrating else argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    gold_set = GOLD_SETS[args.gold_set]
    args.gold, args.plans = args.gold or gold_set.path, args.plans or gold_set.documents
    if not calibrating:
        args.split = args.split or gold_set.report_split
        args.thresholds = args.thresholds or thresholds_path(gold_set)
        if args.split not in (*gold_set.splits, "all"):
            print(f"eval: error: the {gold_set.name} set splits into {' and '.join(gold_set.splits)}; --split {args.split} has no items", file=sys.stderr)
            return 2
    try:
        settings = Settings.load({"store_path": args.store_path}, config_file=args.config)
        if args.store_path is None and gold_set.name != "sample":  # each set's documents in their own store
            settings = settings.replace(store_path=settings.store_path.with_name(f"{settings.store_path.name}-{gold_set.name}"))
        items = load_gold(args.gold, gold_set.name)
        problems = check_gold.check(items, check_gold.load_plans(args.plans), gold_set.check_paths)
        if problems and gold_set.check_paths:
            print(f"the gold set has problems (run `python -m eval check-gold --set {gold_set.name}`):", *problems[:20], sep="\n  ", file=sys.stderr)
            return 2
        if problems:  # its documents are as published: one PlanQA cannot read yet costs only the items about it
            print(f"warning: {len(problems)} gold items are not grounded in what PlanQA reads of the documents "
                  f"(`python -m eval check-gold --set {gold_set.name}`); they are scored as they are", file=sys.stderr)
        if calibrating:
            return calibrate(args, settings, items)
        return run(args, settings, items, gold_set)
    except (ValueError, RuntimeError, ImportError, OSError) as exc:  # configuration and store errors: one clear line
        print(f"eval: error: {exc}", file=sys.stderr)
        return 2


def run(args: argparse.Namespace, settings: Settings, items: list[GoldItem], gold_set: GoldSet = GOLD_SETS["sample"]) -> int:
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
    if gold_set.sealed and args.split in (gold_set.sealed, "all"):  # the sealed split is reported in aggregate only
        records = [r for r in records if r["split"] != gold_set.sealed]
    summary = summarize(outcomes)
    thresholds = load_thresholds(args.thresholds)
    failures = threshold_failures(summary["overall"], thresholds["min"], thresholds["max"]) if thresholds else []
    meta = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "gold": rel_path(args.gold),
        "gold_set": gold_set.name,
        "in_sample": gold_set.in_sample,
        "sealed": gold_set.sealed,
        "calib_split": gold_set.calib_split,
        "split": args.split,
        "split_sizes": _split_sizes(items, gold_set),
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
    meta["structure"] = structure_rows()
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


def structure_rows() -> list[dict[str, Any]]:
    """The parser's structure score per document of ../shared/corpus and per unseen fixture (eval/structure.py)."""
    from eval.structure import UNSEEN, load_expectations, score_file

    try:
        expectations = load_expectations() + load_expectations(UNSEEN)
    except (OSError, StopIteration) as exc:
        print(f"structure scores skipped: {exc}", file=sys.stderr)
        return []
    rows = []
    for expectation in expectations:
        s = score_file(expectation)
        rows.append({"document": s.name, "expected": s.expected, "parsed": s.parsed, "right": s.matched, "share": round(s.share, 3),
                     "metadata_right": sorted(k for k, ok in s.metadata_right.items() if ok)})
    return rows


def _split_sizes(items: Sequence[GoldItem], gold_set: GoldSet) -> dict[str, dict[str, int]]:
    sizes: dict[str, dict[str, int]] = {}
    for split in gold_set.splits:
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

