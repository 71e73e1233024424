"""Line-level cleaning of a plan's text, before the clause parser (:mod:`qa.ingest.parsing`) reads it. Pure.

1. :func:`source_lines` splits the text into lines with spans, repairs each (pinyin glosses, '?' padding),
   drops web-page chrome, page numbers, repeated running headers and a table of contents, and lifts
   the 索引号/发布机构 metadata table out of the body.
2. :func:`join_wrapped` rejoins lines that a PDF or a web page broke in mid-sentence.

A change here that changes clause text bumps :data:`qa.ingest.parsing.PARSER_VERSION`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from qa.ingest.markers import marker_start, read_marker
from qa.normalize import LOST_CHARACTERS, compact, repair_line
from qa.text import LINE_ENDS, PAGE_NUMBER_LINE

# ---------------------------------------------------------------------------------------------- lines


@dataclass(frozen=True)
class Line:
    """One repaired source line; ``start``/``end`` index the original text (the repaired text may be shorter)."""

    text: str
    start: int
    end: int


# Whole lines of web-page furniture around an article.
_CHROME = re.compile(
    r"^(发布时间|發佈時間|发布日期|來源|来源|浏览次数|字号|【?打印本页|【?关闭窗口|分享到|扫一扫|相关文章|相关主题|"
    r"相关文档|最新文档|相关链接|上一篇|下一篇|责任编辑|【字体|附件下载)"
)
_CHROME_ANYWHERE = re.compile(r"浏览次数|瀏覽次數|扫一扫在手机|打印本页")
# Keys of the information-disclosure table at the top of government pages (003).
_METADATA_KEYS = ("索引号", "发布机构", "公开方式", "组配分类", "成文日期", "废止日期", "有效性", "发文字号", "主题分类", "发布日期", "文号")
# A web page printed to PDF: what the browser and the site put around the article.
# The browser's header and footer: the page's address, the print date and time (2025/5/20 10:21, with the page's
# title after it), "x/y" page counters (qa.text.PAGE_NUMBER_LINE).
_URL_LINE = re.compile(r"^(?:https?://|www\.)\S*(?:\s+\d{1,4}\s*/\s*\d{1,4})?$", re.IGNORECASE)
_PRINT_TIME = re.compile(r"^\d{4}[/-]\d{1,2}[/-]\d{1,2}\s*(?:[上下]午)?\s*\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp][Mm])?(?:\s|$)")
# The site's furniture: version toggles, search box, footer (who runs the site, its registration numbers). A word
# that can also start a wrapped line of prose (主办单位负责…) counts only with a colon, a bar or a space after it.
_SITE_LINE = re.compile(
    r"^(?:(?:繁|繁體|简体版|無障礙瀏覽|无障碍浏览|关怀版|關懷版|长者模式|网站地图|網站地圖|联系我们|聯繫我們|主办单位|主辦單位|承办单位|"
    r"承辦單位|协办单位|技术支持|版权所有|版權所有|当前位置|您现在的位置|您當前的位置)(?:[\s|:：]|$)|请输入关键|請輸入關鍵|copyright\b)",
    re.IGNORECASE,
)
_SITE_ANYWHERE = re.compile(r"ICP备|ICP證|公网安备|公網安備|网站标识码|網站標識碼|无障碍浏览\s*[|｜]")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]+\.\w")  # starts only where a run starts: linear
# A menu or breadcrumb: 首页 then other short entries, side by side or joined by ">" (首页 > 信息公开 > …).
_MENU_ENTRY = re.compile(r"[^\s>＞»›|]{1,8}")
# Key: value rows of a page's information-disclosure block without table bars (标题：… / 索引号：… 主题分类：…).
_INFO_KEYS = (*_METADATA_KEYS, "标题", "发文机关", "时效性", "效力级别", "施行日期", "发文日期")
_INFO_ROW = re.compile(r"^(?:" + "|".join(r"\s*".join(key) for key in _INFO_KEYS) + r")\s*[:：]")
_DAY = re.compile(r"(\d{4})[-年/.](\d{1,2})[-月/.](\d{1,2})日?")
_PUBLISHED = re.compile(r"(?:发布时间|发布日期|發佈時間)\s*[:：]\s*(\d{4})[-年/.](\d{1,2})[-月/.](\d{1,2})")


@dataclass
class SourceLines:
    """The body lines of a document after line-level cleaning, and what was lifted out of it."""

    lines: list[Line]
    metadata: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def source_lines(text: str) -> SourceLines:
    """Split ``text`` into repaired body lines with spans; drop chrome, page numbers, running headers."""
    out = SourceLines(lines=[])
    raw: list[Line] = []
    pos = 0
    for piece in text.splitlines(keepends=True):
        body = piece.rstrip("\r\n")
        repaired = repair_line(body)
        if repaired:
            # The span skips the padding repair_line removed, but never a character it kept ("\ufeff?" keeps "?").
            lead = min(len(body) - len(body.lstrip(" \t\u3000\u00a0\ufeff?")), body.find(repaired[0]))
            end = max(len(body.rstrip(" \t\u3000\u00a0")), body.rfind(repaired[-1]) + 1)
            raw.append(Line(repaired, pos + lead, pos + end))
        pos += len(piece)

    repeats = Counter(compact(line.text) for line in raw if len(line.text) <= 60)
    kept: list[Line] = []
    for line in raw:
        text = line.text
        if _is_metadata_row(text):
            out.metadata.update(_metadata_pairs(text))
            continue
        if _CHROME.match(text) or _CHROME_ANYWHERE.search(text):
            if m := _PUBLISHED.search(text):
                out.metadata.setdefault("发布日期", f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}")
            continue
        if PAGE_NUMBER_LINE.match(text):
            continue
        if is_web_chrome(text):
            continue
        if _INFO_ROW.match(text):
            for key, value in _info_pairs(text).items():
                out.metadata.setdefault(key, value)
            continue
        kept.append(line)
    contents = table_of_contents(kept)
    if contents:
        out.warnings.append(f"table of contents ({len(contents)} lines) left out of the clauses")
    seen: set[str] = set()
    lost = 0
    for index, line in enumerate(kept):
        text = line.text
        if index in contents:
            continue
        # A short line that recurs (the title repeated by a PDF's running header, 002) is kept once.
        key = compact(text)
        if repeats[key] >= 2 and key in seen and not marker_start(text):
            continue
        seen.add(key)
        lost += len(LOST_CHARACTERS.findall(text))
        out.lines.append(line)
    if lost:
        out.warnings.append(f"{lost} place(s) where characters were lost in an encoding round trip ('??' in words); kept as is")
    return out


def is_web_chrome(text: str) -> bool:
    """A line a browser or a web site put around the article: an address, a print time, a menu, a breadcrumb, a
    search box, a footer (``网站地图 | 联系我们``, ``主办单位：…``, ``琼ICP备…``)."""
    if _URL_LINE.match(text) or _PRINT_TIME.match(text) or _SITE_LINE.match(text) or _SITE_ANYWHERE.search(text):
        return True
    if "技术支持" in text and "@" in text and _EMAIL.search(text):  # 任何建议和意见请联系：x@y.com 技术支持：…
        return True
    entries = _MENU_ENTRY.findall(text)
    if len(entries) < 3 or re.search(r"[。；;，,:：]", text) or len(text) > 120:
        return False
    return entries[0] in ("首页", "首頁") or entries[:2] in (["首", "页"], ["首", "頁"])


def _info_pairs(text: str) -> dict[str, str]:
    """``索引号：00817371-5/2025-00123 主题分类：卫生、计划生育`` -> {"索引号": "00817371-5/2025-00123", "主题分类": …}."""
    key_at = re.compile(r"(?:^|\s)(" + "|".join(r"\s*".join(key) for key in _INFO_KEYS) + r")\s*[:：]\s*")
    found = list(key_at.finditer(text))
    pairs = {}
    for i, m in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(text)
        value = text[m.end() : end].strip()
        if day := _DAY.fullmatch(compact(value)):
            value = f"{day[1]}-{int(day[2]):02d}-{int(day[3]):02d}"
        pairs[compact(m.group(1))] = value
    return pairs


def _is_metadata_row(text: str) -> bool:
    return "|" in text and any(key in compact(text) for key in _METADATA_KEYS)


def _metadata_pairs(text: str) -> dict[str, str]:
    cells = [compact(cell) for cell in text.split("|")]
    pairs = {}
    for i in range(0, len(cells) - 1, 2):
        if cells[i]:
            pairs[cells[i]] = cells[i + 1]
    return pairs


# ------------------------------------------------------------------------------- table of contents

# The words that head a table of contents on their own line (目录 / 目  录 / 目次).
_CONTENTS_HEADING = re.compile(r"^(?:目\s*录|目\s*次|contents)$", re.IGNORECASE)
_LEADER_CHARS = ".．·•…⋯‥・"
_PAGE_AT_END = re.compile(r"\d{1,4}$")
_MAX_BLURB_LINES = 12  # lines of description a contents entry may carry before the next entry
_TITLE_LINE_LIMIT = 40
_BODY_PUNCT = re.compile(r"[。；;，,]")  # a line with these is body text, not a heading


def is_contents_entry(text: str) -> bool:
    """A contents line: a heading, dot leaders and a page number (``一、总体要求…………7``, ``第一章 总则 ……. 1``)."""
    m = _PAGE_AT_END.search(text)
    if not m:
        return False
    before = text[: m.start()].rstrip(" \t\u3000")
    leaders = len(before) - len(before.rstrip(_LEADER_CHARS))
    return leaders >= 3 and len(before) > leaders  # a heading before the leaders, not leaders alone


def table_of_contents(lines: list[Line]) -> set[int]:
    """Indexes of the lines that form a table of contents before the body, so its headings open no clauses.

    Two general signs, whichever is found: (1) a run of contents entries (dot leaders and page numbers), with
    the descriptions some entries carry between them; (2) a run of short heading lines whose numbering restarts
    at its first number (第一章 … 第九章, then 第一章 again; 一、 … 四、, then 一、): the first run is the contents,
    the restart opens the body. A 目录 line right before either belongs to it.
    """
    found: set[int] = set()
    entries = [i for i, line in enumerate(lines) if is_contents_entry(line.text)]
    run: list[int] = []
    for i in entries + [None]:  # type: ignore[list-item]
        if i is not None and (not run or i - run[-1] <= _MAX_BLURB_LINES + 1):
            run.append(i)
            continue
        if len(run) >= 3:
            found.update(range(run[0], run[-1] + 1))
        run = [i] if i is not None else []
    found.update(_restarted_headings(lines, found))
    for i in sorted(found):
        if i > 0 and i - 1 not in found and _CONTENTS_HEADING.match(compact(lines[i - 1].text)):
            found.add(i - 1)
    return found


def _restarted_headings(lines: list[Line], skip: set[int]) -> range:
    """Sign (2): from the document's first numbered line, when it is a short heading, through the short heading
    lines after it, up to where its marker comes again with the same number; the run must go on to the next number
    of that marker first (第一章, 第二章, …). Empty when anything in between reads as body text."""
    start = next((i for i, line in enumerate(lines) if i not in skip and _numbered(line.text)), None)
    first = _heading_marker(lines[start].text) if start is not None else None
    if start is None or first is None:
        return range(0)
    went_on = False
    for j in range(start + 1, len(lines)):
        if j in skip:
            continue
        text = lines[j].text
        marker = _heading_marker(text)
        if marker is not None and marker.style == first.style:
            if marker.number == first.number:
                return range(start, j) if went_on else range(0)
            went_on = went_on or marker.number == first.number + 1
        elif len(compact(text)) > _TITLE_LINE_LIMIT or _BODY_PUNCT.search(text):
            return range(0)  # body text: no restart here
    return range(0)


def _numbered(text: str) -> bool:
    marker = read_marker(text)
    return marker is not None and marker.style not in ("dash", "annex", "box")


def _heading_marker(text: str):  # type: ignore[no-untyped-def]
    """The marker of a short numbered heading line (``第一章 总则``, ``一、总体要求``), if the line is one."""
    marker = read_marker(text)
    if marker is None or marker.style in ("dash", "annex", "box") or len(compact(text)) > _TITLE_LINE_LIMIT:
        return None
    return marker if not _BODY_PUNCT.search(marker.rest) else None


# --------------------------------------------------------------------------------------- paragraphs


@dataclass(frozen=True)
class Paragraph:
    text: str
    start: int
    end: int


_MID_SENTENCE_PUNCT = re.compile(r"[。，,、；;]")


def join_wrapped(lines: list[Line]) -> list[Paragraph]:
    """Rejoin lines broken in mid-sentence (PDF hard wraps, 002's blank-line breaks).

    A line continues into the next when it does not end a sentence, already reads as running prose (has
    sentence punctuation: titles and headings do not), and the next line does not open a clause.
    """
    paragraphs: list[Paragraph] = []
    for line in lines:
        if paragraphs and _continues(paragraphs[-1].text, line.text):
            prev = paragraphs[-1]
            paragraphs[-1] = Paragraph(prev.text + line.text, prev.start, line.end)
        else:
            paragraphs.append(Paragraph(line.text, line.start, line.end))
    return paragraphs


def _continues(previous: str, line: str) -> bool:
    return ends_mid_sentence(previous) and not marker_start(line)


def ends_mid_sentence(previous: str) -> bool:
    """``previous`` stops mid-sentence: no sentence end, and prose (sentence punctuation) after its marker."""
    if previous.endswith(LINE_ENDS):
        return False
    marker = marker_start(previous)  # "一、目标任务": the 、 is the marker's; searched from its end, not copied
    return bool(_MID_SENTENCE_PUNCT.search(previous, marker.end() if marker else 0))
