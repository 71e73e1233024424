"""Chat feedback (useful / wrong, with an optional comment) appended as one JSON line per verdict."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

VERDICTS = ("useful", "wrong")
MAX_COMMENT_CHARS = 2000
_lock = threading.Lock()


def feedback_record(answer: Mapping[str, Any], verdict: str, comment: str = "", now: datetime | None = None) -> dict[str, Any]:
    """The line written for one verdict on ``answer`` (an ``Answer.as_dict()``)."""
    if verdict not in VERDICTS:
        raise ValueError(f"feedback verdict {verdict!r}: use one of {', '.join(VERDICTS)}")
    return {
        "timestamp": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
        "verdict": verdict,
        "comment": str(comment or "").strip()[:MAX_COMMENT_CHARS],
        "question": answer.get("question", ""),
        "standalone_question": answer.get("standalone_question", ""),
        "answer": answer.get("answer", ""),
        "refused": bool(answer.get("refused", False)),
        "answerer": answer.get("answerer", ""),
        "citations": [
            {"marker": c.get("marker"), "doc_id": c.get("doc_id"), "label": c.get("label"), "path": c.get("path"), "quote": c.get("quote")}
            for c in answer.get("citations", [])
        ],
    }


def record_feedback(path: Path, answer: Mapping[str, Any], verdict: str, comment: str = "", now: datetime | None = None) -> dict[str, Any]:
    """Append one feedback line to ``path`` (parents created); returns what was written. Safe across threads."""
    record = feedback_record(answer, verdict, comment, now)
    line = json.dumps(record, ensure_ascii=False) + "\n"
    with _lock:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as out:
            out.write(line)
    return record


def read_feedback(path: Path) -> list[dict[str, Any]]:
    """Every feedback record in ``path`` (empty when the file does not exist)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
