"""Citation metadata of a plan: the catalog entry first, and what it does not say read from the document's own text.

Pure: text in, fields out. The rule tables are data: ``qa/data/document_kinds.toml`` (what a title's ending
says the document is, and which kinds keep to their own year) and ``qa/data/issuers.toml`` (how a body's name
ends, seal marks, short forms, the bodies and titles that mean the whole country, words that only look like
places). Each field is taken from the first source below that gives it; a field no source gives stays empty
and the ingest notes say so.

- title: a Markdown ``#`` title; the notice title ``关于印发《…》的通知`` (the whole notice title, as the
  document heads itself; a body written before 关于 is its issuer); the first heading line, joined over up to
  three lines, that ends with a kind's word (an attachment's title after its ``附件N`` line, a cover title with
  its ``（2019—2030年）`` line); the web page's ``标题：``; the parser's title.
- issuer: the 落款 (body lines right before a date line, or body and date on one line: a cover's too); a law's
  adoption note (``…第十三届全国人民代表大会常务委员会第十五次会议通过`` -> 全国人民代表大会常务委员会); the
  body the notice title names as the one that 印发s it; a 落款 at the end; a metadata block (发文机关,
  发布机构, 来源 when it names a body, not a web site); a red-head ``XX文件`` line. An attachment printed as a
  file of its own states none of these, and inherits nothing: its issuer stays empty.
- date: the 落款's; the latest adoption or revision date of a law; a metadata block's 发文日期, 印发日期,
  发布时间, 发布日期, 成文日期 (in this order: web pages put their upload day in 成文日期).
- years: every year of a span in the title (``2019—2030年``, ``十四五`` -> 2021..2025), or the title's year;
  else the date's year, and for a plan kind (规划, 行动计划, 实施方案) through its last ``到YYYY年`` target
  (at most 15 years on); a notice, law, list or explanation keeps to its own year. No date and no year in the
  title: no years (targets alone do not say when a plan starts).
- region: the place chain a body's name or the title begins with (``深圳市龙岗区卫生健康局`` -> 深圳市龙岗区,
  ``《海南省…》政策解读`` -> 海南省); else 全国 for a national body (国务院, 全国人民代表大会常务委员会,
  国家卫生健康委员会 …) or a national title (中华人民共和国…法, 健康中国…).
- kind: the title's ending (规划, 行动计划, 实施方案, 工作要点, 通知, 条例, 法, 清单, 解读, 意见 …).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from qa.normalize import repair_line, to_simplified, unify_radicals

if TYPE_CHECKING:
    from qa.ingest.parsing import ParsedPlan

__all__ = [
    "METADATA_VERSION", "DocumentInfo", "TextMetadata", "find_adoption", "find_notice_title", "find_signature", "heading_title", "infer_info", "is_body",
    "kind_of", "markdown_title", "parse_date", "parse_years", "plan_years", "read_metadata", "region_of", "title_years",
]

# Bump when the rules read different metadata from the same text: plans without a catalog entry re-ingest.
METADATA_VERSION = "2"

# ------------------------------------------------------------------------------------------- rule data


@cache
def _data(name: str) -> dict[str, Any]:
    return tomllib.loads((resources.files("qa") / "data" / name).read_text(encoding="utf-8"))


def _kinds() -> list[dict[str, Any]]:
    return _data("document_kinds.toml")["kind"]


def _issuers() -> dict[str, Any]:
    return _data("issuers.toml")


# ------------------------------------------------------------------------------------------ text forms

_SPACE = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")
_ASCII_GAP = re.compile(r"(?<=[A-Za-z0-9]) (?=[A-Za-z])|(?<=[A-Za-z]) (?=[A-Za-z0-9])")
# A year span written with a hyphen-like dash (a cover's "2019-2030 年") in the form titles use: 2019—2030年.
_SPAN_DASH = re.compile(r"((?:19|20)\d{2})[-–~～－−](?=(?:19|20)\d{2}年)")


def _compact(text: str) -> str:
    """No white space (a PDF's "2019 年 12 月" is 2019年12月), except between two Latin words."""
    text = _SPACE.sub(" ", text).strip()
    return _ASCII_GAP.sub("\0", text).replace(" ", "").replace("\0", " ")


def _title_form(text: str) -> str:
    return _SPAN_DASH.sub(r"\1—", _compact(text))


# ------------------------------------------------------------------------------------------------ dates

_CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_DATE_ARABIC = r"(?:19|20)\d{2}\s*(?:年|[-./])\s*\d{1,2}\s*(?:月|[-./])\s*\d{1,2}\s*日?"
_DATE_CHINESE = r"[〇零○Ｏ一二三四五六七八九]{4}年[一二三四五六七八九十]{1,3}月[一二三四五六七八九十]{1,3}日"
DATE = rf"(?:{_DATE_ARABIC}|{_DATE_CHINESE})"
_DATE_PARTS = re.compile(r"((?:19|20)\d{2})\s*(?:年|[-./])\s*(\d{1,2})\s*(?:月|[-./])\s*(\d{1,2})")
_DATE_LINE = re.compile(rf"^({DATE})(?:印发|发布|印發|發布)?$")


def _chinese_small(token: str) -> int:
    if "十" in token:
        tens, _, units = token.partition("十")
        return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(units, 0) if units else 0)
    return _CN_DIGITS.get(token, 0)


