"""Render the benchmark results (bench/results/*.json) as markdown tables, into bench/README.md and README.md.

    python -m bench.report [--results bench/results] [--write]

Without ``--write`` the tables go to stdout. With it, the part of bench/README.md between the
``<!-- results:start -->`` and ``<!-- results:end -->`` lines, and the summary in README.md between
``<!-- performance:start -->`` and ``<!-- performance:end -->``, are replaced.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.machine import RESULTS_DIR  # noqa: E402

README = ROOT / "bench" / "README.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"
MAIN_README = ROOT / "README.md"
SUMMARY_START, SUMMARY_END = "<!-- performance:start -->", "<!-- performance:end -->"


def _load(results: Path, name: str) -> dict[str, Any] | None:
    path = results / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def machine_line(result: dict[str, Any]) -> str:
    m = result["machine"]
    omp = f", OMP_NUM_THREADS={m['omp_num_threads']}" if m.get("omp_num_threads") else ""
    return f"{m['cpu']}, {m['cores']} cores (shared), {m['ram_gb']} GB RAM, Python {m['python']}{omp}; run {result['when']}"


def _load_text(load: list[float] | None) -> str:
    return f"{load[0]:.2f}" if load else "?"


def ingest_table(r: dict[str, Any]) -> str:
    s = r["summary"]
    runs = max(x["run"] for x in r["runs"])
    return "\n".join([
        f"Ingest of the {s['plans']} sample plans ({s['chunks']} chunks, {s['chars_embedded']:,} characters embedded, batch {s['batch_size']}), "
        f"{runs} interleaved runs each; load {_load_text(r.get('load_at_start'))} at start, {_load_text(r.get('load_at_end'))} at end.",
        "",
        "| measure | median | best |",
        "|---|---:|---:|",
        f"| whole pipeline, clauses/s | {s['pipeline_clauses_per_s_median']} | {s['pipeline_clauses_per_s_best']} |",
        f"| bare embedder on the same chunks, clauses/s | {s['embedder_clauses_per_s_median']} | {s['embedder_clauses_per_s_best']} |",
        f"| pipeline overhead over the embedder | {s['overhead_pct_median']}% | {s['overhead_pct_best']}% |",
        f"| pipeline without embedding (read, parse, chunk, write), s | {s['pipeline_no_embed_s_median']} | {s['pipeline_no_embed_s_best']} |",
        f"| whole pipeline, s | {s['pipeline_s_median']} | {s['pipeline_s_best']} |",
    ])


def query_table(r: dict[str, Any]) -> str:
    rows = [
        f"Warm, in-process, {r['questions']} gold questions x {r['results'][0]['repeat']} passes per scale; Chroma {r.get('chroma', 'embedded')}.",
        "",
        "| clauses | plans | index build s | search p50 | search p95 | filtered p50 | open p50 | dense leg p50 | lexical leg p50 | ask p50 | ask p95 | RSS MB | load |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for x in r["results"]:
        rss = f"{x['rss_end_mb']:.0f}" + (f" + {x['chroma_server_rss_mb']:.0f}" if x.get("chroma_server_rss_mb") else "")
        rows.append(
            f"| {x['chunks']:,} | {x['plans']:,} | {x['cold_refresh_s']} | {x['search']['p50_ms']} | {x['search']['p95_ms']} | "
            f"{x['search_filtered']['p50_ms']} | {x['search_open']['p50_ms']} | {x['dense_ms_median']} | {x['lexical_ms_median']} | "
            f"{x['ask']['p50_ms']} | {x['ask']['p95_ms']} | {rss} | {_load_text(x['load_at_start'])}→{_load_text(x['load_at_end'])} |"
        )
    if all("chroma_query_ms_by_filter" in x for x in r["results"]):
        columns = ["none", "doc_id: 1 plans", "doc_id: 10 plans", "doc_id: 200 plans", "doc_hash: all plans"]
        rows += [
            "", "One Chroma query (k=30), median ms, by its filter (`doc_id $in` N plans; `doc_hash $in` every committed version):", "",
            "| clauses | " + " | ".join(columns) + " |", "|---:|" + "---:|" * len(columns),
        ]
        for x in r["results"]:
            costs = x["chroma_query_ms_by_filter"]
            rows.append(f"| {x['chunks']:,} | " + " | ".join(str(costs.get(c, "–")) for c in columns) + " |")
    rows.append("")
    rows.append("Latencies in ms. Corpus build (once, cached): " + "; ".join(
        f"{x['corpus']['chunks']:,} chunks in {x['corpus']['build_s']} s" for x in r["results"]
    ) + ".")
    return "\n".join(rows)


def app_table(r: dict[str, Any]) -> str:
    rows = [
        f"{r['client']} client, corpus {r['corpus_chunks']:,} clauses / {r['corpus_plans']} plans, think time {r['think_s']} s, "
        f"queue concurrency {r['concurrency']}, rate limit {r['rate_limit']}; server RSS {r['server_rss_mb']:.0f} MB at the end.",
        "",
        "| users | answered | errors | answers/s | p50 ms | p95 ms | queue wait p50 ms | queue wait p95 ms | load |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for s in r["steps"]:
        rows.append(
            f"| {s['users']} | {s['answered']} | {s['errors']} | {s['throughput_per_s']} | {s['latency']['p50_ms']} | {s['latency']['p95_ms']} | "
            f"{s['queue_wait']['p50_ms']} | {s['queue_wait']['p95_ms']} | {_load_text(s['load_before'])}→{_load_text(s['load_after'])} |"
        )
    return "\n".join(rows)


def embedder_table(r: dict[str, Any]) -> str:
    rows = [
        f"{r['runs'][0]['query']['n']} gold questions embedded one at a time, then 32 passages in one batch; each setting in a fresh process, "
        "alone and next to a busy-loop process. The load column is taken at each run's start (it includes the previous run's busy loop).",
        "",
        "| OMP_NUM_THREADS | one core busy | query p50 ms | query p95 ms | passages/s | load |",
        "|---|---|---:|---:|---:|---|",
    ]
    for x in r["runs"]:
        rows.append(
            f"| {x['omp_num_threads']} | {'yes' if x['one_core_busy'] else 'no'} | {x['query']['p50_ms']} | {x['query']['p95_ms']} | "
            f"{x['passages_per_s']} | {_load_text(x['load_at_start'])} |"
        )
    return "\n".join(rows)


SECTIONS = (
    ("ingest", "Ingest", ingest_table),
    ("query", "Query (embedded Chroma)", query_table),
    ("query-http", "Query (Chroma server, `chroma run` on loopback)", query_table),
    ("app", "App: concurrent chat users", app_table),
    ("app-omp1", "App: concurrent chat users, OMP_NUM_THREADS=1", app_table),
    ("embedder", "Embedder: OpenMP threads and a busy core", embedder_table),
)


def summary(results: Path) -> str:
    """The short table for the main README: query latency per scale, ingest, app under load."""
    lines: list[str] = []
    query, http = _load(results, "query"), _load(results, "query-http")
    if query:
        scales = query["results"]
        by_http = {x["chunks"]: x for x in (http or {}).get("results", [])}
        lines += [
            "| | " + " | ".join(f"{x['chunks']:,} clauses" for x in scales) + " |",
            "|---|" + "---:|" * len(scales),
            "| search p50 / p95, ms | " + " | ".join(f"{x['search']['p50_ms']:.0f} / {x['search']['p95_ms']:.0f}" for x in scales) + " |",
            "| ask (extractive) p50 / p95, ms | " + " | ".join(f"{x['ask']['p50_ms']:.0f} / {x['ask']['p95_ms']:.0f}" for x in scales) + " |",
        ]
        if by_http:
            lines.append("| ask over a Chroma server p50 / p95, ms | " + " | ".join(
                f"{by_http[x['chunks']]['ask']['p50_ms']:.0f} / {by_http[x['chunks']]['ask']['p95_ms']:.0f}" if x["chunks"] in by_http else "–" for x in scales) + " |")
        lines += [
            "| lexical index build per process (start, and after each change), s | " + " | ".join(f"{x['cold_refresh_s']:.1f}" for x in scales) + " |",
            "| app process memory (RSS), MB | " + " | ".join(f"{x['rss_end_mb']:.0f}" for x in scales) + " |",
        ]
    ingest = _load(results, "ingest")
    if ingest:
        s = ingest["summary"]
        lines += ["", f"Ingest (real embedding, {s['chunks']} clauses): whole pipeline {s['pipeline_clauses_per_s_median']} clauses/s, "
                      f"bare embedder {s['embedder_clauses_per_s_median']} clauses/s on the same clauses: overhead {s['overhead_pct_median']}%."]
    for name, label in (("app", "default threads"), ("app-omp1", "OMP_NUM_THREADS=1")):
        app = _load(results, name)
        if app:
            steps = "; ".join(f"{x['users']} user{'s' if x['users'] != 1 else ''}: p50 {x['latency']['p50_ms']:.0f} ms, p95 {x['latency']['p95_ms']:.0f} ms, "
                              f"{x['throughput_per_s']} answers/s, {x['errors']} errors" for x in app["steps"])
            lines += ["", f"Chat users on one app process ({app['corpus_chunks']:,} clauses, {label}): {steps}."]
    return "\n".join(lines)


def _replace_block(path: Path, start: str, end: str, text: str) -> bool:
    content = path.read_text(encoding="utf-8")
    if start not in content or end not in content:
        print(f"{path} has no {start} … {end} block; add one where the tables go", file=sys.stderr)
        return False
    head, rest = content.split(start, 1)
    _, tail = rest.split(end, 1)
    path.write_text(f"{head}{start}\n{text}\n{end}{tail}", encoding="utf-8")
    print(f"updated {path}", file=sys.stderr)
    return True


def render(results: Path) -> str:
    parts = []
    for name, title, fn in SECTIONS:
        data = _load(results, name)
        if data is None:
            continue
        path = results / f"{name}.json"
        shown = path.resolve().relative_to(ROOT) if path.resolve().is_relative_to(ROOT) else path
        parts.append(f"### {title}\n\n{machine_line(data)}\n\n{fn(data)}\n\n`{shown}`")
    return "\n\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS_DIR)
    parser.add_argument("--write", action="store_true", help="replace the results part of bench/README.md and the summary in README.md")
    args = parser.parse_args(argv)
    text = render(args.results)
    if not args.write:
        print(text + "\n\n### Summary (README.md)\n\n" + summary(args.results))
        return 0
    ok = _replace_block(README, START, END, text)
    ok = _replace_block(MAIN_README, SUMMARY_START, SUMMARY_END, summary(args.results)) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
