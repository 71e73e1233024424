"""Follow-up questions -> standalone questions, by rules (the LLM answerer may rewrite instead). Pure."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from qa.search.scope import named_years

_ELLIPTIC = re.compile(r"^(那|那么|还有|另外|再问|又)?.{0,8}(呢|吗)?[?？]?$")
# Longest first: 它们 must not leave a stray 们 behind 它.
_PRONOUN = re.compile(r"^(它们|这一条|这一项|这些|那些|上述|上面|这项|这个|该项|这条|此项|其中|其|它|该|这)")
_FOLLOWUP_LEAD = re.compile(r"^(那么请问|再问一下|那么|那|还有|另外|又|其中)")
_QUESTION_TAIL = re.compile(r"[?？。!！]+$")
# What a previous question asked, cut off to leave its topic: "…要提高到多少" -> "…".
_ASKED_TAIL = re.compile(r"(是多少|有多少|是什么|有哪些|有什么要求|有什么安排|怎么做|要提高到多少|多少|是哪几个|是哪个|哪几个|吗)$")
# Questions about all plans at once do not inherit the conversation's place.
_WIDE = re.compile(r"各地|各个|全国|分别|哪些(规划|地方|城市|地区|文件)|哪个(规划|文件|地方)")


def rewrite_followup(question: str, history: Sequence[str], places: Callable[[str], list[str]]) -> str:
    """Make ``question`` standalone using the previous question of the conversation (most recent last;
    pass the previous *standalone* question, see :func:`standalone_questions`).

    - "那泰州呢?" after "赣州市居民健康素养水平要提高到多少?" -> "泰州居民健康素养水平要提高到多少?"
      (a new place or year replaces the old one: "到2022年呢?" after "贵州2020年…");
    - "它的责任处室是哪个?" or "那卫生乡镇的创建率要达到多少?" carry the previous topic over:
      "泰州市家庭医生签约服务 的责任处室是哪个?";
    - a question naming no place inherits the conversation's place and year:
      "参训时间和参训率有什么要求?" after "任城区2021年…" -> "任城区2021年 参训时间和参训率有什么要求?";
    - a question that already stands alone is returned unchanged.
    """
    question = question.strip()
    if not history:
        return question
    previous = history[-1].strip()
    new_places, old_places = places(question), places(previous)
    new_years, old_years = named_years(question), named_years(previous)
    body = _FOLLOWUP_LEAD.sub("", _QUESTION_TAIL.sub("", question))
    elliptic = bool(_ELLIPTIC.match(question)) and len(re.sub(r"[那么呢吗还有另外?？\s]", "", question)) <= 8
    if elliptic and (new_places or new_years):
        rewritten = previous
        if new_places:
            for old in old_places:
                rewritten = rewritten.replace(old, new_places[0])
        if new_years:
            for old_year in old_years:
                rewritten = rewritten.replace(str(old_year), str(new_years[0]))
        if rewritten != previous:
            return rewritten
        scope = "".join(new_places[:1]) + (f"{new_years[0]}年" if new_years else "")
        return f"{scope} {_QUESTION_TAIL.sub('', previous)}"
    asks_back = bool(_PRONOUN.match(body)) or elliptic or bool(_FOLLOWUP_LEAD.match(question))
    if asks_back or (len(body) <= 12 and not new_places):
        topic = _ASKED_TAIL.sub("", _QUESTION_TAIL.sub("", previous))
        for old_year in old_years if new_years else ():  # "那2022年…呢?" after "…2020年…": the new year wins
            topic = topic.replace(str(old_year), str(new_years[0]))
        if new_years:
            body = re.sub(r"(?:19|20)\d{2}\s*年?", "", body).strip()
        return f"{topic} {_PRONOUN.sub('', body) or body}{'?' if question.endswith(('?', '？')) else ''}"
    if old_places and not new_places and not _WIDE.search(question):
        scope = old_places[0] + (f"{old_years[0]}年" if old_years and not new_years else "")
        return f"{scope} {question}"
    return question


def standalone_questions(questions: Sequence[str], places: Callable[[str], list[str]]) -> list[str]:
    """Each question of a conversation made standalone, each from the previous one's standalone form, so a
    chain of follow-ups ("那泰州呢?" then "它的责任处室是哪个?") keeps its place and topic."""
    out: list[str] = []
    for question in questions:
        out.append(rewrite_followup(question, out[-1:], places))
    return out
