"""Issuer and date of a document: dates in their written forms, what reads as a body's name, the 落款 (bodies right above
a date, or body and date on one line), a law's adoption note, a metadata block (发文机关 …, 成文日期 …) and a red head."""

from __future__ import annotations

import re

from qa.ingest.metadata_text import CN_DIGITS, chinese_number, compact_text, issuer_rules, title_form
from qa.normalize import to_simplified

__all__ = [
    "DATE", "DATE_KEYS", "DATE_LINE", "ISSUER_KEYS", "body_name", "find_adoption", "find_signature", "is_body", "key_values", "parse_date", "red_head",
]

# ------------------------------------------------------------------------------------------------ dates

_DATE_ARABIC = r"(?:19|20)\d{2}\s*(?:年|[-./])\s*\d{1,2}\s*(?:月|[-./])\s*\d{1,2}\s*日?"
_DATE_CHINESE = r"[〇零○Ｏ一二三四五六七八九]{4}年[一二三四五六七八九十]{1,3}月[一二三四五六七八九十]{1,3}日"
DATE = rf"(?:{_DATE_ARABIC}|{_DATE_CHINESE})"
_DATE_PARTS = re.compile(r"((?:19|20)\d{2})\s*(?:年|[-./])\s*(\d{1,2})\s*(?:月|[-./])\s*(\d{1,2})")
DATE_LINE = re.compile(rf"^({DATE})(?:印发|发布|印發|發布)?$")


def parse_date(text: str) -> str:
    """``2019 年 12 月 28 日`` / ``2023-02-28`` / ``二〇二五年三月十七日`` -> ISO ``2025-03-17``; "" if none."""
    text = compact_text(text)
    if m := _DATE_PARTS.search(text):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    elif m := re.search(_DATE_CHINESE, text):
        y, _, rest = m[0].partition("年")
        mo, _, d = rest.partition("月")
        year, month, day = int("".join(str(CN_DIGITS[c]) for c in y)), chinese_number(mo), chinese_number(d.rstrip("日"))
    else:
        return ""
    return f"{year}-{month:02d}-{day:02d}" if 1 <= month <= 12 and 1 <= day <= 31 else ""


# ----------------------------------------------------------------------------------------------- bodies


def _strip_seal(text: str) -> str:
    for mark in issuer_rules()["seal_marks"]:
        text = text.replace(mark, "")
    return text


def is_body(text: str) -> bool:
    """Whether ``text`` is an issuing body's name: ``海南省健康海南建设委员会（爱国卫生运动委员会）``, ``泰州市衛生健康委員會``,
    ``全国人大常委会``; not a title, a sentence, a date or a web site."""
    name = to_simplified(compact_text(_strip_seal(text)))
    if name in issuer_rules()["aliases"]:
        return True
    if not 3 <= len(name) <= 40 or re.search(r"[，。；：:！？!?,;|《》“”\d]", name) or name.startswith(("（", "(")):
        return False
    core = re.sub(r"[（(][^（）()]+[)）]$", "", name)  # a second name in brackets: （爱国卫生运动委员会）
    return len(core) >= 3 and core.endswith(tuple(issuer_rules()["body_endings"]))


def body_name(text: str) -> str:
    """The body as the document writes it: seal marks off, short forms of metadata blocks written out."""
    name = compact_text(_strip_seal(text))
    return issuer_rules()["aliases"].get(to_simplified(name), name)


# ----------------------------------------------------------------------------------- issuer and date


def _body_window(lines: list[str], end: int) -> str:
    """The body named by the (up to three) non-blank lines right above ``lines[end]``: a bracketed line continues
    the line above (``（爱国卫生运动委员会）（代章）``), separate bodies (a joint 落款) are joined with 、."""
    best = ""
    for start in range(end - 1, max(end - 4, -1), -1):
        window = lines[start:end]
        if not all(window) or compact_text(window[0]).startswith(("（", "(")):
            continue
        parts: list[str] = []
        for line in window:
            text = compact_text(_strip_seal(line))
            if text.startswith(("（", "(")) and parts:
                parts[-1] += text
            else:
                parts.append(text)
        if all(is_body(p) for p in parts):
            best = "、".join(body_name(p) for p in parts)
        elif best:
            break
    return best


