"""A PDF whose pages are costly to read (a content stream of 20,000 text operators a page: about 0.7 s each, 30 s
for the file) ends in a named `failed` row when its time budget (max_pdf_seconds) runs out, and the other files of
the run still land. The budget is lowered to 1 s here, so the test costs seconds; the PDF is generated."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from qa.ingest import pdf
from qa.ingest.limits import limits
from qa.ingest.pipeline import Ingestor
from qa.settings import Settings
from tests.hostile import GOOD, costly_pdf
from tests.test_ingestion import CountingEmbeddings
from vectorstore import InMemoryClauseStore


def test_a_pdf_over_its_time_budget_is_a_failed_row_and_the_others_land(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert limits().max_pdf_seconds >= 30  # the shipped budget: the corpus's PDFs read well inside it
    monkeypatch.setattr(pdf, "limits", lambda: dataclasses.replace(limits(), max_pdf_seconds=1.0))
    folder = tmp_path / "plans"
    folder.mkdir()
    (folder / "costly.pdf").write_bytes(costly_pdf(pages=40, shows=20_000))
    (folder / "good.txt").write_text(GOOD, encoding="utf-8")
    emb = CountingEmbeddings()
    store = InMemoryClauseStore(emb.model_id)
    report = Ingestor(Settings.load({"store_path": tmp_path / "store"}, env={}), store, emb).run([folder])
    rows = {r.name: r for r in report.results}
    assert rows["costly.pdf"].status == "failed"
    message = rows["costly.pdf"].message
    assert message.startswith("costly.pdf: reading its text took more than 1 s (the limit; stopped at page ") and "of 40" in message
    assert "export the text" in message
    assert rows["good.txt"].status == "new" and set(store.documents()) == {"good"}
