"""Chat feedback (useful / wrong, with an optional comment) appended as one JSON line per verdict, and its export as
gold-set items (the schema of eval/gold.jsonl) for the staff's 用户反馈 view."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterable, Mapping
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


# The gold-set categories (eval/check_gold.py's CATEGORIES) a question kind (qa.answer.question) is written as; the UI
# does not import eval, so the names are repeated here and tests/test_feedback_gold.py checks them against it.
_CATEGORY_OF_KIND = {"number": "number", "target": "number", "office": "office", "place": "place", "which_plan": "which_plan",
                     "which_plans": "which_plan", "cross": "cross_doc", "list": "summary"}
_FIGURE = re.compile(r"\d+(?:\.\d+)?\s*[%％‰]?")


def gold_item(record: Mapping[str, Any]) -> dict[str, Any] | None:
    """A gold-set item (the schema of eval/gold.jsonl) from a 有用 verdict: the question, its cited documents, clause
    paths and quoted evidence, the answer without its [n] markers, keywords (its figures, else the head of the first
    quote); a useful refusal is an ``unanswerable`` item. None for a 有误 verdict (it needs a person to write the
    right answer) or a record without citations."""
    from qa.answer.question import question_kind

    if record.get("verdict") != "useful":
        return None
    question = str(record.get("question", ""))
    item_id = "fb-" + hashlib.sha256(question.encode("utf-8")).hexdigest()[:10]
    if record.get("refused"):
        return {"id": item_id, "question": question, "category": "unanswerable", "docs": [], "paths": [], "evidence": [], "answer": "", "keywords": []}
    citations = [c for c in record.get("citations", []) if c.get("doc_id") and c.get("path") and c.get("quote")]
    if not citations:
        return None
    quotes = [str(c["quote"]) for c in citations]
    figures = [f.strip() for f in _FIGURE.findall(quotes[0]) if f.strip()]
    return {
        "id": item_id, "question": question, "category": _CATEGORY_OF_KIND.get(question_kind(question), "paraphrase"),
        "docs": sorted({str(c["doc_id"]) for c in citations}), "paths": list(dict.fromkeys(str(c["path"]) for c in citations)),
        "evidence": quotes, "answer": re.sub(r"\[\d+\]", "", str(record.get("answer", ""))).strip(),
        "keywords": figures[:3] or [quotes[0][:6]], "comment": str(record.get("comment", "")),
    }


def gold_jsonl(records: Iterable[Mapping[str, Any]]) -> str:
    """Every 有用 verdict as a gold-set line (one per question: the latest verdict wins), for eval/check_gold.py."""
    items: dict[str, dict[str, Any]] = {}
    for record in records:
        item = gold_item(record)
        if item is not None:
            items[item["id"]] = item
    return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items.values())
