"""The chat's behaviour without gradio: limits, streaming through ``Assistant.ask_stream``, rendering, feedback
and the JSON API. :mod:`ui.blocks` wires it to the page.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qa.answer.answers import Answer
from qa.settings import Settings
from ui.auth import RateLimiter
from ui.limits import Limits
from ui.render import answer_plain_text, render_answer_html, render_message_html, render_question_html, render_streaming_html

if TYPE_CHECKING:
    from qa.search.results import Filters
    from qa.service import Assistant

log = logging.getLogger("planqa.app")


class LimitExceeded(Exception):
    """A question over the length cap or the rate limit; the message is shown to the user."""


KEEP: Any = object()  # ChatUpdate.answer: leave the stored answer as it is


@dataclass
class ChatUpdate:
    """What one step of a chat turn changes; ``None`` (``KEEP`` for ``answer``) leaves a value as it is."""

    messages: list[dict[str, str]]
    history: list[tuple[str, str]]
    question: str | None = None  # the input box
    answer: Any = KEEP  # Answer.as_dict() of the finished answer (None: no answer to give feedback on)
    plain: str | None = None  # what 复制回答 copies
    status: str | None = None  # the feedback line
    given: bool | None = None  # feedback already given for the current answer


class Chat:
    """The chat's behaviour without gradio: limits, streaming through ``Assistant.ask_stream``, rendering, feedback."""

    def __init__(self, assistant: Assistant, settings: Settings) -> None:
        self.assistant = assistant
        self.settings = settings
        self.limits = Limits.for_settings(settings)
        limit = settings.rate_limit_per_minute
        self.feedback_limiter = RateLimiter(limit) if settings.public and limit > 0 else None

    def respond(
        self, text: str, messages: Sequence[dict[str, str]], history: Sequence[Sequence[str]], filters: Filters | None, client: str
    ) -> Iterator[ChatUpdate]:
        """Stream one turn: the question and a placeholder, the streamed text, then the final rendered answer."""
        from qa.service import Turn

        text = (text or "").strip()
        messages = list(messages or [])
        history = [(str(q), str(a)) for q, a in (history or [])]
        if not text:
            yield ChatUpdate(list(messages), history)
            return
        problem = self.limits.check(text, client)
        if problem:
            cap = self.settings.max_question_chars
            shown = text[:cap] + ("…" if len(text) > cap else "")
            messages += [{"role": "user", "content": render_question_html(shown)}, {"role": "assistant", "content": render_message_html(problem, "limit")}]
            yield ChatUpdate(list(messages), history, question=text)
            return
        turn = len(history)
        messages += [{"role": "user", "content": render_question_html(text)}, {"role": "assistant", "content": render_streaming_html("")}]
        yield ChatUpdate(list(messages), history, question="", status="", given=False)
        streamed = ""
        answer: Answer | None = None
        try:
            for piece in self.assistant.ask_stream(text, [Turn(q, a) for q, a in history], filters):
                if isinstance(piece, Answer):
                    answer = piece
                else:
                    streamed += piece
                    messages[-1] = {"role": "assistant", "content": render_streaming_html(streamed)}
                    yield ChatUpdate(list(messages), history)
            if answer is None:
                raise RuntimeError("the assistant returned no answer")
        except Exception as exc:  # noqa: BLE001 - the chat shows the failure instead of a broken bubble
            log.exception("answering %r failed", text)
            messages[-1] = {"role": "assistant", "content": render_message_html(f"出错了，请稍后再试（{type(exc).__name__}）。", "error")}
            yield ChatUpdate(list(messages), history, answer=None, plain="")
            return
        messages[-1] = {"role": "assistant", "content": render_answer_html(answer, turn)}
        history = [*history, (text, answer.text)]
        yield ChatUpdate(list(messages), history, answer=answer.as_dict(), plain=answer_plain_text(answer))

    def feedback(self, verdict: str, note: str, answer: Mapping[str, Any] | None, given: bool, client: str) -> tuple[str, str, bool]:
        """Record a verdict on the latest answer: (status line HTML, comment box, feedback given)."""
        from ui.feedback import record_feedback

        if not answer:
            return "<span>还没有可评价的回答。</span>", note, given
        if given:
            return "<span>已收到对这个回答的反馈，谢谢。</span>", note, given
        if self.feedback_limiter is not None and self.feedback_limiter.hit(client):
            return "<span>反馈过于频繁，请稍后再试。</span>", note, given
        try:
            record_feedback(self.settings.feedback_path, answer, verdict, note)
        except OSError as exc:
            log.error("cannot write feedback to %s: %s", self.settings.feedback_path, exc)
            return "<span>反馈暂时无法保存。</span>", note, given
        return "<span>已记录反馈，谢谢！</span>", "", True

    def api_answer(self, question: str, client: str) -> dict[str, Any]:
        """The JSON API: ``Answer.as_dict()`` for one question; :class:`LimitExceeded` over a limit."""
        question = str(question or "")
        problem = self.limits.check(question, client)
        if problem:
            raise LimitExceeded(problem)
        return self.assistant.ask(question).as_dict()
