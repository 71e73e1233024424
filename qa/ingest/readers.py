"""Readers: one function per file format, bytes -> :class:`ReadText` (plain text with ``\\n`` line ends).

Every format feeds the same cleaner and clause parser (:mod:`qa.ingest.parsing`), so a reader only has to give the
plan's text in reading order, one paragraph or list item per line, with Word's automatic numbers written out.
The text a reader returns is the *source* that clause spans index; for a PDF it comes with a page map (the
offset where each page starts), so a clause's span tells its pages.

Pure: bytes in, text out, no file system access. A file that cannot be read raises :class:`DocumentError`
naming the file, the problem and what to do. The format libraries (pypdf, python-docx, BeautifulSoup) are
imported when a file of their format is read.
"""

from __future__ import annotations

import bisect
import codecs
import io
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath

from qa.ingest.parsing import starts_clause
from qa.text import LINE_ENDS, PAGE_NUMBER_LINE, chinese_numeral

# Word's list numbering and HTML tables are written out with these, which the parser reads like typed text.
TABLE_CELL_SEPARATOR = " | "
# A .docx is a zip: refuse one whose parts would inflate past this (a zip bomb), whatever its own size.
MAX_UNZIPPED_BYTES = 256 * 1024 * 1024
# Bump when a reader's output for the same bytes changes (non-text formats only: .txt is read as it always was).
READER_VERSION = "1"


class DocumentError(ValueError):
    """A file that cannot be read as a plan; the message names the file, the problem and what to do."""


@dataclass(frozen=True)
class ReadText:
    """A file's text as read. ``pages[i]`` is the offset in ``text`` where page ``i + 1`` starts (PDF only)."""

    text: str
    encoding: str  # the text encoding for text formats; "pdf" / "docx" / "html:<charset>" otherwise
    pages: tuple[int, ...] = ()
    notes: tuple[str, ...] = ()


def page_of(pages: tuple[int, ...] | list[int], offset: int) -> int:
    """The 1-based page holding character ``offset`` of the text, or 0 when the text has no pages."""
    if not pages:
        return 0
    return max(1, bisect.bisect_right(pages, offset))


