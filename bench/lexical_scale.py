"""The lexical index alone at 1M clauses: the 100k corpus's segments replicated, no Chroma.

    python -m bench.lexical_scale --from bench/.cache/corpus-100000-seed7-v1 --replicate 10

Building the 1M-clause Chroma corpus takes hours on the shared 2 cores (the 100k one took ~40 min), so the
lexical side is measured at 1M by loading the segment files ``bench.scale`` left for the 100k corpus
``--replicate`` times under new plan ids (the same files read again: the per-file cost of 20,000 plans).
What it measures, in one fresh process:

- ``load_s``: reading every segment file (what a process start pays besides the model and the store);
- ``build_s``: merging them into one base (numpy only; the background merge costs about this);
- ``update_s``: one plan cut with jieba and added (``with_changes``), what a commit costs a searcher;
- ``lexical_p50_ms`` / ``lexical_p95_ms``: the gold questions' tokens scored over all live chunks (top 30);
- ``mentions_s``: one scan of every segment's text file for a place name (once per unknown place);
- ``base_load_s``: reading the merged base (what a start reads instead of every segment file; arrays mmap'd),
  ``base_save_s`` writing it (after a merge, in the background), ``base_mb`` its size;
- ``rss_mb``: the process's resident memory with the index built (the interpreter, numpy, jieba included).

Results: stdout and bench/results/lexical-scale.json. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.machine import RESULTS_DIR, loadavg, machine, peak_rss_mb, rss_mb, summary_ms, write_result  # noqa: E402
from bench.synthetic import gold_questions  # noqa: E402


def measure(folder: Path, replicate: int) -> dict:
    import numpy as np

    from qa.normalize import search_form
    from qa.search.lexical import Tokenizer, expand_query
    from qa.search.postings import LexicalIndex
    from qa.search.segments import Segment, SegmentFiles

    base_rss = rss_mb()
    files = SegmentFiles(folder)
    places, keys = files.manifest()
    tokenizer = Tokenizer()
    tokenizer.set_places(places)
    started = time.perf_counter()
    segments = []
    for r in range(replicate):
        for key in sorted(keys):
            seg = files.get(key)
            if seg is None:
                continue
            if r:
                seg = Segment(f"{seg.doc_id}~{r}", seg.doc_hash, seg.key, tuple(f"{c}~{r}" for c in seg.chunk_ids), seg.lengths,
                              seg.terms, seg.ptr, seg.docs, seg.tf, seg.years, seg.places)
            segments.append(seg)
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    index = LexicalIndex.build(segments)
    build_s = time.perf_counter() - started
    del segments
    built_rss = rss_mb()

    latencies = []
    questions = gold_questions()
    queries = []
    for q in questions:
        text = search_form(q)
        queries.append(tokenizer.tokens(expand_query(text, tokenizer.cut(text))))
    for tokens in queries:  # warm-up
        index.search_positions(tokens, 30)
    for _ in range(2):
        for tokens in queries:
            t = time.perf_counter()
            index.search_positions(tokens, 30)
            latencies.append((time.perf_counter() - t) * 1000)

    one = files.get(sorted(keys)[len(keys) // 2])
    texts = files.texts(one.key).split("\n")
    started = time.perf_counter()
    from qa.search.segments import cut_segment

    fresh = cut_segment(tokenizer.tokens, one.doc_id, one.doc_hash + "-bench", one.key, texts, one.chunk_ids, one.years, places)
    updated = index.with_changes([fresh], [])
    update_s = time.perf_counter() - started
    started = time.perf_counter()
    updated.merged()
    merge_s = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(replicate):
        any("不存在的地名" in files.texts(k) for k in keys)
    mentions_s = time.perf_counter() - started
    import shutil
    import tempfile

    scratch = Path(tempfile.mkdtemp(prefix="planqa-base-", dir=folder.parent))
    try:  # the merged base a start reads instead of every segment file
        base_files = SegmentFiles(scratch)
        arrays, texts_, header = index.checkpoint()
        started = time.perf_counter()
        base_files.save_base("bench", arrays, texts_, {**header, "places": sorted(places)})
        base_save_s = time.perf_counter() - started
        started = time.perf_counter()
        LexicalIndex.from_checkpoint(*base_files.load_base())  # type: ignore[misc]
        base_load_s = time.perf_counter() - started
        base_mb = sum(f.stat().st_size for f in scratch.iterdir()) / 2**20
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return {
        "chunks": index.n, "plans": len(index.plans), "replicate": replicate, "load_s": round(load_s, 2), "build_s": round(build_s, 2),
        "update_s": round(update_s, 3), "update_plan_chunks": len(one), "merge_s": round(merge_s, 2),
        "lexical": summary_ms(latencies), "lexical_p50_ms": summary_ms(latencies)["p50_ms"], "lexical_p95_ms": summary_ms(latencies)["p95_ms"],
        "mentions_s": round(mentions_s, 2), "base_save_s": round(base_save_s, 2), "base_load_s": round(base_load_s, 2), "base_mb": round(base_mb, 1), "postings": int(len(index._base.docs)), "vocabulary": len(index._base.vocab),
        "rss_start_mb": base_rss, "rss_mb": built_rss, "rss_end_mb": rss_mb(), "peak_rss_mb": peak_rss_mb(),
        "postings_mb": round(float(np.asarray(index._base.docs).nbytes + np.asarray(index._base.tf).nbytes + index._base.ptr.nbytes) / 2**20, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", type=Path, required=True, help="the segment folder bench.scale left (…/lexical-embedded/<collection>)")
    parser.add_argument("--replicate", type=int, action="append", help="copies of the corpus (repeatable; default 1 and 10)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "lexical-scale.json")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    import json
    import subprocess

    if args.child:
        print(json.dumps(measure(args.source, args.replicate[0])))
        return 0
    results = []
    for n in args.replicate or [1, 10]:
        load = loadavg()
        done = subprocess.run([sys.executable, "-m", "bench.lexical_scale", "--from", str(args.source), "--replicate", str(n), "--child"],
                              cwd=ROOT, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(done.stderr[-3000:])
        results.append({**json.loads(done.stdout.strip().splitlines()[-1]), "load_at_start": load, "load_at_end": loadavg()})
        print(json.dumps(results[-1]), file=sys.stderr)
    path = write_result(args.out, {"bench": "lexical-scale", "when": time.strftime("%Y-%m-%d %H:%M:%S %z"), "machine": machine(), "results": results})
    print(f"written to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
