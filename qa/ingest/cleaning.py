"""Line-level cleaning of a plan's text, before the clause parser (:mod:`qa.ingest.parsing`) reads it. Pure.

1. :func:`source_lines` splits the text into lines with spans, repairs each (pinyin glosses, '?' padding),
   drops web-page chrome, page numbers and repeated running headers, and lifts the 索引号/发布机构 metadata
   table out of the body.
2. :func:`join_wrapped` rejoins lines that a PDF or a web page broke in mid-sentence.

A change here that changes clause text bumps :data:`qa.ingest.parsing.PARSER_VERSION`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from qa.ingest.markers import marker_start
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
    seen: set[str] = set()
    lost = 0
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


def _is_metadata_row(text: str) -> bool:
    return "|" in text and any(key in compact(text) for key in _METADATA_KEYS)


def _metadata_pairs(text: str) -> dict[str, str]:
    cells = [compact(cell) for cell in text.split("|")]
    pairs = {}
    for i in range(0, len(cells) - 1, 2):
        if cells[i]:
            pairs[cells[i]] = cells[i + 1]
    return pairs


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
    marker = marker_start(previous)
    prose = previous[marker.end() :] if marker else previous  # "一、目标任务": the 、 is the marker's
    return not previous.endswith(LINE_ENDS) and bool(_MID_SENTENCE_PUNCT.search(prose))
