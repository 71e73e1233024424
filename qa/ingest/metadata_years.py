"""The years a document is for: a title's span or year (``2019—2030年``, ``十四五``), else its date's year, through the last
``到YYYY年`` target for a plan kind; and a catalog's or correction's years."""

from __future__ import annotations

import re
from typing import Any

from qa.ingest.metadata_text import CN_DIGITS, compact_text, rule_data
from qa.normalize import to_simplified

__all__ = ["parse_years", "plan_years", "title_years", "years_from"]

# ------------------------------------------------------------------------------------------------ years

_SPAN = re.compile(r"((?:19|20)\d{2})\s*年?\s*[—–\-~～至到－−]+\s*((?:19|20)\d{2})\s*年")
_ONE_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年")
_FIVE_YEAR = re.compile(r"十([一二三四五六七八九])五")  # 十四五: the 14th five-year period, 2021–2025
_TARGET = re.compile(r"到\s*((?:19|20)\d{2})\s*年")


def title_years(title: str) -> tuple[int, ...]:
    """Every year a title names: ``（2019—2030年）`` -> 2019..2030, ``“十四五”`` -> 2021..2025, ``2023年`` -> (2023,)."""
    text = compact_text(title)
    if (m := _SPAN.search(text)) and int(m[1]) <= int(m[2]) <= int(m[1]) + 30:
        return tuple(range(int(m[1]), int(m[2]) + 1))
    if m := _FIVE_YEAR.search(to_simplified(text)):
        start = 1966 + 5 * (10 + CN_DIGITS[m[1]] - 3)  # the 3rd period began in 1966; each lasts five years
        return tuple(range(start, start + 5))
    if m := _ONE_YEAR.search(text):
        return (int(m[1]),)
    return ()


def plan_years(title: str, kind: str, date: str, text: str = "") -> tuple[int, ...]:
    """The years a document is for: the title's, else its date's year — through the last 到YYYY年 target of
    ``text`` for a plan kind (规划, 行动计划, 实施方案), a notice or a law keeping to its own year."""
    if years := title_years(title):
        return years
    return years_from(int(date[:4]), kind, text) if date else ()


def years_from(start: int, kind: str, text: str = "") -> tuple[int, ...]:
    """The years of a document issued in ``start``: that year, through the last 到YYYY年 target of ``text`` (at most
    ``max_target_span`` years on) for a plan kind."""
    rules = rule_data("document_kinds.toml")["years"]
    if kind in rules["target_kinds"]:
        targets = [int(y) for y in _TARGET.findall(compact_text(text)) if start < int(y) <= start + int(rules["max_target_span"])]
        if targets:
            return tuple(range(start, max(targets) + 1))
    return (start,)


def parse_years(value: Any) -> tuple[int, ...]:
    """A catalog's or a correction's years: ``[2019, 2020]``, ``"2019-2022"``, ``"2019,2020"``, ``2023``."""
    if isinstance(value, int):
        return (value,)
    if isinstance(value, (list, tuple)):
        return tuple(sorted({int(v) for v in value}))
    text = str(value or "").strip()
    if m := re.fullmatch(r"(\d{4})\s*[—–\-~～至到]+\s*(\d{4})", text):
        return tuple(range(int(m[1]), int(m[2]) + 1))
    return tuple(sorted({int(v) for v in re.findall(r"\d{4}", text)}))
