"""The ingest core's English messages in Chinese, for the 知识库 tab: the rules of ``ui/assets/ingest_messages_zh.toml``
(message pattern -> Chinese). The core's messages stay English (logs, the CLI); only what the UI shows is translated.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

# Words that may stay in a translated message: formats, programs and file-name parts, not English prose.
_KEPT = re.compile(r"PDFium|pypdf|PlanQA|catalog\.toml|cryptography|pip install|OCR|UTF-\d+|GB18030|GBK|Big5|WPS|Word|PDF|OLE|docx?|txt|html?|md")
_PROSE = re.compile(r"[A-Za-z]{3,}")


@dataclass(frozen=True)
class Translation:
    """A message as shown: ``text`` in Chinese; ``original`` the English message when a part had no rule."""

    text: str
    original: str = ""


@cache
def _table() -> tuple[list[tuple[re.Pattern[str], str]], dict[str, str]]:
    data = tomllib.loads(files("ui").joinpath("assets", "ingest_messages_zh.toml").read_text(encoding="utf-8"))
    return [(re.compile(r["pattern"]), str(r["zh"])) for r in data["rule"]], dict(data.get("words", {}))


def _words(listed: str, words: dict[str, str]) -> str:
    parts = [p for p in re.split(r"[,\s]+", listed.strip()) if p and p != "and"]
    return "、".join(words.get(p, p) for p in parts)


_QUOTED = re.compile("\x01[^\x02]*\x02")  # a value taken from the message (a path, a format's name): not prose to translate


def _fill(template: str, match: re.Match[str], words: dict[str, str]) -> str:
    values = {k: (_words(v, words) if k.startswith("w_") else f"\x01{v}\x02") for k, v in match.groupdict(default="").items()}
    return template.format(**values)


_FILE_HEAD = re.compile(r"^(?P<file>[^:：;；]+\.[A-Za-z0-9]{1,5}): ")


def translate(message: str, name: str = "") -> Translation:
    """``message`` in Chinese. A leading ``…name: `` (the file it is about, which the UI shows beside it) is taken
    off; without ``name`` a leading ``file.ext: `` stays as the message's subject. A message still holding English
    prose after every rule keeps its original, shown in a fold-out."""
    text, subject = str(message or ""), ""
    if name and (head := text.find(f"{name}: ")) >= 0 and (head == 0 or text[head - 1] in "/\\"):
        text = text[head + len(name) + 2 :]
    elif (match := _FILE_HEAD.match(text)) and not name:
        subject, text = match.group("file").rsplit("/", 1)[-1], text[match.end() :]
    rules, words = _table()
    for pattern, template in rules:
        text = pattern.sub(lambda m, t=template: _fill(t, m, words), text)  # type: ignore[misc]
    text = text.replace("; ", "；")
    prose = _PROSE.search(_KEPT.sub("", _QUOTED.sub("", text)))
    text = text.replace("\x01", "").replace("\x02", "")
    if prose:
        return Translation(f"{subject}：入库说明暂无中文译文（原文见下）" if subject else "入库说明暂无中文译文（原文见下）", str(message))
    return Translation(f"{subject}：{text}" if subject else text)
