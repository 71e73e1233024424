"""The gold set: loading, the calib/test split, and the check that every item is grounded in the plans.

``python -m eval.check_gold`` (or ``python -m eval check-gold``) exits 1 listing every failure:

- ids unique, category known, required fields of the right type;
- answerable items: gold docs exist, every gold path names a clause (``Clause.path_key``) of a gold doc, every
  evidence string occurs in the text of a gold clause and every keyword in a gold document (both compared in
  :func:`qa.normalize.search_form`), each gold doc holds some evidence;
- unanswerable items: no docs, paths, evidence or keywords;
- multi-turn items: ``turns`` ends with the item's question.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qa.ingest.documents import Document, DocumentError, build_document, load_catalog
from qa.normalize import search_form

ROOT = Path(__file__).resolve().parent.parent
GOLD_PATH = ROOT / "eval" / "gold.jsonl"
PLANS_DIR = ROOT / "data" / "plans"

# category -> what it tests (shown in the README and the report)
CATEGORIES: dict[str, str] = {
    "number": "a figure or target (多少/几/比例)",
    "place": "which counties, hospitals, streets (哪些/哪里)",
    "paraphrase": "the question words differ from the clause's",
    "office": "the responsible office (责任处室/牵头)",
    "cross_script": "traditional question on a simplified plan or the reverse",
    "summary": "what a section says (有哪些措施)",
    "cross_doc": "two or more plans compared; evidence in each",
    "which_plan": "which plan says something",
    "multi_turn": "a follow-up question that needs the earlier turns",
    "unanswerable": "near misses the plans do not answer: must be refused",
}
UNANSWERABLE = "unanswerable"
CALIB_SHARE = 40  # percent of items in the calib split


def split_of(item_id: str) -> str:
    """``calib`` (about 40%) or ``test``, fixed by a hash of the id: adding items never moves the others."""
    bucket = int(hashlib.sha256(item_id.encode("utf-8")).hexdigest()[:8], 16) % 100
    return "calib" if bucket < CALIB_SHARE else "test"


@dataclass(frozen=True)
class GoldItem:
    """One line of eval/gold.jsonl."""

    id: str
    question: str
    category: str
    docs: tuple[str, ...]
    paths: tuple[str, ...]
    evidence: tuple[str, ...]
    answer: str
    keywords: tuple[str, ...]
    turns: tuple[str, ...] = ()  # every question of the conversation, the last one being ``question``
    near_miss: str = ""
    line: int = 0
    problems: tuple[str, ...] = field(default=(), compare=False)  # field-type problems found while loading

    @property
    def answerable(self) -> bool:
        return self.category != UNANSWERABLE

    @property
    def previous_questions(self) -> list[str]:
        """The earlier turns of a multi-turn item (empty for a single question)."""
        return list(self.turns[:-1]) if self.turns else []

    @property
    def split(self) -> str:
        return split_of(self.id)


def load_gold(path: Path = GOLD_PATH) -> list[GoldItem]:
    """Read the gold JSONL. Raises ValueError naming the file and line for malformed JSON or missing fields."""
    items: list[GoldItem] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ValueError(f"gold set {path}: cannot be read ({exc.strerror}); pass --gold PATH") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number}: invalid JSON ({exc.msg})") from exc
        missing = [k for k in ("id", "question", "category", "docs", "paths", "evidence", "answer", "keywords") if k not in raw]
        if missing:
            raise ValueError(f"{path}:{number}: missing field(s) {', '.join(missing)}")
        problems = [f"{k} must be a list of strings" for k in ("docs", "paths", "evidence", "keywords") if not _str_list(raw[k])]
        turns = raw.get("turns") or []
        if not isinstance(turns, list) or not all(isinstance(t, dict) and isinstance(t.get("question"), str) for t in turns):
            problems.append('turns must be a list of {"question": str}')
            turns = []
        items.append(
            GoldItem(
                id=str(raw["id"]), question=str(raw["question"]), category=str(raw["category"]),
                docs=_tuple(raw["docs"]), paths=_tuple(raw["paths"]), evidence=_tuple(raw["evidence"]),
                answer=str(raw["answer"]), keywords=_tuple(raw["keywords"]),
                turns=tuple(t["question"] for t in turns), near_miss=str(raw.get("near_miss", "")),
                line=number, problems=tuple(problems),
            )
        )
    return items


def _str_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _tuple(value: object) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def load_plans(plans_dir: Path = PLANS_DIR) -> dict[str, Document]:
    """The sample plans parsed as ingest parses them (doc id = file stem)."""
    catalog = load_catalog(plans_dir)
    plans: dict[str, Document] = {}
    for path in sorted(plans_dir.glob("*.txt")):
        plans[path.stem] = build_document(path.name, path.read_bytes(), catalog.get(path.name), doc_id=path.stem)
    return plans


def check(items: Sequence[GoldItem], plans: dict[str, Document]) -> list[str]:
    """Every problem of the gold set, one line each as ``<id> (line n): what is wrong``; empty when all is well."""
    failures: list[str] = []
    seen: dict[str, int] = {}
    doc_text = {doc_id: search_form(doc.text) + search_form(doc.info.citation_title + doc.info.title) for doc_id, doc in plans.items()}
    for item in items:
        where = f"{item.id} (line {item.line})"

        def fail(message: str, where: str = where) -> None:
            failures.append(f"{where}: {message}")

        for problem in item.problems:
            fail(problem)
        if item.id in seen:
            fail(f"duplicate id (first on line {seen[item.id]})")
        seen.setdefault(item.id, item.line)
        if item.category not in CATEGORIES:
            fail(f"unknown category {item.category!r}; use one of {', '.join(CATEGORIES)}")
        if not item.question.strip():
            fail("empty question")
        if item.turns and item.turns[-1].strip() != item.question.strip():
            fail("the last of turns must be the item's question")
        if item.category == "multi_turn" and len(item.turns) < 2:
            fail("a multi_turn item needs at least two turns")
        if not item.answerable:
            if item.docs or item.paths or item.evidence or item.keywords:
                fail("an unanswerable item has empty docs, paths, evidence and keywords")
            continue
        if not (item.docs and item.paths and item.evidence and item.keywords):
            fail("an answerable item needs docs, paths, evidence and keywords")
        unknown = [d for d in item.docs if d not in plans]
        if unknown:
            fail(f"unknown doc(s) {', '.join(unknown)}; plans are {', '.join(sorted(plans))}")
        clauses = [(doc_id, c) for doc_id in item.docs if doc_id in plans for c in plans[doc_id].clauses if c.path_key in item.paths]
        found_paths = {c.path_key for _, c in clauses}
        for path in item.paths:
            if path not in found_paths:
                fail(f"path {path!r} is no clause of {', '.join(item.docs)} (paths are Clause.path_key, e.g. '一、/(一)/2.')")
        texts = [(doc_id, search_form(c.text)) for doc_id, c in clauses]
        evidence_docs: set[str] = set()
        for evidence in item.evidence:
            form = search_form(evidence)
            holders = {doc_id for doc_id, text in texts if form and form in text}
            if not holders:
                fail(f"evidence {evidence!r} is not in the text of gold clause(s) {', '.join(item.paths)}")
            evidence_docs |= holders
        for doc_id in item.docs:
            if doc_id in plans and clauses and doc_id not in evidence_docs:
                fail(f"gold doc {doc_id} holds none of the evidence strings")
        corpus = "".join(doc_text.get(d, "") for d in item.docs)
        for keyword in item.keywords:
            if not search_form(keyword) or search_form(keyword) not in corpus:
                fail(f"keyword {keyword!r} does not occur in {', '.join(item.docs)}")
    return failures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.check_gold", description="Check that every gold item is grounded in the plans.")
    parser.add_argument("--gold", type=Path, default=GOLD_PATH, help="gold JSONL (default eval/gold.jsonl)")
    parser.add_argument("--plans", type=Path, default=PLANS_DIR, help="folder of the plans the gold set refers to")
    args = parser.parse_args(argv)
    try:
        items = load_gold(args.gold)
        plans = load_plans(args.plans)
    except (ValueError, DocumentError) as exc:
        print(f"check_gold: error: {exc}", file=sys.stderr)
        return 2
    failures = check(items, plans)
    for failure in failures:
        print(failure)
    answerable = sum(1 for i in items if i.answerable)
    calib = sum(1 for i in items if i.split == "calib")
    status = f"{len(failures)} problem(s)" if failures else "all grounded"
    print(f"{args.gold}: {len(items)} items ({answerable} answerable, {len(items) - answerable} unanswerable; "
          f"split calib {calib} / test {len(items) - calib}) against {len(plans)} plans: {status}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