def parse_date(text: str) -> str:
    """``2019 年 12 月 28 日`` / ``2023-02-28`` / ``二〇二五年三月十七日`` -> ISO ``2025-03-17``; "" if none."""
    text = _compact(text)
    if m := _DATE_PARTS.search(text):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    elif m := re.search(_DATE_CHINESE, text):
        y, _, rest = m[0].partition("年")
        mo, _, d = rest.partition("月")
        year, month, day = int("".join(str(_CN_DIGITS[c]) for c in y)), _chinese_small(mo), _chinese_small(d.rstrip("日"))
    else:
        return ""
    return f"{year}-{month:02d}-{day:02d}" if 1 <= month <= 12 and 1 <= day <= 31 else ""


# ----------------------------------------------------------------------------------------------- bodies


def _strip_seal(text: str) -> str:
    for mark in _issuers()["seal_marks"]:
        text = text.replace(mark, "")
    return text


def is_body(text: str) -> bool:
    """Whether ``text`` is an issuing body's name: ``海南省健康海南建设委员会（爱国卫生运动委员会）``, ``泰州市衛生健康委員會``,
    ``全国人大常委会``; not a title, a sentence, a date or a web site."""
    name = to_simplified(_compact(_strip_seal(text)))
    if name in _issuers()["aliases"]:
        return True
    if not 3 <= len(name) <= 40 or re.search(r"[，。；：:！？!?,;|《》“”\d]", name) or name.startswith(("（", "(")):
        return False
    core = re.sub(r"[（(][^（）()]+[)）]$", "", name)  # a second name in brackets: （爱国卫生运动委员会）
    return len(core) >= 3 and core.endswith(tuple(_issuers()["body_endings"]))


def _body_name(text: str) -> str:
    """The body as the document writes it: seal marks off, short forms of metadata blocks written out."""
    name = _compact(_strip_seal(text))
    return _issuers()["aliases"].get(to_simplified(name), name)


# ------------------------------------------------------------------------------------------------ lines

# Where the body of a plan begins: its first numbered unit (a table of contents line counts too).
_BODY_START = re.compile(
    r"^(?:[一二三四五六七八九十]{1,3}[、.．]|第[一二三四五六七八九十百零〇]{1,5}[章条篇编節节]|[（(][一二三四五六七八九十]{1,3}[)）]"
    r"|[（(]\d{1,2}[)）]|\d{1,2}[.．、](?!\d))"
)
_HEAD_LINES = 80
_TAIL_LINES = 15
_ATTACHMENT_LINE = re.compile(r"^附件\s*[0-9０-９一二三四五六七八九十]*\s*[:：]?$")
_DOC_NUMBER = re.compile(r"〔\d{4}〕\s*\d{1,4}\s*号")
_CHROME = re.compile(r"[|>＞]|\s{2,}\S+\s{2,}")


def _lines(text: str) -> list[str]:
    """The text's lines in display form (noise repaired, radicals as ordinary characters), blank lines kept as ""."""
    return [repair_line(unify_radicals(line)) for line in text.split("\n")]


def _head(lines: list[str]) -> list[str]:
    """The lines before the plan's first numbered unit (at most 80 non-blank ones)."""
    out: list[str] = []
    filled = 0
    for line in lines:
        if _BODY_START.match(_compact(line)):
            break
        out.append(line)
        filled += bool(line)
        if filled >= _HEAD_LINES:
            break
    return out


