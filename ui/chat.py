"""The chat's behaviour without gradio: limits, streaming through ``Assistant.ask_stream``, rendering, the actions
under each answer (有用/有误 with a comment, 重新生成; 复制 runs in the browser) and the JSON API. :mod:`ui.blocks`
wires it to the page.

A conversation is one plain dict (it goes to the browser's storage and to the server's conversation store as JSON):
``{"messages": [{"role", "content"}] as rendered, "history": [[question, answer text]] for follow-up questions,
"answers": [{"index": message index, "answer": Answer.as_dict(), "given": feedback given}] by turn}``. An action
names its turn, so a verdict or a regeneration acts on that answer, not on the latest one.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qa.answer.answers import Answer
from qa.settings import Settings
from ui.auth import RateLimiter
from ui.limits import Limits
from ui.render import describe_filters, render_answer_html, render_message_html, render_question_html, render_streaming_html

if TYPE_CHECKING:
    from qa.search.results import Filters
    from qa.service import Assistant

log = logging.getLogger("planqa.app")
ACTIONS = ("useful", "wrong", "regen")


class LimitExceeded(Exception):
    """A question over the length cap or the rate limit; the message is shown to the user."""


def new_conversation() -> dict[str, Any]:
    return {"messages": [], "history": [], "answers": []}


def conversation(value: Any) -> dict[str, Any]:
    """A conversation dict from whatever the browser or the store kept (anything malformed: a new one)."""
    if not isinstance(value, dict):
        return new_conversation()
    conv = copy.deepcopy(value)
    ok = all(isinstance(conv.get(k), list) for k in ("messages", "history", "answers"))
    return conv if ok else new_conversation()


def title_of(conv: dict[str, Any]) -> str:
    """A conversation's default title: its first question, cut to 30 characters."""
    history = conv.get("history") or []
    first = str(history[0][0]) if history else ""
    return (first[:30] + ("…" if len(first) > 30 else "")) or "新对话"


@dataclass
class ChatUpdate:
    """What one step of a chat turn shows: the conversation, the input box (``None``: leave it), the status line."""

    conv: dict[str, Any]
    question: str | None = None
    status: str | None = None

    @property
    def messages(self) -> list[dict[str, str]]:
        return self.conv["messages"]


