"""Tables -> citable rows. Pure: the tables a reader found (:class:`~qa.ingest.readtext.Table`) and the parsed
clauses in, one :class:`TableRow` per data row out.

A data row is a unit of its own, never part of a clause's text:

- path: the path of the unit the table stands in (the last clause that starts before the table's offset; none
  before the first numbered unit), then ``表N`` (N: the table's ordinal in the document) and ``第M行`` (M: the
  data row's ordinal, header rows not counted): ``二、/表1/第3行``, ``表1/第2行``;
- text: ``header1：cell1；header2：cell2``, cell whitespace removed, empty cells left out, a two-level header
  joined ``上级-下级``; a vertically merged cell is read in every row it spans;
- headings: the unit's headings and its own title, the table's caption (the line above it that names a table,
  ``qa/data/table_captions.toml``, or a title row across the table), and the group row the row stands under.

A table whose every row opens with a cell ending in a colon (``项目名称：`` | ``…``) has no header: each row is
``项目名称：…``. Rows that are not data: the header; a row of one wide cell with only merged cells to its left that carry on
into the data rows below it (a group label such as 结果性指标: it becomes a heading of the rows under it); a row
of one wide cell whose left neighbour ends with it (a note, 说明：…, on the record above: its text is appended to
that row's).

Markdown pipe tables (``| a | b |`` over ``|---|---|``) are found in a Markdown plan's text by
:func:`pipe_tables`, which the readers of other formats do not need.
"""

from __future__ import annotations

import bisect
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources

from qa.ingest.markers import starts_clause
from qa.ingest.parsing import Clause, ParsedPlan
from qa.ingest.readtext import Cell, Table
from qa.normalize import compact, unify_radicals
from qa.text import clip

TABLE_ROW_KIND = "table_row"
CELL_JOINER = "；"  # between a row's "header：cell" parts
LABEL_JOINER = "："  # between a header and its cell
LEVEL_JOINER = "-"  # between the levels of a two-level header: 目标值-2022年
UNSECTIONED_KINDS = frozenset({"preamble", "paragraph"})  # a table among these stands before any numbered unit
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})  # plans whose pipe tables :func:`pipe_tables` takes out


@dataclass(frozen=True)
class TableRow(Clause):
    """One data row of a table as a citable unit; ``table``/``row`` its ordinals, ``page``/``page_end`` the pages it
    is printed on (PDF; 0 otherwise). Its span is the point where the table stood (the text holds no cells)."""

    kind: str = TABLE_ROW_KIND
    table: int = 0
    row: int = 0
    page: int = 0
    page_end: int = 0


# ------------------------------------------------------------------------------------------ cells


_SPACE = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")


def cell_text(text: str) -> str:
    """A cell's text without its layout: whitespace (the line breaks of a narrow column too) removed, but one
    space kept between two Latin letters (``health care``); radical code points of PDF text layers made ordinary."""

    def space(m: re.Match[str]) -> str:
        before, after = m.string[m.start() - 1 : m.start()], m.string[m.end() : m.end() + 1]
        return " " if before.isascii() and before.isalpha() and after.isascii() and after.isalpha() else ""

    return _SPACE.sub(space, unify_radicals(text).strip())


def _covering(row: Sequence[Cell], col: int) -> Cell | None:
    return next((c for c in row if c.col <= col < c.col + c.span), None)


# ----------------------------------------------------------------------------------------- header


def _title_rows(table: Table) -> int:
    """Leading rows that are one cell across the whole table (its caption written inside it)."""
    n = 0
    while n < len(table.rows) - 2 and _across(table.rows[n], table.columns):
        n += 1
    return n


def _across(row: Sequence[Cell], columns: int) -> bool:
    filled = [c for c in row if compact(c.text)]
    return len(filled) == 1 and filled[0].col == 0 and filled[0].span == columns and columns >= 2


def header_row_count(table: Table) -> int:
    """Leading rows that are no data: title rows across the table, then the header: the rows the reader marked,
    or the first row, and the row under it too when that one splits the first row's wide cells into sub-headers
    (a two-level header) and holds nothing else but header cells carried down from the first."""
    start = _title_rows(table)
    if table.header_rows > start:
        return table.header_rows
    if _labelled(table, start):
        return start  # a key–value table (项目名称： | …): every row labels itself, there is no header
    end = start + 1
    if end < len(table.rows) - 1:
        top, below = table.rows[start], table.rows[end]
        wide = [c for c in top if c.span >= 2 and compact(c.text)]
        under = [c for c in below if c.first and any(w.col <= c.col < w.col + w.span for w in wide)]
        others = [c for c in below if c not in under]
        if len(under) >= 2 and all(not c.first or not compact(c.text) for c in others):
            end += 1
    return end


def _labelled(table: Table, start: int) -> bool:
    """Every row from ``start`` opens with a cell that ends in a colon: a key–value table."""
    firsts = [next((c for c in row if compact(c.text)), None) for row in table.rows[start:]]
    return bool(firsts) and all(c is not None and compact(c.text).endswith((":", "：")) for c in firsts)