# ---------------------------------------------------------------------------------------------- title


def markdown_title(name: str, data: bytes) -> str:
    """The first ``# `` heading of a Markdown file (its title), "" for other files or none."""
    if PurePath(name).suffix.lower() not in {".md", ".markdown"}:
        return ""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return ""
    m = re.search(r"^\s{0,3}#\s+(.+?)\s*#*\s*$", text, re.M)
    return _title_form(repair_line(unify_radicals(m[1]))) if m else ""


_NOTICE_TITLE = re.compile(r"^(?P<pre>.*?)(?P<title>关于.{2,120}?(?:通知|决定|意见|批复|通报|公告|通告|函))$")
_INNER_TITLE = re.compile(r"《([^《》]{4,80})》")


def _outside_quotes(text: str) -> str:
    return re.sub(r"《[^《》]*》|“[^“”]*”|\"[^\"]*\"", "", text)


def find_notice_title(lines: list[str]) -> tuple[int, str, str]:
    """The first notice title (``关于印发《…》的通知``, over up to four lines): (line index, title, the body written
    before 关于, "" if none); (-1, "", "") when there is none. A body before 关于 must read as one."""
    for i in range(len(lines)):
        for n in range(1, 5):
            window = lines[i : i + n]
            if len(window) < n or not all(window):
                break
            joined = _title_form("".join(window))
            simple = to_simplified(joined)
            m = _NOTICE_TITLE.match(simple)
            if not m or re.search(r"[。；！？：:]", _outside_quotes(m["title"])) or len(m["title"]) > 100:
                continue
            pre = joined[: m.start("title")] if len(simple) == len(joined) else m["pre"]
            title = joined[m.start("title") :] if len(simple) == len(joined) else m["title"]
            if pre and not is_body(pre):
                continue
            return i, title, _body_name(pre) if pre else ""
    return -1, "", ""


def _kind_ending(title: str) -> str:
    """The kind a title's ending names, "" if none (the title in any script, a closing （…） qualifier ignored)."""
    core = re.sub(r"(?:[（(][^（）()]{1,24}[)）])+$", "", to_simplified(_compact(title)))
    for row in _kinds():
        if core.endswith(row["ending"]) and not core.endswith(tuple(row.get("unless", ()))) and len(core) > len(row["ending"]):
            return str(row["kind"])
    return ""


def kind_of(title: str) -> str:
    """``关于印发《…》的通知`` -> 通知, ``健康中国行动（2019—2030年）`` -> 行动计划, ``…促进法`` -> 法; "" if unknown."""
    return _kind_ending(title)


def _title_like(line: str, first: bool = True) -> bool:
    """A line that can be (part of) a title; a title's first line does not open with a bracket."""
    text = _compact(line)
    if first and text.startswith(("（", "(")):
        return False
    return (
        bool(text) and len(text) <= 60 and not _ATTACHMENT_LINE.match(text) and not _DOC_NUMBER.search(text)
        and not _CHROME.search(line) and not _DATE_LINE.match(text) and not is_body(text) and not _red_head([text])
        and not re.search(r"[。；！？：:，,]", _outside_quotes(text)) and not _BODY_START.match(text)
    )


def heading_title(lines: list[str]) -> tuple[int, str]:
    """The first heading: 1–3 consecutive short lines, no sentence in them, whose text ends with a kind's word
    (an optional （…） qualifier after it). Returns (line index, title) or (-1, "")."""
    for i in range(len(lines)):
        best = ""
        for n in range(1, 4):
            window = lines[i : i + n]
            if len(window) < n or not all(_title_like(line, k == 0) for k, line in enumerate(window)):
                break
            if n > 1 and _kind_ending(_title_form("".join(window[:-1]))) and not _compact(window[-1]).startswith(("（", "(")):
                break  # the lines above end a title already: the next one is not part of it (but its （2019—2030年） is)
            joined = _title_form("".join(window))
            if _kind_ending(joined) and 6 <= len(joined) <= 80:  # a menu's 政策解读 or 工作要点 is no title
                best = joined
        if best:
            return i, best
    return -1, ""


# ----------------------------------------------------------------------------------- issuer and date


