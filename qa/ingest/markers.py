"""Numbering markers: the table of numbering styles plans use (第X编/第X篇 / 第X章 / 第X节 / 第X条 / 一、 / (一) / 1. /
(1) / ① / ——X工程 / ——X： parts / 附件N headings / 专栏N boxes), and reading the marker that opens a line. No sequence
check here: that is the parser's (:mod:`qa.ingest.parsing`). Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.normalize import compact, unify_radicals
from qa.text import CIRCLED, CN_NUMERAL_CHARS, chinese_number

# Chinese numerals of list and article numbers, 千 and 万 too (第一千二百六十条: a code's articles run past 999).
_CN = CN_NUMERAL_CHARS + "千万"
# style -> pattern; group "n" is the number, the match ends where the clause's own words begin.
_MARKERS: dict[str, re.Pattern[str]] = {
    # 第一编 / 第一篇: the level above chapters in codes and long plans (a document uses one of the two words).
    "part": re.compile(rf"^第(?P<n>[{_CN}\d]{{1,4}})[编篇](?:[\s\u3000]+|(?=\S))"),
    "chapter": re.compile(rf"^第(?P<n>[{_CN}\d]{{1,8}})章(?:[\s\u3000]+|(?=\S))"),
    "section": re.compile(rf"^第(?P<n>[{_CN}\d]{{1,8}})节(?:[\s\u3000]+|(?=\S))"),
    "article": re.compile(rf"^第(?P<n>[{_CN}\d]{{1,8}})条(?:[\s\u3000]+|(?=\S))"),
    "cn_dun": re.compile(rf"^(?P<n>[{_CN}]{{1,8}})[、，,]\s*"),
    "cn_paren": re.compile(rf"^[(（]\s*(?P<n>[{_CN}]{{1,8}})\s*[)）]\s*"),
    # "2.5人" is a number, not item 2; but "2.2023年底前…" is item 2 about a year.
    # Up to 7 digits: long lists run past 999 (item 1000 must not read as text of 999), and no plan within the
    # clause budget (qa/data/ingest_limits.toml) numbers past 9,999,999.
    "num_dot": re.compile(r"^(?P<n>\d{1,7})\s*[.．、](?:(?=(?:19|20)\d{2}\s*年)|(?![\d.．]))\s*"),
    "num_paren": re.compile(r"^[(（]\s*(?P<n>\d{1,7})\s*[)）]\s*"),
    "circled": re.compile(rf"^(?P<n>[{CIRCLED}])\s*"),
    "dash": re.compile(r"^(?:——|——|--|－－|─{2})\s*(?=\S)"),
    # An attachment's heading line: "附件", "附件2", "附件 3：" alone on its line (its title follows on the next).
    # "附件：1.xxx" or "附件1：xxx.docx" (names of attachments, with words after the colon) is no heading.
    "annex": re.compile(r"^附\s*件\s*(?:(?P<n>\d{1,2}|[一二三四五六七八九十]{1,3})\s*)?(?:[:：]\s*)?$"),
    # A 专栏 box (专栏1 “十四五”医疗服务能力提升重点工程): its lines are its text.
    "box": re.compile(rf"^专\s*栏\s*(?P<n>\d{{1,2}}|[{CN_NUMERAL_CHARS}]{{1,3}})(?:[\s\u3000:：]+|(?=\S)|$)"),
}
# Styles whose marker is a whole line or a label without clause text after it.
_BARE_STYLES = frozenset({"annex", "box"})
MARKER_START = re.compile("|".join(p.pattern for p in _MARKERS.values() if p.pattern).replace("(?P<n>", "(?:"))
# A dash sub-heading whose dash the conversion dropped (002: "三级创建提升工程。不断提升…").
_DASHLESS_HEADING = re.compile(r"^[^\s。,，、:：;；“”()（）]{2,14}(?:工程|行动|计划|工作)[。:：]")


def marker_start(text: str) -> re.Match[str] | None:
    """The numbering marker of any style that opens ``text`` (no sequence check), radicals read as the characters they
    show ("（⼀）" from a PDF text layer is (一)); one character for one, so the match's offsets hold in ``text``.

    Read on the text's head (a marker is a few dozen characters): a paragraph that grows line by line is asked this
    at each line, and reading all of it each time would be quadratic. The whole text is read when the head cannot
    tell: it ends in white space (a run the patterns may go on with) or the match reaches its end (``附件`` alone)."""
    head = text[:_HEAD]
    m = MARKER_START.match(unify_radicals(head))
    if len(text) > _HEAD and (head[-1].isspace() or (m is not None and m.end() == len(head))):
        return MARKER_START.match(unify_radicals(text))
    return m


_HEAD = 256


def starts_clause(text: str) -> bool:
    """Whether ``text`` opens with a numbering marker of any style (no sequence check)."""
    return marker_start(text) is not None


@dataclass(frozen=True)
class Marker:
    style: str
    number: int  # 0 for dash headings
    label: str  # as written, whitespace removed: "(十一)", "1.", "第三条", "——乡村能力提升工程"
    rest: str  # the paragraph after the marker


def read_marker(text: str, dashless_headings: bool = False) -> Marker | None:
    """The numbering marker that opens ``text``, if any (no sequence check here).

    Radical code points that a PDF text layer gives for ordinary characters are read as those characters, so
    "（⼀）" (U+2F00) is (一); the label is written with the ordinary characters, ``rest`` is ``text``'s own.
    """
    original, text = text, unify_radicals(text)
    for style, pattern in _MARKERS.items():
        m = pattern.match(text)
        if not m:
            continue
        rest = original[m.end() :]
        if style == "dash":
            if part := part_label(rest):
                return Marker("dash", 0, part, rest)
            return Marker("dash", 0, "——" + lead_phrase(rest, 20), rest)
        if style in _BARE_STYLES:
            number = chinese_number(m["n"]) if m["n"] else 0
            return Marker(style, number, compact(m.group(0)).rstrip(":："), rest)
        if not rest.strip():
            return None  # a bare number is a page number or a list fragment, not a clause
        if style == "cn_dun" and m.group(0)[-1] in ",，":
            return None  # "一,二" is prose
        if (number := _number(m["n"])) is None:
            return None  # "千千、" is no number
        return Marker(style, number, compact(m.group(0)), rest)
    if dashless_headings and _DASHLESS_HEADING.match(text):
        return Marker("dash", 0, "——" + lead_phrase(text, 20), original)
    return None


def _number(token: str) -> int | None:
    """A marker's number: digits, or Chinese numerals (through cn2an when they run past 百: 一千零一, 一万); None for
    numerals that make no number."""
    if "千" not in token and "万" not in token:
        return chinese_number(token)
    import cn2an

    try:
        return int(cn2an.cn2an(token, "normal"))
    except (ValueError, KeyError, IndexError, TypeError):
        return None


# "——个人和家庭：" / "——社会和政府：" alone on a line: the part of a section that its numbered items are grouped by.
_PART_LINE = re.compile(r"^(?P<label>[^\s。，,、；;:：“”()（）]{1,12})\s*[:：]\s*$")


def part_label(rest: str) -> str:
    """The label of a dash part line (``——社会：`` -> ``社会``), or "" when the dash line is anything else."""
    m = _PART_LINE.match(rest)
    return m["label"] if m else ""


def lead_phrase(rest: str, limit: int) -> str:
    """The clause's lead phrase: its first sentence when short (``全面推进健康促进行动``)."""
    first = re.split(r"[。:：；;]", rest, maxsplit=1)[0].strip()
    return first if 0 < len(first) <= limit else ""
