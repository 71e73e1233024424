"""Region of a document: the place chain its issuer's name or its title begins with, else 全国 for a national body or
title (``qa/data/issuers.toml``); and a citation title with its place before it."""

from __future__ import annotations

import re

from qa.ingest.metadata_text import compact_text, issuer_rules
from qa.normalize import to_simplified

__all__ = ["region_of", "short_title_of"]

# ----------------------------------------------------------------------------------------------- region

_PLACE_UNIT = r"(?:[\u4e00-\u9fff]{2,9}?(?:特别行政区|自治区|自治州|自治县)|[\u4e00-\u9fff]{2,4}?[省市区县州盟旗])"
_PLACE_CHAIN = re.compile(rf"^(?:{_PLACE_UNIT})+")
_PLACE_UNITS = re.compile(_PLACE_UNIT)
_LEADS = re.compile(r"^(?:关于印发|关于|中国共产党|中共|《|“)+")


def _place_chain(text: str) -> str:
    """The places a name or title begins with: ``深圳市龙岗区卫生健康局`` -> 深圳市龙岗区; no false places (城市, 园区)."""
    text = _LEADS.sub("", to_simplified(compact_text(text)))
    chain = ""
    rest = text
    endings, words = tuple(issuer_rules()["not_place_endings"]), set(issuer_rules()["not_place_words"])
    while m := re.match(_PLACE_UNIT, rest):
        unit = m[0]
        if unit.endswith(endings) or unit in words:
            break
        chain += unit
        rest = rest[len(unit) :]
    return chain


def region_of(issuer: str, title: str) -> str:
    """The region a plan is for: the place its issuer's name or its title begins with, else 全国 for a national body or
    title, else ""."""
    for source in (issuer.split("、")[0], title):
        if source and (chain := _place_chain(source)):
            return chain
    national = issuer_rules()["national"]
    if issuer and _LEADS.sub("", to_simplified(issuer)).startswith(tuple(national["issuers"])):
        return "全国"
    if title and _LEADS.sub("", to_simplified(compact_text(title))).startswith(tuple(national["titles"])):
        return "全国"
    return ""


def short_title_of(title: str, region: str) -> str:
    """Prefix the place when a title does not name it (``2023年全市…`` -> ``泰州市2023年全市…``): the innermost place
    of the region (济宁市任城区 -> 任城区); 全国 is never written before a title."""
    if not title or not region or region == "全国":
        return title
    units = _PLACE_UNITS.findall(region)
    place = units[-1] if units else region
    core = re.sub(r"(?:特别行政区|自治区|自治州|自治县|[省市区县州盟旗])$", "", place) or place
    return title if core[:2] in to_simplified(title) else place + title
