"""Word plans (.docx): body paragraphs in reading order, with the numbers of Word's automatic lists (numbering.xml)
written out as Word shows them, and the tables as data (:class:`~qa.ingest.readtext.Table`: merged cells read once,
each with the offset in the text where it stood). python-docx is imported when a .docx is read.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Callable

from qa.ingest.limits import limits
from qa.ingest.readtext import TABLE_CELL_SEPARATOR, Cell, DocumentError, ReadText, Table
from qa.text import chinese_numeral

# A .docx is a zip: refuse one whose parts would inflate past this (a zip bomb), whatever its own size.
MAX_UNZIPPED_BYTES = 256 * 1024 * 1024

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# Word's tables have at most 63 columns; a hostile gridSpan or gridBefore of 10^9 is read as this many, not looped over.
_MAX_COLUMNS = 64
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Compound File: an old .doc, or an encrypted .docx


def read_docx(name: str, data: bytes) -> ReadText:
    """A Word .docx: body paragraphs in order, numbers of Word's lists written out (``一、``, ``（一）``, ``1.``), and
    its data tables (2 columns or more, a row under the header) as :class:`Table` s; a table that is none (a
    one-cell text box, a single row) stays in the text, a line per row."""
    if data.startswith(_OLE):
        raise DocumentError(f"{name}: an encrypted Word file or an old .doc; remove the password / save it as .docx")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED_BYTES:
                raise DocumentError(f"{name}: the .docx unpacks to more than {MAX_UNZIPPED_BYTES // 1048576} MB; save a smaller copy")
            _check_xml_parts(name, archive.infolist())
            if archive.testzip() is not None:
                raise zipfile.BadZipFile("a damaged part")
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise DocumentError(f"{name}: corrupt or truncated .docx ({exc}); open and save it again in Word") from exc
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
        numbering = _Numbering(document)
        lines: list[str] = []
        length = 0  # of "\n".join(lines), kept as lines are added (joining at each table is quadratic in tables)
        tables: list[Table] = []
        for block in document.element.body.iterchildren():
            if block.tag == _W + "p":
                label, text = numbering.label(block), _paragraph_text(block)
                if label.endswith(".") and text[:1].isdigit():
                    label += " "  # "1.2020年…" would read as a decimal, not as item 1
                lines.append(label + text)
                length += len(lines[-1]) + (len(lines) > 1)
            elif block.tag == _W + "tbl":
                table = read_table(block)
                if is_data_table(table):
                    tables.append(Table(table.rows, length, table.header_rows))  # the offset of "\n".join(lines)'s end
                else:
                    for line in _table_lines(table):
                        lines.append(line)
                        length += len(line) + (len(lines) > 1)
    except DocumentError:
        raise
    except Exception as exc:  # python-docx / lxml raise assorted types (KeyError, XMLSyntaxError, PackageNotFoundError…)
        raise DocumentError(f"{name}: corrupt .docx ({type(exc).__name__}: {exc}); open and save it again in Word") from exc
    text = "\n".join(lines)
    if not text.strip() and not tables:
        raise DocumentError(f"{name}: the .docx has no text; check that it is a plan")
    return ReadText(text, "docx", tables=tuple(tables))


def _check_xml_parts(name: str, parts: list[zipfile.ZipInfo]) -> None:
    """Refuse a .docx whose XML (which python-docx parses whole, in memory) unpacks past ``max_docx_xml_mb``, or
    has a part over 1 MB packed more than ``max_docx_ratio`` times (a zip bomb). The sizes are the archive's own:
    zipfile stops reading a part at its stated size, so they bound what is inflated."""
    budget = limits()
    xml = [info for info in parts if info.filename.lower().endswith((".xml", ".rels"))]
    unpacked = sum(info.file_size for info in xml)
    if unpacked > budget.max_docx_xml_mb * 1048576:
        raise DocumentError(
            f"{name}: the .docx's text (XML) unpacks to {unpacked / 1048576:.0f} MB (the limit is {budget.max_docx_xml_mb:g} MB); "
            "save the plan as a smaller .docx (without embedded data), or as text"
        )
    for info in xml:
        if info.file_size > 1048576 and info.file_size > budget.max_docx_ratio * max(info.compress_size, 1):
            raise DocumentError(
                f"{name}: {info.filename} unpacks to {info.file_size / max(info.compress_size, 1):.0f} times its packed size "
                f"(the limit is {budget.max_docx_ratio:g}; a zip bomb?); open and save it again in Word, or save it as text"
            )


def _paragraph_text(p) -> str:  # type: ignore[no-untyped-def]
    """A paragraph's visible text: runs (in hyperlinks and fields too), tabs and breaks; deleted revisions left out."""
    out = []
    for node in p.iter(_W + "t", _W + "tab", _W + "br", _W + "cr"):
        if any(a.tag in (_W + "del", _W + "instrText") for a in node.iterancestors()):
            continue
        out.append(node.text or "" if node.tag == _W + "t" else (" " if node.tag == _W + "tab" else "\n"))
    return "".join(out)