def column_labels(table: Table, start: int, end: int) -> list[str]:
    """Each grid column's header: the texts of the header rows ``start:end`` over it, ``上级-下级``."""
    labels = []
    for col in range(table.columns):
        parts: list[str] = []
        for row in table.rows[start:end]:
            cell = _covering(row, col)
            text = cell_text(cell.text).rstrip(":：") if cell else ""
            if text and (not parts or parts[-1] != text):
                parts.append(text)
        labels.append(LEVEL_JOINER.join(parts))
    return labels


def _label(labels: list[str], cell: Cell) -> str:
    """The header of a cell: of its column; of all its columns (``2022年目标值、2030年目标值``) when it spans
    sibling columns (the same upper header, or a common ending of 2 characters or more)."""
    spanned = list(dict.fromkeys(label for label in labels[cell.col : cell.col + cell.span] if label))
    if len(spanned) <= 1:
        return spanned[0] if spanned else ""
    parents = {label.rsplit(LEVEL_JOINER, 1)[0] for label in spanned if LEVEL_JOINER in label}
    if (len(parents) == 1 and all(LEVEL_JOINER in label for label in spanned)) or len(_common_ending(spanned)) >= 2:
        return "、".join(spanned)
    return labels[cell.col] or spanned[0]


def _common_ending(texts: list[str]) -> str:
    ending = texts[0]
    for text in texts[1:]:
        while ending and not text.endswith(ending):
            ending = ending[1:]
    return ending


# ------------------------------------------------------------------------------------------- rows


@dataclass
class _Record:
    """One data row being read: its "header：cell" parts (notes appended), the group it stands under, its pages."""

    parts: list[str]
    group: str
    page: int
    page_end: int


def _wide(table: Table, r: int) -> Cell | None:
    """Row ``r``'s one cell of its own text (cells merged down into the next row are not its own), when it spans
    2 columns or more to the table's right edge."""
    below = table.rows[r + 1] if r + 1 < len(table.rows) else ()
    own = [
        c for c in table.rows[r]
        if c.first and compact(c.text) and not ((under := _covering(below, c.col)) is not None and not under.first)
    ]
    if len(own) != 1 or own[0].span < 2 or own[0].col + own[0].span != table.columns:
        return None
    return own[0]


def _continues_into_data(table: Table, r: int, col: int) -> bool:
    """Whether the cell in column ``col`` of row ``r`` is merged down into a row that is not a wide row."""
    for k in range(r + 1, len(table.rows)):
        cell = _covering(table.rows[k], col)
        if cell is None or cell.first:
            return False
        if _wide(table, k) is None:
            return True
    return False


def records(table: Table) -> tuple[list[str], list[_Record], str]:
    """The table read as a reader reads it: (column headers, data rows, the caption written in a title row)."""
    start = _title_rows(table)
    caption = " ".join(" ".join(unify_radicals(c.text).split()) for row in table.rows[:start] for c in row if c.text.strip())
    end = header_row_count(table)
    labels = column_labels(table, start, end)
    out: list[_Record] = []
    group, group_col = "", -1
    trailing: list[str] = []  # full-width rows after the last data row: kept as rows of their own
    for r in range(end, len(table.rows)):
        row = table.rows[r]
        page = table.pages[r] if r < len(table.pages) else 0
        if not any(c.first and compact(c.text) for c in row):
            continue  # empty, or only cells carried from above
        wide = _wide(table, r)
        if wide is not None:
            left = _covering(row, wide.col - 1) if wide.col else None
            if left is not None and out and not _continues_into_data(table, r, left.col):
                out[-1].parts.append(cell_text(wide.text))
                out[-1].page_end = max(out[-1].page_end, page)
                continue
            group, group_col = cell_text(wide.text), (left.col if left is not None else -1)
            trailing.append(group)
            continue
        if group_col >= 0 and (cell := _covering(row, group_col)) is not None and cell.first:
            group, group_col = "", -1  # the merged cell the group stood under has ended
        parts: list[str] = []
        for cell in row:
            text = cell_text(cell.text)
            if not text:
                continue
            if parts and parts[-1].endswith((":", "：")):
                parts[-1] += text  # a cell ending in a colon labels the cell after it: 项目名称：江州市…
                continue
            label = _label(labels, cell)
            parts.append(f"{label}{LABEL_JOINER}{text}" if label and not text.endswith((":", "：")) else text)
        out.append(_Record(parts, group, page, page))
        trailing = []
    out.extend(_Record([text], "", table.pages[-1] if table.pages else 0, table.pages[-1] if table.pages else 0) for text in trailing)
    return labels, out, caption


# ---------------------------------------------------------------------------------------- captions


