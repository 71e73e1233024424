"""Ingest progress moves per embedding batch, and the summary says how fast clauses were stored."""

from __future__ import annotations

from pathlib import Path

from qa.ingest.pipeline import Ingestor
from qa.settings import Settings
from tests.test_ingestion import CountingEmbeddings, plans  # noqa: F401  (fixture)
from vectorstore import InMemoryClauseStore


def test_progress_advances_per_batch_and_the_summary_gives_clauses_per_second(plans: Path, tmp_path: Path) -> None:  # noqa: F811
    settings = Settings.load({"store_path": tmp_path / "store", "embed_batch_size": 2}, env={})
    embeddings = CountingEmbeddings()
    store = InMemoryClauseStore(embeddings.model_id)
    steps: list[tuple[str, int]] = []
    report = Ingestor(settings, store, embeddings).run(
        [plans], progress=lambda name, n, total: steps.append(("file", n)), on_chunks=lambda n: steps.append(("chunks", n)),
    )
    batches = [n for kind, n in steps if kind == "chunks"]
    assert sum(batches) == store.chunk_count() and max(batches) <= 2
    assert len(batches) > len([s for s in steps if s[0] == "file"])  # more steps than files: a plan moves the bar as it embeds
    assert steps[0] == ("file", 1) and ("file", 2) in steps[steps.index(("file", 1)) + 2 :]
    assert "clauses/s" in report.table().splitlines()[-1]
    assert report.rate().startswith(f"{sum(r.clauses for r in report.results)} clauses stored ({store.chunk_count()} chunks embedded)")
