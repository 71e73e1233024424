"""How much one client may ask: the question length cap (both modes) and, in public mode, a rate limit per client.

The sliding-window :class:`~ui.auth.RateLimiter` itself lives in :mod:`ui.auth` beside the logins.
"""

from __future__ import annotations

import math
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
            return f"问题过长：最多 {self.max_chars} 字（当前 {length} 字），请精简后再问。"
        if self.limiter is not None:
            wait = self.limiter.hit(client)
            if wait:
                return f"提问过于频繁：每分钟最多 {self.limiter.limit} 个问题，请 {math.ceil(wait)} 秒后再试。"
        return None


def client_key(request: Any) -> str:
    """The client's address (``gr.Request``); behind a proxy, configure it to pass the real address."""
    client = getattr(request, "client", None)
    return str(getattr(client, "host", "") or "unknown")
