"""Documents: a file's bytes -> a parsed plan with its catalog metadata, and what is inferred when the catalog is silent.

Reading each file format is :mod:`qa.ingest.readers`' job, reading metadata from the text
:mod:`qa.ingest.metadata`'s; everything here except :func:`load_catalog` is pure.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from qa.ingest.encoding import decode_text
from qa.ingest.metadata import METADATA_VERSION, DocumentInfo, infer_info
from qa.ingest.metadata_titles import markdown_title
from qa.ingest.parsing import PARSER_VERSION, Clause, ParsedPlan, parse_plan
from qa.ingest.readers import PLAIN_TEXT_SUFFIXES, READER_VERSION, read_document
from qa.ingest.readtext import DocumentError, page_of
from qa.ingest.tables import MARKDOWN_SUFFIXES, pipe_tables, with_table_rows

__all__ = ["CATALOG_NAME", "Document", "DocumentError", "DocumentInfo", "build_document", "decode_text", "infer_info", "load_catalog"]

CATALOG_NAME = "catalog.toml"


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


# ---------------------------------------------------------------------------------------------- build


def build_document(name: str, data: bytes, entry: dict | None = None, doc_id: str | None = None) -> Document:
    """Read (by the format ``name`` says), parse and describe one plan file's bytes.

    Raises :class:`DocumentError` naming the file for unreadable input.
    """
    read = read_document(name, data)
    text, tables = pipe_tables(read.text) if Path(name).suffix.lower() in MARKDOWN_SUFFIXES else (read.text, read.tables)
    parsed = with_table_rows(parse_plan(text), text, tables)  # each data row a unit of its own (qa.ingest.tables)
    if not parsed.clauses:
        raise DocumentError(f"{name}: no text found after cleaning; check that it is a plan")
    doc_id = doc_id or Path(name).stem
    info, notes = infer_info(doc_id, parsed, entry, read.text, markdown_title(name, data))
    # The catalog entry, parser version and (for non-text formats) reader version are part of the identity:
    # changing any of them re-ingests the plan. Text files keep their old hashes, so stores need not re-embed.
    stamp = f"{PARSER_VERSION}\n{json.dumps(entry or {}, sort_keys=True, ensure_ascii=False, default=str)}"
    if Path(name).suffix.lower() not in PLAIN_TEXT_SUFFIXES:
        stamp += f"\nreader {READER_VERSION}"
    if not entry:  # metadata read from the text: better rules re-describe it (catalogued plans keep their hashes)
        stamp += f"\nmetadata {METADATA_VERSION}"
    content_hash = hashlib.sha256(data + stamp.encode()).hexdigest()
    return Document(info, name, text, read.encoding, content_hash, parsed, list(read.notes) + notes + parsed.warnings, read.pages)
