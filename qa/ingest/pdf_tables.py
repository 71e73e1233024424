"""Ruled tables in a PDF, found with pdfplumber: which pages may hold one (a cheap look at the content stream),
each table's grid of cells, and a table continued over several pages joined into one
(:class:`~qa.ingest.readtext.Table`). pdfplumber is imported only when some page draws enough rules.
"""

from __future__ import annotations

import bisect
import io
import logging
import re
import time
from dataclasses import dataclass

from qa.ingest.readtext import Cell, Table
from qa.ingest.tables import header_row_count
from qa.normalize import compact, unify_radicals

# Tables. A private-use character: a line of it in a page's text marks where a table stood.
TABLE_MARK = "\ue000"
MIN_RULE_POSITIONS = 3  # distinct x positions of painted rules a page needs for a table of 2 columns (3 vertical edges)
TABLE_SECONDS = 30.0  # time budget of the table search in one PDF, s; later pages keep their tables as text
MIN_CELL_COVERAGE = 0.97  # share of the characters inside a table's frame that its cells must hold to read cleanly
MAX_HOLES = 0.05  # share of grid positions no cell covers (missing rules) that a clean table may have
# Operators that paint a path (stroke, fill, both); "n" ends one unpainted (a clipping path).
_PAINT_OPS = frozenset({b"S", b"s", b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"})
_DRAW_FORM = re.compile(rb"(?<=\s)Do(?=\s)")


def may_hold_table(page) -> bool:  # type: ignore[no-untyped-def]
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
        lines.append(unify_radicals(line["text"]))
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
            cells.append((unify_radicals(texts[r][c] or ""), r, c, col_span))
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
class PageTable:
    """The part of a table on one page."""

    rows: tuple[tuple[Cell, ...], ...]
    page: int


def join_continued(segments: list[PageTable], offsets: list[int]) -> list[Table]:
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
