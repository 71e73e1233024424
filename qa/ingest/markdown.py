"""Markdown plans: the text file's words with the Markdown syntax taken off (heading hashes, quote marks, bullets,
bold, link targets), so the cleaner and parser read it like a typed plan. Pure.

Links, closing hashes and bold are taken off by scans that read a line once or so (:func:`strip_links`,
:func:`strip_closing_hashes`, :func:`strip_emphasis`), with the results the obvious patterns give; the patterns
themselves rescan the rest of the line from each ``[`` or ``**`` (quadratic: a line of ``[``, ``**a `` repeated).
"""

from __future__ import annotations

import bisect
import re

from qa.ingest.encoding import read_text
from qa.ingest.readtext import ReadText

_MD_PREFIX = re.compile(r"^(?:\s{0,3}#{1,6}\s+|\s{0,3}>\s?|\s*[-*+]\s+(?=\S))")
_MD_RULE = re.compile(r"^\s*(?:[-*_]\s*){3,}$")
_DELIMITERS = ("**", "__")


def read_markdown(name: str, data: bytes) -> ReadText:
    """A Markdown plan: heading hashes, quote marks, bullets, bold and link targets removed; the words kept."""
    read = read_text(name, data)
    lines = []
    for line in read.text.split("\n"):
        if _MD_RULE.match(line):
            lines.append("")
            continue
        line = _MD_PREFIX.sub("", line)
        line = strip_closing_hashes(line)
        line = strip_emphasis(strip_links(line))
        lines.append(line)
    return ReadText("\n".join(lines), read.encoding, notes=read.notes)


def strip_links(line: str) -> str:
    """Links and images as their text (``[words](target)``, ``![alt](src)`` -> ``words``, ``alt``), as
    ``!?\\[([^\\]]*)\\]\\([^)]*\\)`` substitutes: a link's text runs to the first ``]``, its target to the first ``)``."""
    if "](" not in line:
        return line
    close_at, paren_at = _Next(line, "]"), _Next(line, ")")
    out: list[str] = []
    pos = start = 0
    while (i := line.find("[", pos)) >= 0:
        close = close_at.find(i + 1)
        if close < 0:
            break  # no "]" after this "[", so none after any later one
        end = paren_at.find(close + 2) if line.startswith("(", close + 1) else -1
        if end < 0:
            pos = i + 1
            continue
        begin = i - 1 if i > start and line[i - 1] == "!" else i
        out.append(line[start:begin])
        out.append(line[i + 1 : close])
        pos = start = end + 1
    out.append(line[start:])
    return "".join(out)


class _Next:
    """``line.find(needle, start)`` for starts that only grow, each character scanned once: the last answer holds
    for every start up to it (and "none" for every later start)."""

    def __init__(self, line: str, needle: str) -> None:
        self.line, self.needle, self.found = line, needle, -2

    def find(self, start: int) -> int:
        if self.found == -2 or 0 <= self.found < start:
            self.found = self.line.find(self.needle, start)
        return self.found


def strip_closing_hashes(line: str) -> str:
    """An ATX heading's closing hashes off (``## 目标 ##`` -> ``## 目标``): white space, hashes, white space at the end."""
    end = len(line.rstrip())
    hashes = end
    while hashes > 0 and line[hashes - 1] == "#":
        hashes -= 1
    if hashes == end or hashes == 0 or not line[hashes - 1].isspace():
        return line
    return line[: len(line[:hashes].rstrip())]


def strip_emphasis(line: str) -> str:
    """Bold (``**words**``, ``__words__``) as its words: a delimiter followed by a non-space opens, the nearest same
    delimiter at least one character on and after a non-space closes; scanned left to right, a pair's text not
    rescanned (as ``(\\*\\*|__)(?=\\S)(.+?)(?<=\\S)\\1`` substitutes, in O(n log n) instead of O(n²))."""
    closers = {d: [i for i in _occurrences(line, d) if i > 0 and not line[i - 1].isspace()] for d in _DELIMITERS}
    opens = {d: _occurrences(line, d) for d in _DELIMITERS}
    out: list[str] = []
    pos = start = 0
    while True:
        found = [(o[k], d) for d, o in opens.items() if (k := bisect.bisect_left(o, pos)) < len(o)]
        if not found:
            break
        i, delimiter = min(found)
        if i + 2 < len(line) and not line[i + 2].isspace():
            ends = closers[delimiter]
            k = bisect.bisect_left(ends, i + 3)
            if k < len(ends):
                out.append(line[start:i])
                out.append(line[i + 2 : ends[k]])
                pos = start = ends[k] + 2
                continue
        pos = i + 1
    out.append(line[start:])
    return "".join(out)


def _occurrences(line: str, needle: str) -> list[int]:
    """Every (overlapping) position of ``needle`` in ``line``, in order."""
    found, i = [], line.find(needle)
    while i >= 0:
        found.append(i)
        i = line.find(needle, i + 1)
    return found
