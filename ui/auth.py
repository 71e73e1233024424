"""Who may use the app, and how much: staff password hashes, the users list, the start-up check, a rate limiter,
and the login guard (each check off the event loop, with back-off per account and per address).

Pure helpers (no gradio). Passwords are stored as ``pbkdf2_sha256$<iterations>$<salt hex>$<hash hex>``
(PBKDF2-HMAC-SHA256 from :mod:`hashlib`); a bare sha256 hex digest is accepted too, for quick set-ups.
Make a hash with ``python -m ui.auth hash`` (asks for the password twice, or reads one line from stdin).
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import getpass
import hashlib
import hmac
import json
import math
import re
import secrets
import sys
import threading
import time
import tomllib
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from qa.settings import Settings

ALGORITHM = "pbkdf2_sha256"
ITERATIONS = 600_000  # OWASP 2023 guidance for PBKDF2-HMAC-SHA256
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")
_NAME = re.compile(r"[^\s:,]{1,64}")


class AuthError(ValueError):
    """The users configuration is unusable, or the app may not start as configured; the message says what to do."""


def hash_password(password: str, iterations: int = ITERATIONS, salt: str | None = None) -> str:
    """``pbkdf2_sha256$iterations$salt$hash`` for ``password`` (random 16-byte salt unless given)."""
    if not password:
        raise AuthError("empty password; choose a non-empty one")
    salt = salt or secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt.encode("ascii"), iterations)
    return f"{ALGORITHM}${iterations}${salt}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches ``stored`` (a PBKDF2 string or a sha256 hex digest); constant-time compare."""
    stored = stored.strip()
    if stored.startswith(ALGORITHM + "$"):
        try:
            _, iterations, salt, expected = stored.split("$")
            rounds = int(iterations)
        except ValueError:
            return False
        if not 1 <= rounds <= 10_000_000:
            return False
        digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt.encode("ascii", "replace"), rounds)
        return hmac.compare_digest(digest.hex(), expected.lower())
    if _SHA256_HEX.fullmatch(stored):
        return hmac.compare_digest(hashlib.sha256(password.encode("utf-8")).hexdigest(), stored.lower())
    return False


def _check_hash(name: str, stored: str, where: str) -> str:
    stored = stored.strip()
    if not _NAME.fullmatch(name):
        raise AuthError(f"{where}: user name {name!r} must be 1-64 characters without spaces, ':' or ','")
    if not (stored.startswith(ALGORITHM + "$") and stored.count("$") == 3) and not _SHA256_HEX.fullmatch(stored):
        raise AuthError(
            f"{where}: user {name!r} has no valid hash; store `python -m ui.auth hash` output "
            f"({ALGORITHM}$…) or a sha256 hex digest, never the password itself"
        )
    return stored


def parse_users(spec: str, where: str = "PLANQA_USERS") -> dict[str, str]:
    """``"name:hash,name2:hash2"`` -> {name: hash}."""
    users: dict[str, str] = {}
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        name, sep, stored = item.partition(":")
        if not sep:
            raise AuthError(f"{where}: entry {item[:20]!r}… is not `name:hash`")
        users[name.strip()] = _check_hash(name.strip(), stored, where)
    return users


def load_users_file(path: Path) -> dict[str, str]:
    """A TOML (``[users]`` table) or JSON (``{"users": {…}}`` or a plain object) file of name = hash."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AuthError(f"users file {path}: cannot be read ({exc.strerror}); fix PLANQA_USERS_FILE") from exc
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise AuthError(f"users file {path}: not valid {'JSON' if path.suffix.lower() == '.json' else 'TOML'} ({exc})") from exc
    table = data.get("users", data) if isinstance(data, Mapping) else None
    if not isinstance(table, Mapping) or not all(isinstance(v, str) for v in table.values()):
        raise AuthError(f"users file {path}: expected a table of name = \"hash\" (under [users] or at the top level)")
    return {str(name): _check_hash(str(name), stored, f"users file {path}") for name, stored in table.items()}


def load_users(settings: Settings) -> dict[str, str]:
    """Staff logins from ``settings.users`` and ``settings.users_file`` (the file wins for a name in both)."""
    users = parse_users(settings.users) if settings.users else {}
    if settings.users_file:
        users.update(load_users_file(Path(settings.users_file).expanduser()))
    return users


def authenticator(users: Mapping[str, str]) -> Callable[[str, str], bool]:
    """The ``auth`` callable Gradio's login calls. Unknown names cost as much time as known ones."""
    decoy = hash_password(secrets.token_hex(8), salt="0" * 32)

    def check(name: str, password: str) -> bool:
        stored = users.get(name)
        ok = verify_password(password, stored or decoy)
        return ok and stored is not None

    return check


# The address of the request being served, set by the server's middleware (api.server) for the login check.
CLIENT_ADDRESS: contextvars.ContextVar[str] = contextvars.ContextVar("planqa_client_address", default="unknown")


