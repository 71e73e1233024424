"""Conversations kept on the server, in SQLite (``conversations_path``): per staff user, and in the public demo per
browser (the ``planqa_browser`` cookie the server sets on the page) when ``public_conversations`` is on. Each row is
one conversation dict of :mod:`ui.chat` as JSON with its owner, title and times; rows not touched for
``conversation_retention_days`` are deleted (checked at each save). A list to reopen, rename and delete is in the 问答
page's 历史对话 panel.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.settings import Settings

BROWSER_COOKIE = "planqa_browser"
MAX_TITLE_CHARS = 60
_SCHEMA = """CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, owner TEXT NOT NULL, title TEXT NOT NULL, data TEXT NOT NULL, created REAL NOT NULL, updated REAL NOT NULL)"""


@dataclass(frozen=True)
class Saved:
    """One kept conversation as the list shows it."""

    id: str
    title: str
    updated: float
    turns: int


def new_id() -> str:
    return uuid.uuid4().hex


class ConversationStore:
    """The conversations of every owner in one SQLite file; safe across the server's threads."""

    def __init__(self, path: Path, retention_days: float = 30.0, clock: Any = time.time) -> None:
        self.path = Path(path)
        self.retention = retention_days * 86400
        self.clock = clock
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None

    @property
    def _db(self) -> sqlite3.Connection:
        """The connection, opened (and the file created) at the first save: an app nobody chats in writes nothing."""
        if self._connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._connection = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute(_SCHEMA)
            self._connection.execute("CREATE INDEX IF NOT EXISTS by_owner ON conversations (owner, updated)")
        return self._connection

    def _empty(self) -> bool:
        return self._connection is None and not self.path.exists()

    @classmethod
    def for_settings(cls, settings: Settings) -> ConversationStore:
        return cls(settings.conversations_path, settings.conversation_retention_days)

    def save(self, owner: str, conv: dict[str, Any], title: str) -> str:
        """Insert or update ``conv`` (its ``id``, given one when it has none) for ``owner``; returns the id. A row of
        another owner with the same id is left alone (a new id is given instead)."""
        now = self.clock()
        conv_id = str(conv.get("id") or new_id())
        data = json.dumps(conv, ensure_ascii=False)
        with self._lock:
            row = self._db.execute("SELECT owner FROM conversations WHERE id = ?", (conv_id,)).fetchone()
            if row is not None and row[0] != owner:
                conv_id = new_id()
                row = None
            if row is None:
                self._db.execute("INSERT INTO conversations VALUES (?, ?, ?, ?, ?, ?)", (conv_id, owner, title[:MAX_TITLE_CHARS], data, now, now))
            else:
                self._db.execute("UPDATE conversations SET data = ?, updated = ? WHERE id = ?", (data, now, conv_id))
            if self.retention > 0:
                self._db.execute("DELETE FROM conversations WHERE updated < ?", (now - self.retention,))
        return conv_id

    def list(self, owner: str, limit: int = 50) -> list[Saved]:
        if self._empty():
            return []
        with self._lock:
            rows = self._db.execute(
                "SELECT id, title, updated, data FROM conversations WHERE owner = ? ORDER BY updated DESC LIMIT ?", (owner, limit)
            ).fetchall()
        return [Saved(r[0], r[1], r[2], len(json.loads(r[3]).get("answers", []))) for r in rows]

    def get(self, owner: str, conv_id: str) -> dict[str, Any] | None:
        if self._empty():
            return None
        with self._lock:
            row = self._db.execute("SELECT data FROM conversations WHERE id = ? AND owner = ?", (conv_id, owner)).fetchone()
        if row is None:
            return None
        conv = json.loads(row[0])
        conv["id"] = conv_id
        return conv

    def rename(self, owner: str, conv_id: str, title: str) -> bool:
        title = " ".join(str(title or "").split())[:MAX_TITLE_CHARS]
        if not title:
            return False
        if self._empty():
            return False
        with self._lock:
            return self._db.execute("UPDATE conversations SET title = ? WHERE id = ? AND owner = ?", (title, conv_id, owner)).rowcount == 1

    def delete(self, owner: str, conv_id: str) -> bool:
        if self._empty():
            return False
        with self._lock:
            return self._db.execute("DELETE FROM conversations WHERE id = ? AND owner = ?", (conv_id, owner)).rowcount == 1

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


def owner_of(request: Any, public: bool) -> str | None:
    """Whose conversations these are: ``user:<name>`` for a staff login (``staff`` without logins), in public mode
    ``browser:<cookie>``; None when there is no cookie yet (nothing is kept)."""
    if not public:
        name = getattr(request, "username", None)
        return f"user:{name}" if name else "staff"
    cookies = getattr(request, "cookies", None) or {}
    browser = str(cookies.get(BROWSER_COOKIE, "") or "")
    return f"browser:{browser}" if len(browser) == 32 and browser.isalnum() else None
