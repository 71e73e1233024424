"""PDF plans: the text layer, page by page, with running headers/footers and page numbers removed and lines
broken at the right margin joined; the offset where each page starts goes with the text, so a clause's span
tells its pages. Ruled tables come out as data (:class:`~qa.ingest.readtext.Table`, found with pdfplumber by
:mod:`qa.ingest.pdf_tables`), a table continued over pages as one. Radical and compatibility code points are read
as the characters they show. pypdf is imported when a PDF is read, pdfplumber when a page draws enough paths to
hold a table.

Tables without rules (columns only aligned by spaces, a three-line table with horizontal rules only) are not looked
for: their text stays as pypdf reads it. So does a law's borderless 发文机关/发文日期… block, on purpose: it is the
document's metadata, which the metadata reader takes from the text, not rows to cite.
"""

from __future__ import annotations

import io
import re
import time
from collections import Counter

from qa.ingest.limits import limits
from qa.ingest.markers import starts_clause
from qa.ingest.pdf_tables import TABLE_MARK, PageTable, find_pdf_tables, join_continued, may_hold_table
from qa.ingest.readtext import DocumentError, ReadText
from qa.normalize import unify_radicals
from qa.text import LINE_ENDS, PAGE_NUMBER_LINE

# Page-number lines ("— 3 —", "-3-", "第3页", "第3页 共12页", "3/12", "3") are qa.text.PAGE_NUMBER_LINE.
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
    end = data.rfind(b"%%EOF")
    if end < start:
        raise DocumentError(f"{name}: truncated PDF (no end-of-file marker); download or copy the complete file again")
    # Bytes after the last %%EOF (zeros a download or a mail client padded it with) are not the PDF's.
    data = data[: end + len(b"%%EOF")]
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data[start:]), strict=False)
        if reader.is_encrypted and not _decrypts_without_password(name, reader):
            raise DocumentError(f"{name}: encrypted PDF (needs a password); decrypt it or export the text")
        if (count := len(reader.pages)) > (limit := limits().max_pdf_pages):
            raise DocumentError(f"{name}: {count:,} pages (the limit is {limit:,}); split the PDF into files of its parts")
        budget = Budget(name, limits().max_pdf_seconds, count)
        # a PDF's text layer often spells characters as radicals or compatibility forms (（⼀）部⻔): read as shown
        pages, candidates = [], []
        for n, page in enumerate(reader.pages, start=1):
            pages.append(unify_radicals(page.extract_text() or ""))
            if may_hold_table(page):
                candidates.append(n)
            budget.check(n)
    except DocumentError:
        raise
    except Exception as exc:  # pypdf raises assorted types (PdfReadError, KeyError, ValueError…) on damaged files
        raise DocumentError(f"{name}: corrupt PDF ({type(exc).__name__}: {exc}); open and save it again, or export the text") from exc
    notes: list[str] = []
    doubtful = [n for n, page in enumerate(pages) if _doubtful(page)]
    if doubtful:
        _second_extractor(data[start:], pages, doubtful, notes, budget)
    if not any(p.strip() for p in pages):
        raise DocumentError(f"{name}: the PDF has no text layer (a scan?); run OCR on it or export the text")
    found = find_pdf_tables(data[start:], candidates, notes) if candidates else {}
    segments: list[PageTable] = []
    for number, (page_text, tables) in sorted(found.items()):
        pages[number - 1] = page_text
        segments.extend(PageTable(rows, number) for rows in tables)
    text, starts, marks = _join(pages)
    tables = join_continued(segments, marks)
    return ReadText(text, "pdf", pages=starts, notes=tuple(notes), tables=tuple(tables))


class Budget:
    """The time a PDF may take to read (``max_pdf_seconds``), checked after each page: a PDF whose pages cost more (huge
    or broken content streams) is refused, named, instead of holding up the other files of the run."""

    def __init__(self, name: str, seconds: float, pages: int) -> None:
        self.name, self.seconds, self.pages = name, seconds, pages
        self.deadline = time.monotonic() + seconds

    def check(self, page: int) -> None:
        if time.monotonic() > self.deadline:
            raise DocumentError(
                f"{self.name}: reading its text took more than {self.seconds:g} s (the limit; stopped at page {page:,} of {self.pages:,}); "
                "its pages are unusually costly to read: export the text (or save the PDF again from its source) and ingest that"
            )


MIN_CJK_SHARE = 0.2  # a page of a Chinese plan whose text is mostly not CJK was likely mis-extracted (font maps)


def _cjk(text: str) -> int:
    return sum(1 for ch in text if "\u3400" <= ch <= "\u9fff")


def _doubtful(text: str) -> bool:
    """pypdf's text of a page that another extractor may read better: replacement characters, or little CJK among
    many other letters (a font whose character map pypdf could not follow)."""
    letters = sum(1 for ch in text if not ch.isspace())
    return "\ufffd" in text or (letters >= 40 and _cjk(text) < MIN_CJK_SHARE * letters)


def text_quality(text: str) -> int:
    """How readable an extracted page is: its CJK characters, less a heavy cost per replacement character."""
    return _cjk(text) - 10 * text.count("\ufffd")


def _second_extractor(data: bytes, pages: list[str], numbers: list[int], notes: list[str], budget: Budget) -> None:
    """Read the doubtful pages (0-based ``numbers``) again with PDFium (pypdfium2, which pdfplumber brings) and keep
    whichever text reads better; a page taken from PDFium is noted."""
    try:
        import pypdfium2
    except ImportError:
        return
    try:
        pdf = pypdfium2.PdfDocument(data)
    except Exception:  # PDFium refuses what pypdf read: keep pypdf's text
        return
    taken = []
    try:
        for n in numbers:
            other = unify_radicals(pdf[n].get_textpage().get_text_range().replace("\r\n", "\n").replace("\r", "\n"))
            if text_quality(other) > text_quality(pages[n]):
                pages[n] = other
                taken.append(n + 1)
            budget.check(n + 1)
    finally:
        pdf.close()
    if taken:
        notes.append(f"text of page(s) {', '.join(map(str, taken))} read with PDFium (pypdf's had replacement characters or little Chinese)")


def _decrypts_without_password(name: str, reader) -> bool:  # type: ignore[no-untyped-def]
    """An owner-password-only PDF (printing/copying restricted) opens with the empty user password. AES needs the
    ``cryptography`` package (a dependency of PlanQA): without it the file is refused saying so."""
    from pypdf.errors import DependencyError

    try:
        return bool(reader.decrypt(""))
    except DependencyError as exc:
        raise DocumentError(f"{name}: an AES-encrypted PDF, which needs the cryptography package; pip install cryptography") from exc
    except Exception:  # NotImplementedError for odd security handlers
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
