"""Readers: the file's suffix picks the reader, one module per format, bytes -> :class:`~qa.ingest.readtext.ReadText`
(plain text with ``\\n`` line ends).

Every format feeds the same cleaner (:mod:`qa.ingest.cleaning`) and clause parser (:mod:`qa.ingest.parsing`), so a
reader only has to give the plan's text in reading order, one paragraph or list item per line, with Word's automatic
numbers written out. The text a reader returns is the *source* that clause spans index; for a PDF it comes with a
page map (the offset where each page starts), so a clause's span tells its pages.

Pure: bytes in, text out, no file system access. A file that cannot be read raises
:class:`~qa.ingest.readtext.DocumentError` naming the file, the problem and what to do. The format libraries (pypdf,
python-docx, BeautifulSoup) are imported when a file of their format is read; an old Word ``.doc`` / ``.wps`` is
read by Debian's antiword in a subprocess, and without it raises :class:`ReaderMissing` (ingest skips the file).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePath

from qa.ingest.doc import ReaderMissing, read_doc
from qa.ingest.docx import read_docx
from qa.ingest.encoding import read_text
from qa.ingest.html import read_html
from qa.ingest.markdown import read_markdown
from qa.ingest.pdf import read_pdf
from qa.ingest.readtext import DocumentError, ReadText

__all__ = ["PLAIN_TEXT_SUFFIXES", "READERS", "READER_VERSION", "SUFFIXES", "DocumentError", "ReaderMissing", "read_document"]

# Bump when a reader's output for the same bytes changes (non-text formats only: .txt is read as it always was).
READER_VERSION = "3"  # 2: tables as data (qa.ingest.tables), no longer text lines

READERS: dict[str, Callable[[str, bytes], ReadText]] = {
    ".txt": read_text,
    ".text": read_text,
    ".md": read_markdown,
    ".markdown": read_markdown,
    ".pdf": read_pdf,
    ".docx": read_docx,
    ".doc": read_doc,  # Word 97–2003, through antiword when it is installed (qa.ingest.doc)
    ".wps": read_doc,  # WPS Office's own name for the same format
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
