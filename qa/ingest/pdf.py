"""PDF plans: the text layer, page by page, with running headers/footers and page numbers removed and lines
broken at the right margin joined; the offset where each page starts goes with the text, so a clause's span
tells its pages. Ruled tables come out as data (:class:`~qa.ingest.readtext.Table`, found with pdfplumber), a table
continued over pages as one. pypdf is imported when a PDF is read, pdfplumber when a page draws enough paths to
hold a table.

Tables without rules (columns only aligned by spaces, a three-line table with horizontal rules only) are not looked
for: their text stays as pypdf reads it. So does a law's borderless 发文机关/发文日期… block, on purpose: it is the
document's metadata, which the metadata reader takes from the text, not rows to cite.
"""

from __future__ import annotations

import bisect
import io
import logging
import re
import time
from collections import Counter
from dataclasses import dataclass

from qa.ingest.markers import starts_clause
from qa.ingest.readtext import Cell, DocumentError, ReadText, Table
from qa.ingest.tables import header_row_count
from qa.normalize import compact
from qa.text import LINE_ENDS, PAGE_NUMBER_LINE

# Page-number lines ("— 3 —", "-3-", "第3页", "第3页 共12页", "3/12", "3") are qa.text.PAGE_NUMBER_LINE.
_EDGE_LINES = 2  # running headers/footers are looked for in this many lines at the top and bottom of a page