# --------------------------------------------------------------------------------------------- text

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """Decode a text file in any common Chinese encoding; returns (text with \\n line ends, encoding).

    Tried in order: a BOM; UTF-8; UTF-16 without BOM (LE or BE, when the result reads as text); a file that is
    UTF-8 in some lines and GB18030/Big5 in others (two sources pasted together), line by line; GB18030 (a
    superset of GBK and GB2312) or Big5, whichever reads better: GB18030 decodes almost any byte string, Big5
    text included, so success alone does not decide. Raises :class:`DocumentError` for empty or binary files.
    A mixed file's encoding is reported as ``mixed:utf-8+gb18030`` (or ``+big5``).
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
        texts = texts or _mixed(data)
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


def _mixed(data: bytes) -> list[tuple[str, str]]:
    """Line-by-line decoding of a file that is UTF-8 in some lines (with Chinese in them) and not in others."""
    lines = data.split(b"\n")
    decoded: list[str] = []
    used: Counter[str] = Counter()
    for line in lines:
        options = _decoded(line, ["utf-8"]) + _decoded(line, ["gb18030", "big5"])
        if not options:
            return []
        options.sort(key=lambda t: -_text_share(t[0]) if t[0].strip() else 0)
        text, encoding = options[0]
        decoded.append(text)
        if not line.isascii():
            used[encoding] += 1
    if not used["utf-8"] or len(used) < 2:
        return []
    other = max((e for e in used if e != "utf-8"), key=lambda e: used[e])
    return [("\n".join(decoded), f"mixed:utf-8+{other}")]


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


def read_text(name: str, data: bytes) -> ReadText:
    """A plain-text plan (.txt) in any common Chinese encoding."""
    text, encoding = decode_text(data, name)
    notes = ()
    if encoding.startswith("mixed:"):
        notes = (f"mixed encodings: lines decoded as {encoding.removeprefix('mixed:').replace('+', ' and ')}; check the text",)
    return ReadText(text, encoding, notes=notes)


_MD_PREFIX = re.compile(r"^(?:\s{0,3}#{1,6}\s+|\s{0,3}>\s?|\s*[-*+]\s+(?=\S))")
_MD_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_RULE = re.compile(r"^\s*(?:[-*_]\s*){3,}$")


def read_markdown(name: str, data: bytes) -> ReadText:
    """A Markdown plan: heading hashes, quote marks, bullets, bold and link targets removed; the words kept."""
    read = read_text(name, data)
    lines = []
    for line in read.text.split("\n"):
        if _MD_RULE.match(line):
            lines.append("")
            continue
        line = _MD_PREFIX.sub("", line)
        line = re.sub(r"\s+#+\s*$", "", line)  # closing hashes of an ATX heading
        line = _MD_EMPHASIS.sub(r"\2", _MD_LINK.sub(r"\1", line))
        lines.append(line)
    return ReadText("\n".join(lines), read.encoding, notes=read.notes)


# ---------------------------------------------------------------------------------------------- PDF

# A line that is only a page number: "— 3 —", "-3-", "第3页", "第3页 共12页", "3/12", "3".
_EDGE_LINES = 2  # running headers/footers are looked for in this many lines at the top and bottom of a page


def read_pdf(name: str, data: bytes) -> ReadText:
    """The text layer of a PDF, page by page, with running headers/footers and page numbers removed.

    Lines a PDF broke at the right margin are joined (a line as long as the page's longest that does not end
    a sentence continues on the next, across a page break too). Raises for an encrypted, truncated, corrupt or
    scanned (no text) PDF.
    """
    start = data.find(b"%PDF-", 0, 1024)
    if start < 0:
        raise DocumentError(f"{name}: not a PDF (no %PDF header); check the file, or give it the extension of its real format")
    if b"%%EOF" not in data[-2048:]:
        raise DocumentError(f"{name}: truncated PDF (no end-of-file marker); download or copy the complete file again")
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data[start:]), strict=False)
        if reader.is_encrypted and not _decrypts_without_password(reader):
            raise DocumentError(f"{name}: encrypted PDF (needs a password); decrypt it or export the text")
        pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentError:
        raise
    except Exception as exc:  # pypdf raises assorted types (PdfReadError, KeyError, ValueError…) on damaged files
        raise DocumentError(f"{name}: corrupt PDF ({type(exc).__name__}: {exc}); open and save it again, or export the text") from exc
    if not any(p.strip() for p in pages):
        raise DocumentError(f"{name}: the PDF has no text layer (a scan?); run OCR on it or export the text")
    text, starts = join_pdf_pages(pages)
    return ReadText(text, "pdf", pages=starts)


def _decrypts_without_password(reader) -> bool:  # type: ignore[no-untyped-def]
    """An owner-password-only PDF (printing/copying restricted) opens with the empty user password."""
    try:
        return bool(reader.decrypt(""))
    except Exception:  # pypdf: DependencyError for AES without `cryptography`, NotImplementedError for odd handlers
        return False


def join_pdf_pages(pages: list[str]) -> tuple[str, tuple[int, ...]]:
    """Pages' extracted text -> (one text, offset where each page starts). Pure.

    Removes page-number lines and running headers/footers (a line at the top or bottom of at least half the
    pages, digits ignored, so "— 3 —" and "第3页 共9页" count as one; a header is kept on page 1, where it is
    usually the title), then joins lines broken at the right margin.
    """
    page_lines = [[line.strip() for line in page.splitlines() if line.strip()] for page in pages]
    headers, footers = _running_lines(page_lines)
    kept: list[list[str]] = []
    for number, lines in enumerate(page_lines, start=1):
        out = []
        for i, line in enumerate(lines):
            key = _edge_key(line)
            at_top, at_bottom = i < _EDGE_LINES, i >= len(lines) - _EDGE_LINES
            if PAGE_NUMBER_LINE.match(line) and (at_top or at_bottom):
                continue
            if (at_top and number > 1 and key in headers) or (at_bottom and key in footers):
                continue
            out.append(line)
        kept.append(out)
    width = max((len(line) for lines in kept for line in lines), default=0)
    parts: list[str] = []
    starts: list[int] = []
    length = 0
    previous: str | None = None
    for lines in kept:
        page_start: int | None = None
        for line in lines:
            if previous is not None:
                sep = "" if _wrapped(previous, line, width) else "\n"
                if not sep and previous[-1].isascii() and previous[-1].isalnum() and line[0].isascii() and line[0].isalnum():
                    sep = " "  # a Latin word wrap needs its space back
                parts.append(sep)
                length += len(sep)
            if page_start is None:
                page_start = length
            parts.append(line)
            length += len(line)
            previous = line
        starts.append(length if page_start is None else page_start)
    return "".join(parts), tuple(starts)


def _edge_key(line: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", line))


def _running_lines(page_lines: list[list[str]]) -> tuple[set[str], set[str]]:
    """Keys of lines that recur at the top (headers) or bottom (footers) of at least half the pages (2 or more)."""
    if len(page_lines) < 2:
        return set(), set()
    tops: Counter[str] = Counter()
    bottoms: Counter[str] = Counter()
    for lines in page_lines:
        tops.update({_edge_key(line) for line in lines[:_EDGE_LINES]})
        bottoms.update({_edge_key(line) for line in lines[-_EDGE_LINES:]})
    need = max(2, (len(page_lines) + 1) // 2)
    return {k for k, n in tops.items() if n >= need}, {k for k, n in bottoms.items() if n >= need}


def _wrapped(previous: str, line: str, width: int) -> bool:
    """``previous`` was broken at the margin: it is (nearly) as long as the longest line and ends mid-sentence."""
    return width >= 10 and len(previous) >= 0.85 * width and not previous.endswith(LINE_ENDS) and not starts_clause(line)


# --------------------------------------------------------------------------------------------- DOCX

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Compound File: an old .doc, or an encrypted .docx


def read_docx(name: str, data: bytes) -> ReadText:
    """A Word .docx: body paragraphs and tables in order, numbers of Word's lists written out (``一、``, ``（一）``, ``1.``)."""
    if data.startswith(_OLE):
        raise DocumentError(f"{name}: an encrypted Word file or an old .doc; remove the password / save it as .docx")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED_BYTES:
                raise DocumentError(f"{name}: the .docx unpacks to more than {MAX_UNZIPPED_BYTES // 1048576} MB; save a smaller copy")
            if archive.testzip() is not None:
                raise zipfile.BadZipFile("a damaged part")
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise DocumentError(f"{name}: corrupt or truncated .docx ({exc}); open and save it again in Word") from exc
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
        numbering = _Numbering(document)
        lines = []
        for block in document.element.body.iterchildren():
            if block.tag == _W + "p":
                label, text = numbering.label(block), _paragraph_text(block)
                if label.endswith(".") and text[:1].isdigit():
                    label += " "  # "1.2020年…" would read as a decimal, not as item 1
                lines.append(label + text)
            elif block.tag == _W + "tbl":
                lines.extend(_table_rows(block))
    except DocumentError:
        raise
    except Exception as exc:  # python-docx / lxml raise assorted types (KeyError, XMLSyntaxError, PackageNotFoundError…)
        raise DocumentError(f"{name}: corrupt .docx ({type(exc).__name__}: {exc}); open and save it again in Word") from exc
    text = "\n".join(lines)
    if not text.strip():
        raise DocumentError(f"{name}: the .docx has no text; check that it is a plan")
    return ReadText(text, "docx")


