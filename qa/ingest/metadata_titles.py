"""Titles and kinds: a Markdown ``#`` title, a notice title ``关于印发《…》的通知`` (with the body written before it), the
first heading line(s) ending with a kind's word, and the kind a title's ending names (``qa/data/document_kinds.toml``)."""

from __future__ import annotations

import re
from pathlib import PurePath

from qa.ingest.metadata_issuers import DATE_LINE, body_name, is_body, red_head
from qa.ingest.metadata_text import ATTACHMENT_LINE, BODY_START, compact_text, kinds, title_form
from qa.normalize import repair_line, to_simplified, unify_radicals

__all__ = ["INNER_TITLE", "find_notice_title", "heading_title", "kind_of", "markdown_title"]

# ---------------------------------------------------------------------------------------------- title


def markdown_title(name: str, data: bytes) -> str:
    """The first ``# `` heading of a Markdown file (its title), "" for other files or none."""
    if PurePath(name).suffix.lower() not in {".md", ".markdown"}:
        return ""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return ""
    for line in text.split("\n"):
        # "# title #": the first line that is a level-1 heading, its closing hashes off. Stripped by hand: the
        # pattern (.+?)\s*#*\s*$ is cubic on a heading line with a long run of spaces in it.
        if m := _H1.match(line):
            title = line[m.end() :].rstrip().rstrip("#").rstrip()
            if title:
                return title_form(repair_line(unify_radicals(title)))
    return ""


_H1 = re.compile(r"\s{0,3}#\s+(?=\S)")


_NOTICE_TITLE = re.compile(r"^(?P<pre>.*?)(?P<title>关于.{2,120}?(?:通知|决定|意见|批复|通报|公告|通告|函))$")
INNER_TITLE = re.compile(r"《([^《》]{4,80})》")


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
            joined = title_form("".join(window))
            simple = to_simplified(joined)
            m = _NOTICE_TITLE.match(simple)
            if not m or re.search(r"[。；！？：:]", _outside_quotes(m["title"])) or len(m["title"]) > 100:
                continue
            pre = joined[: m.start("title")] if len(simple) == len(joined) else m["pre"]
            title = joined[m.start("title") :] if len(simple) == len(joined) else m["title"]
            if pre and not is_body(pre):
                continue
            return i, title, body_name(pre) if pre else ""
    return -1, "", ""


def _kind_ending(title: str) -> str:
    """The kind a title's ending names, "" if none (the title in any script, a closing （…） qualifier ignored)."""
    core = to_simplified(compact_text(title))
    end = len(core)
    while m := _LAST_BRACKET.search(core, max(0, end - 26), end):  # closing brackets one by one: (?:…)+$ is quadratic
        end = m.start()
    core = core[:end]
    for row in kinds():
        if core.endswith(row["ending"]) and not core.endswith(tuple(row.get("unless", ()))) and len(core) > len(row["ending"]):
            return str(row["kind"])
    return ""


def kind_of(title: str) -> str:
    """``关于印发《…》的通知`` -> 通知, ``健康中国行动（2019—2030年）`` -> 行动计划, ``…促进法`` -> 法; "" if unknown."""
    return _kind_ending(title)


_LAST_BRACKET = re.compile(r"[（(][^（）()]{1,24}[)）]$")
_DOC_NUMBER = re.compile(r"〔\d{4}〕\s*\d{1,4}\s*号")
_CHROME = re.compile(r"[|>＞]|(?<!\s)\s{2,}\S+\s{2,}")  # tried where a run of spaces begins: linear


def _title_like(line: str, first: bool = True) -> bool:
    """A line that can be (part of) a title; a title's first line does not open with a bracket."""
    text = compact_text(line)
    if first and text.startswith(("（", "(")):
        return False
    return (
        bool(text) and len(text) <= 60 and not ATTACHMENT_LINE.match(text) and not _DOC_NUMBER.search(text)
        and not _CHROME.search(line) and not DATE_LINE.match(text) and not is_body(text) and not red_head([text])
        and not re.search(r"[。；！？：:，,]", _outside_quotes(text)) and not BODY_START.match(text)
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
            if n > 1 and _kind_ending(title_form("".join(window[:-1]))) and not compact_text(window[-1]).startswith(("（", "(")):
                break  # the lines above end a title already: the next one is not part of it (but its （2019—2030年） is)
            joined = title_form("".join(window))
            if _kind_ending(joined) and 6 <= len(joined) <= 80:  # a menu's 政策解读 or 工作要点 is no title
                best = joined
        if best:
            return i, best
    return -1, ""
