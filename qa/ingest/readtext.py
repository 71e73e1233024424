"""What every reader gives back: a :class:`ReadText` (the file's text, with a page map for a PDF), or a
:class:`DocumentError` naming the file, the problem and what to do.

The format readers (:mod:`qa.ingest.encoding`, :mod:`qa.ingest.markdown`, :mod:`qa.ingest.pdf`, :mod:`qa.ingest.docx`,
:mod:`qa.ingest.html`) and the dispatch (:mod:`qa.ingest.readers`) share these, so no reader imports another's module.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

# Word's list numbering and HTML tables are written out with these, which the parser reads like typed text.
TABLE_CELL_SEPARATOR = " | "


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
