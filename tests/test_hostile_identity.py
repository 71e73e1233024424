"""A plan is its file, not its bare file name (issue 15): another file with a stored plan's name, from another
folder, is refused with what to do, and replaces the plan only when asked (``--replace``); the same path updates it."""

from __future__ import annotations

from pathlib import Path

from qa.ingest.pipeline import Ingestor
from qa.settings import Settings
from tests.test_ingestion import PLAN_A, PLAN_B, CountingEmbeddings
from vectorstore import InMemoryClauseStore


def test_another_file_with_a_stored_plans_name_does_not_replace_it_unless_asked(tmp_path: Path) -> None:
    settings = Settings.load({"store_path": tmp_path / "store"}, env={})
    embeddings = CountingEmbeddings()
    store = InMemoryClauseStore(embeddings.model_id)
    ingestor = Ingestor(settings, store, embeddings)
    first, other = tmp_path / "plans" / "city-2024.txt", tmp_path / "downloads" / "city-2024.txt"
    for path, text in ((first, PLAN_A), (other, PLAN_B)):
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
    assert [r.status for r in ingestor.run([first]).results] == ["new"]
    stored = sorted(c.text for c in store.all_chunks())

    [refused] = ingestor.run([other]).results
    assert refused.status == "failed" and sorted(c.text for c in store.all_chunks()) == stored  # nothing replaced
    assert refused.message == (
        f"{other}: another file than the stored plan 'city-2024' of the same name, which was ingested from {first.resolve()}; "
        "to replace that plan with this file, ingest it with --replace; to keep both, rename this file"
    )

    other.write_text(PLAN_A, encoding="utf-8")  # the same content from elsewhere is the same plan
    assert [r.status for r in ingestor.run([other]).results] == ["unchanged"]

    first.write_text(PLAN_A.replace("5家", "6家"), encoding="utf-8")  # the plan's own file, changed: an update
    assert [r.status for r in ingestor.run([first]).results] == ["updated"]

    other.write_text(PLAN_B, encoding="utf-8")
    assert [r.status for r in ingestor.run([other], replace=True).results] == ["updated"]
    assert sorted(c.text for c in store.all_chunks()) == ["(一)儿童疫苗接种率保持95%以上。", "(二)新建发热门诊2个。"]
    assert store.documents()["city-2024"].metadata["source_path"] == str(other.resolve())
    [now_refused] = ingestor.run([first]).results  # and now the first file is the other one
    assert now_refused.status == "failed" and str(other.resolve()) in now_refused.message


def test_a_plan_stored_before_paths_were_kept_is_updated_as_before(tmp_path: Path) -> None:
    settings = Settings.load({"store_path": tmp_path / "store"}, env={})
    embeddings = CountingEmbeddings()
    store = InMemoryClauseStore(embeddings.model_id)
    first, other = tmp_path / "a" / "city-2024.txt", tmp_path / "b" / "city-2024.txt"
    for path, text in ((first, PLAN_A), (other, PLAN_B)):
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
    Ingestor(settings, store, embeddings).run([first])
    del store.documents()["city-2024"].metadata["source_path"]  # as an ingest before this one wrote the record
    assert [r.status for r in Ingestor(settings, store, embeddings).run([other]).results] == ["updated"]
    assert store.documents()["city-2024"].metadata["source_path"] == str(other.resolve())  # and now it has its path