def _paragraph_text(p) -> str:  # type: ignore[no-untyped-def]
    """A paragraph's visible text: runs (in hyperlinks and fields too), tabs and breaks; deleted revisions left out."""
    out = []
    for node in p.iter(_W + "t", _W + "tab", _W + "br", _W + "cr"):
        if any(a.tag in (_W + "del", _W + "instrText") for a in node.iterancestors()):
            continue
        out.append(node.text or "" if node.tag == _W + "t" else (" " if node.tag == _W + "tab" else "\n"))
    return "".join(out)


def _table_rows(tbl) -> list[str]:  # type: ignore[no-untyped-def]
    rows = []
    for tr in tbl.iter(_W + "tr"):
        cells = [" ".join(_paragraph_text(p) for p in tc.iter(_W + "p")).strip() for tc in tr.iter(_W + "tc")]
        if any(cells):
            rows.append(TABLE_CELL_SEPARATOR.join(cells))
    return rows


class _Numbering:
    """Word's automatic list numbers (numbering.xml), counted the way Word shows them."""

    def __init__(self, document) -> None:  # type: ignore[no-untyped-def]
        self.levels: dict[str, dict[int, tuple[str, str, int]]] = {}  # numId -> ilvl -> (numFmt, lvlText, start)
        self.counters: dict[str, list[int]] = {}
        self.style_num: dict[str, tuple[str, int]] = {}
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError):
            return  # no numbering part: no automatic numbers
        abstract = {a.get(_W + "abstractNumId"): a for a in root.iter(_W + "abstractNum")}
        for num in root.iter(_W + "num"):
            ref = num.find(_W + "abstractNumId")
            levels: dict[int, tuple[str, str, int]] = {}
            source = abstract.get(ref.get(_W + "val") if ref is not None else None)
            for lvl in source.iter(_W + "lvl") if source is not None else ():
                levels[int(lvl.get(_W + "ilvl", "0"))] = (_val(lvl, "numFmt", "decimal"), _val(lvl, "lvlText", ""), int(_val(lvl, "start", "1")))
            for override in num.iter(_W + "lvlOverride"):
                ilvl = int(override.get(_W + "ilvl", "0"))
                if ilvl in levels and (start := override.find(_W + "startOverride")) is not None:
                    fmt, text, _ = levels[ilvl]
                    levels[ilvl] = (fmt, text, int(start.get(_W + "val", "1")))
            self.levels[num.get(_W + "numId")] = levels
        for style in document.styles.element.iter(_W + "style"):
            found = style.find(f"{_W}pPr/{_W}numPr")
            if found is not None:
                self.style_num[style.get(_W + "styleId")] = _num_pr(found)

    def label(self, p) -> str:  # type: ignore[no-untyped-def]
        """The number Word shows before paragraph ``p`` (``""`` for none, or for a bullet)."""
        found = p.find(f"{_W}pPr/{_W}numPr")
        if found is not None:  # numId 0 here switches a numbered style's numbering off
            num_id, ilvl = _num_pr(found)
        else:
            style = p.find(f"{_W}pPr/{_W}pStyle")
            num_id, ilvl = self.style_num.get(style.get(_W + "val") if style is not None else "", ("", 0))
        levels = self.levels.get(num_id)
        if not levels or ilvl not in levels or not _paragraph_text(p).strip():
            return ""
        counters = self.counters.setdefault(num_id, [])
        while len(counters) <= ilvl:
            counters.append(0)
        counters[ilvl] += 1
        del counters[ilvl + 1 :]  # a higher level restarts the levels below it
        fmt, text, _ = levels[ilvl]
        if fmt in {"bullet", "none"}:
            return ""

        def number(match: re.Match[str]) -> str:
            level = int(match.group(1)) - 1
            if level >= len(counters) or level not in levels:
                return ""
            level_fmt, _, start = levels[level]
            return format_number(level_fmt, start + counters[level] - 1)

        label = re.sub(r"%(\d)", number, text)
        return label


