"""A notice and its attachments published as separate files: which document heads itself as an attachment, which
attachments a notice's list names, and whether a listed name is a given attachment.

Government notices (关于印发…的通知) are often published with each 附件 as a file of its own: the attachment starts
with a line ``附件N`` (or ``附件``) above its title and states no issuer or date, and the notice names it in a closing
list (``附件：1.xxx 2.xxx``, one item a line or run together, or ``附件1：xxx.docx`` lines of a web page's 附件列表).
Pure: text in, names out; :func:`qa.ingest.documents.link_attachments` gives an attachment what its notice says.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from qa.ingest.metadata_text import ATTACHMENT_LINE, chinese_number, compact_text, display_lines, head_lines
from qa.ingest.metadata_titles import heading_title, kind_of
from qa.normalize import search_form

__all__ = ["Attachment", "attachment_heading", "listed_attachments", "match_strength"]

# A list that opens with 附件： (``附件：1.省级…清单``, or one unnumbered ``附件：某方案``).
_LIST_START = re.compile(r"^附件\s*[:：]\s*(?P<rest>\S.*)$")
# One numbered item of it: ``2.海南省…行动计划`` (a number that is not a decimal's: 2.5万 is no item).
_ITEM = re.compile(r"^(?P<number>\d{1,2})\s*[.．、]\s*(?!\d)(?P<title>\S.*)$")
# Items run together on one line: ``附件：1.xxx 2.xxx`` / ``1、xxx；2、xxx``.
# A break begins where a run of spaces does ((?<!\s)): tried from inside the run too, \s+ would be quadratic on it.
_ITEM_BREAK = re.compile(r"(?:(?<!\s)\s+|(?<=[；;，,]))(?=\d{1,2}\s*[.．、](?!\d))")
# A labelled name: ``附件2：海南省…行动计划.docx``, ``附件5.《…》政策解读.doc``, ``附件三、…``.
_LABELLED = re.compile(r"^附件\s*(?P<number>\d{1,2}|[一二三四五六七八九十]{1,3})\s*[:：.．、]\s*(?P<title>\S.*)$")
_FILE_SUFFIX = re.compile(r"\.(?:docx?|wps|pdf|ofd|xlsx?|et|txt|md|html?|zip|rar|7z)$", re.I)
_QUOTES = re.compile(r"[《》〈〉“”‘’\"'「」『』]")
_CLOSING = re.compile(r"[；;。，,、\s]+$")
_MAX_TITLE = 80
_CLOSE_TITLES = 0.8  # a listed name this similar to an attachment's title, under the same number, names it


@dataclass(frozen=True)
class Attachment:
    """An attachment as its own file heads itself, or as a notice's list names it: its number (None for 附件 alone)
    and title."""

    number: int | None
    title: str

    @property
    def label(self) -> str:
        return f"附件{self.number}" if self.number is not None else "附件"


def _number(token: str) -> int | None:
    if not token:
        return None
    return int(token) if token.isdigit() else chinese_number(token) or None


def attachment_heading(text: str, title: str = "") -> Attachment | None:
    """The 附件N line a document opens with (its first line, or the line right above its heading title) and the
    document's title (its heading, else ``title``); None for a document that opens otherwise."""
    lines = [line for line in head_lines(display_lines(text)) if line]
    at, heading = heading_title(lines)
    for index in (at - 1, 0) if at > 0 else (0,):
        if index < len(lines) and (m := ATTACHMENT_LINE.match(compact_text(lines[index]))):
            return Attachment(_number(m["number"]), heading or title)
    return None


def _clean(title: str) -> str:
    return _CLOSING.sub("", _FILE_SUFFIX.sub("", compact_text(title)))


def listed_attachments(text: str) -> list[Attachment]:
    """Every attachment a document's lists name, in order: the items of each ``附件：1.… 2.…`` list (one a line,
    blank lines between them allowed, or run together on a line; a name wrapped over two lines joined), an
    unnumbered ``附件：…``, and each ``附件N：…`` line; file suffixes dropped."""
    found: list[Attachment] = []
    lines = [line.strip() for line in display_lines(text)]
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if m := _LABELLED.match(line):
            found.append(Attachment(_number(m["number"]), _clean(m["title"])))
            continue
        if not (m := _LIST_START.match(line)):
            continue
        items = _ITEM_BREAK.split(m["rest"])
        if not _ITEM.match(items[0]):  # one attachment, unnumbered
            found.append(Attachment(None, _clean(m["rest"])))
            continue
        listed: list[Attachment] = []
        whole = all(_extend(listed, item) for item in items)
        while whole:
            following = next((j for j in range(i, len(lines)) if lines[j]), len(lines))
            if following == len(lines):
                break
            items = _ITEM_BREAK.split(lines[following])
            if not _extend(listed, items[0]):
                break
            i = following + 1
            whole = all(_extend(listed, item) for item in items[1:])
        found.extend(listed)
    return found


def _extend(listed: list[Attachment], item: str) -> bool:
    """Add ``item`` to a numbered list: its next item, or the rest of its last name wrapped onto this line."""
    m = _ITEM.match(item)
    if m and (not listed or int(m["number"]) == (listed[-1].number or 0) + 1):
        listed.append(Attachment(int(m["number"]), _clean(m["title"])))
        return True
    if listed and not m and _wraps(listed[-1].title, joined := listed[-1].title + _clean(item)):
        listed[-1] = Attachment(listed[-1].number, joined)
        return True
    return False


def _wraps(title: str, joined: str) -> bool:
    """A name wrapped over two lines: what came before ends no title, and with the next line it does."""
    return not kind_of(title) and bool(kind_of(joined)) and len(joined) <= _MAX_TITLE


def _title_key(title: str) -> str:
    return search_form(_QUOTES.sub("", _clean(title)))


def match_strength(own: Attachment, listed: Attachment) -> int:
    """How surely a notice's listed name is the attachment ``own``: 3 the same number and title, 2 the same title
    (a number on one side only), 1 the same number and a close title (``…促进专项行动计划`` listed as
    ``…促进行动计划``); 0 not it (numbers that differ, or titles that are not close)."""
    if own.number is not None and listed.number is not None and own.number != listed.number:
        return 0
    mine, theirs = _title_key(own.title), _title_key(listed.title)
    if not mine or not theirs:
        return 0
    if mine == theirs:
        return 3 if own.number is not None and listed.number is not None else 2
    if own.number is None or listed.number is None:
        return 0
    return 1 if difflib.SequenceMatcher(a=mine, b=theirs, autojunk=False).ratio() >= _CLOSE_TITLES else 0