class Chat:
    """The chat's behaviour without gradio: limits, streaming through ``Assistant.ask_stream``, rendering, actions."""

    def __init__(self, assistant: Assistant, settings: Settings) -> None:
        self.assistant = assistant
        self.settings = settings
        self.limits = Limits.for_settings(settings)
        limit = settings.rate_limit_per_minute
        self.feedback_limiter = RateLimiter(limit) if settings.public and limit > 0 else None

    def respond(self, text: str, conv: Any, filters: Filters | None, client: str) -> Iterator[ChatUpdate]:
        """Stream one turn: the question and a placeholder, the streamed text, then the final rendered answer."""
        text = (text or "").strip()
        conv = conversation(conv)
        if not text:
            yield ChatUpdate(conv)
            return
        problem = self.limits.check(text, client)
        if problem:  # the whole question is shown, flagged, and stays in the input box to be shortened: never cut
            conv["messages"] += [{"role": "user", "content": render_question_html(text)}, {"role": "assistant", "content": render_message_html(problem, "limit")}]
            yield ChatUpdate(conv, question=text)
            return
        conv["messages"] += [{"role": "user", "content": render_question_html(text)}, {"role": "assistant", "content": render_streaming_html("")}]
        yield ChatUpdate(copy.deepcopy(conv), question="", status="")
        turn = len(conv["answers"])
        yield from self._answer(conv, turn, len(conv["messages"]) - 1, text, filters)

    def _answer(self, conv: dict[str, Any], turn: int, index: int, text: str, filters: Filters | None) -> Iterator[ChatUpdate]:
        """Answer ``text`` into message ``index`` as turn ``turn``, with the history before that turn."""
        from qa.service import Turn

        history = [Turn(str(q), str(a)) for q, a in conv["history"][:turn]]
        streamed = ""
        answer: Answer | None = None
        try:
            for piece in self.assistant.ask_stream(text, history, filters):
                if isinstance(piece, Answer):
                    answer = piece
                else:
                    streamed += piece
                    conv["messages"][index] = {"role": "assistant", "content": render_streaming_html(streamed)}
                    yield ChatUpdate(copy.deepcopy(conv))
            if answer is None:
                raise RuntimeError("the assistant returned no answer")
        except Exception as exc:  # noqa: BLE001 - the chat shows the failure instead of a broken bubble
            log.exception("answering %r failed", text)
            conv["messages"][index] = {"role": "assistant", "content": render_message_html(f"出错了，请稍后再试（{type(exc).__name__}）。", "error")}
            yield ChatUpdate(conv)
            return
        filter_note = self._filter_note(answer, filters)
        conv["messages"][index] = {"role": "assistant", "content": render_answer_html(answer, turn, filter_note=filter_note, actions=True, regenerated=turn < len(conv["answers"]))}
        entry = {"index": index, "answer": answer.as_dict(), "given": False}
        if turn < len(conv["answers"]):
            conv["answers"][turn] = entry
            conv["history"][turn] = [text, answer.text]
        else:
            conv["answers"].append(entry)
            conv["history"].append([text, answer.text])
        yield ChatUpdate(conv)

    def _filter_note(self, answer: Answer, filters: Filters | None) -> str:
        """For a refusal under a filter: the filter named, so the user knows the plan asked may be outside it."""
        if not answer.refused or not filters:
            return ""
        plans = getattr(getattr(self.assistant, "searcher", None), "plans", {}) or {}
        titles = {doc_id: getattr(plan, "short_title", doc_id) for doc_id, plan in plans.items()}
        return f"只在筛选范围内检索（{describe_filters(filters, titles)}）：所问的规划可能不在其中。清除右侧筛选或点“新对话”后再问。"

    def act(self, action: str, note: str, conv: Any, filters: Filters | None, client: str) -> Iterator[ChatUpdate]:
        """An action of one answer's buttons: ``"useful:3"``, ``"wrong:3"`` (with ``note``) or ``"regen:3"``
        (anything after a second ``:`` is the browser's nonce, so a repeated click is a new event)."""
        conv = conversation(conv)
        kind, _, rest = str(action or "").partition(":")
        turn_text = rest.partition(":")[0]
        if kind not in ACTIONS or not turn_text.isdigit() or int(turn_text) >= len(conv["answers"]):
            yield ChatUpdate(conv, status="<span>这个回答已不在对话中。</span>")
            return
        turn = int(turn_text)
        if kind == "regen":
            entry = conv["answers"][turn]
            question = str(conv["history"][turn][0])
            problem = self.limits.check(question, client)
            if problem:
                yield ChatUpdate(conv, status=f"<span>{problem}</span>")
                return
            conv["messages"][entry["index"]] = {"role": "assistant", "content": render_streaming_html("")}
            yield ChatUpdate(copy.deepcopy(conv), status="")
            yield from self._answer(conv, turn, entry["index"], question, filters)
            return
        status, given = self.feedback(kind, note, conv["answers"][turn]["answer"], bool(conv["answers"][turn].get("given")), client, turn)
        conv["answers"][turn]["given"] = given
        yield ChatUpdate(conv, status=status)

    def feedback(self, verdict: str, note: str, answer: dict[str, Any] | None, given: bool, client: str, turn: int = 0) -> tuple[str, bool]:
        """Record a verdict on one answer (its own question, answer and citations): (status line HTML, given)."""
        from ui.feedback import record_feedback

        which = f"第 {turn + 1} 个回答"
        if not answer:
            return "<span>还没有可评价的回答。</span>", given
        if given:
            return f"<span>已收到对{which}的反馈，谢谢。</span>", given
        if self.feedback_limiter is not None and self.feedback_limiter.hit(client):
            return "<span>反馈过于频繁，请稍后再试。</span>", given
        try:
            record_feedback(self.settings.feedback_path, answer, verdict, note)
        except OSError as exc:
            log.error("cannot write feedback to %s: %s", self.settings.feedback_path, exc)
            return "<span>反馈暂时无法保存。</span>", given
        word = "有用" if verdict == "useful" else "有误"
        return f"<span>已记录对{which}的反馈（{word}{'，附说明' if (note or '').strip() else ''}），谢谢！</span>", True

    def api_answer(self, question: str, client: str) -> dict[str, Any]:
        """The JSON API: ``Answer.as_dict()`` for one question; :class:`LimitExceeded` over a limit."""
        question = str(question or "")
        problem = self.limits.check(question, client)
        if problem:
            raise LimitExceeded(problem)
        return self.assistant.ask(question).as_dict()