def _val(element, child: str, default: str) -> str:  # type: ignore[no-untyped-def]
    found = element.find(_W + child)
    return found.get(_W + "val", default) if found is not None else default


def _num_pr(num_pr) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    num_id = num_pr.find(_W + "numId")
    ilvl = num_pr.find(_W + "ilvl")
    value = num_id.get(_W + "val", "") if num_id is not None else ""
    return ("" if value == "0" else value), int(ilvl.get(_W + "val", "0")) if ilvl is not None else 0


_TIANGAN = "甲乙丙丁戊己庚辛壬癸"


def _roman(n: int) -> str:
    out = ""
    for value, numeral in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= value:
            out, n = out + numeral, n - value
    return out


def _letter(n: int) -> str:
    return chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1) if n > 0 else str(n)


_FORMATS: dict[str, Callable[[int], str]] = {
    "decimal": str,
    "decimalZero": lambda n: f"{n:02d}",
    "decimalFullWidth": lambda n: str(n).translate({ord(d): chr(0xFF10 + int(d)) for d in "0123456789"}),
    "decimalHalfWidth": str,
    "chineseCounting": chinese_numeral,
    "chineseCountingThousand": chinese_numeral,
    "chineseLegalSimplified": chinese_numeral,
    "ideographTraditional": lambda n: _TIANGAN[(n - 1) % 10],
    "decimalEnclosedCircle": lambda n: chr(0x2460 + n - 1) if 1 <= n <= 20 else str(n),
    "decimalEnclosedCircleChinese": lambda n: chr(0x2460 + n - 1) if 1 <= n <= 20 else str(n),
    "lowerLetter": _letter,
    "upperLetter": lambda n: _letter(n).upper(),
    "lowerRoman": _roman,
    "upperRoman": lambda n: _roman(n).upper(),
}


