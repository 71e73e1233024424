"""Markdown plans: the text file's words with the Markdown syntax taken off (heading hashes, quote marks, bullets,
bold, link targets), so the cleaner and parser read it like a typed plan. Pure.
"""

from __future__ import annotations

import re

from qa.ingest.encoding import read_text
from qa.ingest.readtext import ReadText

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
