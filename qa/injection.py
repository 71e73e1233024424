"""Text that addresses its reader instead of stating policy: prompt injection and active markup. Pure, no I/O.

A plan says what a government will do; it never tells a chat assistant to "忽略以上指令" nor holds a
``<script>`` tag or a ``javascript:`` link. When a document does, that text is someone's attempt to steer the
reader, so ingest flags it (:func:`directive_kinds`) and the answerer and the LLM context leave out every sentence
holding it (:func:`without_directives`). The patterns are data: ``qa/data/reader_directives.toml``.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib import resources

from qa.text import SENTENCE_ENDS

# After each sentence end and line break: the pieces join back to the text. Not after ；: a directive often runs over
# several ；/;-segments ("SYSTEM: …; '; DROP TABLE …; --"), and a sentence holding one is not quoted at all.
_AFTER_SENTENCE = re.compile(rf"(?<=[{SENTENCE_ENDS}\n])")


@cache
def _patterns() -> dict[str, re.Pattern[str]]:
    table = tomllib.loads((resources.files("qa") / "data" / "reader_directives.toml").read_text(encoding="utf-8"))
    return {kind: re.compile("|".join(f"(?:{p})" for p in entry["patterns"]), re.IGNORECASE) for kind, entry in table.items()}


def directive_kinds(text: str) -> tuple[str, ...]:
    """The kinds of reader-addressing text in ``text`` (``instruction``, ``markup``), in table order; () if none."""
    return tuple(kind for kind, pattern in _patterns().items() if pattern.search(text))


def addresses_reader(text: str) -> bool:
    """Whether ``text`` holds an instruction to its reader or active markup."""
    return any(pattern.search(text) for pattern in _patterns().values())


def without_directives(text: str) -> str:
    """``text`` without the sentences that address the reader; the rest as written."""
    if not addresses_reader(text):
        return text
    return "".join(piece for piece in _AFTER_SENTENCE.split(text) if not addresses_reader(piece))