def _body_window(lines: list[str], end: int) -> str:
    """The body named by the (up to three) non-blank lines right above ``lines[end]``: a bracketed line continues
    the line above (``（爱国卫生运动委员会）（代章）``), separate bodies (a joint 落款) are joined with 、."""
    best = ""
    for start in range(end - 1, max(end - 4, -1), -1):
        window = lines[start:end]
        if not all(window) or _compact(window[0]).startswith(("（", "(")):
            continue
        parts: list[str] = []
        for line in window:
            text = _compact(_strip_seal(line))
            if text.startswith(("（", "(")) and parts:
                parts[-1] += text
            else:
                parts.append(text)
        if all(is_body(p) for p in parts):
            best = "、".join(_body_name(p) for p in parts)
        elif best:
            break
    return best


_BODY_AND_DATE = re.compile(rf"^(?P<body>.+?)(?P<date>{DATE})$")


def find_signature(lines: list[str]) -> tuple[str, str]:
    """The first 落款 (or a cover's body and date): (issuer, ISO date), "" for what is not there."""
    for i, line in enumerate(lines):
        text = _compact(line)
        if not text:
            continue
        if _DATE_LINE.match(text):
            body = _body_window(lines, i)
            if body:
                return body, parse_date(text)
        elif (m := _BODY_AND_DATE.match(text)) and is_body(m["body"]):
            return _body_name(m["body"]), parse_date(m["date"])
    return "", ""


_ORDINAL = r"第[一二三四五六七八九十百零〇\d]{1,4}"
_ADOPTION = re.compile(
    rf"(?P<date>{_DATE_ARABIC}|{_DATE_CHINESE})(?:{_ORDINAL}届)?(?P<body>[\u4e00-\u9fff]{{2,24}}?){_ORDINAL}次(?:全体|常务)?会议"
    rf"(?:《[^》]{{1,80}}》)?(?:{_ORDINAL}次)?(?:审议)?(?:通过|修订|修正|批准)"
)


def find_adoption(text: str) -> tuple[str, str]:
    """A law's adoption note, the latest of its adoption and revision dates: (body, ISO date), or ("", "").
    ``（2019年12月28日第十三届全国人民代表大会常务委员会第十五次会议通过）`` -> (全国人民代表大会常务委员会, 2019-12-28)."""
    found = [(parse_date(m["date"]), _body_name(m["body"])) for m in _ADOPTION.finditer(to_simplified(_compact(text)))]
    found = [(d, b) for d, b in found if d and is_body(b)]
    if not found:
        return "", ""
    date, body = max(found)
    return body, date


_ISSUER_KEYS = ("发文机关", "发布机构", "发文单位", "发布单位", "制发机关", "发文机构", "信息来源", "来源")
# In this order: a web page's 成文日期 is often the day it was put online, its 发布时间 the article's own line.
_DATE_KEYS = ("发文日期", "印发日期", "发布时间", "发布日期", "成文日期")
_KEY = re.compile(r"(?:^|(?<=[\s|]))(" + "|".join((*_ISSUER_KEYS, *_DATE_KEYS, "标题")) + r")[\s|:：]*")


def _key_values(lines: list[str]) -> dict[str, str]:
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
            if key in _DATE_KEYS:
                if date := parse_date(value):
                    out[key] = date
            elif key == "标题":
                out[key] = _title_form(value)
            elif is_body(first := re.split(r"\s+(?![（(])", value)[0]):
                out[key] = _body_name(first)
    return out


_RED_HEAD = re.compile(r"^(?P<body>.+?)文件$")


def _red_head(lines: list[str]) -> str:
    for line in lines:
        if (m := _RED_HEAD.match(_compact(line))) and is_body(m["body"]):
            return _body_name(m["body"])
    return ""


# ------------------------------------------------------------------------------------------------ years

_SPAN = re.compile(r"((?:19|20)\d{2})\s*年?\s*[—–\-~～至到－−]+\s*((?:19|20)\d{2})\s*年")
_ONE_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年")
_FIVE_YEAR = re.compile(r"十([一二三四五六七八九])五")  # 十四五: the 14th five-year period, 2021–2025
_TARGET = re.compile(r"到\s*((?:19|20)\d{2})\s*年")