@lru_cache(maxsize=1)
def _caption_rules() -> tuple[int, re.Pattern[str]]:
    rules = tomllib.loads((resources.files("qa") / "data" / "table_captions.toml").read_text(encoding="utf-8"))
    patterns = [p for group in rules["caption"] for p in group["patterns"]]
    return int(rules["max_length"]), re.compile("|".join(f"(?:{p})" for p in patterns))


def is_caption(line: str) -> bool:
    """Whether ``line`` names a table (``表1 主要指标``, ``…职责清单``): short, no sentence end, no lead-in colon."""
    text = compact(line)
    limit, pattern = _caption_rules()
    return 0 < len(text) <= limit and not re.search(r"[。；;：:]$", text) and not starts_clause(text) and bool(pattern.search(text))


def _caption_before(text: str, offset: int) -> str:
    before = text[:offset].rstrip()
    line = before[before.rfind("\n") + 1 :].strip()
    return line if is_caption(line) else ""


# --------------------------------------------------------------------------------------- assembling


def _own_heading(clause: Clause) -> str:
    """A unit's title as its rows' heading: ``二、主要指标`` (its marker and lead phrase, or its first line clipped)."""
    first = clause.text.split("\n", 1)[0].strip()
    if clause.lead and clause.lead in first:
        return first[: first.index(clause.lead) + len(clause.lead)]
    return clip(first, 40)


def _unit_before(clauses: Sequence[Clause], offset: int) -> Clause | None:
    starts = [c.start for c in clauses]
    i = bisect.bisect_left(starts, offset)
    return clauses[i - 1] if i else None


def table_rows(tables: Sequence[Table], clauses: Sequence[Clause], text: str, title: str = "") -> list[TableRow]:
    """The data rows of ``tables`` as units under the clauses they stand among (see the module docstring)."""
    rows: list[TableRow] = []
    for n, table in enumerate(tables, start=1):
        unit = _unit_before(clauses, table.offset)
        path: tuple[str, ...] = ()
        headings: tuple[str, ...] = ()
        own = ""
        if unit is not None and unit.kind not in UNSECTIONED_KINDS:
            own = _own_heading(unit)
            path, headings = unit.path, (*unit.headings, own)
        _, found, inner = records(table)
        caption = inner or _caption_before(text, table.offset)
        if caption and compact(caption) not in {compact(own), compact(title)}:
            headings += (caption,)
        for m, record in enumerate(found, start=1):
            rows.append(TableRow(
                path=(*path, f"表{n}", f"第{m}行"),
                headings=headings + ((record.group,) if record.group else ()),
                text=CELL_JOINER.join(record.parts),
                start=table.offset,
                end=table.offset,
                table=n,
                row=m,
                page=record.page,
                page_end=record.page_end,
            ))
    return rows


def with_table_rows(parsed: ParsedPlan, text: str, tables: Sequence[Table]) -> ParsedPlan:
    """``parsed`` with the tables' rows among its clauses, each table's rows after the clauses that start before it."""
    if not tables:
        return parsed
    rows = table_rows(tables, parsed.clauses, text, parsed.title)
    clauses = list(parsed.clauses)
    merged: list[Clause] = []
    i = 0
    for row in rows:
        while i < len(clauses) and clauses[i].start < row.start:
            merged.append(clauses[i])
            i += 1
        merged.append(row)
    merged.extend(clauses[i:])
    return replace(parsed, clauses=merged, warnings=list(parsed.warnings))


# ------------------------------------------------------------------------------------------ Markdown

_DELIMITER_CELL = re.compile(r"^\s*:?-+:?\s*$")
_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def _pipe_cells(line: str) -> list[str]:
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    return [cell.strip().replace("\\|", "|") for cell in _UNESCAPED_PIPE.split(body)]


def _is_delimiter(line: str, columns: int) -> bool:
    cells = _pipe_cells(line)
    return "|" in line and len(cells) == columns and all(_DELIMITER_CELL.match(c) for c in cells)


def pipe_tables(text: str) -> tuple[str, tuple[Table, ...]]:
    """Markdown pipe tables (a header row, a ``---|---`` delimiter row, body rows; 2 columns or more) taken out of
    ``text``: (the text without them, the tables with the offset where each stood). Pure."""
    lines = text.split("\n")
    kept: list[str] = []
    tables: list[Table] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        header = _pipe_cells(line) if "|" in line else []
        if len(header) >= 2 and i + 1 < len(lines) and _is_delimiter(lines[i + 1], len(header)):
            rows = [tuple(Cell(cell, col) for col, cell in enumerate(header))]
            i += 2
            while i < len(lines) and "|" in lines[i] and lines[i].strip():
                cells = (_pipe_cells(lines[i]) + [""] * len(header))[: len(header)]
                rows.append(tuple(Cell(cell, col) for col, cell in enumerate(cells)))
                i += 1
            tables.append(Table(tuple(rows), len("\n".join(kept)), header_rows=1))
            continue
        kept.append(line)
        i += 1
    return "\n".join(kept), tuple(tables)
