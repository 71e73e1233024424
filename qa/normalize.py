"""Text repair and normalisation: pure functions of text, no I/O.

Two texts are kept per clause: the *display* text (the plan as written, noise repaired: what users see and
what is quoted) and the *search* text (simplified Chinese, NFKC, no whitespace: what is embedded, indexed
and matched). Questions go through the same :func:`search_form`, so 衛生 finds 卫生 and the reverse.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from functools import lru_cache
from importlib import resources

# A CJK character followed by its pinyin in parentheses, as pasted from annotated web pages: 衛(wèi)生.
# Only lowercase Latin letters with tone marks qualify, so (一), (1), (AED) and (备案制管理) are left alone;
# a plain-ASCII syllable needs a CJK character right before it, as in 監(jiān) / 國(guó) / 體(tǐ).
# A toned syllable is a gloss wherever it stands: after conversion damage it can follow a stray letter (瓢l(fā)).
_PINYIN_LETTERS = "a-zāáǎàēéěèīíǐìōóǒòūúǔùüǖǘǚǜńňǹḿ"
_PINYIN_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
_PINYIN_AFTER_HAN = re.compile(
    rf"(?<=[\u3400-\u9fff\uf900-\ufaff])\([{_PINYIN_LETTERS}]{{1,6}}\)"
    rf"|\((?=[a-zü]*[{_PINYIN_TONED}])[{_PINYIN_LETTERS}]{{1,6}}\)"
)

# '?' runs that stand in for spaces or indentation (lost U+3000/NBSP): at line start, or spaced '? ? ?'.
_LEADING_QMARKS = re.compile(r"^[?？\s\u3000\u00a0]*\?[?\s\u3000\u00a0]*")
_SPACED_QMARKS = re.compile(r"(?:\? ){2,}\??")
# Characters lost in a lossy encoding round trip show as '??' inside words (重點??瓢l展): they cannot be
# recovered, only reported.
LOST_CHARACTERS = re.compile(r"(?<=[\u3400-\u9fff])\?{1,4}|\?{1,4}(?=[\u3400-\u9fff])")

_WHITESPACE = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")
# Any Unicode space at a line's ends (str.isspace, as re's \s: U+3000, NBSP, the \x1c-\x1f separators), and the
# zero-width space and BOM. Stripped by scanning, not by a "[…]+$" pattern, which is quadratic on a long inner run.
_EDGE_EXTRA = "\u200b\ufeff"


def _strip_edges(line: str) -> str:
    start, end = 0, len(line)
    while start < end and (line[start].isspace() or line[start] in _EDGE_EXTRA):
        start += 1
    while end > start and (line[end - 1].isspace() or line[end - 1] in _EDGE_EXTRA):
        end -= 1
    return line[start:end]


def strip_pinyin(text: str) -> str:
    """Remove pinyin glosses after characters: ``衛(wèi)生`` -> ``衛生``."""
    return _PINYIN_AFTER_HAN.sub("", text)


def strip_question_padding(line: str) -> str:
    """Remove '?' runs used as spaces (``??? 現將…``, ``? ? ? 泰州市…``); keep '?' inside words."""
    line = _LEADING_QMARKS.sub("", line)
    return _SPACED_QMARKS.sub("", line)


# Radical and compatibility code points a PDF text layer returns for ordinary characters ("（⼀）" = U+2F00):
# Kangxi Radicals, CJK Radicals Supplement, CJK Compatibility Ideographs (and their supplement).
_RADICAL_FORMS = re.compile("[\u2e80-\u2eff\u2f00-\u2fdf\uf900-\ufaff\U0002f800-\U0002fa1f]")


@lru_cache(maxsize=1)
def _radical_table() -> dict[str, str]:
    """``qa/data/radicals.toml``: the radicals NFKC leaves alone (⻔ -> 门, ⺠ -> 民)."""
    text = (resources.files("qa") / "data" / "radicals.toml").read_text(encoding="utf-8")
    return dict(tomllib.loads(text)["radicals"])


def _ordinary_character(match: re.Match[str]) -> str:
    ch = match.group(0)
    return _radical_table().get(ch) or unicodedata.normalize("NFKC", ch)


def unify_radicals(text: str) -> str:
    """Radical and compatibility code points -> the ordinary characters they show: ``（⼀）部⻔`` -> ``（一）部门``.

    Only those code points change (by NFKC, or for the simplified radicals NFKC keeps, by a table), so the
    plan's full-width punctuation stays as written. One character for one, so offsets into the text still hold.
    The display text keeps what the source has (a clause is its span with noise deleted); the marker reader
    (:mod:`qa.ingest.markers`) and :func:`search_form` read through this.
    """
    return _RADICAL_FORMS.sub(_ordinary_character, text) if _RADICAL_FORMS.search(text) else text


def repair_line(line: str) -> str:
    """Display form of one source line: noise removed, the plan's own script and punctuation kept."""
    line = strip_pinyin(line)
    line = strip_question_padding(line)
    return _strip_edges(line)


@lru_cache(maxsize=1)
def _t2s():  # type: ignore[no-untyped-def]
    import opencc  # imported lazily: the converter loads its dictionaries on first use

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional -> simplified Chinese (OpenCC t2s); other text passes through."""
    return _t2s().convert(text)


def search_form(text: str) -> str:
    """The normalised text used for embedding, lexical search and evidence matching.

    Pinyin glosses and '?' noise removed, radicals as the characters they show (部⻔ -> 部门), NFKC (full-width
    letters/digits/punctuation to half-width),
    traditional -> simplified, all whitespace removed (PDF text spaces digits: ``2020 年``), lowercase.
    """
    text = strip_pinyin(text)
    text = unicodedata.normalize("NFKC", unify_radicals(text))
    text = text.replace("?", "")
    text = to_simplified(text)
    return _WHITESPACE.sub("", text).lower()


def compact(text: str) -> str:
    """Whitespace-free form of display text (for comparing and hashing without layout)."""
    return _WHITESPACE.sub("", text)
