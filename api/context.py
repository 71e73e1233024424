"""What every route needs: the settings, the assistant behind the server's one answer gate, the knowledge base and
the guard; and the answering both APIs share: limits checked before (length, rate), a slot of the gate held while
the answer is made (a few per caller at most), and the time it held charged to the caller after."""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from api import models
from api.guard import ApiError, Caller, Guard
from qa.library import Library
from qa.settings import Settings
from ui.limits import AnswerGate, question_cost

log = logging.getLogger("planqa.api")
SLOT_SECONDS_PER_UNIT = 1.0  # an answer holding a slot longer than this costs one more rate-limit unit per second begun


@dataclass
class Context:
    settings: Settings
    assistant: Any  # qa.service.Assistant (not gated: the API holds the gate itself, around whole streams)
    gate: AnswerGate
    guard: Guard
    library: Library
    writes: threading.Lock = field(default_factory=threading.Lock)  # upload, delete, re-index: one at a time
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _in_flight: dict[str, int] = field(default_factory=dict)  # answers being made, by caller bucket

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

    def ask(self, caller: Caller, question: str, history: Sequence[Any] = (), filters: Any = None) -> dict[str, Any]:
        with self.slot(caller):
            return self.assistant.ask(question, history=history, filters=filters).as_dict()

    def search(self, caller: Caller, question: str, k: int, filters: Any = None) -> Any:
        with self.slot(caller):
            return self.assistant.search(question, k=k, filters=filters)

    def ask_stream(self, caller: Caller, question: str, history: Sequence[Any] = (), filters: Any = None) -> Iterator[str | dict[str, Any]]:
        """Text pieces, then the answer as a dict. The slot is taken before the first piece (so a full queue is a
        503 before any byte is sent) and held until the stream ends, fails or is dropped unread."""
        held = self.slot(caller)
        held.__enter__()
        pieces = (piece if isinstance(piece, str) else piece.as_dict() for piece in self.assistant.ask_stream(question, history, filters))
        return _Held(pieces, lambda: held.__exit__(None, None, None))

    @contextmanager
    def slot(self, caller: Caller) -> Iterator[None]:
        """A slot of the gate for ``caller``, who may hold at most ``per_caller_slots`` at once (429 past that, so one
        caller cannot take every slot); the seconds it is held are charged to the caller's rate limit afterwards, one
        unit per ``SLOT_SECONDS_PER_UNIT`` begun beyond the first (a question that costs seconds of CPU uses up the
        limit as fast as it uses the server)."""
        limit = max(1, self.settings.max_concurrency // 2)
        with self._lock:
            if caller.role != "staff" and self._in_flight.get(caller.bucket, 0) >= limit:
                raise ApiError(429, f"at most {limit} questions at a time per caller; wait for an answer", "rate_limit_error", "too_many_at_once",
                               {"Retry-After": "1"})
            self._in_flight[caller.bucket] = self._in_flight.get(caller.bucket, 0) + 1
        try:
            with self.gate.slot():
                started = time.monotonic()
                try:
                    yield
                finally:
                    units = math.ceil((time.monotonic() - started) / SLOT_SECONDS_PER_UNIT) - 1
                    if units > 0:
                        self.guard.spend(caller, units)
        finally:
            with self._lock:
                left = self._in_flight.pop(caller.bucket) - 1
                if left:
                    self._in_flight[caller.bucket] = left


class _Held:
    """An iterator that gives back its slot once: at its end, on an error, on close, or when dropped unread (a
    generator that never started would not run its ``finally``)."""

    def __init__(self, inner: Iterator[Any], release: Any) -> None:
        self.inner, self._release = inner, release

    def __iter__(self) -> _Held:
        return self

    def __next__(self) -> Any:
        try:
            return next(self.inner)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        release, self._release = self._release, None
        if release is not None:
            release()

    def __del__(self) -> None:
        self.close()


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
