"""Follow-up questions -> standalone questions, by rules (the LLM answerer may rewrite instead). Pure."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

_ELLIPTIC = re.compile(r"^(那|那么|还有|另外|再问|又)?.{0,8}(呢|吗)?[?？]?$")
_PRONOUN = re.compile(r"^(它|它们|其|这项|这个|该项|该|这条|此项|上述|上面|这些|那些|这一条|这一项)")
_FOLLOWUP_LEAD = re.compile(r"^(那|那么|还有|另外|再问一下|又|那么请问)")
_QUESTION_TAIL = re.compile(r"[?？。!！]+$")


def rewrite_followup(question: str, history: Sequence[str], places: Callable[[str], list[str]]) -> str:
    """Make ``question`` standalone using the previous questions of the conversation (most recent last).

    - "那泰州呢?" after "赣州市居民健康素养水平要提高到多少?" -> "泰州市居民健康素养水平要提高到多少?"
      (the new place replaces the old one in the previous question);
    - "它的责任处室是哪个?" after "泰州市家庭医生签约服务有什么要求?" -> the previous topic is carried over:
      "泰州市家庭医生签约服务 它的责任处室是哪个?";
    - a question that already stands alone is returned unchanged.
    """
    question = question.strip()
    if not history:
        return question
    previous = history[-1].strip()
    new_places = places(question)
    old_places = places(previous)
    body = _FOLLOWUP_LEAD.sub("", _QUESTION_TAIL.sub("", question))
    elliptic = bool(_ELLIPTIC.match(question)) and len(re.sub(r"[那么呢吗还有另外?？\s]", "", question)) <= 8
    if new_places and elliptic and old_places:
        rewritten = previous
        for old in old_places:
            rewritten = rewritten.replace(old, new_places[0])
        return rewritten if rewritten != previous else f"{new_places[0]} {_QUESTION_TAIL.sub('', previous)}"
    if new_places and elliptic:
        return f"{new_places[0]} {_QUESTION_TAIL.sub('', previous)}"
    if _PRONOUN.match(body) or elliptic or (len(body) <= 12 and not new_places):
        topic = _QUESTION_TAIL.sub("", previous)
        topic = re.sub(r"(是多少|有多少|是什么|有哪些|有什么要求|有什么安排|怎么做|要提高到多少|多少)$", "", topic)
        return f"{topic} {_PRONOUN.sub('', body) or body}{'?' if question.endswith(('?', '？')) else ''}"
    return question
