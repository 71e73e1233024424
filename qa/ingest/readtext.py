"""What every reader gives back: a :class:`ReadText` (the file's text, with a page map for a PDF, and the tables
found, as data), or a :class:`DocumentError` naming the file, the problem and what to do.

The format readers (:mod:`qa.ingest.encoding`, :mod:`qa.ingest.markdown`, :mod:`qa.ingest.pdf`, :mod:`qa.ingest.docx`,
:mod:`qa.ingest.html`) and the dispatch (:mod:`qa.ingest.readers`) share these, so no reader imports another's module.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from functools import cached_property

# HTML tables (the information-disclosure block the cleaner lifts into metadata) are written out with this.
TABLE_CELL_SEPARATOR = " | "


@dataclass(frozen=True)
class Cell:
    """One cell of a table row as read: its text (line breaks as in the cell), the grid column it starts in and
    how many columns it spans. A vertically merged cell is listed in every row it spans, with its text, and
    ``first`` False in the rows below its first (so a reader's "the cell above" is carried down, read once)."""

    text: str
    col: int
    span: int = 1
    first: bool = True


@dataclass(frozen=True)
class Table:
    """A table as data: its rows of cells (in grid-column order) and where it stood in the body text.

    ``offset``: the table stood after ``text[:offset]`` (the body text does not hold its cells). ``header_rows``:
    leading rows the reader knows to be headers (Word's repeated header rows, a PDF table's header repeated on
    each page); 0 leaves it to :mod:`qa.ingest.tables`. ``pages``: each row's 1-based page (PDF), else empty.
    """

    rows: tuple[tuple[Cell, ...], ...]
    offset: int
    header_rows: int = 0
    pages: tuple[int, ...] = ()

    @cached_property
    def columns(self) -> int:
        return max((c.col + c.span for row in self.rows for c in row), default=0)


class DocumentError(ValueError):
    """A file that cannot be read as a plan; the message names the file, the problem and what to do."""


@dataclass(frozen=True)
class ReadText:
    """A file's text as read. ``pages[i]`` is the offset in ``text`` where page ``i + 1`` starts (PDF only);
    ``tables`` the tables found, in document order, their cells not in ``text``."""

    text: str
    encoding: str  # the text encoding for text formats; "pdf" / "docx" / "html:<charset>" otherwise
    pages: tuple[int, ...] = ()
    notes: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()


def page_of(pages: tuple[int, ...] | list[int], offset: int) -> int:
    """The 1-based page holding character ``offset`` of the text, or 0 when the text has no pages."""
    if not pages:
        return 0
    return max(1, bisect.bisect_right(pages, offset))