def title_years(title: str) -> tuple[int, ...]:
    """Every year a title names: ``（2019—2030年）`` -> 2019..2030, ``“十四五”`` -> 2021..2025, ``2023年`` -> (2023,)."""
    text = _compact(title)
    if (m := _SPAN.search(text)) and int(m[1]) <= int(m[2]) <= int(m[1]) + 30:
        return tuple(range(int(m[1]), int(m[2]) + 1))
    if m := _FIVE_YEAR.search(to_simplified(text)):
        start = 1966 + 5 * (10 + _CN_DIGITS[m[1]] - 3)  # the 3rd period began in 1966; each lasts five years
        return tuple(range(start, start + 5))
    if m := _ONE_YEAR.search(text):
        return (int(m[1]),)
    return ()


def plan_years(title: str, kind: str, date: str, text: str = "") -> tuple[int, ...]:
    """The years a document is for: the title's, else its date's year — through the last 到YYYY年 target of
    ``text`` for a plan kind (规划, 行动计划, 实施方案), a notice or a law keeping to its own year."""
    if years := title_years(title):
        return years
    if not date:
        return ()
    start = int(date[:4])
    rules = _data("document_kinds.toml")["years"]
    if kind in rules["target_kinds"]:
        targets = [int(y) for y in _TARGET.findall(_compact(text)) if start < int(y) <= start + int(rules["max_target_span"])]
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


# ----------------------------------------------------------------------------------------------- region

_PLACE_UNIT = r"(?:[\u4e00-\u9fff]{2,9}?(?:特别行政区|自治区|自治州|自治县)|[\u4e00-\u9fff]{2,4}?[省市区县州盟旗])"
_PLACE_CHAIN = re.compile(rf"^(?:{_PLACE_UNIT})+")
_PLACE_UNITS = re.compile(_PLACE_UNIT)
_LEADS = re.compile(r"^(?:关于印发|关于|中国共产党|中共|《|“)+")


def _place_chain(text: str) -> str:
    """The places a name or title begins with: ``深圳市龙岗区卫生健康局`` -> 深圳市龙岗区; no false places (城市, 园区)."""
    text = _LEADS.sub("", to_simplified(_compact(text)))
    chain = ""
    rest = text
    endings, words = tuple(_issuers()["not_place_endings"]), set(_issuers()["not_place_words"])
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
    national = _issuers()["national"]
    if issuer and _LEADS.sub("", to_simplified(issuer)).startswith(tuple(national["issuers"])):
        return "全国"
    if title and _LEADS.sub("", to_simplified(_compact(title))).startswith(tuple(national["titles"])):
        return "全国"
    return ""


def _short_title(title: str, region: str) -> str:
    """Prefix the place when a title does not name it (``2023年全市…`` -> ``泰州市2023年全市…``): the innermost place
    of the region (济宁市任城区 -> 任城区); 全国 is never written before a title."""
    if not title or not region or region == "全国":
        return title
    units = _PLACE_UNITS.findall(region)
    place = units[-1] if units else region
    core = re.sub(r"(?:特别行政区|自治区|自治州|自治县|[省市区县州盟旗])$", "", place) or place
    return title if core[:2] in to_simplified(title) else place + title


# ----------------------------------------------------------------------------------------------- all of it


@dataclass(frozen=True)
class DocumentInfo:
    """Citation metadata of one plan. Empty strings / 0 mean unknown."""

    doc_id: str
    title: str
    short_title: str = ""
    issuer: str = ""
    region: str = ""
    year: int = 0  # the first of ``years``
    date: str = ""
    years: tuple[int, ...] = ()  # every year the plan covers: 2019..2030 for a (2019—2030年) plan
    kind: str = ""  # 规划, 行动计划, 实施方案, 工作要点, 通知, 条例, 法, 清单, 解读, 意见 … (:func:`kind_of`)

    @property
    def citation_title(self) -> str:
        return self.short_title or self.title or self.doc_id


@dataclass(frozen=True)
class TextMetadata:
    """What a document's own text says of it; "" / () for what it does not say. ``sources`` names where each
    found field came from (``{"issuer": "落款"}``)."""

    title: str = ""
    short_title: str = ""
    issuer: str = ""
    date: str = ""
    years: tuple[int, ...] = ()
    region: str = ""
    kind: str = ""
    sources: dict[str, str] = field(default_factory=dict)


def _first(*candidates: tuple[str, str]) -> tuple[str, str]:
    return next(((value, source) for value, source in candidates if value), ("", ""))


