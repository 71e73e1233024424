"""What a question's places and years say about which plans may answer it. Pure, no I/O.

"赣州和任城区…分别…" names two plans; "泰州对各市(区)2022年健康泰州建设情况开展考核…" names the 2023 Taizhou
plan (2022 is a year that plan's own text refers to, not a request for a 2022 plan); "南京市2023年…" and
"赣州2025年…" name a place or a year no stored plan covers, so the answerer can refuse a near miss.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from qa.text import ADMIN_SUFFIXES, suffix_pattern

# Words jieba tags as places that never identify a plan (东西 as in 新东西 included).
GENERIC_PLACES = frozenset("中国 全国 全省 全市 全区 全县 国家 省 市 区 县 城乡 乡村 农村 基层 社区 各地 地方 本地 当地 国内 国外 境外 境内 海外 东西 南北 东南 西北 中西 内外".split())
# Administrative suffixes dropped to compare place names (赣州市 ~ 赣州, 任城区 ~ 任城). 州 is not one: it is
# part of the name in 赣州, 泰州, 贵州; only 自治州 is a suffix.
_ADMIN_SUFFIX = re.compile(suffix_pattern(ADMIN_SUFFIXES) + "$")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)\s*年?")


def place_core(place: str) -> str:
    """``赣州市`` -> ``赣州``, ``任城区`` -> ``任城``, ``泰州`` -> ``泰州``; a one-character core keeps its suffix."""
    core = _ADMIN_SUFFIX.sub("", place)
    return core if len(core) >= 2 else place


def named_years(text: str) -> list[int]:
    """Years written in ``text`` (``2021年``, ``2019—2022``), in order, without repeats."""
    return list(dict.fromkeys(int(y) for y in _YEAR.findall(text) if 1990 <= int(y) <= 2100))


@dataclass(frozen=True)
class PlanInfo:
    """What is known of each stored plan for scoping and citations."""

    doc_id: str
    title: str
    short_title: str
    region: str
    years: tuple[int, ...]  # the years the plan is for: (2023,), or 2019..2022 for a 2019—2022 plan
    places: tuple[str, ...]  # short place names that identify the plan: 赣州, 泰州, 任城, 济宁 …
    mentioned_years: frozenset[int] = frozenset()  # years its clauses refer to (2022 in a 2023 plan's review)


@dataclass(frozen=True)
class Scope:
    """The plans a question names (empty: any plan), the years it names, and what no plan covers."""

    doc_ids: frozenset[str] = frozenset()
    years: tuple[int, ...] = ()
    uncovered: tuple[str, ...] = ()
    places: tuple[str, ...] = ()  # the place names found, as written
    apart: bool = False  # two or more places name different plans (赣州和任城区): one answer part per plan



_IMPOSSIBLE_YEAR = re.compile(r"(?<!\d)(\d{4})\s*年")


def impossible_years(text: str) -> list[str]:
    """Four-digit years outside what any plan could cover (9999年, 1000年), as written: always out of scope."""
    return [f"{y}年" for y in dict.fromkeys(_IMPOSSIBLE_YEAR.findall(text)) if not 1990 <= int(y) <= 2100]


# The suffixes that make a name a place of a level plans are written for: 火星市, 乌托邦县, 蓝星省.
NAME_SUFFIXES = frozenset("市 县 省".split())


def suffixed_names(tagged: Iterable[tuple[str, str]]) -> list[str]:
    """Names the tagger does not know as places but the question writes as one: a noun or personal name of two
    characters or more (flag ``n…``, not ``ns``) followed by 市, 县 or 省 as a word of its own (``火星``/``市``,
    ``亚特兰蒂斯``/``市``). ``tagged``: jieba's (word, flag) pairs. Words jieba knows whole (城市, 地级市, 示范县)
    are not split, so they are never read as places; a name that is only a plan's term (样板县) is mentioned in
    its clauses, and :func:`infer_scope` does not call it uncovered."""
    pairs = [(str(w), str(f)) for w, f in tagged]
    return [
        word + suffix
        for (word, flag), (suffix, _) in zip(pairs, pairs[1:])
        if suffix in NAME_SUFFIXES and len(word) >= 2 and flag.startswith("n") and flag != "ns" and word not in GENERIC_PLACES
    ]


def find_places(text: str, tagged: Iterable[str], plans: Mapping[str, PlanInfo]) -> list[str]:
    """Place names in ``text``: the ones jieba tagged, plus every stored plan's place written inside a longer
    word (健康泰州, 赣州行动) that the tagger does not split out."""
    # One character is never a place name here: jieba tags 台 in "多少台AED" as 台湾.
    found = [p for p in dict.fromkeys(tagged) if len(p) >= 2 and p not in GENERIC_PLACES and place_core(p) not in GENERIC_PLACES]
    cores = {place_core(p) for p in found}
    for plan in plans.values():
        for place in plan.places:
            if place in text and place not in cores and not any(place in c for c in cores):
                found.append(place)
                cores.add(place)
    return found


def infer_scope(
    text: str,
    tagged_places: Iterable[str],
    plans: Mapping[str, PlanInfo],
    mentioned_in_corpus: Callable[[str], bool] = lambda place: False,
) -> Scope:
    """The plans ``text`` (a simplified-Chinese question) names by place and year.

    - A place matches a plan when its core name is one of the plan's places (赣州市 -> ganzhou). A place no
      plan is for, and that no clause mentions either (南京市; but not 于都县, named inside the Ganzhou plan),
      is *uncovered*.
    - A year restricts the named plans (or all plans) to those for that year. When none is for it but a
      named plan's clauses refer to it ("2022年健康泰州建设情况" in the 2023 plan), the plans stay as named;
      otherwise the year is uncovered ("赣州2025年…").
    """
    places = find_places(text, tagged_places, plans)
    named: set[str] = set()
    uncovered: list[str] = []
    groups: set[frozenset[str]] = set()  # the plans each place names: 海南 naming five Hainan plans is one group
    for place in places:
        core = place_core(place)
        matches = {p.doc_id for p in plans.values() if any(core in q or q in core for q in p.places)}
        if matches:
            named |= matches
            groups.add(frozenset(matches))
        elif not mentioned_in_corpus(place):  # as written: 南京市 is not 南京医科大学
            uncovered.append(place)
    uncovered += impossible_years(text)
    years = named_years(text)
    if years:
        wanted = set(years)
        candidates = [p for p in plans.values() if not named or p.doc_id in named]
        covered = {p.doc_id for p in candidates if wanted & set(p.years)}
        referred = {p.doc_id for p in candidates if wanted & p.mentioned_years}
        if covered:
            if named or len(covered) < len(plans):
                named = covered
        elif not referred:
            uncovered.extend(f"{y}年" for y in years)
    return Scope(frozenset(named), tuple(years), tuple(uncovered), tuple(places), apart=len(groups) > 1)
