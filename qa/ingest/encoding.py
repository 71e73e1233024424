"""Plain text: a file's bytes in any common Chinese encoding -> text with ``\\n`` line ends; :func:`read_text`, the
.txt reader, is this decoding and nothing else. The HTML reader falls back on the same detection. Pure.
"""

from __future__ import annotations

import codecs
import re
import tomllib
from collections import Counter
from functools import cache
from importlib import resources

from qa.ingest.readtext import DocumentError, ReadText

BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def unix_newlines(text: str) -> str:
    """``\\r\\n`` and lone ``\\r`` line ends as ``\\n``."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """Decode a text file in any common Chinese encoding; returns (text with \\n line ends, encoding).

    Tried in order: a BOM; UTF-8; UTF-16 without BOM (LE or BE, when the result reads as text); a file that is
    UTF-8 in some lines and GB18030/Big5 in others (two sources pasted together), line by line; GB18030 (a
    superset of GBK and GB2312) or Big5, whichever reads better: GB18030 decodes almost any byte string, Big5
    text included, so success alone does not decide. Raises :class:`DocumentError` for empty or binary files.
    A mixed file's encoding is reported as ``mixed:utf-8+gb18030`` (or ``+big5``).
    """
    if not data.strip():
        raise DocumentError(f"{name}: the file is empty; nothing to ingest")
    if signature := _signature(data):
        raise DocumentError(f"{name}: binary content, the bytes of {signature['format']}, not text; {signature['fix']}")
    bom = next((enc for bom, enc in BOMS if data.startswith(bom)), None)
    if bom:
        texts = _decoded(data, [bom])
    else:
        utf16 = ["utf-16-le", "utf-16-be"]
        if data[0::2].count(0) > data[1::2].count(0):
            utf16.reverse()  # ASCII in big-endian UTF-16: the NUL comes first
        texts = _decoded(data, ["utf-8"])
        texts = texts or [t for t in _decoded(data, utf16) if _text_share(t[0]) >= 0.9]
        texts = texts or _mixed(data)
        texts = texts or _decoded(data, ["gb18030", "big5"])
        texts.sort(key=lambda t: -_text_share(t[0]))  # stable: ties keep the order above
    if (not texts or texts[0][1] in ("gb18030", "big5")) and (foreign := _japanese_or_korean(data)):
        raise DocumentError(f"{name}: {foreign} text, not Chinese; PlanQA reads Chinese plans (convert a translation to UTF-8 text)")
    if texts:
        text, encoding = texts[0]
        return unix_newlines(text).lstrip("\ufeff"), encoding
    raise DocumentError(
        f"{name}: not a text file in UTF-8, UTF-16, GB18030/GBK or Big5 (binary content?); "
        "convert it to UTF-8 text, or give it the extension of its real format"
    )


@cache
def _signatures() -> list[dict[str, str]]:
    return tomllib.loads((resources.files("qa") / "data" / "file_signatures.toml").read_text(encoding="utf-8"))["signature"]


def _signature(data: bytes) -> dict[str, str] | None:
    """The signature (``qa/data/file_signatures.toml``) the file's first bytes carry, if any: a PDF saved as .txt."""
    head = data[:1024].lstrip()
    return next((s for s in _signatures() if head.startswith(bytes.fromhex(s["hex"]))), None)


# The scripts that tell Japanese and Korean text from Chinese: kana, and Hangul.
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")


def _japanese_or_korean(data: bytes) -> str:
    """``"Japanese (cp932)"`` or ``"Korean (cp949)"`` when the bytes are Japanese or Korean text in an encoding of its
    own (Shift-JIS, EUC-JP, EUC-KR), which GB18030 would decode to garbage; else "". Decided by charset-normalizer's
    language models on the first 64 KB, and confirmed on the text so decoded, which must be long enough to tell
    (100 characters besides ASCII) and read as its language does: a Japanese text holds kana; a Korean one is mostly
    Hangul with spaces between its words (a Chinese text in GBK read as EUC-KR is Hangul too, but unspaced)."""
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # a dependency of PlanQA (and of pdfminer); without it the text is read as Chinese
        return ""
    best = from_bytes(data[:65536]).best()
    if best is None or best.language not in ("Japanese", "Korean"):
        return ""
    try:
        sample = data[:65536].decode(best.encoding, errors="ignore")[:4096]
    except LookupError:
        return ""
    wide = "".join(ch for ch in sample if not ch.isascii() and not ch.isspace())
    if len(wide) < 100:
        return ""
    if best.language == "Japanese":
        confirmed = len(_KANA.findall(wide)) >= 0.1 * len(wide)
    else:
        confirmed = len(_HANGUL.findall(wide)) >= 0.5 * len(wide) and sample.count(" ") >= 0.08 * len(wide)
    return f"{best.language} ({best.encoding})" if confirmed else ""


def _decoded(data: bytes, encodings: list[str]) -> list[tuple[str, str]]:
    """(text, encoding) for each encoding that decodes ``data`` to something that is not binary."""
    out = []
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not _looks_binary(text):
            out.append((text, encoding))
    return out


def _mixed(data: bytes) -> list[tuple[str, str]]:
    """Line-by-line decoding of a file that is UTF-8 in some lines (with Chinese in them) and not in others."""
    lines = data.split(b"\n")
    decoded: list[str] = []
    used: Counter[str] = Counter()
    for line in lines:
        options = _decoded(line, ["utf-8"]) + _decoded(line, ["gb18030", "big5"])
        if not options:
            return []
        options.sort(key=lambda t: -_text_share(t[0]) if t[0].strip() else 0)
        text, encoding = options[0]
        decoded.append(text)
        if not line.isascii():
            used[encoding] += 1
    if not used["utf-8"] or len(used) < 2:
        return []
    other = max((e for e in used if e != "utf-8"), key=lambda e: used[e])
    return [("\n".join(decoded), f"mixed:utf-8+{other}")]


def _looks_binary(text: str) -> bool:
    controls = sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\n\r\t\f\v")
    return "\x00" in text or controls > max(2, len(text[:4096]) // 100)


# What a Chinese plan is made of: ASCII, Latin (pinyin), general and CJK punctuation, CJK ideographs, full-width
# forms. A wrong decoding shows up as Hangul, kana, private-use or other scripts.
_TEXT_CHARS = re.compile(r"[\t\n\r\x20-\x7e\u00a0-\u024f\u2000-\u206f\u2460-\u24ff\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def _text_share(text: str) -> float:
    """Share of the first 4096 characters that belong in a Chinese plan (1.0 for a plausible decoding)."""
    sample = text[:4096]
    return len(_TEXT_CHARS.findall(sample)) / len(sample) if sample else 0.0


def read_text(name: str, data: bytes) -> ReadText:
    """A plain-text plan (.txt) in any common Chinese encoding."""
    text, encoding = decode_text(data, name)
    notes = ()
    if encoding.startswith("mixed:"):
        notes = (f"mixed encodings: lines decoded as {encoding.removeprefix('mixed:').replace('+', ' and ')}; check the text",)
    return ReadText(text, encoding, notes=notes)
