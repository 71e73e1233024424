"""``python -m eval``: score retrieval modes and answerers on the gold set, write reports, check thresholds.

    python -m eval [--store DIR] [--gold eval/gold.jsonl] [--out eval/reports] [--split test|calib|all]
                   [--modes hybrid,dense,lexical,naive] [--check-thresholds]
    python -m eval calibrate [--store DIR] [--gold …]     # refusal thresholds from the calib split only
    python -m eval check-gold                             # every gold item grounded in the plans

The sample plans are ingested first (idempotent: unchanged plans are skipped by content hash). Each mode
retrieves for every item; the hybrid mode also answers through ``Assistant.ask`` (the entry point the chat,
CLI and API use), so answers, citations, refusals and latency are measured as users see them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval import check_gold
from eval.check_gold import CATEGORIES, GoldItem, load_gold
from eval.metrics import (
    AnswerOutcome,
    ItemOutcome,
    evidence_forms,
    first_hit_rank,
    holds_evidence,
    score_answer,
    summarize,
    threshold_failures,
)
from qa.settings import Settings
from qa.text import clip

log = logging.getLogger("planqa.eval")

EVAL_DIR = Path(__file__).resolve().parent
DEFAULT_OUT = EVAL_DIR / "reports"
CALIBRATION_PATH = EVAL_DIR / "calibration.toml"
THRESHOLDS_PATH = EVAL_DIR / "thresholds.toml"
MODES = ("hybrid", "dense", "lexical", "naive")
SEARCH_K = 10  # clauses retrieved per question for hit@10
FAILURE_RANK = 5  # an answerable item whose evidence is not in the top 5 is listed as a failure
EXTRACTIVE = "extractive"
# Refusal thresholds searched by `calibrate` (both are shares in 0..1).
COVERAGE_GRID = tuple(round(0.05 * i, 2) for i in range(0, 19))
CONFIDENCE_GRID = tuple(round(0.05 * i, 2) for i in range(0, 19))


# ------------------------------------------------------------------------------------------------ cli


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


# -------------------------------------------------------------------------------------------- harness


@dataclass
class Harness:
    """The store with the sample plans, the embedder, and an Assistant per retrieval mode (built on demand)."""

    settings: Settings
    plans_dir: Path
    store: Any = None
    embeddings: Any = None
    notes: list[str] = field(default_factory=list)
    _assistants: dict[str, Any] = field(default_factory=dict)
    baseline: Any = None

    def prepare(self) -> None:
        """Ingest the sample plans into the store (fast when they are already there)."""
        from backends import open_store
        from qa.answer.tokens import install_bpe_files
        from qa.embeddings import make_embeddings
        from qa.ingest.pipeline import Ingestor

        install_bpe_files(self.settings.tiktoken_cache_dir)
        self.embeddings = make_embeddings(self.settings)
        self.store = open_store(self.settings, self.embeddings.model_id)
        started = time.perf_counter()
        report = Ingestor(self.settings, self.store, self.embeddings).run([self.plans_dir])
        if report.failed:
            raise RuntimeError("ingest of the sample plans failed:\n" + report.table())
        changed = report.count("new") + report.count("updated")
        self.notes.append(
            f"ingest: {len(report.results)} plans, {changed} (re)ingested, {report.count('unchanged')} unchanged "
            f"in {time.perf_counter() - started:.1f} s"
        )
        print(self.notes[-1], file=sys.stderr)
        sample = {p.stem for p in self.plans_dir.glob("*.txt")}
        extra = sorted(set(self.store.documents()) - sample)
        if extra:
            self.notes.append(f"warning: the store also holds plans outside the gold set ({', '.join(extra)}); they compete in retrieval")

    def assistant(self, mode: str = "hybrid") -> Any:
        """An extractive Assistant searching with ``mode`` (the LLM, if configured, is left out)."""
        if mode not in self._assistants:
            from qa.service import Assistant

            self._assistants[mode] = Assistant(self.settings.replace(llm_base_url="", llm_model=""), self.store, self.embeddings, mode=mode)
        return self._assistants[mode]

    def llm_assistant(self) -> tuple[Any, str]:
        """(Assistant answering with the configured LLM, its name), or (None, why it is skipped)."""
        if not self.settings.llm_configured:
            return None, "skipped (no endpoint configured)"
        from qa.service import Assistant

        try:
            assistant = Assistant(self.settings, self.store, self.embeddings, mode="hybrid")
        except ImportError as exc:
            return None, f"not evaluated: the LLM answerer cannot be loaded ({exc})"
        return assistant, assistant.answerer_name

    def naive(self) -> Any:
        if self.baseline is None:
            from eval.baseline import NaiveBaseline

            self.baseline = NaiveBaseline(self.settings, self.embeddings)
            built = self.baseline.build(self.plans_dir)
            self.notes.append(
                f"naive baseline: {built.plans} plans, {built.embedded_plans} embedded ({built.embedded_chunks} chunks) "
                f"in {built.seconds:.1f} s, collection {self.baseline.store.collection_name}"
            )
            print(self.notes[-1], file=sys.stderr)
        return self.baseline


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
        return used + f", as calibrated on the calib split only ({calib.get('items', '?')} items, {calib.get('date', '?')}, {_rel(path)})"
    return used + f"; NOTE {_rel(path)} chose min_coverage={coverage:g}, min_confidence={confidence:g} on the calib split: update the settings"


# ----------------------------------------------------------------------------------------- evaluation


def _clip(text: str, limit: int = 160) -> str:
    """One line of report text: white space folded, then clipped."""
    return clip(" ".join(str(text).split()), limit)


def _hit_view(doc_id: str, title: str, path: str, path_label: str, text: str, forms: list[str]) -> dict[str, Any]:
    return {"doc_id": doc_id, "title": title, "path": path, "path_label": path_label, "holds_evidence": holds_evidence(text, forms), "text": _clip(text, 200)}


def evaluate(items: Sequence[GoldItem], harness: Harness, modes: Sequence[str]) -> tuple[list[ItemOutcome], list[dict[str, Any]], dict[str, str]]:
    """Retrieve with every mode and answer with every answerer; returns outcomes, per-item records, answerer notes."""
    from tqdm import tqdm

    hybrid = harness.assistant("hybrid")
    answerers: dict[str, Any] = {}
    answerer_notes: dict[str, str] = {}
    if "hybrid" in modes:
        answerers[EXTRACTIVE] = hybrid
        llm, note = harness.llm_assistant()
        answerer_notes["llm"] = note
        if llm is not None:
            answerers["llm"] = llm
    searchers = {mode: (harness.naive() if mode == "naive" else harness.assistant(mode)) for mode in modes}
    outcomes: list[ItemOutcome] = []
    records: list[dict[str, Any]] = []
    for item in tqdm(items, desc="eval", unit="item", file=sys.stderr, dynamic_ncols=True):
        previous = item.previous_questions
        standalone = hybrid.standalone(item.question, previous)
        forms = evidence_forms(item.evidence)
        record: dict[str, Any] = {
            "id": item.id, "category": item.category, "split": item.split, "question": item.question,
            "previous": previous, "standalone": standalone, "docs": list(item.docs), "paths": list(item.paths),
            "evidence": list(item.evidence), "keywords": list(item.keywords), "expected_answer": item.answer,
            "near_miss": item.near_miss, "retrieval": {}, "answers": {},
        }
        ranks: dict[str, int] = {}
        search_ms: dict[str, float] = {}
        for mode, searcher in searchers.items():
            started = time.perf_counter()
            if mode == "naive":
                chunks = searcher.search(standalone, SEARCH_K)
                views = [_hit_view(c.doc_id, str(c.metadata.get("title", "")), str(c.metadata.get("path", "")), str(c.metadata.get("path_label", "")), c.text, forms) for c in chunks]
                texts = [c.text for c in chunks]
            else:
                result = searcher.search(standalone, k=SEARCH_K)
                views = [_hit_view(h.doc_id, h.title, str(h.meta.get("path", "")), h.path_label, h.text, forms) for h in result.hits]
                texts = [h.text for h in result.hits]
            search_ms[mode] = round((time.perf_counter() - started) * 1000, 2)
            ranks[mode] = first_hit_rank(texts, item.evidence) if item.answerable else 0
            record["retrieval"][mode] = {"rank": ranks[mode], "ms": search_ms[mode], "top": views[:5]}
        answers: dict[str, AnswerOutcome] = {}
        for name, assistant in answerers.items():
            started = time.perf_counter()
            answer = assistant.ask(item.question, history=previous)
            latency = float(answer.timings.get("total_ms") or (time.perf_counter() - started) * 1000)
            cited = [(c.doc_id, c.text) for c in answer.citations]
            outcome = score_answer(answer.text, answer.refused, cited, item.answerable, item.evidence, item.docs, item.keywords, latency)
            answers[name] = outcome
            record["answers"][name] = {
                "answerer": answer.answerer, "text": answer.text, "refused": answer.refused, "correct": outcome.correct,
                "confidence": answer.confidence, "precision": outcome.precision, "recall": outcome.recall,
                "latency_ms": round(latency, 1), "notices": list(answer.notices),
                "citations": [{"doc_id": c.doc_id, "path": c.path, "path_label": c.path_label, "holds_evidence": holds_evidence(c.text, forms)} for c in answer.citations],
            }
        outcome_item = ItemOutcome(item.id, item.category, item.answerable, ranks, search_ms, answers)
        record["diagnosis"] = diagnose(item, record)
        outcomes.append(outcome_item)
        records.append(record)
    return outcomes, records, answerer_notes


def diagnose(item: GoldItem, record: dict[str, Any]) -> str:
    """Where the hybrid + extractive pipeline went wrong for this item ('' when it did not): a first guess for analysis."""
    retrieval = record["retrieval"].get("hybrid")
    answer = record["answers"].get(EXTRACTIVE)
    if not item.answerable:
        if answer is not None and not answer["refused"]:
            return "refusal: a near miss was answered instead of refused"
        return ""
    rank = retrieval["rank"] if retrieval else 0
    where = f"evidence at rank {rank}" if rank else f"evidence not in the top {SEARCH_K}"
    split_clause = ""
    if retrieval:
        for n, hit in enumerate(retrieval["top"], start=1):
            if hit["doc_id"] in item.docs and hit["path"] in item.paths and not hit["holds_evidence"]:
                split_clause = f"; the gold clause is at rank {n} but its retrieved part lacks the evidence (clause split into parts?)"
                break
    if answer is None:
        return "" if 0 < rank <= FAILURE_RANK else f"retrieval: {where}{split_clause}"
    if answer["correct"]:
        if item.category == "cross_doc" and answer["recall"] < 1:
            return f"citations: only part of the gold plans cited (recall {answer['recall']:.2f})"
        return "" if 0 < rank <= FAILURE_RANK else f"retrieval (answer still right): {where}"
    if rank == 0:
        return f"retrieval: {where}{split_clause}"
    if answer["refused"]:
        return f"refusal: wrongly refused ({where}, confidence {answer['confidence']:.2f})"
    if any(c["holds_evidence"] for c in answer["citations"]):
        return f"answer selection: cites an evidence clause but the quote misses a keyword ({where})"
    return f"answer selection: cited clause(s) without the evidence ({where})"


# ------------------------------------------------------------------------------------------------ run


def select_split(items: Sequence[GoldItem], split: str) -> list[GoldItem]:
    return list(items) if split == "all" else [i for i in items if i.split == split]


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
        "gold": _rel(args.gold),
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
        "thresholds_file": _rel(args.thresholds) if thresholds else None,
        "thresholds_split": thresholds.get("split") if thresholds else None,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    plots = [] if args.no_plots else write_plots(summary, modes, args.out)
    markdown = render_markdown(meta, summary, records, modes, thresholds, failures, plots)
    (args.out / "latest.md").write_text(markdown, encoding="utf-8")
    payload = {"meta": meta, "summary": summary, "thresholds": thresholds, "threshold_failures": failures, "items": records}
    (args.out / "latest.json").write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    print(render_summary(meta, summary, modes))
    print(f"\nreports: {_rel(args.out / 'latest.md')}, {_rel(args.out / 'latest.json')}" + "".join(f", {_rel(p)}" for p in plots))
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


def _rel(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# ------------------------------------------------------------------------------------------ calibrate


def calibrate(args: argparse.Namespace, settings: Settings, items: list[GoldItem]) -> int:
    """Grid-search refusal_min_coverage × refusal_min_confidence on the calib split; write and print the choice.

    Objective: (unanswerable items refused) - 2 × (answerable items refused), ties broken by answer accuracy,
    then by closeness to the current settings. Retrieval runs once per item; only the answerer is re-run.
    """
    from tqdm import tqdm

    from qa.answer.extractive import RefusalPolicy

    calib = select_split(items, "calib")
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
    print(f"written to {_rel(args.output)}")
    return 0


# -------------------------------------------------------------------------------------------- reports


def _f(value: Any, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _ms(value: Any) -> str:
    return "–" if value is None else f"{value:.0f}"


def retrieval_table(summary: dict[str, Any], modes: Sequence[str]) -> list[str]:
    rows = ["| mode | items | hit@1 | hit@3 | hit@5 | hit@10 | MRR | search p50 ms |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for mode in modes:
        r = summary["retrieval"].get(mode)
        if r:
            rows.append(f"| {mode} | {r['n']} | {_f(r['hit@1'])} | {_f(r['hit@3'])} | {_f(r['hit@5'])} | {_f(r['hit@10'])} | {_f(r['mrr'])} | {_ms(r['latency_p50_ms'])} |")
    return rows


def answer_table(summary: dict[str, Any], names: dict[str, str]) -> list[str]:
    rows = [
        "| answerer | answer accuracy | citation P | citation R | unanswerable refused ↑ | answerable refused ↓ | p50 ms | p95 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, a in summary["answer"].items():
        rows.append(
            f"| {names.get(name, name)} (hybrid) | {_f(a['accuracy'])} | {_f(a['citation_precision'])} | {_f(a['citation_recall'])} | "
            f"{_f(a['unanswerable_refused'])} ({a['n_unanswerable']}) | {_f(a['answerable_refused'])} ({a['n_answerable']}) | "
            f"{_ms(a['latency_p50_ms'])} | {_ms(a['latency_p95_ms'])} |"
        )
    return rows


def render_summary(meta: dict[str, Any], summary: dict[str, Any], modes: Sequence[str]) -> str:
    """The tables printed to stdout."""
    overall = summary["overall"]
    sizes = meta["split_sizes"]
    lines = [
        f"split {meta['split']}: {meta['reported']['items']} items ({meta['reported']['answerable']} answerable, {meta['reported']['unanswerable']} unanswerable); "
        f"calib {sizes['calib']['items']} / test {sizes['test']['items']}",
        meta["calibration"],
        "",
        "Retrieval (answerable items):",
        *retrieval_table(overall, modes),
    ]
    if overall["answer"]:
        lines += ["", "Answers:", *answer_table(overall, meta["answerers"])]
    if "llm" not in overall["answer"] and "llm" in meta["answerers"]:
        lines.append(f"LLM answerer: {meta['answerers']['llm']}")
    return "\n".join(lines)


def category_table(summary: dict[str, Any], modes: Sequence[str]) -> list[str]:
    others = [m for m in modes if m != "hybrid"]
    head = ["category", "items", "hybrid hit@1", "hybrid hit@5", "hybrid MRR", *[f"{m} hit@5" for m in others], "answer accuracy", "citation R", "refused"]
    rows = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for cat, s in sorted(summary["categories"].items(), key=lambda kv: list(CATEGORIES).index(kv[0]) if kv[0] in CATEGORIES else 99):
        h = s["retrieval"].get("hybrid", {})
        a = s["answer"].get(EXTRACTIVE, {})
        refused = a.get("unanswerable_refused") if cat == check_gold.UNANSWERABLE else a.get("answerable_refused")
        cells = [cat, str(s["n"]), _f(h.get("hit@1")), _f(h.get("hit@5")), _f(h.get("mrr"))]
        cells += [_f(s["retrieval"].get(m, {}).get("hit@5")) for m in others]
        cells += [_f(a.get("accuracy")), _f(a.get("citation_recall")), _f(refused)]
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def render_markdown(
    meta: dict[str, Any], summary: dict[str, Any], records: Sequence[dict[str, Any]], modes: Sequence[str],
    thresholds: dict[str, Any], failures: Sequence[str], plots: Sequence[Path],
) -> str:
    overall = summary["overall"]
    sizes = meta["split_sizes"]
    llm_note = meta["answerers"].get("llm", "")
    lines = [
        f"# PlanQA evaluation, {meta['date']}",
        "",
        f"- Gold set `{meta['gold']}`: calib split {sizes['calib']['items']} items ({sizes['calib']['unanswerable']} unanswerable), "
        f"test split {sizes['test']['items']} items ({sizes['test']['unanswerable']} unanswerable); split by a hash of the id.",
        f"- **Reported: the {meta['split']} split**, {meta['reported']['items']} items ({meta['reported']['answerable']} answerable, "
        f"{meta['reported']['unanswerable']} unanswerable)." + (" Calib items are included, so refusal numbers are partly in-sample." if meta["split"] != "test" else ""),
        f"- {meta['calibration']}. No threshold was tuned on the reported test items.",
        f"- Store `{meta['store']}`, embedder `{meta['embedder']}`, top_k {meta['top_k']}, {SEARCH_K} clauses retrieved per question for hit@k.",
        f"- LLM answerer: {llm_note}" if "llm" not in overall["answer"] else f"- LLM answerer: {meta['answerers'].get('llm')} evaluated (row `llm`).",
        *[f"- {note}" for note in meta["notes"]],
        f"- Run time {meta['seconds']} s.",
        "",
        "## Retrieval: modes compared (answerable items)",
        "",
        "A hit is a retrieved clause (naive: a 500-character chunk) containing a gold evidence string; for cross-document "
        "items evidence of any gold plan counts. MRR uses the rank of the first hit (0 beyond rank 10).",
        "",
        *retrieval_table(overall, modes),
        "",
    ]
    if overall["answer"]:
        lines += [
            "## Answers (hybrid retrieval, `Assistant.ask`)",
            "",
            "Accuracy: not refused and every gold keyword in the answer (answerable items). Citation precision: cited clauses "
            "holding evidence / cited (items with citations); recall: gold plans covered by a cited evidence clause / gold plans "
            "(all answerable items). Refusal columns give the rate and, in brackets, the number of items. Latency is the whole `ask`.",
            "",
            *answer_table(overall, meta["answerers"]),
            "",
        ]
    lines += ["## Per category", "", *category_table(summary, modes), "",
              "`refused` is the correct-refusal rate for `unanswerable` and the wrong-refusal rate elsewhere.", ""]
    if thresholds:
        lines += [f"## Thresholds (`{meta['thresholds_file']}`, set on the {thresholds.get('split') or '?'} split)", ""]
        from eval.metrics import lookup

        for kind, sign in (("min", "≥"), ("max", "≤")):
            for name, bound in thresholds[kind].items():
                value = lookup(overall, name)
                ok = value is not None and (value >= bound if kind == "min" else value <= bound)
                lines.append(f"- {'ok  ' if ok else '**FAIL**'} `{name}` = {_f(value)} (needs {sign} {bound})")
        lines.append("")
    if plots:
        lines += ["## Plots", "", *[f"![{p.stem}]({p.name})" for p in plots], ""]
    failed = [r for r in records if r["diagnosis"]]
    lines += [f"## Failures ({len(failed)} of {len(records)} items; hybrid retrieval + extractive answer)", "",
              "Diagnosis is a first guess from the ranks and citations; check it against the clause text.", ""]
    for r in failed:
        lines.append(f"### {r['id']} [{r['category']}] {r['diagnosis']}")
        lines.append("")
        q = r["question"] if not r["previous"] else " / ".join([*r["previous"], r["question"]])
        lines.append(f"- question: {q}")
        if r["standalone"] != r["question"]:
            lines.append(f"- standalone: {r['standalone']}")
        if r["evidence"]:
            lines.append(f"- expected: {', '.join(r['docs'])} {', '.join(r['paths'])}: {' | '.join(r['evidence'])} (keywords: {', '.join(r['keywords'])})")
        else:
            lines.append("- expected: refusal" + (f" ({r['near_miss']})" if r["near_miss"] else ""))
        for mode in ("hybrid", "naive"):
            top = r["retrieval"].get(mode, {}).get("top") or []
            if top:
                t = top[0]
                lines.append(f"- {mode} rank 1{' ✓' if t['holds_evidence'] else ''}: 《{t['title']}》{t['path_label']} {_clip(t['text'], 110)}"
                             f" (first hit: rank {r['retrieval'][mode]['rank'] or '>10'})")
        for name, a in r["answers"].items():
            cites = ", ".join(f"{c['doc_id']} {c['path_label']}{' ✓' if c['holds_evidence'] else ''}" for c in a["citations"]) or "none"
            lines.append(f"- {name} answer ({'refused' if a['refused'] else 'answered'}, confidence {a['confidence']:.2f}): {_clip(a['text'], 200)} — cites {cites}")
        lines.append("")
    return "\n".join(lines)


CATEGORY_ZH = {
    "number": "数字", "place": "地点", "paraphrase": "改写", "office": "处室", "cross_script": "繁简",
    "summary": "概括", "cross_doc": "跨文件", "which_plan": "哪个文件", "multi_turn": "多轮", "unanswerable": "无答案",
}


def _cjk_font() -> str | None:
    """A font family with Chinese glyphs known to matplotlib, if any is installed."""
    from matplotlib import font_manager

    wanted = ("Noto Sans CJK", "Noto Serif CJK", "Source Han", "WenQuanYi", "SimHei", "Microsoft YaHei", "PingFang", "Heiti", "Droid Sans Fallback", "AR PL")
    for font in font_manager.fontManager.ttflist:
        if any(name.lower() in font.name.lower() for name in wanted):
            return font.name
    return None


def write_plots(summary: dict[str, Any], modes: Sequence[str], out: Path) -> list[Path]:
    """categories.png (hybrid hit@5 and answer accuracy per category) and modes.png (hit@1, hit@5, MRR per mode)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("plots skipped: matplotlib is not installed (pip install matplotlib)", file=sys.stderr)
        return []
    font = _cjk_font()
    if font:
        plt.rcParams["font.family"] = [font, "DejaVu Sans"]
    written: list[Path] = []

    cats = [c for c in CATEGORIES if c in summary["categories"]] + [c for c in summary["categories"] if c not in CATEGORIES]
    labels = [f"{CATEGORY_ZH.get(c, c)}\n{c}" if font else c for c in cats]
    hit5 = [summary["categories"][c]["retrieval"].get("hybrid", {}).get("hit@5") for c in cats]
    acc = []
    for c in cats:
        a = summary["categories"][c]["answer"].get(EXTRACTIVE, {})
        acc.append(a.get("unanswerable_refused") if c == check_gold.UNANSWERABLE else a.get("accuracy"))
    fig, ax = plt.subplots(figsize=(11, 4.5))
    xs = range(len(cats))
    ax.bar([x - 0.2 for x in xs], [v or 0 for v in hit5], width=0.4, label="hybrid hit@5")
    ax.bar([x + 0.2 for x in xs], [v or 0 for v in acc], width=0.4, label="answer accuracy (unanswerable: refused)")
    ax.set_xticks(list(xs), labels, rotation=30, ha="right")
    ax.set_ylim(0, 1.18)
    ax.set_title("Per category (hybrid retrieval, extractive answerer)")
    ax.legend(loc="upper center", ncol=2, fontsize=9)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    path = out / "categories.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    written.append(path)

    shown = [m for m in modes if m in summary["overall"]["retrieval"]]
    fig, ax = plt.subplots(figsize=(7, 4))
    metrics = ("hit@1", "hit@5", "mrr")
    for i, metric in enumerate(metrics):
        values = [summary["overall"]["retrieval"][m].get(metric) or 0 for m in shown]
        bars = ax.bar([x + (i - 1) * 0.27 for x in range(len(shown))], values, width=0.27, label=metric.replace("mrr", "MRR"))
        ax.bar_label(bars, fmt="%.2f", fontsize=7)
    ax.set_xticks(list(range(len(shown))), shown)
    ax.set_ylim(0, 1.18)
    ax.set_title("Retrieval modes compared (answerable items)")
    ax.legend(loc="upper center", ncol=3, fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    path = out / "modes.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    written.append(path)
    return written
