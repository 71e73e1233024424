"""Documents: a file's bytes -> a parsed plan with its catalog metadata, and what is inferred when the catalog is silent.

Reading each file format is :mod:`qa.ingest.readers`' job; everything here except :func:`load_catalog` is pure.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from qa.ingest.encoding import decode_text
from qa.ingest.parsing import PARSER_VERSION, Clause, ParsedPlan, parse_plan
from qa.ingest.readers import PLAIN_TEXT_SUFFIXES, READER_VERSION, read_document
from qa.ingest.readtext import DocumentError, page_of
from qa.normalize import to_simplified
from qa.text import ADMIN_SUFFIXES, suffix_pattern

__all__ = ["CATALOG_NAME", "Document", "DocumentError", "DocumentInfo", "build_document", "decode_text", "infer_info", "load_catalog"]

CATALOG_NAME = "catalog.toml"


@dataclass(frozen=True)
class DocumentInfo:
    """Citation metadata of one plan. Empty strings / 0 mean unknown."""

    doc_id: str
    title: str
    short_title: str = ""
    issuer: str = ""
    region: str = ""
    year: int = 0
    date: str = ""

    @property
    def citation_title(self) -> str:
        return self.short_title or self.title or self.doc_id


@dataclass
class Document:
    """A parsed plan ready to store: metadata, clauses, and the notes made while reading it."""

    info: DocumentInfo
    source_name: str
    text: str
    encoding: str
    content_hash: str
    parsed: ParsedPlan
    notes: list[str] = field(default_factory=list)
    pages: tuple[int, ...] = ()  # offset in ``text`` where each page starts (PDF); empty for formats without pages

    @property
    def clauses(self) -> list[Clause]:
        return self.parsed.clauses

    def page_of(self, offset: int) -> int:
        """The 1-based page holding ``offset`` of the text, 0 for formats without pages."""
        return page_of(self.pages, offset)


# ------------------------------------------------------------------------------------------- catalog


def load_catalog(folder: Path) -> dict[str, dict]:
    """The ``catalog.toml`` beside the plans in ``folder`` (file name -> fields), or {} if there is none."""
    path = folder / CATALOG_NAME
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise DocumentError(f"{path}: invalid TOML ({exc}); fix the catalog or remove it") from exc


# A region as an issuer names it; here a bare 州 ends one too (an issuer says 赣州 for 赣州市).
_REGION = re.compile(r"^(.{2,10}?" + suffix_pattern((*ADMIN_SUFFIXES, "州")) + ")")
# The plan's year, or its first year for a range: "2023年", "(2019—2022年)" -> 2019.
_YEAR = re.compile(r"(20\d{2}|19\d{2})\s*(?:[—–\-~～至到]\s*(?:20|19)\d{2}\s*)?年")


def infer_info(doc_id: str, parsed: ParsedPlan, entry: dict | None) -> tuple[DocumentInfo, list[str]]:
    """Catalog entry first; what it lacks is inferred from the text. Returns the info and notes on gaps."""
    entry = dict(entry or {})
    meta = parsed.metadata
    notes: list[str] = []
    title = entry.get("title") or parsed.title
    issuer = entry.get("issuer") or meta.get("发布机构", "")
    date = entry.get("date") or meta.get("日期") or meta.get("发布日期") or meta.get("成文日期", "")
    year = int(entry.get("year") or 0)
    if not year and (m := _YEAR.search(title or "")):
        year = int(m[1])
    if not year and date:
        year = int(date[:4])
    region = entry.get("region", "")
    if not region:
        for source in (issuer, title):
            if source and (m := _REGION.match(to_simplified(source))):
                region = m[1]
                break
    if not entry:
        missing = [name for name, value in (("title", title), ("issuer", issuer), ("region", region), ("year", year), ("date", date)) if not value]
        notes.append("no catalog entry: metadata inferred from the text" + (f"; could not infer {', '.join(missing)}" if missing else ""))
    short_title = entry.get("short_title") or _short_title(title, region)
    info = DocumentInfo(doc_id, title or doc_id, short_title, issuer, region, year, date)
    return info, notes


def _short_title(title: str, region: str) -> str:
    """Prefix the place when a title does not name it (``2023年全市…`` -> ``泰州市2023年全市…``)."""
    if not title or not region:
        return title
    place = re.sub(r"^.*?(?:省|自治区)", "", region) or region
    return title if place[:2] in to_simplified(title) else place + title


# ---------------------------------------------------------------------------------------------- build


def build_document(name: str, data: bytes, entry: dict | None = None, doc_id: str | None = None) -> Document:
    """Read (by the format ``name`` says), parse and describe one plan file's bytes.

    Raises :class:`DocumentError` naming the file for unreadable input.
    """
    read = read_document(name, data)
    parsed = parse_plan(read.text)
    if not parsed.clauses:
        raise DocumentError(f"{name}: no text found after cleaning; check that it is a plan")
    doc_id = doc_id or Path(name).stem
    info, notes = infer_info(doc_id, parsed, entry)
    # The catalog entry, parser version and (for non-text formats) reader version are part of the identity:
    # changing any of them re-ingests the plan. Text files keep their old hashes, so stores need not re-embed.
    stamp = f"{PARSER_VERSION}\n{json.dumps(entry or {}, sort_keys=True, ensure_ascii=False, default=str)}"
    if Path(name).suffix.lower() not in PLAIN_TEXT_SUFFIXES:
        stamp += f"\nreader {READER_VERSION}"
    content_hash = hashlib.sha256(data + stamp.encode()).hexdigest()
    return Document(info, name, read.text, read.encoding, content_hash, parsed, list(read.notes) + notes + parsed.warnings, read.pages)
