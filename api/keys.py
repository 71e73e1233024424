"""API keys: made by ``planqa keys create``, kept hashed in one JSON file (``api_keys_path``), sent as
``Authorization: Bearer <key>``.

A key is ``pq_`` and 32 random bytes (url-safe base64); only its sha256 is stored, which is enough for a random
secret of that length (a password would need a slow hash; a key cannot be guessed). The server reads the file again
when it changes, so a key created or revoked while it runs takes effect on the next request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

ROLES = ("staff", "public")
PREFIX = "pq_"


@dataclass(frozen=True)
class ApiKey:
    """One key as stored: its id (shown in lists and logs), role, label, sha256 and dates (ISO, UTC)."""

    id: str
    role: str
    sha256: str
    label: str = ""
    created: str = ""
    revoked: str = ""

    @property
    def active(self) -> bool:
        return not self.revoked


class KeyFileError(ValueError):
    """A key file that cannot be read or written, an unknown key id or role; the message says what to do."""


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class KeyStore:
    """The keys of ``path`` (a JSON list); safe across threads, re-read when the file changes."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._seen: tuple[float, int] | None = None
        self._keys: list[ApiKey] = []

    def all(self) -> list[ApiKey]:
        """Every key, revoked ones included, oldest first."""
        with self._lock:
            return list(self._load())

    def create(self, role: str, label: str = "") -> tuple[ApiKey, str]:
        """A new key of ``role``: (what is stored, the key itself, shown once)."""
        if role not in ROLES:
            raise KeyFileError(f"role {role!r}: use one of {', '.join(ROLES)}")
        secret = PREFIX + secrets.token_urlsafe(32)
        record = ApiKey(id=secret[len(PREFIX) : len(PREFIX) + 8], role=role, sha256=_digest(secret), label=label.strip()[:80],
                        created=datetime.now(UTC).isoformat(timespec="seconds"))
        with self._lock:
            self._save([*self._load(), record])
        return record, secret

    def revoke(self, key_id: str) -> ApiKey:
        """Mark the key ``key_id`` revoked (kept in the file, so its id is not reused unnoticed)."""
        with self._lock:
            keys = self._load()
            found = [k for k in keys if k.id == key_id]
            if not found:
                raise KeyFileError(f"no API key with id {key_id!r} in {self.path}; `planqa keys list` shows the ids")
            when = datetime.now(UTC).isoformat(timespec="seconds")
            keys = [k if k.id != key_id or k.revoked else ApiKey(**{**asdict(k), "revoked": when}) for k in keys]
            self._save(keys)
            return next(k for k in keys if k.id == key_id)

    def verify(self, secret: str) -> ApiKey | None:
        """The active key ``secret`` is, or None (unknown, malformed or revoked)."""
        if not secret.startswith(PREFIX) or len(secret) > 200:
            return None
        digest = _digest(secret)
        with self._lock:
            keys = self._load()
        for key in keys:
            if hmac.compare_digest(key.sha256, digest):
                return key if key.active else None
        return None

    def _load(self) -> list[ApiKey]:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._seen, self._keys = None, []
            return self._keys
        except OSError as exc:
            raise KeyFileError(f"API key file {self.path}: {exc.strerror}; fix PLANQA_API_KEYS_PATH") from exc
        seen = (stat.st_mtime, stat.st_size)
        if seen != self._seen:
            try:
                rows = json.loads(self.path.read_text(encoding="utf-8"))
                self._keys = [ApiKey(**{f: str(row.get(f, "")) for f in ApiKey.__dataclass_fields__}) for row in rows]
            except (OSError, ValueError, TypeError, AttributeError) as exc:
                raise KeyFileError(f"API key file {self.path} is not a JSON list of keys ({exc}); move it aside and create keys again") from exc
            self._seen = seen
        return self._keys

    def _save(self, keys: list[ApiKey]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".part")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # only the owner reads the hashes
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump([asdict(k) for k in keys], out, ensure_ascii=False, indent=1)
        os.replace(partial, self.path)
        self._seen, self._keys = None, []
