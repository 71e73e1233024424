"""Figures in plan text: whether a sentence states one (in the form asked), and which year it is for. Pure.

A figure is written in many forms (``qa/data/figures.toml``): digits (26%, 20/10万), ranges (90%—95%, 3-5年),
Chinese numerals (百分之二十六, 两个, 三分之一, 二万元, 二十四小时: read as digits with cn2an by
:func:`read_numerals`), frequencies (每季度召开一次, 每年至少一次, 一年两次), durations and deadlines (30分钟内,
3个工作日内, 2025年底前). :func:`form_pattern` gives one form's patterns; :func:`has_figure` says whether a
sentence states a figure (any, or in one of the asked forms).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from typing import Any

import cn2an

from qa.normalize import search_form
from qa.search.scope import named_years

_AGE_GROUP = re.compile(r"\d+\s*(?:[-—~至到]\s*\d+\s*)?(?:周|个月)?岁(?:以下|以上|及以上|及以下)?")
_YEAR_OR_DATE = re.compile(r"(?:19|20)\d{2}\s*年(?:度|底|内)?|\d{1,2}\s*月\s*\d{0,2}\s*日?")


# ------------------------------------------------------------------------------------------ the table


@lru_cache(maxsize=1)
def _table() -> dict[str, Any]:
    return tomllib.loads((resources.files("qa") / "data" / "figures.toml").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def forms() -> dict[str, str]:
    """Each figure form of ``qa/data/figures.toml`` (rate, money, age, times, frequency, duration, deadline) as
    one pattern (its patterns joined, ``{n}`` replaced by the number pattern)."""
    number = _table()["number"]["pattern"]
    return {f["name"]: "|".join(f"(?:{p.replace('{n}', number)})" for p in f["patterns"]) for f in _table()["form"]}


def form_pattern(*names: str) -> str:
    """The pattern stating a figure in any of the forms ``names`` (a KeyError names an unknown form)."""
    return "|".join(forms()[name] for name in names)


@lru_cache(maxsize=1)
def _numeral_rules() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], dict[str, str]]:
    """(a numeral with what follows it, a share 百分之N, a fraction N分之M, share word -> sign)."""
    t = _table()["numerals"]
    lead, digits = t["leading"], t["digits"]
    num = f"[{lead}][{digits}]*(?:点[{digits}]+)?"
    units = "|".join(t["units"])
    spans = "|".join(t["spans"])
    bounded = "|".join(t["bounded"])
    # group 1: 每 before; 2: the numeral; 3: a second numeral (a range); 4: 多/余; 5: a unit; 6: a span unit; 7: its bound
    numeral = re.compile(
        rf"(?<!第)(每\s*)?({num})(?:\s*[至到\-—~～]\s*({num}))?\s*(多|余)?\s*"
        rf"(?:({units})(?![{digits}])|({spans})(?:({bounded})|(?![{digits}])))"
    )
    signs = dict(t["shares"])
    share = re.compile(rf"({'|'.join(signs)})({num})(?:\s*[至到\-—~～]\s*({num}))?")
    fraction = re.compile(rf"({num})分之({num})")
    return numeral, share, fraction, signs


def _labels() -> re.Pattern[str]:
    """Numbers that label a part (附件1, 表1, 第23行, 序号：19): no figure (``qa/data/figures.toml`` ``[labels]``)."""
    return _any(tuple(_table()["labels"]["patterns"]))


@lru_cache(maxsize=4)
def _any(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(patterns))


@lru_cache(maxsize=4096)
def _value(numeral: str) -> str:
    """A Chinese numeral in digits (二十四 -> 24, 九十八点五 -> 98.5, 二〇二五 -> 2025); as written if unreadable."""
    try:
        value = cn2an.cn2an(numeral, "normal")
    except (ValueError, KeyError, IndexError, TypeError):
        return numeral
    return str(int(value)) if float(value).is_integer() else str(value)


def read_numerals(text: str) -> str:
    """``text`` with the Chinese numerals that state a figure written in digits: 百分之二十六 -> 26%, 三分之一 ->
    33.33%, 两个 -> 2个, 二万元 -> 20000元, 一年以上 -> 1年以上, 每两年 -> 每2年, 二〇二五年 -> 2025年. Words with
    a numeral inside (统一, 第一次, 十四五, 一人一档, 三年行动, 一次性) are left as written (see qa/data/figures.toml)."""
    if not re.search(f"[{_table()['numerals']['leading']}]", text):
        return text
    numeral, share, fraction, signs = _numeral_rules()

    def read_share(m: re.Match[str]) -> str:
        sign = signs[m.group(1)]
        return f"{_value(m.group(2))}{sign}" + (f"至{_value(m.group(3))}{sign}" if m.group(3) else "")

    def read_fraction(m: re.Match[str]) -> str:
        whole, part = _value(m.group(1)), _value(m.group(2))
        try:
            return f"{round(100 * float(part) / float(whole), 2):g}%"
        except (ValueError, ZeroDivisionError):
            return m.group(0)

    def read(m: re.Match[str]) -> str:
        per, first, second, more, unit, span, bound = m.groups()
        # a span of time in numerals is a figure when bounded, a period or a range; four digits before 年 are a year
        year = span == "年" and re.fullmatch("[〇零一二三四五六七八九]{4}", first) is not None
        if span and not (per or second or bound or year):
            return m.group(0)
        said = _value(first) + (f"至{_value(second)}" if second else "")
        return f"{per or ''}{said}{more or ''}{unit or span}{bound or ''}"

    return numeral.sub(read, fraction.sub(read_fraction, share.sub(read_share, text)))


# ------------------------------------------------------------------------------------------ figures


def has_figure(sentence: str, units: Sequence[str]) -> bool:
    """Whether ``sentence`` states a figure, in any form it is written (Chinese numerals read as digits). With
    ``units`` (patterns of the forms asked, :func:`form_pattern`), a figure in one of them: a frequency question
    is answered by 每季度召开一次, a deadline question by 2025年底前. Without, any figure but a year or a date (nor
    an age group such as 3岁以下): a count, a rate, an amount, 全覆盖."""
    text = _labels().sub(" ", read_numerals(search_form(sentence)))
    if units:
        return any(re.search(unit, text) for unit in units)
    text = _AGE_GROUP.sub("", _YEAR_OR_DATE.sub("", text))
    return re.search(r"\d", text) is not None or re.search(forms()["rate"], text) is not None


def years_fit(sentence: str, asked: Sequence[int], plan_years: Sequence[int]) -> bool:
    """A figure answers a question about year Y when its sentence names Y, or names no year and the plan is
    for Y: "2022年…人均预期寿命75岁" answers 2022 but not 2020; a 2023 plan's undated target answers 2023."""
    if not asked:
        return True
    said = set(named_years(search_form(sentence)))
    return bool(said & set(asked)) if said else bool(set(plan_years) & set(asked))


def states_digits(text: str) -> bool:
    """Whether ``text`` (search form) states a number, in digits or Chinese numerals (二万元), years, dates and
    labels (附件1) aside (全覆盖 and 每季度 state none)."""
    return re.search(r"\d", _YEAR_OR_DATE.sub("", _labels().sub(" ", read_numerals(text)))) is not None


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
