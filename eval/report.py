"""The report of one eval run: the summary tables printed to stdout, ``latest.md``, ``latest.json`` and the plots."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval import check_gold
from eval.check_gold import CATEGORIES
from eval.harness import EXTRACTIVE, SEARCH_K, one_line
from eval.metrics import lookup


def write_report(
    out: Path, meta: dict[str, Any], summary: dict[str, Any], records: Sequence[dict[str, Any]], modes: Sequence[str],
    thresholds: dict[str, Any], failures: Sequence[str], plots: bool = True,
) -> list[Path]:
    """Write ``latest.md``, ``latest.json`` and (with ``plots``) the PNG plots into ``out``; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    pngs = write_plots(summary, modes, out) if plots else []
    markdown = render_markdown(meta, summary, records, modes, thresholds, failures, pngs)
    (out / "latest.md").write_text(markdown, encoding="utf-8")
    payload = {"meta": meta, "summary": summary, "thresholds": thresholds, "threshold_failures": failures, "items": records}
    (out / "latest.json").write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    return [out / "latest.md", out / "latest.json", *pngs]


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
        f"{meta.get('gold_set', 'sample')} set, split {meta['split']}: {meta['reported']['items']} items ({meta['reported']['answerable']} answerable, "
        f"{meta['reported']['unanswerable']} unanswerable); " + " / ".join(f"{name} {size['items']}" for name, size in sizes.items()),
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
    calib = meta.get("calib_split", "calib")
    lines = [
        f"# PlanQA evaluation, {meta['date']}",
        "",
        f"- Gold set `{meta['gold']}` ({meta.get('gold_set', 'sample')}): "
        + ", ".join(f"{name} split {size['items']} items ({size['unanswerable']} unanswerable)" for name, size in sizes.items())
        + "; split by a hash of the id." + (f" In-sample: {meta['in_sample']}." if meta.get("in_sample") else ""),
        f"- **Reported: the {meta['split']} split**, {meta['reported']['items']} items ({meta['reported']['answerable']} answerable, "
        f"{meta['reported']['unanswerable']} unanswerable)." + (f" {calib.capitalize()} items are included, so refusal numbers are partly in-sample." if meta["split"] in (calib, "all") else ""),
        *([f"- The {meta['sealed']} split is reported in aggregate only: its items are not listed below."] if meta.get("sealed") and meta["split"] in (meta["sealed"], "all") else []),
        f"- {meta['calibration']}. No threshold was tuned on the reported items." if meta["split"] not in (calib, "all") else f"- {meta['calibration']}.",
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
    if meta.get("structure"):
        lines += ["## Structure of documents nobody tuned the parser to (`python -m eval.structure`)", "",
                  "Leaf clause paths right, in order, against what a reader of each document expects (tests/expectations/, "
                  "tests/fixtures/unseen/); metadata: which of title, issuer, region, years are inferred right.", "",
                  "| document | expected | parsed | right | share | metadata right |", "|---|---:|---:|---:|---:|---|",
                  *[f"| {r['document']} | {r['expected']} | {r['parsed']} | {r['right']} | {r['share']:.3f} | {', '.join(r['metadata_right']) or 'none'} |"
                    for r in meta["structure"]], ""]
    lines += ["## Per category", "", *category_table(summary, modes), "",
              "`refused` is the correct-refusal rate for `unanswerable` and the wrong-refusal rate elsewhere.", ""]
    if thresholds:
        lines += [f"## Thresholds (`{meta['thresholds_file']}`, set on the {thresholds.get('split') or '?'} split)", ""]
        for kind, sign in (("min", "≥"), ("max", "≤")):
            for name, bound in thresholds[kind].items():
                value = lookup(overall, name)
                ok = value is not None and (value >= bound if kind == "min" else value <= bound)
                lines.append(f"- {'ok  ' if ok else '**FAIL**'} `{name}` = {_f(value)} (needs {sign} {bound})")
        lines.append("")
    if plots:
        lines += ["## Plots", "", *[f"![{p.stem}]({p.name})" for p in plots], ""]
    failed = [r for r in records if r["diagnosis"]]
    if meta.get("sealed") and meta["split"] == meta["sealed"]:
        lines += ["## Failures", "", f"Not listed: the {meta['sealed']} split is reported in aggregate only.", ""]
        return "\n".join(lines)
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
                lines.append(f"- {mode} rank 1{' ✓' if t['holds_evidence'] else ''}: 《{t['title']}》{t['path_label']} {one_line(t['text'], 110)}"
                             f" (first hit: rank {r['retrieval'][mode]['rank'] or '>10'})")
        for name, a in r["answers"].items():
            cites = ", ".join(f"{c['doc_id']} {c['path_label']}{' ✓' if c['holds_evidence'] else ''}" for c in a["citations"]) or "none"
            lines.append(f"- {name} answer ({'refused' if a['refused'] else 'answered'}, confidence {a['confidence']:.2f}): {one_line(a['text'], 200)} — cites {cites}")
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
