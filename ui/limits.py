"""How much one client may ask: the question length cap (both modes), in public mode a rate limit per client, and
the one bounded queue every answering path goes through (:class:`AnswerGate`, :class:`GatedAssistant`).

The sliding-window :class:`~ui.auth.RateLimiter` itself lives in :mod:`ui.auth` beside the logins.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from qa.settings import Settings
from ui.auth import RateLimiter


@dataclass
class Limits:
    """Question length cap (both modes) and, in public mode, a per-client rate limit."""

    max_chars: int
    limiter: RateLimiter | None = None

    @classmethod
    def for_settings(cls, settings: Settings) -> Limits:
        limiter = RateLimiter(settings.rate_limit_per_minute) if settings.public and settings.rate_limit_per_minute > 0 else None
        return cls(settings.max_question_chars, limiter)

    def check(self, question: str, client: str) -> str | None:
        """None when the question may be answered, else the message to show."""
        length = len(question.strip())
        if length > self.max_chars:
            return f"{TOO_LONG}：最多 {self.max_chars} 字（当前 {length} 字），请精简后再问。"
        if self.limiter is not None:
            wait = self.limiter.hit(client, question_cost(question))  # a long question weighs more
            if wait:
                return f"{TOO_OFTEN}：每分钟最多 {self.limiter.limit} 个问题（长问题按每 100 字一个计），请 {math.ceil(wait)} 秒后再试。"
        return None


def client_key(request: Any) -> str:
    """The client's address (``gr.Request``). The server believes ``X-Forwarded-For`` only from ``trusted_proxies``
    (uvicorn's proxy headers), so this is the connecting address unless a configured proxy says otherwise."""
    client = getattr(request, "client", None)
    return str(getattr(client, "host", "") or "unknown")


# ------------------------------------------------------------------------------------------ one bounded queue


class Busy(Exception):
    """Every answer slot is taken and the queue is full (or the wait ran out); ``retry_after`` in seconds."""

    def __init__(self, retry_after: float = 5.0) -> None:
        super().__init__(f"服务繁忙：请 {math.ceil(retry_after)} 秒后再试。")
        self.retry_after = retry_after


class AnswerGate:
    """At most ``slots`` answers computed at once and ``max_waiting`` waiting for a slot, whichever path asks (the
    chat, Gradio's ``/run/ask``, the HTTP API, the OpenAI API): one gate per server, shared by all of them."""

    def __init__(self, slots: int, max_waiting: int, wait_seconds: float = 60.0) -> None:
        self.slots = max(1, slots)
        self.max_waiting = max(0, max_waiting)
        self.wait_seconds = wait_seconds
        self._free = threading.BoundedSemaphore(self.slots)
        self._lock = threading.Lock()
        self.active = 0
        self.waiting = 0

    def acquire(self) -> None:
        """Take a slot, waiting in line when all are busy; :class:`Busy` when the line is full or the wait too long."""
        if not self._free.acquire(blocking=False):
            with self._lock:
                if self.waiting >= self.max_waiting:
                    raise Busy()
                self.waiting += 1
            try:
                if not self._free.acquire(timeout=self.wait_seconds):
                    raise Busy()
            finally:
                with self._lock:
                    self.waiting -= 1
        with self._lock:
            self.active += 1

    def release(self) -> None:
        with self._lock:
            self.active -= 1
        self._free.release()

    @contextmanager
    def slot(self) -> Iterator[None]:
        self.acquire()
        try:
            yield
        finally:
            self.release()


class GatedAssistant:
    """An :class:`~qa.service.Assistant` whose ``ask``, ``ask_stream`` and ``search`` each hold a slot of ``gate``
    while they run; everything else (store, searcher, settings …) is the assistant's own."""

    def __init__(self, assistant: Any, gate: AnswerGate) -> None:
        self.inner = assistant
        self.gate = gate

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def ask(self, question: str, *args: Any, **kwargs: Any) -> Any:
        """The assistant's answer with a slot held; when the server is busy, a refusal that says so."""
        *_, answer = self.ask_stream(question, *args, **kwargs)
        return answer

    def search(self, *args: Any, **kwargs: Any) -> Any:
        with self.gate.slot():
            return self.inner.search(*args, **kwargs)

    def ask_stream(self, question: str, *args: Any, **kwargs: Any) -> Iterator[Any]:
        """The assistant's stream with a slot held until it ends or is closed; when the server is busy, the chat
        gets a refusal that says so (the HTTP APIs hold the gate themselves and answer 503)."""
        from qa.answer.answers import Answer

        try:
            self.gate.acquire()
        except Busy as busy:
            yield str(busy)
            yield Answer(question, str(busy), refused=True, answerer=self.inner.answerer_name, notices=[str(busy)])
            return
        try:
            yield from self.inner.ask_stream(question, *args, **kwargs)
        finally:
            self.gate.release()


def question_cost(question: str, history_turns: int = 0) -> int:
    """What a question weighs in a rate limit: 1 per 100 characters begun, +1 when it carries a conversation
    (a long question costs more CPU to answer than a short one, so it uses up a limit sooner)."""
    return max(1, math.ceil(len(question.strip()) / 100)) + (1 if history_turns else 0)


TOO_LONG = "问题过长"
TOO_OFTEN = "提问过于频繁"
_WAIT = re.compile(r"请 (\d+) 秒后再试")


def limit_status(message: str) -> tuple[int, int] | None:
    """The HTTP status (and Retry-After seconds, 0 for none) of a limit message of :meth:`Limits.check`, else None:
    413 for a question over the length cap, 429 for the rate limit. Gradio reports both as 500; the server maps them."""
    if message.startswith(TOO_LONG):
        return 413, 0
    if message.startswith(TOO_OFTEN):
        wait = _WAIT.search(message)
        return 429, int(wait.group(1)) if wait else 60
    return None