def format_number(fmt: str, n: int) -> str:
    """Word's ``w:numFmt`` applied to ``n`` (unknown formats as decimal)."""
    return _FORMATS.get(fmt, str)(n)


# --------------------------------------------------------------------------------------------- HTML

_HTML_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "form", "button", "select", "input", "nav", "header", "footer", "aside", "svg", "img")
# id/class words of page furniture on government sites (menus, breadcrumbs, share bars, footers …).
_FURNITURE = re.compile(
    r"^(?:nav|navbar|menu|header|head|footer|foot|bottom|breadcrumbs?|crumbs?|position|location|sidebar|side|share|"
    r"bdsharebuttonbox|copyright|banner|toolbar|tools|search|login|related|relevant|links|friendlink|qrcode|ewm|print|close)$",
    re.IGNORECASE,
)
_BLOCK_TAGS = frozenset({
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "table", "tbody", "thead", "tr",
    "section", "article", "main", "blockquote", "pre", "dd", "dt", "dl", "center", "hr",
})
_METADATA_KEYS = ("索引号", "发布机构", "公开方式", "组配分类", "成文日期", "发文字号", "主题分类", "发布日期", "文号")
_CJK = re.compile(r"[\u3400-\u9fff]")


def read_html(name: str, data: bytes) -> ReadText:
    """A government web page: the article body (navigation, headers, footers, share bars dropped).

    The page title (``<meta name="ArticleTitle">``, the article's ``<h1>``, or ``<title>``) comes first and the
    information-disclosure table (索引号, 发布机构, 成文日期…) is kept as ``key | value`` rows, which the cleaner
    lifts into document metadata.
    """
    text, charset = _decode_html(name, data)
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "lxml")
    title = _html_title(soup)
    metadata = [row for row in (_row_text(tr) for tr in soup.find_all("tr")) if any(k in row for k in _METADATA_KEYS)]
    for tag in soup.find_all(list(_DROP_TAGS)):
        tag.decompose()
    for tag in soup.find_all(_is_furniture):
        tag.decompose()
    body = _article(soup.body or soup)
    lines = [line for line in (re.sub(r"[ \t]+", " ", piece).strip() for piece in _block_text(body).split("\n")) if line]
    if title and not any(title == line or title in line[: len(title) + 4] for line in lines[:5]):
        lines.insert(0, title)
    lines[0:0] = [row for row in metadata if row not in lines]
    if not any(_CJK.search(line) or re.search(r"\w{3}", line) for line in lines):
        raise DocumentError(f"{name}: no article text found in the page; save the article itself, or copy its text into a .txt file")
    return ReadText("\n".join(lines), f"html:{charset}")


def _decode_html(name: str, data: bytes) -> tuple[str, str]:
    """Bytes of a page -> text: a BOM, then the page's own ``<meta charset>``, then the text-file detection."""
    if not data.startswith(tuple(bom for bom, _ in _BOMS)) and (m := _HTML_CHARSET.search(data[:4096])):
        charset = m.group(1).decode("ascii").lower()
        codec = "gb18030" if charset in {"gb2312", "gbk", "gb18030", "x-gbk"} else charset
        try:
            return data.decode(codec).replace("\r\n", "\n").replace("\r", "\n"), charset
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong or unknown declaration: detect instead
    return decode_text(data, name)


