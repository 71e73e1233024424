"""Structure score: how many of a document's leaf clause paths the parser gets right, against an expectations
file written by reading the document (``tests/expectations/*.json``, ``tests/fixtures/unseen/*.expected.json``).

Paths are compared in a normal form (NFKC, no white space, ``1、``/``1．`` = ``1.``) and in order: the score is
the longest common subsequence of expected and parsed leaf paths over the longer of the two lists, so a missed
clause, an extra one and one filed under the wrong heading each cost. Metadata fields are compared one by one.
Each document is read with the other plans of its folder, as one ingest of the folder reads them.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from qa.text import CIRCLED

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
EXPECTATIONS = ROOT / "tests" / "expectations"
UNSEEN = ROOT / "tests" / "fixtures" / "unseen"
METADATA_FIELDS = ("title", "issuer", "region", "years")
LEAF_KINDS = frozenset({"clause", "paragraph"})  # numbered leaves; unnumbered documents' paragraphs
_DOTTED_NUMBER = re.compile(r"^(\d+)[、.．]$")


def path_form(path: str) -> str:
    """``一、/（一）/1、`` -> ``一、/(一)/1.``: the form both sides are compared in."""
    parts = []
    # NFKC makes full-width brackets and digits ASCII, but would also make ② a bare 2
    folded = "".join(ch if ch in CIRCLED else unicodedata.normalize("NFKC", ch) for ch in path)
    for part in folded.split("/"):
        part = re.sub(r"\s+", "", part)
        parts.append(_DOTTED_NUMBER.sub(r"\1.", part))
    return "/".join(p for p in parts if p)


@dataclass(frozen=True)
class Expectation:
    name: str  # the expectations file's stem
    source: Path  # the document it describes
    leaf_paths: tuple[str, ...]
    metadata: dict[str, Any]
    table_rows: tuple[dict[str, str], ...] = ()


@dataclass
class StructureScore:
    name: str
    expected: int
    parsed: int
    matched: int
    missing: list[str] = field(default_factory=list)  # expected paths not matched (first few)
    extra: list[str] = field(default_factory=list)  # parsed paths not matched (first few)
    metadata_right: dict[str, bool] = field(default_factory=dict)

    @property
    def share(self) -> float:
        return self.matched / max(self.expected, self.parsed) if max(self.expected, self.parsed) else 1.0


def load_expectations(folder: Path = EXPECTATIONS, corpus: Path = CORPUS) -> list[Expectation]:
    """The corpus expectations (``folder``/*.json naming their ``file`` in ``corpus``) or, for the unseen fixtures,
    ``*.expected.json`` beside each fixture."""
    out = []
    for path in sorted(folder.glob("*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        if path.name.endswith(".expected.json"):
            stem = path.name[: -len(".expected.json")]
            source = next(p for p in folder.iterdir() if p.name.startswith(stem + ".") and not p.name.endswith(".json"))
            name = stem
        else:
            source, name = corpus / raw["file"], path.stem
        out.append(Expectation(name, source, tuple(raw["leaf_paths"]), {k: raw.get(k) for k in (*METADATA_FIELDS, "date", "kind")}, tuple(raw.get("table_rows", ()))))
    return out


def score(expectation: Expectation, leaf_paths: Sequence[str], metadata: dict[str, Any]) -> StructureScore:
    """Compare the parser's leaf paths (document order) and inferred metadata with what a reader expects."""
    want = [path_form(p) for p in expectation.leaf_paths]
    got = [path_form(p) for p in leaf_paths]
    matcher = difflib.SequenceMatcher(a=want, b=got, autojunk=False)
    blocks = matcher.get_matching_blocks()
    matched_want = {i for b in blocks for i in range(b.a, b.a + b.size)}
    matched_got = {j for b in blocks for j in range(b.b, b.b + b.size)}
    result = StructureScore(
        expectation.name, len(want), len(got), len(matched_want),
        [p for i, p in enumerate(want) if i not in matched_want][:8], [p for j, p in enumerate(got) if j not in matched_got][:8],
    )
    for key in METADATA_FIELDS:
        expected, found = expectation.metadata.get(key), metadata.get(key)
        if key == "years":
            result.metadata_right[key] = sorted(int(y) for y in expected or ()) == sorted(int(y) for y in found or ())
        else:
            result.metadata_right[key] = _field_form(expected) == _field_form(found)
    return result


def _field_form(value: Any) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value or "")))


def document_leaves(document: Any) -> tuple[list[str], dict[str, Any]]:
    """The leaf paths and metadata of a built ``qa.ingest.documents.Document``, in the expectations' terms."""
    leaves = [c.path_key for c in document.clauses if c.kind in LEAF_KINDS]
    info = document.info
    years = getattr(info, "years", ()) or ((info.year,) if info.year else ())
    return leaves, {"title": info.title, "issuer": info.issuer, "region": info.region, "years": list(years)}


def score_file(expectation: Expectation) -> StructureScore:
    """Read, parse and score one document as ingest would: with the other plan files of its folder, read together
    (an attachment takes what it does not say from the notice that lists it), and no catalog entry (what a new
    user's folder gets)."""
    built = folder_documents(expectation.source.parent).get(expectation.source)
    if built is None:  # not a file ingest would pick up in its folder: read alone
        built = _build(expectation.source)
    if isinstance(built, Exception):  # not read at all: nothing right
        return StructureScore(expectation.name, len(expectation.leaf_paths), 0, 0, missing=[str(built)], metadata_right=dict.fromkeys(METADATA_FIELDS, False))
    leaves, metadata = document_leaves(built)
    return score(expectation, leaves, metadata)


def _build(path: Path) -> Any:
    """The document of one file as ingest builds it, or what went wrong (one bad file of a folder spoils no other)."""
    from qa.ingest.documents import DocumentError, build_document

    try:
        return build_document(path.name, path.read_bytes(), None, doc_id=path.stem)
    except DocumentError as exc:  # a missing reader too
        return exc
    except Exception as exc:  # a parser crash: the file's score says it, the folder's other files are scored
        return RuntimeError(f"{path}: unexpected {type(exc).__name__}: {exc}")


@cache
def folder_documents(folder: Path) -> dict[Path, Any]:
    """Every plan file of ``folder`` that ingest would read (``qa.ingest.pipeline.discover``), built and linked together
    as one ingest of the folder does (``qa.ingest.documents.link_attachments``): the document, or what it could not be
    read for. Built once per folder and process."""
    from qa.ingest.documents import link_attachments
    from qa.ingest.pipeline import discover

    files, _ = discover([folder])
    built = {path: _build(path) for path in files}
    read = [(path, doc) for path, doc in built.items() if not isinstance(doc, Exception)]
    linked = link_attachments([doc for _, doc in read])
    return {**built, **{path: doc for (path, _), doc in zip(read, linked, strict=True)}}


def table(scores: Sequence[StructureScore]) -> str:
    """A Markdown table: per document, the share of leaf paths right and which metadata fields are right."""
    rows = ["| document | leaf paths expected | parsed | right | share | metadata right |", "|---|---:|---:|---:|---:|---|"]
    for s in scores:
        meta = ", ".join(k for k, ok in s.metadata_right.items() if ok) or "none"
        rows.append(f"| {s.name} | {s.expected} | {s.parsed} | {s.matched} | {s.share:.3f} | {meta} |")
    return "\n".join(rows)


if __name__ == "__main__":  # python -m eval.structure: the table for the corpus and the unseen fixtures
    results = [score_file(e) for e in load_expectations()] + [score_file(e) for e in load_expectations(UNSEEN)]
    print(table(results))
