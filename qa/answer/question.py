"""What a question asks for, read from its wording alone: pure functions of the question text (and the tokenizer).

- its kind (a figure for 多少/几, places for 哪些县, the office for 谁负责, a summary for 有哪些措施, the plan for
  哪个文件, one part per plan for 各地/分别): ``qa/data/question_kinds.toml``;
- whether it asks for a figure, and in which unit (money, an age, a rate, a count of times, a frequency, a duration,
  a deadline): ``qa/data/question_words.toml``, ``qa/data/asked_units.toml`` (whose forms are
  ``qa/data/figures.toml``'s);
- what it insists on (最好, how to apply), which an answering clause must speak of: ``qa/data/insisted.toml``;
- its topic words, without interrogatives (``question_words.toml``) and spoken filler (``qa/data/spoken_filler.txt``).

The answerer (:mod:`qa.answer.extractive`) weighs clauses against what these functions read.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from qa.answer.figures import form_pattern
from qa.answer.weights import AnswerWeights
from qa.normalize import search_form
from qa.search.lexical import Tokenizer, colloquial_in

# A follow-up of this many characters or fewer (interrogatives and punctuation aside) that asks for nothing of its
# own ("到2022年呢?") asks what the question rewritten from it asks.
ELLIPTIC_CHARS = 8
_NOUN = frozenset({"n", "nz"})  # jieba tags of common nouns (not places ns, persons nr)
_QUALIFIED = frozenset({"n", "nz", "vn", "ng", "nt", "l"})  # nouns, verbal nouns, idioms like 接种率: what a qualifier qualifies
_YEAR_TOKEN = re.compile(r"\d{4}年?")  # the years asked narrow the search; they are not topic words
PER_PLAN_KINDS = frozenset({"cross", "which_plans"})  # kinds answered one part per plan


# ------------------------------------------------------------------------------------------ the data


def _data(name: str) -> str:
    return (resources.files("qa") / "data" / name).read_text(encoding="utf-8")


@lru_cache(maxsize=8)
def _toml(name: str) -> dict[str, Any]:
    return tomllib.loads(_data(name))


def _any_of(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(patterns))


@lru_cache(maxsize=1)
def kinds() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """The question kinds in the order they are tried, each with its pattern (``qa/data/question_kinds.toml``)."""
    return tuple((kind["name"], _any_of(kind["patterns"])) for kind in _toml("question_kinds.toml")["kind"])


@lru_cache(maxsize=1)
def asking() -> re.Pattern[str]:
    """Interrogative phrases and particles (``question_words.toml`` ``[asking]``)."""
    return _any_of(_toml("question_words.toml")["asking"]["patterns"])


@lru_cache(maxsize=1)
def counted() -> re.Pattern[str]:
    """A numeral or demonstrative with a classifier (``question_words.toml`` ``[counted]``): 一张, 每家, 这个."""
    table = _toml("question_words.toml")["counted"]
    return re.compile(f"[{table['numerals']}][{table['classifiers']}]")


@lru_cache(maxsize=1)
def figure_asked() -> re.Pattern[str]:
    """Words that ask for a figure (``question_words.toml`` ``[figure_asked]``)."""
    return _any_of(_toml("question_words.toml")["figure_asked"]["patterns"])


@dataclass(frozen=True)
class AskedUnit:
    """One ``qa/data/asked_units.toml`` entry: what asks for the unit (``asked``, unless ``unless`` asks for
    another), the pattern a figure in it matches (its figure forms, :func:`qa.answer.figures.form_pattern`) and
    how a refusal names it (``what``: 频次, 时限 …)."""

    name: str
    asked: re.Pattern[str]
    unless: re.Pattern[str] | None
    pattern: str
    what: str

    def asked_in(self, text: str) -> bool:
        return self.asked.search(text) is not None and not (self.unless and self.unless.search(text))


@lru_cache(maxsize=1)
def unit_expectations() -> tuple[AskedUnit, ...]:
    """The asked units of ``qa/data/asked_units.toml``, in its order."""
    return tuple(
        AskedUnit(
            unit["name"], _any_of(unit["asked"]), _any_of(unit["unless"]) if unit.get("unless") else None,
            form_pattern(*unit["forms"]), unit["what"],
        )
        for unit in _toml("asked_units.toml")["unit"]
    )


@dataclass(frozen=True)
class InsistedRule:
    """One ``qa/data/insisted.toml`` entry: question wordings, what a clause must then say ('' for the same words),
    and how a refusal names it."""

    asked: re.Pattern[str]
    required: str
    what: str


@lru_cache(maxsize=1)
def insisted_rules() -> tuple[InsistedRule, ...]:
    return tuple(
        InsistedRule(_any_of(rule["asked"]), "|".join(rule["required"]), rule["what"]) for rule in _toml("insisted.toml")["insisted"]
    )


@lru_cache(maxsize=1)
def filler_groups() -> dict[str, frozenset[str]]:
    """Spoken filler by group (``qa/data/spoken_filler.txt``): people, time, modal …"""
    groups: dict[str, frozenset[str]] = {}
    for line in _data("spoken_filler.txt").splitlines():
        line = line.split("#", 1)[0].strip()
        if ":" in line:
            group, _, words = line.partition(":")
            groups[group.strip()] = frozenset(words.split())
    return groups


@lru_cache(maxsize=1)
def filler() -> frozenset[str]:
    """Every word of spoken filler: never a topic word."""
    return frozenset().union(*filler_groups().values())


# ------------------------------------------------------------------------------------------ reading


@lru_cache(maxsize=1)
def synonyms() -> tuple[tuple[re.Pattern[str], str], ...]:
    """Each synonym group of ``question_words.toml`` ``[[synonym]]``: a pattern of its words (right after one of its
    ``after`` interrogatives, when it has them) and the canonical word."""
    groups = []
    for entry in _toml("question_words.toml").get("synonym", []):
        words = "|".join(re.escape(w) for w in entry["words"])
        after = "|".join(re.escape(w) for w in sorted(entry.get("after", []), key=len, reverse=True))
        groups.append((re.compile(f"({after})(?:{words})" if after else f"()(?:{words})"), entry["canonical"]))
    return tuple(groups)


def kind_form(question: str) -> str:
    """The search form of ``question`` with every synonym read as its canonical word (科室, 部门 -> 处室)."""
    text = search_form(question)
    for pattern, canonical in synonyms():
        text = pattern.sub(lambda m, c=canonical: m.group(1) + c, text)  # type: ignore[misc]
    return text


def question_kind(question: str) -> str:
    """What the question asks for: which_plans, which_plan, office, cross, person, place, number, target, list,
    general (decided on :func:`kind_form`)."""
    text = kind_form(question)
    for kind, pattern in kinds():
        if pattern.search(text):
            return kind
    return "general"


def answer_kind(question: str, asked: str | None = None) -> str:
    """The kind of answer wanted for the standalone ``question`` when the user typed ``asked``: the wording of
    ``asked`` decides ("这些捐血站还要开展什么新业务?" asks for a measure even when the rewritten question carries
    the previous turn's 哪些街道), unless it is elliptic ("到2022年呢?" asks what the rewritten question asks)."""
    kind = question_kind(asked or question)
    if kind == "general" and asked and (len(re.sub(r"\W", "", topic_text(asked))) <= ELLIPTIC_CHARS or asks_the_same(asked)):
        kind = question_kind(question)
    return kind


def asks_the_same(asked: str) -> bool:
    """Whether the follow-up ``asked`` asks what the question before it asked, about something else ("那完善心理
    危机干预服务体系这项呢?" after "…由哪个部门牵头?"): ``question_words.toml`` ``[same_ask]``, and no
    interrogative of its own but the final 呢."""
    text = search_form(asked)
    same = _any_of(_toml("question_words.toml")["same_ask"]["patterns"]).search(text)
    return bool(same) and not asking().search(text[: same.start()])


def wants_figure(question: str, kind: str) -> bool:
    """Whether a figure answers a ``kind`` question: always for 多少-questions, and for a comparison or a
    which-plans question that asks for one (各地…提高到多少)."""
    return kind == "number" or (kind in {"cross", "which_plans"} and figure_asked().search(search_form(question)) is not None)


def asked_units(question: str) -> list[AskedUnit]:
    """The units ``question`` asks a figure in: money for 多少钱, a frequency for 多久一次, a deadline for
    什么时候之前 … (empty: any figure will do)."""
    text = search_form(question)
    return [unit for unit in unit_expectations() if unit.asked_in(text)]


def expected_units(question: str) -> list[str]:
    """Patterns a figure must match (one of them) to answer ``question`` (empty: any figure will do)."""
    return [unit.pattern for unit in asked_units(question)]


def asked_what(question: str) -> str:
    """How a refusal names the figure ``question`` asks for (频次, 时限、时长 …; '' for any figure)."""
    return "、".join(unit.what for unit in asked_units(question))


@dataclass(frozen=True)
class Insisted:
    """What a question insists on: the words it says, the pattern an answering clause must match, and how a
    refusal names what is missing."""

    said: str
    required: str
    what: str


def insisted(question: str) -> list[Insisted]:
    """What the answering clause must speak of: "哪家医院的眼科最好?" is not answered by a clause without 最好,
    "怎样申领生育津贴?" not by one that says nothing of applying."""
    text = search_form(question)
    found = []
    for rule in insisted_rules():
        match = rule.asked.search(text)
        if match:
            found.append(Insisted(match.group(0), rule.required or re.escape(match.group(0)), rule.what))
    return found


def insisted_gap(question: str, clause: str) -> str:
    """Why ``clause`` does not speak to what ``question`` insists on (see :func:`qa.answer.question.insisted`;
    '' when it does)."""
    norm = search_form(clause)
    for wanted in insisted(question):
        if not re.search(wanted.required, norm):
            return f"没有涉及“{wanted.said}”{wanted.what}"
    return ""


def topic_text(question: str) -> str:
    """The question with its interrogative phrases cut out (多少岁, 哪些, 是否 …), in search form."""
    return asking().sub(" ", search_form(question))


@dataclass(frozen=True)
class Term:
    """A topic word of the question and the words that count as it in a clause (itself, plan terms for a
    colloquial word: 托儿所 -> 托育, 托位 …)."""

    word: str
    forms: tuple[str, ...]
    stress: float = 1.0  # weight multiplier: AnswerWeights.follow_up_stress for the words a follow-up's user typed this turn
    qualifier: str = ""  # the topic word right before it in the question: 推荐 in 推荐标准


def terms(
    tokenizer: Tokenizer, question: str, emphasis: str | None = None, stress: float = AnswerWeights.follow_up_stress,
) -> list[Term]:
    """The question's topic words: colloquial words with their plan terms, then the remaining tokens minus
    places, years, interrogatives and filler. Words of ``emphasis`` (what the user typed this turn, when
    ``question`` was rewritten from a follow-up) get ``stress``: the new question matters more than the topic
    carried over from the last one."""
    spoken = filler()
    text = topic_text(question)
    places = set(tokenizer.places(search_form(question)))
    found: list[Term] = []
    for word, targets in colloquial_in(text, words=tokenizer.cut(text)):
        if word not in spoken:
            found.append(Term(word, (word, *targets)))
        text = text.replace(word, " ")
    words = [
        w for w in dict.fromkeys(tokenizer.tokens(text))
        if w not in spoken and not counted().fullmatch(w) and not any(w in p for p in places) and not _YEAR_TOKEN.fullmatch(w)
    ]
    # drop words contained in a longer kept word (search mode yields 家庭医生 and 家庭, 医生)
    words = [w for w in words if not any(w != o and w in o for o in words)] or words
    plain = topic_text(question)
    nouns = _noun_spans(tokenizer, plain)
    for w in words:
        at = plain.find(w)
        before = next((o for o in words if o != w and at > 0 and plain.startswith(o, at - len(o))), "")
        found.append(Term(w, (w,), qualifier=before if any(a <= at < b for a, b in nouns) else ""))
    if emphasis and search_form(emphasis) != search_form(question):
        stressed = search_form(emphasis)
        # words this turn only repeats from the last ("这些捐血站…新业务" after "…建捐血站?") are the topic, not the ask
        carried = search_form(question.strip().rsplit(" ", 1)[0]) if " " in question.strip() else ""
        found = [dataclasses.replace(t, stress=stress) if t.word in stressed and t.word not in carried else t for t in found]
    return found


def _noun_spans(tokenizer: Tokenizer, text: str) -> list[tuple[int, int]]:
    """Character spans of the nouns jieba tags in ``text``: only a noun has a qualifier (推荐 in 推荐标准)."""
    spans, at = [], 0
    for pair in tokenizer.tagged(text):
        if pair.flag in _QUALIFIED:
            spans.append((at, at + len(pair.word)))
        at += len(pair.word)
    return spans


def noun_pairs(tokenizer: Tokenizer, question: str) -> list[tuple[str, str]]:
    """Adjacent noun-noun pairs (X, Y) of the question's topic text, X qualifying Y: 新冠 疫苗 in "新冠疫苗的接种率".
    In "香港机构签订协议" 机构 qualifies no noun."""
    tagged = [(w.word, w.flag) for w in tokenizer.tagged(topic_text(question)) if w.word.strip()]
    return [(x, y) for (x, x_flag), (y, y_flag) in zip(tagged, tagged[1:], strict=False) if x_flag in _NOUN and y_flag in _NOUN]
