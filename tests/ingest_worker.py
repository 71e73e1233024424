"""A real ingest process for the fault tests: ``python -m tests.ingest_worker [--http PORT] [--wait S] STORE FOLDER
[SECONDS_PER_BATCH]`` (``--check STORE``: what a reader sees, as JSON).

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


def worker_settings(store: str, http_port: int = 0, **more: object) -> Settings:
    """An embedded store at ``store``, or (``http_port``) the `chroma run` server on that loopback port."""
    http = {"chroma_mode": "http", "chroma_host": "127.0.0.1", "chroma_port": http_port} if http_port else {}
    return Settings.load({"store_path": Path(store), **http, **more}, env={})


def check(settings: Settings) -> int:
    """Print what a reader of the store sees, as JSON: per plan its committed hash, the chunk count its record
    promises and the chunks of that version present; and the collection's total count."""
    import json

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
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true", help="print what a reader sees instead of ingesting")
    parser.add_argument("--http", type=int, default=0, help="the port of a `chroma run` on 127.0.0.1 (else embedded at STORE)")
    parser.add_argument("--wait", type=float, default=0.0, help="writer_wait_seconds")
    parser.add_argument("--lease", type=float, default=60.0, help="writer_lease_seconds")
    parser.add_argument("store")
    parser.add_argument("folder", nargs="?")
    parser.add_argument("seconds", nargs="?", type=float, default=0.0, help="sleep per embedding batch")
    args = parser.parse_args(argv)
    settings = worker_settings(args.store, args.http, embed_batch_size=8, writer_wait_seconds=args.wait, writer_lease_seconds=args.lease)
    if args.check:
        return check(settings)
    from backends import lock_store

    lock_store(settings, "ingest", wait=args.wait)  # as `planqa ingest` does (embedded only)
    embeddings = SlowEmbeddings(args.seconds)
    store = open_store(settings, embeddings.model_id)
    ingestor = Ingestor(settings, store, embeddings)
    started: list[str] = []

    def progress(name: str, n: int, total: int) -> None:
        if not started:  # the writer lock is held and the repair done by the time the first file is read
            started.append(name)
            print("locked", flush=True)
        print(f"start {n} {name}", flush=True)

    report = ingestor.run([Path(args.folder)], progress=progress)
    print(f"repaired {','.join(report.repaired) or '-'}", flush=True)
    for result in report.results:
        print(f"done {result.doc_id} {result.status} {result.chunks}", flush=True)
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
