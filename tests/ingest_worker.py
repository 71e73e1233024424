"""A real ingest process for the fault tests: ``python -m tests.ingest_worker STORE FOLDER [SECONDS_PER_BATCH]``.

It runs the same :class:`~qa.ingestion.Ingestor` as ``planqa ingest`` on real Chroma, with a fake embedder
that takes a given time per batch (the real model is not what these tests are about), printing one line per
file started and one per file finished, so a test can kill it at a known point.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from backends import open_store
from qa.ingest.pipeline import Ingestor
from qa.settings import Settings
from tests.test_ingestion import CountingEmbeddings


class SlowEmbeddings(CountingEmbeddings):
    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        time.sleep(self.seconds)
        vectors = super().embed_documents(texts)
        print(f"batch {len(texts)}", flush=True)  # after a plan's last batch, its chunks are written
        return vectors


def check(store_path: Path) -> int:
    """Print what a reader of the store sees, as JSON: per plan its committed hash, the chunk count its record
    promises and the chunks of that version present; and the collection's total count."""
    import json

    settings = Settings.load({"store_path": store_path}, env={})
    store = open_store(settings, CountingEmbeddings.model_id)
    records = store.documents()
    visible: dict[str, int] = {}
    for chunk in store.all_chunks():
        visible[chunk.doc_id] = visible.get(chunk.doc_id, 0) + 1
    plans = {
        doc_id: {"hash": r.doc_hash, "promised": int(r.metadata.get("chunks", 0)), "visible": visible.get(doc_id, 0)}
        for doc_id, r in records.items()
    }
    print(json.dumps({"plans": plans, "total": store.chunk_count()}))
    return 0


def main(argv: list[str]) -> int:
    if argv[0] == "--check":
        return check(Path(argv[1]))
    store_path, folder = Path(argv[0]), Path(argv[1])
    seconds = float(argv[2]) if len(argv) > 2 else 0.0
    settings = Settings.load({"store_path": store_path, "embed_batch_size": 8}, env={})
    embeddings = SlowEmbeddings(seconds)
    store = open_store(settings, embeddings.model_id)
    ingestor = Ingestor(settings, store, embeddings)
    started: list[str] = []

    def progress(name: str, n: int, total: int) -> None:
        if not started:  # the writer lock is held and the repair done by the time the first file is read
            started.append(name)
            print("locked", flush=True)
        print(f"start {n} {name}", flush=True)

    report = ingestor.run([folder], progress=progress)
    print(f"repaired {','.join(report.repaired) or '-'}", flush=True)
    for result in report.results:
        print(f"done {result.doc_id} {result.status} {result.chunks}", flush=True)
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
