"""What an ingest reports: a :class:`FileResult` per file and the summary table (:meth:`IngestReport.table`).

Everything the table prints is :func:`printable`: a file name or a message holding control characters, ANSI escape
sequences, bidi overrides or bytes that are not UTF-8 is printed with those escaped (``\\x1b[31m``, ``\\u202e``,
``\\xff``), so a file name cannot move the cursor, recolour the terminal or reverse the text around it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

# Characters printed as escapes: controls (C0, DEL, C1), format characters (bidi overrides and isolates, zero-width
# characters), line and paragraph separators, and the surrogates Python uses for bytes that are not UTF-8.
_ESCAPED = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def printable(text: str) -> str:
    """``text`` with every control, format and separator character written as an escape (``\\x1b``, ``\\u202e``);
    a byte of a file name that is not UTF-8 (a surrogate escape) as ``\\xff``."""
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch == " " or unicodedata.category(ch) not in _ESCAPED:
            out.append(ch)
        elif 0xDC80 <= ord(ch) <= 0xDCFF:
            out.append(f"\\x{ord(ch) - 0xDC00:02x}")
        elif ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(f"\\u{ord(ch):04x}")
    return "".join(out)


@dataclass
class FileResult:
    """What happened to one file: status is new | updated | repaired | unchanged | failed | skipped | pruned
    (repaired: a committed plan lacking chunks, written again); and the plan's
    title, issuer, region and years as stored (for the summary table)."""

    name: str
    doc_id: str
    status: str
    clauses: int = 0
    chunks: int = 0
    embedded: int = 0
    seconds: float = 0.0
    message: str = ""
    title: str = ""
    issuer: str = ""
    region: str = ""
    years: tuple[int, ...] = ()

    @property
    def described(self) -> str:
        """``《title》 issuer · region · 2019—2030``: the second line of the file's row ("" before it was read)."""
        if not self.title:
            return ""
        years = f"{self.years[0]}—{self.years[-1]}" if len(self.years) > 1 else (str(self.years[0]) if self.years else "")
        title = self.title if self.title.startswith("《") else f"《{self.title}》"  # 《…》政策解读 is quoted already
        return " · ".join((f"{title} {self.issuer or '(issuer unknown)'}", self.region or "(region unknown)", years or "(years unknown)"))


@dataclass
class IngestReport:
    results: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0
    repaired: list[str] = field(default_factory=list)  # doc ids whose leftovers of a dead run were removed first

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def failed(self) -> list[FileResult]:
        return [r for r in self.results if r.status == "failed"]

    def table(self) -> str:
        """The summary table printed after an ingest: one row per file, and under a plan's row its title, issuer,
        region and years as stored (what citations and the question's place and year scope read)."""
        header = ("file", "status", "clauses", "chunks", "embedded", "s", "notes")
        rows = [header] + [
            (printable(r.name), r.status, str(r.clauses), str(r.chunks), str(r.embedded), f"{r.seconds:.1f}", printable(r.message))
            for r in self.results
        ]
        widths = [max(_width(row[i]) for row in rows) for i in range(len(header) - 1)]
        lines = ["  ".join(_pad(cell, widths[i]) for i, cell in enumerate(rows[0][:-1])) + "  " + rows[0][-1]]
        for row, result in zip(rows[1:], self.results, strict=True):
            lines.append("  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row[:-1])) + "  " + row[-1])
            if result.described:
                lines.append("    " + printable(result.described))
        totals = (
            f"{len(self.results)} documents, {sum(r.clauses for r in self.results)} clauses: "
            f"{self.count('new')} new, {self.count('updated')} updated, "
            + (f"{self.count('repaired')} repaired, " if self.count("repaired") else "")
            + f"{self.count('unchanged')} unchanged, "
            f"{self.count('failed')} failed, {self.count('skipped')} skipped, {self.count('pruned')} pruned in {self.seconds:.1f} s"
        )
        return "\n".join([*lines, f"{totals}; {self.rate()}"])

    def rate(self) -> str:
        """Throughput: clauses of the new and updated plans per second of the whole run, and how many were embedded."""
        stored = [r for r in self.results if r.status in {"new", "updated"}]
        clauses, embedded = sum(r.clauses for r in stored), sum(r.embedded for r in stored)
        per_s = clauses / self.seconds if self.seconds > 0 else 0.0
        return f"{clauses} clauses stored ({embedded} chunks embedded) at {per_s:.1f} clauses/s"


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
