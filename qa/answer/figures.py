"""Figures in plan text: whether a sentence states one (in the unit asked), and which year it is for. Pure."""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.normalize import search_form
from qa.search.scope import named_years

_AGE_GROUP = re.compile(r"\d+\s*(?:[-—~至到]\s*\d+\s*)?(?:周|个月)?岁(?:以下|以上|及以上|及以下)?")
_YEAR_OR_DATE = re.compile(r"(?:19|20)\d{2}\s*年(?:度|底|内)?|\d{1,2}\s*月\s*\d{0,2}\s*日?")


def has_figure(sentence: str, units: Sequence[str]) -> bool:
    """Whether ``sentence`` states a figure (a year or date is not one, nor an age group such as 3岁以下 unless
    an age is asked) in one of ``units`` (if any)."""
    text = _YEAR_OR_DATE.sub("", search_form(sentence))
    if not any("岁" in unit for unit in units):
        text = _AGE_GROUP.sub("", text)
    if not re.search(r"\d", text) and not re.search(r"全覆盖|[一二两三四五六七八九十百千万]+(个|家|所|项|名)", text):
        return False
    return not units or any(re.search(unit, text) for unit in units)


def years_fit(sentence: str, asked: Sequence[int], plan_years: Sequence[int]) -> bool:
    """A figure answers a question about year Y when its sentence names Y, or names no year and the plan is
    for Y: "2022年…人均预期寿命75岁" answers 2022 but not 2020; a 2023 plan's undated target answers 2023."""
    if not asked:
        return True
    said = set(named_years(search_form(sentence)))
    return bool(said & set(asked)) if said else bool(set(plan_years) & set(asked))


def states_digits(text: str) -> bool:
    """Whether ``text`` (search form) states a figure in digits, years and dates aside (全覆盖 states none)."""
    return re.search(r"\d", _YEAR_OR_DATE.sub("", text)) is not None


def year_context(quote: str, text: str) -> str:
    """The part of ``text`` that says which year ``quote`` (a segment quoted from it) is for: the quote when it
    names a year, else the last year written before it in its sentence ("2020 年,…注册护士3.14 人" is for 2020;
    "力争年内建成…70个,争取到2022年…" is not for 2022), else nothing (the plan's own year applies)."""
    if named_years(search_form(quote)):
        return quote
    at = text.find(quote)
    if at < 0:
        return ""
    start = max(text.rfind(mark, 0, at) for mark in "。；;！？!?\n") + 1
    before = re.findall(r"(?:19|20)\d{2}\s*年", text[start:at])
    return before[-1] if before else ""