class LoginGuard:
    """Back-off after failed logins, per account and per address: after ``free`` failures in a row, the next
    attempt is refused unchecked until ``base * 2**(failures - free)`` seconds (at most ``max_delay``) have passed
    since the last failure. A success clears the account and the address. Times from ``clock``, in seconds."""

    def __init__(self, free: int = 3, base: float = 1.0, max_delay: float = 300.0, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 100_000) -> None:
        self.free, self.base, self.max_delay, self.clock, self.max_keys = free, base, max_delay, clock, max_keys
        self._failures: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def wait(self, account: str, address: str) -> float:
        """Seconds before ``account`` may try again from ``address``; 0 when it may try now."""
        now = self.clock()
        with self._lock:
            return max(self._wait(f"account:{account}", now), self._wait(f"address:{address}", now))

    def _wait(self, key: str, now: float) -> float:
        failures, last = self._failures.get(key, (0, 0.0))
        if failures < self.free:
            return 0.0
        return max(0.0, last + min(self.max_delay, self.base * 2 ** (failures - self.free)) - now)

    def failed(self, account: str, address: str) -> None:
        now = self.clock()
        with self._lock:
            for key in (f"account:{account}", f"address:{address}"):
                self._failures[key] = (self._failures.get(key, (0, 0.0))[0] + 1, now)
            if len(self._failures) > self.max_keys:  # forget the oldest half
                for key in sorted(self._failures, key=lambda k: self._failures[k][1])[: self.max_keys // 2]:
                    del self._failures[key]

    def succeeded(self, account: str, address: str) -> None:
        with self._lock:
            self._failures.pop(f"account:{account}", None)
            self._failures.pop(f"address:{address}", None)


class LoginThrottled(Exception):
    """Too many failed logins for this account or address; ``retry_after`` in seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"登录失败次数过多：请 {math.ceil(retry_after)} 秒后再试。")
        self.retry_after = retry_after


def async_authenticator(users: Mapping[str, str], guard: LoginGuard, hash_slots: int = 2) -> Callable[[str, str], Any]:
    """The coroutine Gradio's login awaits: refused at once while :class:`LoginGuard` makes the account or address
    wait (HTTP 429 with Retry-After), else the PBKDF2 check in a worker thread (never on the event loop), at most
    ``hash_slots`` at a time. Unknown names cost as much time as known ones."""
    check = authenticator(users)
    slots = asyncio.Semaphore(max(1, hash_slots))

    async def login(name: str, password: str) -> bool:
        address = CLIENT_ADDRESS.get()
        wait = guard.wait(name, address)
        if wait > 0:
            from fastapi import HTTPException  # the server's framework; this module stays importable without it

            throttled = LoginThrottled(wait)
            raise HTTPException(status_code=429, detail=str(throttled), headers={"Retry-After": str(math.ceil(wait))})
        async with slots:
            ok = await asyncio.to_thread(check, name, password)
        (guard.succeeded if ok else guard.failed)(name, address)
        return ok

    return login


def is_local(host: str) -> bool:
    return host.strip().strip("[]").lower() in LOCAL_HOSTS


def startup_check(settings: Settings, users: Mapping[str, str]) -> list[str]:
    """Warnings to print before serving; raises :class:`AuthError` when staff mode would be open on the network."""
    if settings.public:
        return []
    if users:
        return []
    if not is_local(settings.app_host):
        raise AuthError(
            f"staff mode on {settings.app_host} without users would expose the knowledge base to the network; "
            "add logins (PLANQA_USERS or PLANQA_USERS_FILE, hashes from `python -m ui.auth hash`), "
            "serve on 127.0.0.1, or start the citizens' demo with --public"
        )
    return [
        f"warning: staff mode without login on {settings.app_host}: anyone on this machine can upload and delete plans; "
        "set PLANQA_USERS or PLANQA_USERS_FILE to require a login"
    ]


class RateLimiter:
    """At most ``limit`` events per ``window`` seconds for each key (sliding window). ``limit`` 0 = unlimited."""

    def __init__(self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self.max_keys = max_keys
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, cost: int = 1) -> float:
        """Record ``cost`` events for ``key`` (at most ``limit``: one costly request still goes through alone);
        returns 0 when allowed, else the seconds to wait (nothing recorded)."""
        if self.limit <= 0:
            return 0.0
        cost = max(1, min(cost, self.limit))
        now = self.clock()
        with self._lock:
            events = self._events.setdefault(key, deque())
            while events and events[0] <= now - self.window:
                events.popleft()
            if len(events) + cost > self.limit:
                return max(0.1, events[len(events) + cost - self.limit - 1] + self.window - now)
            events.extend([now] * cost)
            if len(self._events) > self.max_keys:
                self._prune(now)
            return 0.0

    def _prune(self, now: float) -> None:
        for key in [k for k, ev in self._events.items() if not ev or ev[-1] <= now - self.window]:
            del self._events[key]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ui.auth", description="Staff login helpers for the PlanQA app.")
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("hash", help="print a PBKDF2 hash of a password for PLANQA_USERS or the users file")
    make.add_argument("--user", help="print `user:hash`, ready for PLANQA_USERS")
    make.add_argument("--iterations", type=int, default=ITERATIONS)
    args = parser.parse_args(argv)
    if sys.stdin.isatty():
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            print("passwords differ; nothing printed", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        stored = hash_password(password, iterations=args.iterations)
        if args.user:
            _check_hash(args.user, stored, "--user")
    except AuthError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{args.user}:{stored}" if args.user else stored)
    return 0


if __name__ == "__main__":
    sys.exit(main())