def _html_title(soup) -> str:  # type: ignore[no-untyped-def]
    meta = soup.find("meta", attrs={"name": re.compile(r"^(ArticleTitle|title)$", re.IGNORECASE)})
    if meta and meta.get("content", "").strip():
        return str(meta["content"]).strip()
    for tag in (soup.find("h1"), soup.title):
        if tag and tag.get_text(strip=True):
            # "<title>赣州市2023年卫生健康工作要点_赣州市人民政府</title>": the site name goes
            return re.split(r"\s*(?:[_|｜]|\s-\s|——)\s*", tag.get_text(" ", strip=True))[0]
    return ""


def _is_furniture(tag) -> bool:  # type: ignore[no-untyped-def]
    if tag.name in {"html", "body"}:
        return False
    words = [tag.get("id") or ""] + list(tag.get("class") or [])
    return any(_FURNITURE.match(part) for word in words for part in re.split(r"[-_\s]+", str(word)) if part)


def _text_weight(tag) -> int:  # type: ignore[no-untyped-def]
    """Characters of text in ``tag`` outside links (menus are mostly links; an article mostly not)."""
    total = len(re.sub(r"\s+", "", tag.get_text()))
    links = sum(len(re.sub(r"\s+", "", a.get_text())) for a in tag.find_all("a"))
    return total - links


def _article(tag):  # type: ignore[no-untyped-def]
    """Descend from ``tag`` into the child holding most of its text while one child holds nearly all of it."""
    while True:
        weight = _text_weight(tag)
        children = [c for c in tag.find_all(recursive=False) if c.name not in {"p", "span", "a", "strong", "b", "em", "font"}]
        best = max(children, key=_text_weight, default=None)
        if best is None or weight == 0 or _text_weight(best) < 0.8 * weight:
            return tag
        tag = best


_KEY_VALUE = re.compile(r"^(" + "|".join(_METADATA_KEYS) + r")\s*[:：]\s*(.*)$")


def _row_text(tr) -> str:  # type: ignore[no-untyped-def]
    """A table row as ``cell | cell``; ``索引号：123`` cells become ``索引号 | 123`` (the cleaner reads key/value pairs)."""
    cells: list[str] = []
    for td in tr.find_all(["td", "th"], recursive=False):
        cell = re.sub(r"\s+", " ", td.get_text(" ", strip=True))
        if m := _KEY_VALUE.match(cell):
            cells.extend([m[1], m[2]] if m[2] else [m[1]])
        else:
            cells.append(cell.rstrip(":："))
    return TABLE_CELL_SEPARATOR.join(cells)


def _block_text(tag) -> str:  # type: ignore[no-untyped-def]
    """Text of ``tag`` with a line break around each block element; inline tags (strong, span, a) stay inline."""
    from bs4 import NavigableString, Tag
    from bs4.element import Comment

    out: list[str] = []

    def walk(node) -> None:  # type: ignore[no-untyped-def]
        for child in node.children:
            if isinstance(child, Comment):
                continue
            if isinstance(child, NavigableString):
                out.append(re.sub(r"\s+", " ", str(child)))
            elif isinstance(child, Tag):
                if child.name == "tr":
                    out.append("\n" + _row_text(child) + "\n")
                    continue
                block = child.name in _BLOCK_TAGS
                if block:
                    out.append("\n")
                walk(child)
                if block:
                    out.append("\n")

    walk(tag)
    return "".join(out)


# ------------------------------------------------------------------------------------------ dispatch

READERS: dict[str, Callable[[str, bytes], ReadText]] = {
    ".txt": read_text,
    ".text": read_text,
    ".md": read_markdown,
    ".markdown": read_markdown,
    ".pdf": read_pdf,
    ".docx": read_docx,
    ".html": read_html,
    ".htm": read_html,
}
SUFFIXES = frozenset(READERS)
PLAIN_TEXT_SUFFIXES = frozenset({".txt", ".text"})  # read as decoded, nothing removed


def read_document(name: str, data: bytes) -> ReadText:
    """Read ``data`` by the format its file ``name`` says. Raises :class:`DocumentError` naming the file."""
    suffix = PurePath(name).suffix.lower()
    reader = READERS.get(suffix)
    if reader is None:
        raise DocumentError(f"{name}: unsupported file type {suffix or '(none)'}; accepted: {', '.join(sorted(SUFFIXES))}")
    if not data.strip():
        raise DocumentError(f"{name}: the file is empty; nothing to ingest")
    return reader(name, data)
