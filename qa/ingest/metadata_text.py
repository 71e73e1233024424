"""The ground the metadata rules stand on: the rule tables (``qa/data/document_kinds.toml``, ``qa/data/issuers.toml``),
a line's compact and title forms, Chinese digits, and a document's lines in display form with its head (the lines
before its first numbered unit)."""

from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib import resources
from typing import Any

from qa.normalize import repair_line, unify_radicals

__all__ = [
    "ATTACHMENT_LINE", "BODY_START", "CN_DIGITS", "TAIL_LINES", "chinese_number", "compact_text", "display_lines", "head_lines", "issuer_rules", "kinds", "rule_data", "title_form",
]

# ------------------------------------------------------------------------------------------- rule data


@cache
def rule_data(name: str) -> dict[str, Any]:
    return tomllib.loads((resources.files("qa") / "data" / name).read_text(encoding="utf-8"))


def kinds() -> list[dict[str, Any]]:
    return rule_data("document_kinds.toml")["kind"]


def issuer_rules() -> dict[str, Any]:
    return rule_data("issuers.toml")


# ------------------------------------------------------------------------------------------ text forms

_SPACE = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")
_ASCII_GAP = re.compile(r"(?<=[A-Za-z0-9]) (?=[A-Za-z])|(?<=[A-Za-z]) (?=[A-Za-z0-9])")
# A year span written with a hyphen-like dash (a cover's "2019-2030 年") in the form titles use: 2019—2030年.
_SPAN_DASH = re.compile(r"((?:19|20)\d{2})[-–~～－−](?=(?:19|20)\d{2}年)")


def compact_text(text: str) -> str:
    """No white space (a PDF's "2019 年 12 月" is 2019年12月), except between two Latin words."""
    text = _SPACE.sub(" ", text).strip()
    return _ASCII_GAP.sub("\0", text).replace(" ", "").replace("\0", " ")


def title_form(text: str) -> str:
    return _SPAN_DASH.sub(r"\1—", compact_text(text))


CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def chinese_number(token: str) -> int:
    """``三`` -> 3, ``十二`` -> 12, ``二十八`` -> 28 (up to 99; 0 for what is not one)."""
    if "十" in token:
        tens, _, units = token.partition("十")
        return (CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (CN_DIGITS.get(units, 0) if units else 0)
    return CN_DIGITS.get(token, 0)


# ------------------------------------------------------------------------------------------------ lines

# Where the body of a plan begins: its first numbered unit (a table of contents line counts too).
BODY_START = re.compile(
    r"^(?:[一二三四五六七八九十]{1,3}[、.．]|第[一二三四五六七八九十百零〇]{1,5}[章条篇编節节]|[（(][一二三四五六七八九十]{1,3}[)）]"
    r"|[（(]\d{1,2}[)）]|\d{1,2}[.．、](?!\d))"
)
_HEAD_LINES = 80
TAIL_LINES = 15
# The line that heads an attachment: 附件, 附件2, 附件５, 附件三, 附件1： (its number, if any, in ``number``).
ATTACHMENT_LINE = re.compile(r"^附件\s*(?P<number>[0-9０-９一二三四五六七八九十]*)\s*[:：]?$")


def display_lines(text: str) -> list[str]:
    """The text's lines in display form (noise repaired, radicals as ordinary characters), blank lines kept as ""."""
    return [repair_line(unify_radicals(line)) for line in text.split("\n")]


def head_lines(lines: list[str]) -> list[str]:
    """The lines before the plan's first numbered unit (at most 80 non-blank ones)."""
    out: list[str] = []
    filled = 0
    for line in lines:
        if BODY_START.match(compact_text(line)):
            break
        out.append(line)
        filled += bool(line)
        if filled >= _HEAD_LINES:
            break
    return out