def read_metadata(text: str, markdown: str = "", parsed_title: str = "", parsed_metadata: dict[str, str] | None = None) -> TextMetadata:
    """Title, issuer, date, years, region and kind of a document from its text (see the module doc for the order
    of the sources). ``markdown``: a Markdown file's ``#`` title; ``parsed_*``: what the parser lifted."""
    meta = dict(parsed_metadata or {})
    lines = _lines(text)
    head = _head(lines)
    tail = [line for line in lines if line][-_TAIL_LINES:]
    keyed = _key_values(head)

    notice_at, notice, notice_body = find_notice_title(head)
    heading_at, heading = heading_title(head)
    titles = [(markdown, "Markdown # title")]
    for at, value, source in sorted(((notice_at, notice, "notice title"), (heading_at, heading, "heading"))):
        if at >= 0:
            titles.append((value, source))
    title, title_from = _first(*titles, (keyed.get("标题", ""), "标题"), (_title_form(parsed_title), "parser"))

    signed_by, signed_on = find_signature(head)
    adopted_by, adopted_on = find_adoption("\n".join(head))
    tail_by, tail_on = find_signature(tail) if not signed_by else ("", "")
    key_body = next(((keyed[k], k) for k in _ISSUER_KEYS if k in keyed), ("", ""))
    issuer, issuer_from = _first(
        (signed_by, "落款"), (adopted_by, "adoption note"), (notice_body if title == notice else "", "notice title"),
        (tail_by, "落款"), key_body, (_red_head(head), "红头"),
        (_body_name(meta["发布机构"]) if is_body(meta.get("发布机构", "")) else "", "发布机构"),
    )
    key_date = next(((keyed[k], k) for k in _DATE_KEYS if k in keyed), ("", ""))
    date, date_from = _first(
        (signed_on, "落款"), (adopted_on, "adoption note"), (tail_on, "落款"), key_date,
        *((parse_date(meta.get(k, "")), k) for k in ("日期", "成文日期", "发布日期")),
    )
    kind = kind_of(title)
    years = plan_years(title, kind, date, text)
    region = region_of(issuer, title)
    short = title
    if title == notice and (m := _INNER_TITLE.search(notice)) and any(_title_form(line) == m[1] for line in lines if line):
        short = m[1]  # the notice prints the plan it issues: its clauses are that plan's
    sources = {"title": title_from, "issuer": issuer_from, "date": date_from}
    return TextMetadata(
        title, _short_title(short, region), issuer, date, years, region, kind,
        {k: v for k, v in sources.items() if v},
    )


# ---------------------------------------------------------------------------------------- with the catalog


def infer_info(
    doc_id: str, parsed: ParsedPlan, entry: dict | None, text: str = "", markdown: str = ""
) -> tuple[DocumentInfo, list[str]]:
    """Catalog entry first (a staff correction merged over it by the caller); what it lacks is read from the text.
    Returns the info and notes on what could not be inferred."""
    entry = dict(entry or {})
    found = read_metadata(text or parsed.front_matter, markdown, parsed.title, parsed.metadata)
    title = str(entry.get("title") or found.title)
    issuer = str(entry.get("issuer") or found.issuer)
    date = str(entry.get("date") or found.date)
    kind = str(entry.get("kind") or (kind_of(title) if entry.get("title") else found.kind))
    if entry.get("years"):
        years = parse_years(entry["years"])
    elif entry.get("year"):
        year = int(entry["year"])
        spanned = title_years(title)
        years = spanned if spanned[:1] == (year,) else (year,)
    elif entry.get("title") or entry.get("date"):
        years = plan_years(title, kind, date, text)
    else:
        years = found.years
    region = str(entry.get("region") or (region_of(issuer, title) if entry.get("issuer") or entry.get("title") else found.region))
    year = int(entry.get("year") or (years[0] if years else 0))
    notes: list[str] = []
    if not entry:
        missing = [name for name, value in (("title", title), ("issuer", issuer), ("region", region), ("years", years), ("date", date), ("kind", kind)) if not value]
        notes.append("no catalog entry: metadata inferred from the text" + (f"; could not infer {', '.join(missing)}" if missing else ""))
    if entry.get("short_title"):
        short_title = str(entry["short_title"])
    elif entry.get("title") or entry.get("region"):
        short_title = _short_title(found.short_title if title == found.title else title, region)
    else:
        short_title = found.short_title
    info = DocumentInfo(doc_id, title or doc_id, short_title, issuer, region, year, date, tuple(years), kind)
    return info, notes
