"""Who is calling and how much they may do: API keys (``Authorization: Bearer``), the staff login's session, the
rate limit per key or address (the ``limits`` library, weighted by cost) and the errors that say no.

Roles: ``staff`` (a staff key, or the staff UI's login cookie), ``public`` (a public key), ``anonymous`` (no key;
refused with 401 when ``api_require_key``). Missing or bad credentials are 401, a known caller without the right
is 403, over the limit is 429 with ``Retry-After``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from api.keys import PREFIX, KeyStore
from qa.settings import Settings


class ApiError(Exception):
    """An answer that is not a success: HTTP ``status``, a message for the caller, an error type and code."""

    def __init__(self, status: int, message: str, kind: str = "invalid_request_error", code: str = "", headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.kind, self.code = status, message, kind, code
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.kind, "code": self.code or None}}


def unauthorized(message: str) -> ApiError:
    return ApiError(401, message, "authentication_error", "invalid_api_key", {"WWW-Authenticate": "Bearer"})


@dataclass(frozen=True)
class Caller:
    role: str  # staff | public | anonymous
    address: str
    key_id: str = ""

    @property
    def bucket(self) -> str:
        """What the rate limit counts by: the key, or the address of a caller without one."""
        return f"key:{self.key_id}" if self.key_id else f"address:{self.address}"


@dataclass
class Guard:
    """Resolves the caller of a request and charges its rate limit. ``staff_session(request)`` is True for a
    request carrying the staff UI's login cookie (set by the server once the staff UI is mounted)."""

    settings: Settings
    keys: KeyStore
    staff_session: Callable[[Any], bool] = lambda request: False
    _limiter: MovingWindowRateLimiter = field(init=False)
    _item: Any = field(init=False)

    def __post_init__(self) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._item = RateLimitItemPerMinute(max(1, self.settings.api_rate_limit_per_minute))

    def caller(self, request: Any) -> Caller:
        address = str(getattr(request.client, "host", "") or "unknown")
        header = request.headers.get("authorization", "")
        if header:
            scheme, _, token = header.strip().partition(" ")
            token = token.strip()
            if scheme.lower() != "bearer" or not token:
                raise unauthorized("Authorization must be `Bearer <API key>`")
            # OpenAI clients always send some key: without required keys, one that is not a PlanQA key counts as none
            if token.startswith(PREFIX) or self.settings.api_require_key:
                key = self.keys.verify(token)
                if key is None:
                    raise unauthorized("unknown or revoked API key; `planqa keys list` shows the active ones")
                return Caller(key.role, address, key.id)
        if self.staff_session(request):
            return Caller("staff", address)
        if self.settings.api_require_key:
            raise unauthorized("this server needs an API key: send `Authorization: Bearer <key>` (`planqa keys create`)")
        return Caller("anonymous", address)

    def staff(self, request: Any) -> Caller:
        """The caller, who must be staff: 401 without credentials, 403 with a key that is not a staff key."""
        caller = self.caller(request)
        if caller.role == "staff":
            return caller
        if caller.role == "anonymous":
            raise unauthorized("staff only: send a staff key (`planqa keys create --role staff`) or log in at /staff")
        raise ApiError(403, "staff only: this key's role is public", "permission_error", "forbidden")

    def charge(self, caller: Caller, cost: int = 1) -> None:
        """Spend ``cost`` of the caller's per-minute limit; 429 with Retry-After when it is spent. Staff keys are free."""
        if caller.role == "staff" or self.settings.api_rate_limit_per_minute <= 0:
            return
        cost = min(cost, self._item.amount)  # a question costing more than a whole minute still gets through alone
        if not self._limiter.hit(self._item, caller.bucket, cost=cost):
            reset, _ = self._limiter.get_window_stats(self._item, caller.bucket)
            wait = max(1, math.ceil(reset - time.time()))
            raise ApiError(429, f"rate limit: {self._item.amount} cost units a minute; retry in {wait} s", "rate_limit_error",
                           "rate_limited", {"Retry-After": str(wait)})

    def spend(self, caller: Caller, cost: int) -> None:
        """Charge ``cost`` after the fact (what an answer turned out to cost), as much of it as the window still
        holds: the caller's next request is refused sooner, this one is not undone."""
        if caller.role == "staff" or self.settings.api_rate_limit_per_minute <= 0 or cost <= 0:
            return
        _, remaining = self._limiter.get_window_stats(self._item, caller.bucket)
        if remaining > 0:
            self._limiter.hit(self._item, caller.bucket, cost=min(cost, remaining))
