"""``python -m eval scoreboard``: one row per gold set and split, the table the README quotes.

Each set's documents are ingested into a store of their own (``<store>-<set>`` beside the settings' store, or
under ``--store-dir``); every item is retrieved (hybrid) and answered (extractive) once, and the rows are
summaries of the items of each split. Sealed splits give their aggregate only: nothing per item is printed or
written for them. Written to ``eval/reports/scoreboard.md`` and ``scoreboard.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.check_gold import GOLD_SETS, GoldSet, check, load_gold, load_plans
from eval.harness import EVAL_DIR, EXTRACTIVE, Harness, evaluate, rel_path
from eval.metrics import summarize
from qa.settings import Settings

COLUMNS = (
    ("hit@5", "retrieval.hybrid.hit@5"),
    ("MRR", "retrieval.hybrid.mrr"),
    ("answer accuracy", f"answer.{EXTRACTIVE}.accuracy"),
    ("answerable wrongly refused ↓", f"answer.{EXTRACTIVE}.answerable_refused"),
    ("unanswerable refused ↑", f"answer.{EXTRACTIVE}.unanswerable_refused"),
    ("citation precision", f"answer.{EXTRACTIVE}.citation_precision"),
)


def split_role(gold_set: GoldSet, split: str) -> str:
    """What a split is for, as the table says it."""
    if split == gold_set.sealed:
        return "sealed: held out, aggregate only"
    if split == gold_set.calib_split:
        return "calibration; failures read"
    return "reported" + (f"; in-sample ({gold_set.in_sample})" if gold_set.in_sample else "")


def score_set(gold_set: GoldSet, settings: Settings) -> list[dict[str, Any]]:
    """One row per split of ``gold_set``: the item counts and the metrics of :data:`COLUMNS`."""
    from eval.metrics import lookup

    items = load_gold(gold_set.path, gold_set.name)
    problems = check(items, load_plans(gold_set.documents), gold_set.check_paths)
    if problems and gold_set.check_paths:
        raise ValueError(f"gold set {gold_set.name} has problems; run `python -m eval check-gold --set {gold_set.name}`")
    harness = Harness(settings, gold_set.documents)
    harness.prepare()
    outcomes, _, _ = evaluate(items, harness, ["hybrid"])
    by_id = {i.id: i for i in items}
    rows = []
    for split in gold_set.splits:
        chosen = [o for o in outcomes if by_id[o.id].split == split]
        overall = summarize(chosen)["overall"]
        rows.append({
            "set": gold_set.name, "split": split, "role": split_role(gold_set, split), "items": len(chosen),
            "unanswerable": sum(1 for o in chosen if not o.answerable), "ungrounded": len({p.split(" ")[0] for p in problems} & {o.id for o in chosen}),
            **{name: lookup(overall, path) for name, path in COLUMNS},
        })
    return rows


def table(rows: Sequence[dict[str, Any]]) -> str:
    head = ["gold set", "split", "items (unanswerable)", *[name for name, _ in COLUMNS], "role"]
    lines = ["| " + " | ".join(head) + " |", "|---|---|---:|" + "---:|" * len(COLUMNS) + "---|"]
    for r in rows:
        cells = [r["set"], r["split"], f"{r['items']} ({r['unanswerable']})"]
        cells += ["–" if r[name] is None else f"{r[name]:.3f}" for name, _ in COLUMNS]
        lines.append("| " + " | ".join(cells + [r["role"]]) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval scoreboard", description="One row per gold set and split (hybrid retrieval, extractive answers).")
    parser.add_argument("--store-dir", type=Path, help="folder for one store per gold set (default: beside the settings' store)")
    parser.add_argument("--sets", default=",".join(GOLD_SETS), help=f"comma-separated gold sets (default {','.join(GOLD_SETS)})")
    parser.add_argument("--out", type=Path, default=EVAL_DIR / "reports", help="where scoreboard.md and .json go (default eval/reports)")
    parser.add_argument("--config", type=Path, help="PlanQA TOML settings file")
    args = parser.parse_args(argv)
    base = Settings.load(config_file=args.config)
    rows: list[dict[str, Any]] = []
    try:
        for name in [s.strip() for s in args.sets.split(",") if s.strip()]:
            if name not in GOLD_SETS:
                raise ValueError(f"--sets: unknown gold set {name!r}; choose from {', '.join(GOLD_SETS)}")
            folder = args.store_dir or base.store_path.parent
            settings = base.replace(store_path=folder / f"{base.store_path.name}-{name}")
            rows += score_set(GOLD_SETS[name], settings)
    except (ValueError, RuntimeError, OSError) as exc:
        print(f"eval scoreboard: error: {exc}", file=sys.stderr)
        return 2
    markdown = table(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    date = dt.datetime.now().isoformat(timespec="seconds")
    (args.out / "scoreboard.md").write_text(f"# PlanQA scoreboard, {date}\n\n{markdown}\n", encoding="utf-8")
    (args.out / "scoreboard.json").write_text(json.dumps({"date": date, "rows": rows}, ensure_ascii=False, indent=1), encoding="utf-8")
    print(markdown)
    print(f"\nwritten: {rel_path(args.out / 'scoreboard.md')}, {rel_path(args.out / 'scoreboard.json')}")
    return 0
