"""Documents: decoding bytes to text, catalog metadata, and what is inferred when the catalog is silent.

Everything here except :func:`load_catalog` is pure (bytes/text in, data out).
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from qa.normalize import to_simplified
from qa.parsing import PARSER_VERSION, Clause, ParsedPlan, parse_plan

CATALOG_NAME = "catalog.toml"


class DocumentError(ValueError):
    """A file that cannot be read as a plan; the message names the file, the problem and what to do."""


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

    @property
    def clauses(self) -> list[Clause]:
        return self.parsed.clauses


# --------------------------------------------------------------------------------------------- decode

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """Decode a text file in any common Chinese encoding; returns (text with \\n line ends, encoding).

    Tried in order: a BOM; UTF-8; UTF-16 without BOM (LE or BE, when the result reads as text); GB18030 (a
    superset of GBK and GB2312) or Big5, whichever reads better: GB18030 decodes almost any byte string, Big5
    text included, so success alone does not decide. Raises :class:`DocumentError` for empty or binary files.
    """
    if not data.strip():
        raise DocumentError(f"{name}: the file is empty; nothing to ingest")
    bom = next((enc for bom, enc in _BOMS if data.startswith(bom)), None)
    if bom:
        texts = _decoded(data, [bom])
    else:
        utf16 = ["utf-16-le", "utf-16-be"]
        if data[0::2].count(0) > data[1::2].count(0):
            utf16.reverse()  # ASCII in big-endian UTF-16: the NUL comes first
        texts = _decoded(data, ["utf-8"])
        texts = texts or [t for t in _decoded(data, utf16) if _text_share(t[0]) >= 0.9]
        texts = texts or _decoded(data, ["gb18030", "big5"])
        texts.sort(key=lambda t: -_text_share(t[0]))  # stable: ties keep the order above
    if texts:
        text, encoding = texts[0]
        return text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff"), encoding
    raise DocumentError(
        f"{name}: not a text file in UTF-8, UTF-16, GB18030/GBK or Big5 (binary content?); "
        "convert it to UTF-8 text, or give it the extension of its real format"
    )


def _decoded(data: bytes, encodings: list[str]) -> list[tuple[str, str]]:
    """(text, encoding) for each encoding that decodes ``data`` to something that is not binary."""
    out = []
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not _looks_binary(text):
            out.append((text, encoding))
    return out


def _looks_binary(text: str) -> bool:
    controls = sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\n\r\t\f\v")
    return "\x00" in text or controls > max(2, len(text[:4096]) // 100)


# What a Chinese plan is made of: ASCII, Latin (pinyin), general and CJK punctuation, CJK ideographs, full-width
# forms. A wrong decoding shows up as Hangul, kana, private-use or other scripts.
_TEXT_CHARS = re.compile(r"[\t\n\r\x20-\x7e\u00a0-\u024f\u2000-\u206f\u2460-\u24ff\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def _text_share(text: str) -> float:
    """Share of the first 4096 characters that belong in a Chinese plan (1.0 for a plausible decoding)."""
    sample = text[:4096]
    return len(_TEXT_CHARS.findall(sample)) / len(sample) if sample else 0.0


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


_REGION = re.compile(r"^(.{2,10}?(?:省|自治区|市|自治州|州|区|县|旗))")
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
    """Decode, parse and describe one plan file's bytes. Raises :class:`DocumentError` for unreadable input."""
    text, encoding = decode_text(data, name)
    parsed = parse_plan(text)
    if not parsed.clauses:
        raise DocumentError(f"{name}: no text found after cleaning; check that it is a plan")
    doc_id = doc_id or Path(name).stem
    info, notes = infer_info(doc_id, parsed, entry)
    # The catalog entry and parser version are part of the identity: changing either re-ingests the plan.
    stamp = f"{PARSER_VERSION}\n{json.dumps(entry or {}, sort_keys=True, ensure_ascii=False, default=str)}"
    content_hash = hashlib.sha256(data + stamp.encode()).hexdigest()
    return Document(info, name, text, encoding, content_hash, parsed, notes + parsed.warnings)
