"""The gold sets: loading, their splits, and the check that every item is grounded in its documents.

Two gold sets (:data:`GOLD_SETS`): ``sample`` (eval/gold.jsonl over the five sample plans; its rules were developed
while reading its failures, so it is in-sample) and ``corpus`` (eval/gold_corpus.jsonl over the ten real documents
in ../shared/corpus, written from the documents before the system ran on them). Each item's split is fixed by a
hash of its id: ``calib``/``test`` for the sample set, ``dev``/``sealed`` for the corpus set, whose sealed
split is only ever reported in aggregate.

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
CORPUS_GOLD_PATH = ROOT / "eval" / "gold_corpus.jsonl"
CORPUS_DIR = ROOT.parent / "shared" / "corpus"  # beside every checkout and CI's clone; never copied into the repository

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


@dataclass(frozen=True)
class GoldSet:
    """A gold file, the documents it is about, and how its items split (by a hash of the id)."""

    name: str
    path: Path
    documents: Path
    low_split: str  # items whose hash bucket (0..99) is below ``share``
    high_split: str
    share: int
    calib_split: str  # where refusal thresholds may be fitted and failures read item by item
    report_split: str  # what a run reports by default
    sealed: str = ""  # the split never read item by item: reports give its aggregate only
    check_paths: bool = True  # gold paths must name a parsed clause (the corpus set's follow the documents' own reading)
    in_sample: str = ""  # why its numbers are (partly) in-sample, for the report

    @property
    def splits(self) -> tuple[str, str]:
        return (self.low_split, self.high_split)

    def split_of(self, item_id: str) -> str:
        bucket = int(hashlib.sha256(item_id.encode("utf-8")).hexdigest()[:8], 16) % 100
        return self.low_split if bucket < self.share else self.high_split


GOLD_SETS: dict[str, GoldSet] = {
    "sample": GoldSet(
        "sample", GOLD_PATH, PLANS_DIR, "calib", "test", 40, calib_split="calib", report_split="test",
        in_sample="the answerer's rules were developed while reading this set's failures",
    ),
    "corpus": GoldSet(
        "corpus", CORPUS_GOLD_PATH, CORPUS_DIR, "sealed", "dev", 50, calib_split="dev", report_split="sealed",
        sealed="sealed", check_paths=False,
    ),
}
CALIB_SHARE = GOLD_SETS["sample"].share  # percent of the sample set's items in its calib split


def split_of(item_id: str, gold_set: str = "sample") -> str:
    """The item's split in its gold set, fixed by a hash of the id: adding items never moves the others."""
    return GOLD_SETS[gold_set].split_of(item_id)


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
    gold_set: str = "sample"
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
        return split_of(self.id, self.gold_set)


def load_gold(path: Path = GOLD_PATH, gold_set: str = "sample") -> list[GoldItem]:
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
                gold_set=gold_set, line=number, problems=tuple(problems),
            )
        )
    return items


def _str_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _tuple(value: object) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def load_plans(plans_dir: Path = PLANS_DIR) -> dict[str, Document]:
    """The documents of a folder parsed as ingest parses them (doc id = file stem); one that cannot be read is left
    out, so the items citing it fail as citing an unknown document."""
    from qa.ingest.pipeline import discover

    if not plans_dir.is_dir():
        raise ValueError(f"documents folder {plans_dir} does not exist; pass --plans DIR")
    catalog = load_catalog(plans_dir)
    plans: dict[str, Document] = {}
    for path in discover([plans_dir])[0]:
        try:
            plans[path.stem] = build_document(path.name, path.read_bytes(), catalog.get(path.name), doc_id=path.stem)
        except DocumentError:
            continue
    return plans


def check(items: Sequence[GoldItem], plans: dict[str, Document], check_paths: bool = True) -> list[str]:
    """Every problem of the gold set, one line each as ``<id> (line n): what is wrong``; empty when all is well.

    Without ``check_paths`` the gold paths are not matched to parsed clauses and evidence is looked for in the
    whole text of the gold documents (the corpus set: its paths follow a reader's reading of the documents, which
    the parser is measured against by eval/structure.py, not assumed to meet)."""
    failures: list[str] = []
    seen: dict[str, int] = {}
    # a document's words: its text, its clauses (table rows are clauses, not body text) and its titles
    doc_text = {
        doc_id: "\n".join([search_form(doc.text), *(c.search_text for c in doc.clauses), search_form(doc.info.citation_title + doc.info.title)])
        for doc_id, doc in plans.items()
    }
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
        if check_paths:
            clauses = [(doc_id, c) for doc_id in item.docs if doc_id in plans for c in plans[doc_id].clauses if c.path_key in item.paths]
            found_paths = {c.path_key for _, c in clauses}
            for path in item.paths:
                if path not in found_paths:
                    fail(f"path {path!r} is no clause of {', '.join(item.docs)} (paths are Clause.path_key, e.g. '一、/(一)/2.')")
            texts = [(doc_id, search_form(c.text)) for doc_id, c in clauses]
        else:
            clauses = [(doc_id, None) for doc_id in item.docs if doc_id in plans]
            texts = [(doc_id, doc_text[doc_id]) for doc_id in item.docs if doc_id in plans]
        evidence_docs: set[str] = set()
        for evidence in item.evidence:
            form = search_form(evidence)
            holders = {doc_id for doc_id, text in texts if form and form in text}
            if not holders:
                holder = f"gold clause(s) {', '.join(item.paths)}" if check_paths else ", ".join(item.docs)
                fail(f"evidence {evidence!r} is not in the text of {holder}")
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
    parser.add_argument("--set", dest="gold_set", choices=sorted(GOLD_SETS), default="sample", help="which gold set (default sample)")
    parser.add_argument("--gold", type=Path, help="gold JSONL (default: the set's file)")
    parser.add_argument("--plans", type=Path, help="folder of the documents the gold set refers to (default: the set's)")
    args = parser.parse_args(argv)
    gold_set = GOLD_SETS[args.gold_set]
    gold, documents = args.gold or gold_set.path, args.plans or gold_set.documents
    try:
        items = load_gold(gold, gold_set.name)
        plans = load_plans(documents)
    except (ValueError, DocumentError) as exc:
        print(f"check_gold: error: {exc}", file=sys.stderr)
        return 2
    failures = check(items, plans, gold_set.check_paths)
    for failure in failures:
        print(failure)
    answerable = sum(1 for i in items if i.answerable)
    low = sum(1 for i in items if i.split == gold_set.low_split)
    status = f"{len(failures)} problem(s)" if failures else "all grounded"
    print(f"{gold}: {len(items)} items ({answerable} answerable, {len(items) - answerable} unanswerable; "
          f"split {gold_set.low_split} {low} / {gold_set.high_split} {len(items) - low}) against {len(plans)} documents: {status}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
