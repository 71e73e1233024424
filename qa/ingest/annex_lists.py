"""A notice's list of the names of its attachments (``附件：1.xxx`` / ``2.xxx`` on the lines under it) as the clause
parser (:mod:`qa.ingest.parsing`) meets it: text of the unit it stands in, not attachments nor numbered clauses. Pure.
"""

from __future__ import annotations

import re

from qa.ingest.cleaning import Paragraph
from qa.ingest.markers import read_marker

# "附件：1.xxx", "附件: xxx", "附件列表：": a notice's list of the names of its attachments, not an attachment.
ANNEX_MENTION = re.compile(r"^附\s*件\s*(?:(?:列表|\d{1,2})\s*)?[:：.．]")
_NAMES_LIST = re.compile(r"^附\s*件\s*(?:列表\s*)?[:：]\s*(?:(?P<first>1)\s*[.．、])?")
_SENTENCE_PUNCT = re.compile(r"[。；;，,:：]")


def is_name_line(text: str, limit: int = 60) -> bool:
    """A short line without sentence punctuation: an attachment's name or title."""
    return 0 < len(text) <= limit and not _SENTENCE_PUNCT.search(text)


def names_list_at(paragraphs: list[Paragraph], i: int) -> int | None:
    """If paragraph ``i`` opens a list of attachment names, the number the list goes on with on the next lines (2
    after "附件：1.xxx", 1 after a bare "附件：" whose next line is "1.xxx", 0 after a single name); else None."""
    m = _NAMES_LIST.match(paragraphs[i].text)
    if not m:
        return None
    if m["first"]:
        return 2
    if paragraphs[i].text[m.end() :].strip():
        return 0
    following = read_marker(paragraphs[i + 1].text) if i + 1 < len(paragraphs) else None
    if following is not None and following.style == "num_dot" and following.number == 1 and is_name_line(following.rest):
        return 1
    return None  # a bare "附件：" heading: an attachment
