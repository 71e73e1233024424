"""Per-file budgets of ingest (``qa/data/ingest_limits.toml``): a file over one is refused with a
:class:`~qa.ingest.readtext.DocumentError` naming the budget and what to do, before the step whose work it bounds
(parsing a huge line, embedding a huge clause or thousands of them, unpacking a .docx, walking a web page's tree).
Pure, but for reading the data file once.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from functools import cache
from importlib import resources

from qa.ingest.readtext import DocumentError


@dataclass(frozen=True)
class Limits:
    max_line_chars: int
    max_lines: int
    max_clause_chars: int
    max_clauses: int
    max_chunks: int
    max_docx_xml_mb: float
    max_docx_ratio: float
    max_pdf_pages: int
    max_pdf_seconds: float
    max_html_elements: int
    max_html_depth: int


@cache
def limits() -> Limits:
    data = tomllib.loads((resources.files("qa") / "data" / "ingest_limits.toml").read_text(encoding="utf-8"))
    return Limits(**{f.name: data[f.name] for f in fields(Limits)})


def check_lines(name: str, text: str) -> None:
    """Refuse a text of more than ``max_lines`` lines or with a line longer than ``max_line_chars`` (before the
    cleaner and parser read it)."""
    if (lines := text.count("\n") + 1) > (most := limits().max_lines):
        raise DocumentError(f"{name}: {lines:,} lines of text (the limit is {most:,}); split the plan into files of its parts")
    limit = limits().max_line_chars
    if len(text) <= limit:
        return
    longest = max(map(len, text.split("\n")))
    if longest > limit:
        raise DocumentError(
            f"{name}: a line of {longest:,} characters (the limit is {limit:,}); a plan has a line per paragraph: "
            "check that the file is a plan, or break its paragraphs onto lines of their own"
        )


def check_clauses(name: str, clauses: list) -> None:  # type: ignore[type-arg]
    """Refuse a plan of more than ``max_clauses`` units, or with a clause longer than ``max_clause_chars``
    (before it is chunked and embedded)."""
    budget = limits()
    if len(clauses) > budget.max_clauses:
        raise DocumentError(
            f"{name}: {len(clauses):,} clauses (the limit is {budget.max_clauses:,}); split the plan into files of its parts"
        )
    longest = max(clauses, key=lambda c: len(c.text), default=None)
    if longest is not None and len(longest.text) > budget.max_clause_chars:
        raise DocumentError(
            f"{name}: clause {longest.path_label} has {len(longest.text):,} characters (the limit is {budget.max_clause_chars:,}); "
            "its numbering may not be recognised: check the file with `planqa ingest --show`, or break the text into numbered items"
        )


def check_chunks(name: str, chunks: int) -> None:
    """Refuse a plan that would be more than ``max_chunks`` chunks to embed."""
    limit = limits().max_chunks
    if chunks > limit:
        raise DocumentError(f"{name}: {chunks:,} chunks to embed (the limit is {limit:,}); split the plan into files of its parts")
