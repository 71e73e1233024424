"""What every route needs: the settings, the assistant behind the server's one answer gate, the knowledge base and
the guard; and the answering both APIs share (limits checked, a slot of the gate held while the answer is made)."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from api import models
from api.guard import ApiError, Caller, Guard
from qa.library import Library
from qa.settings import Settings
from ui.limits import AnswerGate, question_cost

log = logging.getLogger("planqa.api")


@dataclass
class Context:
    settings: Settings
    assistant: Any  # qa.service.Assistant (not gated: the API holds the gate itself, around whole streams)
    gate: AnswerGate
    guard: Guard
    library: Library
    writes: threading.Lock = field(default_factory=threading.Lock)  # upload, delete, re-index: one at a time

    def check_question(self, question: str, caller: Caller, history_turns: int = 0) -> str:
        """The question, once it is within the length cap (413 over it, 422 empty) and the caller's rate limit (429)."""
        question = str(question or "")
        length = len(question.strip())
        if length > self.settings.max_question_chars:
            raise ApiError(413, f"question too long: {length} characters, at most {self.settings.max_question_chars}", code="question_too_long")
        if not length:
            raise ApiError(422, "empty question", code="empty_question")
        self.guard.charge(caller, question_cost(question, history_turns))
        return question

    def ask(self, question: str, history: Sequence[Any] = (), filters: Any = None) -> dict[str, Any]:
        with self.gate.slot():
            return self.assistant.ask(question, history=history, filters=filters).as_dict()

    def ask_stream(self, question: str, history: Sequence[Any] = (), filters: Any = None) -> Iterator[str | dict[str, Any]]:
        """Text pieces, then the answer as a dict. The gate's slot is taken before the first piece (so a full queue
        is a 503 before any byte is sent) and held until the stream ends or is dropped."""
        self.gate.acquire()
        return self._stream(question, history, filters)

    def _stream(self, question: str, history: Sequence[Any], filters: Any) -> Iterator[str | dict[str, Any]]:
        try:
            for piece in self.assistant.ask_stream(question, history, filters):
                yield piece if isinstance(piece, str) else piece.as_dict()
        finally:
            self.gate.release()


def history_of(turns: Sequence[models.Turn]) -> list[Any]:
    from qa.service import Turn

    return [Turn(t.question, t.answer) for t in turns]


def filters_of(filters: models.Filters | None) -> Any:
    from qa.search.results import Filters

    if filters is None:
        return None
    return Filters.of(filters.plans, filters.regions, filters.years) or None


def sse(event: str, data: Any) -> str:
    """One server-sent event; the JSON is on one line, so the frame is ``event:``, ``data:`` and a blank line."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