_BODY_AND_DATE = re.compile(rf"^(?P<body>.+?)(?P<date>{DATE})$")


def find_signature(lines: list[str]) -> tuple[str, str]:
    """The first 落款 (or a cover's body and date): (issuer, ISO date), "" for what is not there."""
    for i, line in enumerate(lines):
        text = compact_text(line)
        if not text:
            continue
        if DATE_LINE.match(text):
            body = _body_window(lines, i)
            if body:
                return body, parse_date(text)
        elif (m := _BODY_AND_DATE.match(text)) and is_body(m["body"]):
            return body_name(m["body"]), parse_date(m["date"])
    return "", ""


_ORDINAL = r"第[一二三四五六七八九十百零〇\d]{1,4}"
_ADOPTION = re.compile(
    rf"(?P<date>{_DATE_ARABIC}|{_DATE_CHINESE})(?:{_ORDINAL}届)?(?P<body>[\u4e00-\u9fff]{{2,24}}?){_ORDINAL}次(?:全体|常务)?会议"
    rf"(?:《[^》]{{1,80}}》)?(?:{_ORDINAL}次)?(?:审议)?(?:通过|修订|修正|批准)"
)


def find_adoption(text: str) -> tuple[str, str]:
    """A law's adoption note, the latest of its adoption and revision dates: (body, ISO date), or ("", "").
    ``（2019年12月28日第十三届全国人民代表大会常务委员会第十五次会议通过）`` -> (全国人民代表大会常务委员会, 2019-12-28)."""
    found = [(parse_date(m["date"]), body_name(m["body"])) for m in _ADOPTION.finditer(to_simplified(compact_text(text)))]
    found = [(d, b) for d, b in found if d and is_body(b)]
    if not found:
        return "", ""
    date, body = max(found)
    return body, date


ISSUER_KEYS = ("发文机关", "发布机构", "发文单位", "发布单位", "制发机关", "发文机构", "信息来源", "来源")
# In this order: a web page's 成文日期 is often the day it was put online, its 发布时间 the article's own line.
DATE_KEYS = ("发文日期", "印发日期", "发布时间", "发布日期", "成文日期")
_KEY = re.compile(r"(?:^|(?<=[\s|]))(" + "|".join((*ISSUER_KEYS, *DATE_KEYS, "标题")) + r")[\s|:：]*")


def key_values(lines: list[str]) -> dict[str, str]:
    """``发文机关：海南省卫生健康委员会 成文日期：2025年05月15日`` and ``发文机关 全国人大常委会`` lines -> {key: value}
    (first value of each key; bodies only when they read as one, dates in ISO form)."""
    out: dict[str, str] = {}
    for line in lines:
        simple = to_simplified(line)
        matches = list(_KEY.finditer(simple))
        for n, m in enumerate(matches):
            key = m[1]
            value = simple[m.end() : matches[n + 1].start() if n + 1 < len(matches) else len(simple)].strip(" |")
            if key in out or not value:
                continue
            if key in DATE_KEYS:
                if date := parse_date(value):
                    out[key] = date
            elif key == "标题":
                out[key] = title_form(value)
            elif is_body(first := re.split(r"\s+(?![（(])", value)[0]):
                out[key] = body_name(first)
    return out


_RED_HEAD = re.compile(r"^(?P<body>.+?)文件$")


def red_head(lines: list[str]) -> str:
    for line in lines:
        if (m := _RED_HEAD.match(compact_text(line))) and is_body(m["body"]):
            return body_name(m["body"])
    return ""
