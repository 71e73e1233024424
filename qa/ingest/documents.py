"""Documents: a file's bytes -> a parsed plan with its catalog metadata, and what is inferred when the catalog is silent.

Reading each file format is :mod:`qa.ingest.readers`' job, reading metadata from the text
:mod:`qa.ingest.metadata`'s; everything here except :func:`load_catalog` is pure. Documents read together (one
ingest of a folder or of several files, the structure score of a folder) go through :func:`link_attachments`: an
attachment published as a file of its own takes what it does not say from the notice among them that lists it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qa.ingest.attachments import Attachment, attachment_heading, listed_attachments, match_strength
from qa.ingest.encoding import decode_text
from qa.ingest.limits import check_clauses, check_lines
from qa.ingest.metadata import METADATA_VERSION, DocumentInfo, infer_info
from qa.ingest.metadata_titles import markdown_title
from qa.ingest.parsing import PARSER_VERSION, Clause, ParsedPlan, parse_plan
from qa.ingest.readers import PLAIN_TEXT_SUFFIXES, READER_VERSION, read_document
from qa.ingest.readtext import DocumentError, page_of
from qa.ingest.tables import MARKDOWN_SUFFIXES, pipe_tables, with_table_rows
from qa.injection import directive_kinds

__all__ = [
    "CATALOG_NAME", "Document", "DocumentError", "DocumentInfo", "awaits_notice", "build_document", "check_entry", "decode_text", "infer_info",
    "link_attachments", "lists_attachments", "load_catalog",
]

CATALOG_NAME = "catalog.toml"
# A word of a plan: a CJK ideograph (the extension A and compatibility blocks too), or two Latin letters.
_WORD = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[A-Za-z\u00c0-\u024f]{2}")


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
    # What ``info`` was inferred from, to infer it again with a notice's metadata (:func:`link_attachments`): the
    # catalog entry (a correction merged over it), the text as read (Markdown tables still in it), the # title.
    entry: dict | None = None
    metadata_text: str = ""
    markdown_title: str = ""

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


def check_entry(source: Path, name: str, entry: object) -> None:
    """Refuse a catalog (or corrections) entry whose fields cannot be read: not a table, a year that is no number,
    years that are no years, a date that does not start with its year. Raises :class:`DocumentError` naming the
    file that holds it, the field and what to write."""
    if entry is None:
        return
    where = f"{source}: the entry for {name}"
    if not isinstance(entry, dict):
        raise DocumentError(f'{where} is not a table; write it as ["{name}"] with its fields on the lines under it')
    year = entry.get("year")
    if year is not None and not (isinstance(year, int) and not isinstance(year, bool)) and not (isinstance(year, str) and year.strip().isdigit()):
        raise DocumentError(f"{where}: year = {year!r} is not a year; write it as a number (year = 2023)")
    years = entry.get("years")
    if isinstance(years, list) and not all(isinstance(y, int) or (isinstance(y, str) and y.strip().isdigit()) for y in years):
        raise DocumentError(f"{where}: years = {years!r} are not years; write them as numbers (years = [2019, 2020]) or a span (years = \"2019-2022\")")
    if years is not None and not isinstance(years, (list, int, str)):
        raise DocumentError(f"{where}: years = {years!r} are not years; write them as numbers (years = [2019, 2020]) or a span (years = \"2019-2022\")")
    date = entry.get("date")
    if date and not (isinstance(date, str) and date[:4].isdigit()):
        raise DocumentError(f'{where}: date = {date!r} is not a date; write it as date = "2023-05-20", or leave it empty')


# ---------------------------------------------------------------------------------------------- build


def build_document(name: str, data: bytes, entry: dict | None = None, doc_id: str | None = None) -> Document:
    """Read (by the format ``name`` says), parse and describe one plan file's bytes.

    Raises :class:`DocumentError` naming the file for unreadable input.
    """
    read = read_document(name, data)
    check_lines(name, read.text)
    if not _WORD.search(read.text) and not read.tables:
        raise DocumentError(
            f"{name}: no Chinese or Latin words in the text (only punctuation, digits, symbols or invisible characters); "
            "check that it is a plan"
        )
    text, tables = pipe_tables(read.text) if Path(name).suffix.lower() in MARKDOWN_SUFFIXES else (read.text, read.tables)
    parsed = with_table_rows(parse_plan(text), text, tables)  # each data row a unit of its own (qa.ingest.tables)
    if not parsed.clauses:
        raise DocumentError(f"{name}: no text found after cleaning; check that it is a plan")
    check_clauses(name, parsed.clauses)
    doc_id = doc_id or Path(name).stem
    markdown = markdown_title(name, data)
    info, notes = infer_info(doc_id, parsed, entry, read.text, markdown)
    # The catalog entry, parser version and (for non-text formats) reader version are part of the identity:
    # changing any of them re-ingests the plan. Text files keep their old hashes, so stores need not re-embed.
    stamp = f"{PARSER_VERSION}\n{json.dumps(entry or {}, sort_keys=True, ensure_ascii=False, default=str)}"
    if Path(name).suffix.lower() not in PLAIN_TEXT_SUFFIXES:
        stamp += f"\nreader {READER_VERSION}"
    if not entry:  # metadata read from the text: better rules re-describe it (catalogued plans keep their hashes)
        stamp += f"\nmetadata {METADATA_VERSION}"
    content_hash = hashlib.sha256(data + stamp.encode()).hexdigest()
    return Document(
        info, name, text, read.encoding, content_hash, parsed, list(read.notes) + notes + parsed.warnings + directive_notes(parsed.clauses), read.pages,
        entry, read.text, markdown,
    )


def directive_notes(clauses: Sequence[Clause]) -> list[str]:
    """A note naming the clauses whose text addresses its reader (``忽略以上指令``, ``<script>``, ``javascript:``):
    stored and searchable, but never quoted in an answer nor shown to an LLM (:mod:`qa.injection`)."""
    flagged = [(c.path_label, directive_kinds(c.text)) for c in clauses]
    flagged = [(label, kinds) for label, kinds in flagged if kinds]
    if not flagged:
        return []
    shown = ", ".join(f"{label} ({'/'.join(kinds)})" for label, kinds in flagged[:5]) + (" …" if len(flagged) > 5 else "")
    return [f"{len(flagged)} clause(s) address the reader instead of stating policy, never quoted in answers: {shown}"]


# ------------------------------------------------------------------------------------- read together

_INHERITED = ("issuer", "date", "years", "region")  # what a notice gives an attachment that does not say it


def awaits_notice(doc: Document) -> bool:
    """Whether ``doc`` heads itself as an attachment (a ``附件N`` line above its title) and lacks a field a notice
    listing it would give (issuer, date, years, region)."""
    return _lacks(doc) and _heading(doc) is not None


def _lacks(doc: Document) -> bool:
    return not all(getattr(doc.info, name) for name in _INHERITED)


def lists_attachments(doc: Document) -> bool:
    """Whether ``doc`` names attachments (``附件：1.… 2.…``) and has an issuer or a date to give them."""
    return bool((doc.info.issuer or doc.info.date) and listed_attachments(doc.metadata_text or doc.text))


def _heading(doc: Document) -> Attachment | None:
    return attachment_heading(doc.metadata_text or doc.text, doc.info.title)


def link_attachments(documents: Sequence[Document]) -> list[Document]:
    """``documents`` read together, each attachment among them that lacks an issuer, date, years or region given
    what the notice among them that lists it says (:func:`~qa.ingest.metadata.infer_info`'s ``notice``), with a
    note naming the notice and a content hash that covers what it inherited; the others as they are (in their order).

    A listed name is matched by number and title (:func:`~qa.ingest.attachments.match_strength`); of several notices
    listing it equally well (one notice printed twice: its .docx and its web page) the first is taken when they
    agree, none when they differ. Without a notice listing it an attachment is left as it is."""
    notices = [(doc, listed_attachments(doc.metadata_text or doc.text)) for doc in documents if doc.info.issuer or doc.info.date]
    notices = [(doc, listed) for doc, listed in notices if listed]
    if not notices:
        return list(documents)
    out = []
    for doc in documents:
        own = _heading(doc) if _lacks(doc) else None
        candidates = [] if own is None else [
            (strength, notice, item) for notice, listed in notices if notice is not doc
            for item in listed if (strength := match_strength(own, item))
        ]
        if not candidates:
            out.append(doc)
            continue
        best = max(strength for strength, _, _ in candidates)
        by_notice: dict[int, tuple[Document, Attachment]] = {}
        for strength, notice, item in candidates:
            if strength == best:
                by_notice.setdefault(id(notice), (notice, item))
        chosen = list(by_notice.values())
        givers = {(n.info.issuer, n.info.date, n.info.region, n.info.year) for n, _ in chosen}
        if len(givers) > 1:
            names = "; ".join(f"{n.source_name} ({n.info.issuer or '?'}, {n.info.date or '?'})" for n, _ in chosen)
            out.append(dataclasses.replace(doc, notes=[*doc.notes, f"listed as an attachment by notices that disagree, {names}: nothing inherited"]))
            continue
        notice, item = chosen[0]
        out.append(_inherit(doc, notice.info, item.label))
    return out


def _inherit(doc: Document, notice: DocumentInfo, listed_as: str) -> Document:
    """``doc`` described again with what ``notice`` gives; its inference notes replaced, its hash covering the change."""
    text = doc.metadata_text or doc.text
    _, alone = infer_info(doc.info.doc_id, doc.parsed, doc.entry, text, doc.markdown_title)
    info, notes = infer_info(doc.info.doc_id, doc.parsed, doc.entry, text, doc.markdown_title, notice, listed_as)
    if info == doc.info:
        return doc
    before, after = dataclasses.asdict(doc.info), dataclasses.asdict(info)
    changed = json.dumps({k: v for k, v in after.items() if before[k] != v}, sort_keys=True, ensure_ascii=False, default=list)
    at = doc.notes.index(alone[0]) if alone and alone[0] in doc.notes else len(doc.notes)
    kept = [n for n in doc.notes if n not in alone]
    content_hash = hashlib.sha256(f"{doc.content_hash}\ninherited {changed}".encode()).hexdigest()
    return dataclasses.replace(doc, info=info, notes=kept[:at] + notes + kept[at:], content_hash=content_hash)