def read_table(tbl) -> Table:  # type: ignore[no-untyped-def]
    """A ``w:tbl`` as rows of cells in grid columns: ``w:gridSpan`` is a cell's width in columns, ``w:gridBefore``
    skips columns, and a ``w:vMerge`` continuation carries the text of the cell it continues (offset 0: the
    caller places it). Leading rows marked ``w:tblHeader`` (repeated on each page) are the header rows."""
    rows: list[tuple[Cell, ...]] = []
    header_rows, in_header = 0, True
    for tr in tbl.iterchildren(_W + "tr"):
        col = min(max(0, _int_val(tr.find(f"{_W}trPr/{_W}gridBefore"), 0)), _MAX_COLUMNS)
        above = {c.col: c for c in rows[-1]} if rows else {}
        cells = []
        for tc in tr.iterchildren(_W + "tc"):
            span = min(max(1, _int_val(tc.find(f"{_W}tcPr/{_W}gridSpan"), 1)), _MAX_COLUMNS)
            merge = tc.find(f"{_W}tcPr/{_W}vMerge")
            continues = merge is not None and merge.get(_W + "val", "continue") == "continue" and col in above
            if continues:
                cells.append(Cell(above[col].text, col, span, first=False))
            else:
                text = "\n".join(_paragraph_text(p) for p in tc.iter(_W + "p")).strip()
                cells.append(Cell(text, col, span))
            col += span
        marked = tr.find(f"{_W}trPr/{_W}tblHeader")
        in_header = in_header and marked is not None and marked.get(_W + "val", "true") not in {"0", "false", "off"}
        header_rows += in_header
        rows.append(tuple(cells))
    return Table(tuple(rows), 0, header_rows)


def is_data_table(table: Table) -> bool:
    """A table of data: 2 columns or more and, under its first row, a row with 2 cells of text or more (a one-cell
    box around a paragraph, a one-row strip of names are layout, read as text)."""
    def filled(row: tuple[Cell, ...]) -> int:
        return sum(1 for c in row if c.first and c.text.strip())

    return table.columns >= 2 and len(table.rows) >= 2 and any(filled(row) >= 2 for row in table.rows[1:])


def _table_lines(table: Table) -> list[str]:
    """A layout table as text: a row's one cell as its lines, a row of several cells as ``cell | cell``."""
    lines: list[str] = []
    for row in table.rows:
        cells = [c.text for c in row if c.first and c.text.strip()]
        if len(cells) == 1:
            lines.extend(line for line in cells[0].split("\n") if line.strip())
        elif cells:
            lines.append(TABLE_CELL_SEPARATOR.join(" ".join(c.split()) for c in cells))
    return lines


def _int_val(element, default: int) -> int:  # type: ignore[no-untyped-def]
    if element is None:
        return default
    try:
        return int(element.get(_W + "val", default))
    except ValueError:
        return default


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
        # Word has nine levels (ilvl 0-8); a hostile file's ilvl of 10^9 would grow the counters without end.
        if not levels or ilvl not in levels or not 0 <= ilvl < _LEVELS or not _paragraph_text(p).strip():
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
_LEVELS = 9  # list levels Word numbers
_SPELLED = 10_000  # a letter or Roman list number past this is written in digits (a hostile start of 10^12 would never end)


def _roman(n: int) -> str:
    if not 0 < n < _SPELLED:
        return str(n)
    out = ""
    for value, numeral in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= value:
            out, n = out + numeral, n - value
    return out


def _letter(n: int) -> str:
    return chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1) if 0 < n < _SPELLED else str(n)


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

