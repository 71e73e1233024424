"""Numbering markers: the table of numbering styles plans use (一、 / (一) / 1. / (1) / ① / 第X章 / 第X节 / 第X条 /
——X工程), and reading the marker that opens a line. No sequence check here: that is the parser's
(:mod:`qa.ingest.parsing`). Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.normalize import compact
from qa.text import CIRCLED, CN_NUMERAL_CHARS, chinese_number

# style -> pattern; group "n" is the number, the match ends where the clause's own words begin.
_MARKERS: dict[str, re.Pattern[str]] = {
    "chapter": re.compile(rf"^第(?P<n>[{CN_NUMERAL_CHARS}\d]{{1,4}})章(?:[\s\u3000]+|(?=\S))"),
    "section": re.compile(rf"^第(?P<n>[{CN_NUMERAL_CHARS}\d]{{1,4}})节(?:[\s\u3000]+|(?=\S))"),
    "article": re.compile(rf"^第(?P<n>[{CN_NUMERAL_CHARS}\d]{{1,5}})条(?:[\s\u3000]+|(?=\S))"),
    "cn_dun": re.compile(rf"^(?P<n>[{CN_NUMERAL_CHARS}]{{1,4}})[、，,]\s*"),
    "cn_paren": re.compile(rf"^[(（]\s*(?P<n>[{CN_NUMERAL_CHARS}]{{1,4}})\s*[)）]\s*"),
    # "2.5人" is a number, not item 2; but "2.2023年底前…" is item 2 about a year.
    "num_dot": re.compile(r"^(?P<n>\d{1,3})\s*[.．、](?:(?=(?:19|20)\d{2}\s*年)|(?![\d.．]))\s*"),
    "num_paren": re.compile(r"^[(（]\s*(?P<n>\d{1,3})\s*[)）]\s*"),
    "circled": re.compile(rf"^(?P<n>[{CIRCLED}])\s*"),
    "dash": re.compile(r"^(?:——|——|--|－－|─{2})\s*(?=\S)"),
}
MARKER_START = re.compile("|".join(p.pattern for p in _MARKERS.values() if p.pattern).replace("(?P<n>", "(?:"))
# A dash sub-heading whose dash the conversion dropped (002: "三级创建提升工程。不断提升…").
_DASHLESS_HEADING = re.compile(r"^[^\s。,，、:：;；“”()（）]{2,14}(?:工程|行动|计划|工作)[。:：]")


def starts_clause(text: str) -> bool:
    """Whether ``text`` opens with a numbering marker of any style (no sequence check)."""
    return bool(MARKER_START.match(text))


@dataclass(frozen=True)
class Marker:
    style: str
    number: int  # 0 for dash headings
    label: str  # as written, whitespace removed: "(十一)", "1.", "第三条", "——乡村能力提升工程"
    rest: str  # the paragraph after the marker


def read_marker(text: str, dashless_headings: bool = False) -> Marker | None:
    """The numbering marker that opens ``text``, if any (no sequence check here)."""
    for style, pattern in _MARKERS.items():
        m = pattern.match(text)
        if not m:
            continue
        rest = text[m.end() :]
        if style == "dash":
            return Marker("dash", 0, "——" + lead_phrase(rest, 20), rest)
        if not rest.strip():
            return None  # a bare number is a page number or a list fragment, not a clause
        if style == "cn_dun" and m.group(0)[-1] in ",，":
            return None  # "一,二" is prose
        return Marker(style, chinese_number(m["n"]), compact(m.group(0)), rest)
    if dashless_headings and _DASHLESS_HEADING.match(text):
        return Marker("dash", 0, "——" + lead_phrase(text, 20), text)
    return None


def lead_phrase(rest: str, limit: int) -> str:
    """The clause's lead phrase: its first sentence when short (``全面推进健康促进行动``)."""
    first = re.split(r"[。:：；;]", rest, maxsplit=1)[0].strip()
    return first if 0 < len(first) <= limit else ""
