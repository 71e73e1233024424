"""Small facts of written Chinese that several stages share: the one home of each. Pure, no I/O.

- sentences: where a sentence (。！？) or a clause segment (also ；) ends;
- clipping display text to a length with an ellipsis;
- the ``[n]`` citation markers answers carry;
- page-number lines of PDFs and printed pages (``— 3 —``, ``第3页 共9页``, ``3/9``);
- Chinese numerals (一、 / (十一) / ③ list numbers) both ways;
- administrative suffixes of place names (省, 市, 自治州 …).
"""

from __future__ import annotations

import re

# ---------------------------------------------------------------------------------------- sentences

SENTENCE_ENDS = "。！？!?"
SEGMENT_ENDS = SENTENCE_ENDS + "；;"  # a plan's clauses chain their measures with ；: each is a unit of its own
# A line that ends with one of these ends a sentence (the colon ends a heading's lead-in: "主要目标：").
LINE_ENDS = tuple("。！？；：!?;:…")

_SENTENCE = re.compile(rf"[^{SENTENCE_ENDS}\n]+[{SENTENCE_ENDS}]?")
_SEGMENT = re.compile(rf"[^{SEGMENT_ENDS}\n]+[{SEGMENT_ENDS}]?")
_AFTER_SEGMENT_END = re.compile(rf"(?<=[{SEGMENT_ENDS}])")


def sentences(text: str, semicolons: bool = False) -> list[str]:
    """The sentences of ``text`` with their end punctuation (line breaks end one too); with ``semicolons``
    each ；-segment is its own sentence. Pieces are as written (not stripped)."""
    return (_SEGMENT if semicolons else _SENTENCE).findall(text)


def split_keeping_ends(text: str) -> list[str]:
    """Split after every sentence or ；-segment end and line break, keeping punctuation and line breaks, so the
    pieces join back to ``text`` (a split clause's parts together are the clause as written)."""
    pieces: list[str] = []
    for piece in (p for line in text.splitlines(keepends=True) for p in _AFTER_SEGMENT_END.split(line)):
        if pieces and not piece.strip():
            pieces[-1] += piece  # a line break stays with the sentence it ends
        elif piece:
            pieces.append(piece)
    return pieces


def split_after_ends(text: str) -> list[str]:
    """Split after every sentence or ；-segment end (punctuation kept, nothing else done)."""
    return _AFTER_SEGMENT_END.split(text)


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the last one an ellipsis when anything was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ------------------------------------------------------------------------------------ answer markers

CITATION_MARKER = re.compile(r"\[(\d{1,2})\]")  # [1] … [99]: which cited clause a sentence rests on

# ------------------------------------------------------------------------------------------ page lines

PAGE_NUMBER_LINE = re.compile(
    r"^(?:[—–\-－~]\s*\d{1,4}\s*[—–\-－~]|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?|\d{1,4}\s*/\s*\d{1,4}|\d{1,4})$"
)

# --------------------------------------------------------------------------------------------- numerals

CN_DIGIT_VALUES = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_NUMERAL_CHARS = "零〇一二两三四五六七八九十百"
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_CN_DIGITS = "零一二三四五六七八九"


def chinese_number(token: str) -> int:
    """``"二十一"`` -> 21, ``"12"`` -> 12, ``"③"`` -> 3."""
    if token.isdigit() and token.isascii():
        return int(token)
    if len(token) == 1 and token in CIRCLED:
        return CIRCLED.index(token) + 1
    total, current = 0, 0
    for ch in token:
        if ch in CN_DIGIT_VALUES:
            current = CN_DIGIT_VALUES[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
    return total + current


def chinese_numeral(n: int) -> str:
    """``21`` -> ``二十一``, ``10`` -> ``十`` (how 一、 / （十一） list numbers are written), up to 999."""
    if n <= 0 or n >= 1000:
        return str(n)
    hundreds, rest = divmod(n, 100)
    tens, units = divmod(rest, 10)
    out = _CN_DIGITS[hundreds] + "百" if hundreds else ""
    if tens:
        out += ("" if tens == 1 and not hundreds else _CN_DIGITS[tens]) + "十"
    elif hundreds and units:
        out += "零"
    return out + (_CN_DIGITS[units] if units else "")


# ---------------------------------------------------------------------------------------- place names

# Administrative suffixes, longest first so 自治州 wins over 州-less readings. 州 alone is not one: it is part
# of the name in 赣州, 泰州, 贵州.
ADMIN_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "省", "市", "区", "县", "盟", "旗")
# The common ones, in which plan titles and regions name their place (贵州省…, 赣州市…, 任城区…).
COMMON_ADMIN_SUFFIXES = ("省", "市", "区", "县")


def suffix_pattern(suffixes: tuple[str, ...] = ADMIN_SUFFIXES) -> str:
    """A regex alternation of ``suffixes`` (for building place patterns)."""
    return "(?:" + "|".join(re.escape(s) for s in suffixes) + ")"