# Tables. A private-use character: a line of it in a page's text marks where a table stood.
TABLE_MARK = "\ue000"
MIN_RULE_POSITIONS = 3  # distinct x positions of painted rules a page needs for a table of 2 columns (3 vertical edges)
TABLE_SECONDS = 30.0  # time budget of the table search in one PDF, s; later pages keep their tables as text
MIN_CELL_COVERAGE = 0.97  # share of the characters inside a table's frame that its cells must hold to read cleanly
MAX_HOLES = 0.05  # share of grid positions no cell covers (missing rules) that a clean table may have
# Operators that paint a path (stroke, fill, both); "n" ends one unpainted (a clipping path).
_PAINT_OPS = frozenset({b"S", b"s", b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"})
_DRAW_FORM = re.compile(rb"(?<=\s)Do(?=\s)")


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
        candidates = [n for n, page in enumerate(reader.pages, start=1) if _may_hold_table(page)]
    except DocumentError:
        raise
    except Exception as exc:  # pypdf raises assorted types (PdfReadError, KeyError, ValueError…) on damaged files
        raise DocumentError(f"{name}: corrupt PDF ({type(exc).__name__}: {exc}); open and save it again, or export the text") from exc
    if not any(p.strip() for p in pages):
        raise DocumentError(f"{name}: the PDF has no text layer (a scan?); run OCR on it or export the text")
    notes: list[str] = []
    found = find_pdf_tables(data[start:], candidates, notes) if candidates else {}
    segments: list[_Segment] = []
    for number, (page_text, tables) in sorted(found.items()):
        pages[number - 1] = page_text
        segments.extend(_Segment(rows, number) for rows in tables)
    text, starts, marks = _join(pages)
    tables = join_continued(segments, marks)
    return ReadText(text, "pdf", pages=starts, notes=tuple(notes), tables=tuple(tables))


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
    text, starts, _ = _join(pages)
    return text, starts


def _join(pages: list[str]) -> tuple[str, tuple[int, ...], list[int]]:
    """:func:`join_pdf_pages`, and the offset of each :data:`TABLE_MARK` line (removed from the text; no line is
    joined across one, and none counts as a page's edge line)."""
    page_lines = [[line.strip() for line in page.splitlines() if line.strip()] for page in pages]
    headers, footers = _running_lines([[line for line in lines if line != TABLE_MARK] for lines in page_lines])
    kept: list[list[str]] = []
    for number, lines in enumerate(page_lines, start=1):
        out = []
        body = sum(1 for line in lines if line != TABLE_MARK)
        i = -1
        for line in lines:
            if line == TABLE_MARK:
                out.append(line)
                continue
            i += 1
            key = _edge_key(line)
            at_top, at_bottom = i < _EDGE_LINES, i >= body - _EDGE_LINES
            if PAGE_NUMBER_LINE.match(line) and (at_top or at_bottom):
                continue
            if (at_top and number > 1 and key in headers) or (at_bottom and key in footers):
                continue
            out.append(line)
        kept.append(out)
    width = max((len(line) for lines in kept for line in lines if line != TABLE_MARK), default=0)
    parts: list[str] = []
    starts: list[int] = []
    marks: list[int] = []
    length = 0
    previous: str | None = None
    after_table = False
    for lines in kept:
        page_start: int | None = None
        for line in lines:
            if line == TABLE_MARK:
                marks.append(length)
                after_table = True
                continue
            if previous is not None:
                sep = "" if _wrapped(previous, line, width) and not after_table else "\n"
                if not sep and previous[-1].isascii() and previous[-1].isalnum() and line[0].isascii() and line[0].isalnum():
                    sep = " "  # a Latin word wrap needs its space back
                parts.append(sep)
                length += len(sep)
            if page_start is None:
                page_start = length
            parts.append(line)
            length += len(line)
            previous = line
            after_table = False
        starts.append(length if page_start is None else page_start)
    return "".join(parts), tuple(starts), marks


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



# --------------------------------------------------------------------------------------------- tables


def _may_hold_table(page) -> bool:  # type: ignore[no-untyped-def]
    """Whether a page's content stream paints rules at enough distinct x positions for a table of 2 columns, or
    draws a form (whose paths it cannot see): a cheap test on pypdf's page, so pdfplumber's layout analysis runs
    only where a table may be. Text set on full-width background bands (a law's web export) has 2 positions."""
    contents = page.get_contents()
    if contents is None:
        return False
    data = contents.get_data()
    if _DRAW_FORM.search(data):
        return True
    return len(_rule_positions(data)) >= MIN_RULE_POSITIONS


def _rule_positions(data: bytes) -> set[int]:
    """x positions (pt, rounded) of the painted rectangles' edges and the line segments' ends in a content stream."""
    tokens = data.split()
    xs: set[int] = set()
    for i, token in enumerate(tokens):
        if token == b"re" and i >= 4 and i + 1 < len(tokens) and tokens[i + 1] in _PAINT_OPS:
            x, w = _number(tokens[i - 4]), _number(tokens[i - 2])
            if x is not None and w is not None:
                xs.update((round(x), round(x + w)))
        elif token in (b"l", b"m") and i >= 2 and (x := _number(tokens[i - 2])) is not None:
            xs.add(round(x))
    return xs


def _number(token: bytes) -> float | None:
    try:
        return float(token)
    except ValueError:
        return None


def find_pdf_tables(data: bytes, candidates: list[int], notes: list[str]) -> dict[int, tuple[str, list[tuple[tuple[Cell, ...], ...]]]]:
    """Ruled data tables on the ``candidates`` pages (1-based): page -> (the page's text outside its tables with a
    :data:`TABLE_MARK` line where each stood, the tables' rows). Pages without a data table are left out (their
    pypdf text stands). Problems go to ``notes``; a table search that fails keeps the tables as text."""
    import pdfplumber

    found: dict[int, tuple[str, list[tuple[tuple[Cell, ...], ...]]]] = {}
    started = time.perf_counter()
    quiet = logging.getLogger("pdfminer")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # pdfminer warns per glyph about fonts without a FontBBox: noise here
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for n in candidates:
                if time.perf_counter() - started > TABLE_SECONDS:
                    notes.append(f"table search stopped after {TABLE_SECONDS:g} s at page {n}; tables from there on kept as text")
                    break
                page = pdf.pages[n - 1]
                result = _page_tables(page, n, notes)
                if result is not None:
                    found[n] = result
                page.close()  # frees the page's parsed layout
    except Exception as exc:  # pdfminer raises assorted types on odd files; the text layer is already read
        notes.append(f"tables not searched ({type(exc).__name__}: {exc}); kept as text")
        return {}
    finally:
        quiet.setLevel(level)
    return found


def _page_tables(page, number: int, notes: list[str]) -> tuple[str, list[tuple[tuple[Cell, ...], ...]]] | None:  # type: ignore[no-untyped-def]
    accepted = []
    for table in page.find_tables():
        rows, clean = _grid(page, table)
        if rows is None:
            continue  # a page frame, a box around text, a one-column list: layout, not data
        if not clean:
            notes.append(f"table on page {number} could not be read cleanly; kept as text")
            continue
        accepted.append((table.bbox, rows))
    if not accepted:
        return None
    outside = page
    for bbox, _ in accepted:
        outside = outside.outside_bbox(bbox)
    pending = sorted(accepted, key=lambda found: found[0][1])
    lines: list[str] = []
    for line in outside.extract_text_lines():
        while pending and pending[0][0][1] <= line["top"]:
            lines.append(TABLE_MARK)
            pending.pop(0)
        lines.append(line["text"])
    lines.extend(TABLE_MARK for _ in pending)
    return "\n".join(lines), [rows for _, rows in sorted(accepted, key=lambda found: found[0][1])]


def _grid(page, table) -> tuple[tuple[tuple[Cell, ...], ...] | None, bool]:  # type: ignore[no-untyped-def]
    """A pdfplumber table as rows of :class:`Cell` in grid columns (a cell's span counted in the distinct cell
    edges it covers), or None when it is no data table (fewer than 2 columns, or fewer than 2 rows with 2 cells of
    text: a page frame, a one-column list). The flag says whether it reads cleanly: its cells hold the characters
    inside its frame and cover the grid."""
    boxes = table.cells
    if not boxes:
        return None, True
    xs = sorted({b[0] for b in boxes})
    ys = sorted({b[1] for b in boxes})
    texts = table.extract()
    grid: list[list[int | None]] = [[None] * len(xs) for _ in ys]
    cells: list[tuple[str, int, int, int]] = []  # text, first row, first column, columns spanned
    frames: list[tuple[float, float, float, float]] = []  # each cell's bbox
    for r, row in enumerate(table.rows):
        for c, bbox in enumerate(row.cells):
            if bbox is None:
                continue
            col_span = max(1, sum(1 for x in xs if bbox[0] <= x < bbox[2] - 0.5))
            row_span = max(1, sum(1 for y in ys if bbox[1] <= y < bbox[3] - 0.5))
            k = len(cells)
            cells.append((texts[r][c] or "", r, c, col_span))
            frames.append(bbox)
            for rr in range(r, min(r + row_span, len(ys))):
                for cc in range(c, min(c + col_span, len(xs))):
                    grid[rr][cc] = k
    rows: list[tuple[Cell, ...]] = []
    holes = 0
    for r, covered in enumerate(grid):
        row: list[Cell] = []
        seen: set[int] = set()
        for c, k in enumerate(covered):
            if k is None:
                holes += 1
                row.append(Cell("", c))
            elif k not in seen:
                seen.add(k)
                text, first_row, first_col, span = cells[k]
                row.append(Cell(text, first_col, span, first=first_row == r))
        rows.append(tuple(row))
    filled = sum(1 for row in rows if sum(1 for cell in row if compact(cell.text)) >= 2)
    if len(xs) < 2 or filled < 2 or filled * 3 < len(rows):
        return None, True
    inside = [ch for ch in page.chars if _centre_in(ch, table.bbox)]
    held = sum(1 for ch in inside if _held(ch, xs, ys, grid, frames))
    clean = held >= MIN_CELL_COVERAGE * len(inside) and holes <= MAX_HOLES * len(xs) * len(ys)
    return tuple(rows), clean


def _held(ch: dict, xs: list[float], ys: list[float], grid: list[list[int | None]], frames: list[tuple[float, float, float, float]]) -> bool:
    """Whether a character's centre lies in the cell that covers its grid position."""
    r = bisect.bisect_right(ys, (ch["top"] + ch["bottom"]) / 2) - 1
    c = bisect.bisect_right(xs, (ch["x0"] + ch["x1"]) / 2) - 1
    k = grid[r][c] if r >= 0 and c >= 0 else None
    return k is not None and _centre_in(ch, frames[k])


def _centre_in(ch: dict, bbox: tuple[float, float, float, float]) -> bool:
    x, y = (ch["x0"] + ch["x1"]) / 2, (ch["top"] + ch["bottom"]) / 2
    return bbox[0] <= x < bbox[2] and bbox[1] <= y < bbox[3]


@dataclass
class _Segment:
    """The part of a table on one page."""

    rows: tuple[tuple[Cell, ...], ...]
    page: int


def join_continued(segments: list[_Segment], offsets: list[int]) -> list[Table]:
    """Page segments (with the offset each stood at) -> tables: a segment on the page after the last one's, with no
    body text between them and as many columns, continues it. Its repeat of the header is dropped; a merged cell
    cut by the page break is one cell again (an empty half takes the other half's text); a row cut by the break is
    one row again."""
    tables: list[Table] = []
    for segment, offset in zip(segments, offsets, strict=True):
        previous = tables[-1] if tables else None
        columns = max((c.col + c.span for row in segment.rows for c in row), default=0)
        if previous is None or previous.offset != offset or previous.pages[-1] + 1 != segment.page or previous.columns != columns:
            tables.append(Table(segment.rows, offset, 0, (segment.page,) * len(segment.rows)))
            continue
        header = previous.header_rows or header_row_count(previous)
        rows = list(segment.rows)
        if len(rows) > header and all(_row_key(rows[i]) == _row_key(previous.rows[i]) for i in range(header)):
            rows = rows[header:]
        earlier = list(previous.rows)
        _join_cut_cells(earlier, rows)
        _join_cut_row(earlier, rows)
        pages = previous.pages[: len(earlier)] + (segment.page,) * len(rows)
        tables[-1] = Table(tuple(earlier) + tuple(rows), previous.offset, header, pages)
    return tables


def _row_key(row: tuple[Cell, ...]) -> tuple[tuple[int, int, str], ...]:
    return tuple((c.col, c.span, compact(c.text)) for c in row)


def _cell_at(row: tuple[Cell, ...], col: int) -> Cell | None:
    return next((c for c in row if c.col == col), None)


def _replace(rows: list[tuple[Cell, ...]], r: int, col: int, **changes: object) -> None:
    from dataclasses import replace

    rows[r] = tuple(replace(c, **changes) if c.col == col else c for c in rows[r])  # type: ignore[arg-type]


def _join_cut_cells(earlier: list[tuple[Cell, ...]], later: list[tuple[Cell, ...]]) -> None:
    """A vertically merged cell cut by a page break: the half at the foot of one page and the half at the top of
    the next are one cell. Where one half is empty (the text printed on the other), it takes the other's text."""
    if not earlier or not later:
        return
    for below in later[0]:
        above = _cell_at(earlier[-1], below.col)
        if above is None or above.span != below.span:
            continue
        up = 1  # rows of the earlier page the upper half spans
        while up < len(earlier) and (cell := _cell_at(earlier[-up], below.col)) is not None and not cell.first:
            up += 1
        down = 1 + sum(1 for _ in _run(later, below.col))
        a, b = compact(above.text), compact(below.text)
        if not a and b and up >= 2:
            for r in range(len(earlier) - up, len(earlier)):
                _replace(earlier, r, below.col, text=below.text)
            _replace(later, 0, below.col, first=False)
        elif a and not b and down >= 2:
            for r in range(down):
                _replace(later, r, below.col, text=above.text)
            _replace(later, 0, below.col, first=False)
        elif a and a == b and (up >= 2 or down >= 2):
            _replace(later, 0, below.col, first=False)


def _run(rows: list[tuple[Cell, ...]], col: int):  # type: ignore[no-untyped-def]
    """The rows after the first that the cell starting in column ``col`` of the first row spans."""
    for row in rows[1:]:
        cell = _cell_at(row, col)
        if cell is None or cell.first:
            return
        yield row


def _join_cut_row(earlier: list[tuple[Cell, ...]], later: list[tuple[Cell, ...]]) -> None:
    """A row cut by a page break: the first row on the new page holds text only in columns where the last row of
    the earlier page has its own text, and leaves some of that row's columns empty; its text is appended there."""
    if not earlier or not later:
        return
    last, first = earlier[-1], later[0]
    own = {c.col: c for c in last if c.first and compact(c.text)}
    texts = {c.col: c for c in first if c.first and compact(c.text)}
    blanks = [c.col for c in first if c.first and not compact(c.text)]
    if not texts or not set(texts) <= set(own) or not set(blanks) & set(own):
        return
    if any(texts[col].span != own[col].span for col in texts):
        return
    for col, cell in texts.items():
        _replace(earlier, len(earlier) - 1, col, text=own[col].text + "\n" + cell.text)
    del later[0]
