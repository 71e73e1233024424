"""Candidate answer spans of the top clauses, the signals each is weighed on, and the fitted model that weighs them.

The extractive answerer does not pick its quote by hand-set bonuses: every sentence of the top clauses, every
pair of adjacent sentences, and every run of ，-segments of a long sentence is a candidate span, described by
signals that mean the same on any plan (:data:`FEATURES`):

- how much of the question it says: IDF-weighted share of the question's topic words in the span and in its
  clause, and the share of the question's character bigrams in the span (no word list: paraphrases share
  characters where they share no tokenizer word);
- how retrieval ranked its clause: fused rank, the dense and lexical legs' ranks, the clause's cosine;
- whether it gives what the question asks for, read generally (:mod:`qa.answer.question`): a figure, in the unit
  asked (频次, 时限, 金额 …) and for the year asked; the responsible office; places; a person;
- what the clause lacks that the question insists on (最好, a qualifier the plans know elsewhere);
- its shape: length, one sentence or two, first in its clause.

:class:`SpanModel` combines them by logistic weights fitted on the calibration splits of every gold set
(``python -m eval fit``, written to ``qa/data/span_model.toml``): the answer quotes the most probable span, and
that probability, calibrated, decides a refusal. Nothing here is set for one question.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from qa.answer.question import Term
from qa.answer.weights import AnswerWeights
from qa.search.lexical import Tokenizer
from qa.text import clip
from qa.text import sentences as text_sentences

FEATURES: tuple[str, ...] = (
    "bias",
    "topic",  # IDF-weighted share of the question's topic words the span says (qualifiers it lacks subtracted)
    "clause_topic",  # the same for the clause with its headings and plan title
    "rarest_missing",  # the question's weightiest topic word is not in the clause (nor its headings, title)
    "bigrams",  # share of the question's CJK character bigrams found in the span
    "clause_bigrams",  # … in the clause
    "rank",  # 1 / fused rank of the clause
    "dense_rank",  # 1 / the dense leg's rank (0 when it did not find the clause)
    "lexical_rank",  # 1 / the lexical leg's rank (0 when it did not)
    "dense",  # the clause's cosine above 0.8, scaled by 0.1
    "figure_given",  # a figure is asked and the span states one (in any form)
    "figure_missing",  # a figure is asked and the span states none
    "unit_given",  # a unit is asked (频次, 时限, 金额 …) and the span states a figure in it
    "unit_missing",  # a unit is asked and the span states none in it
    "digits",  # a figure is asked and the span states a number (not only 全覆盖)
    "year_misfit",  # a year is asked and the span's figure is for another year
    "other_years",  # a year is asked and the span also names another ("2020年…；2022年…" for 2022)
    "office_given",  # the office is asked and the clause names its responsible body
    "office_missing",  # the office is asked and the clause names none
    "place_given",  # places are asked and the span names one
    "person_missing",  # a person is asked and the span names none
    "insisted_gap",  # the clause does not speak of what the question insists on (最好, 申领)
    "modifier_gap",  # the clause says Y of the asked XY without X, which the plans know elsewhere
    "length",  # span length / quote length
    "pair",  # the span is two sentences (or segments)
    "first",  # the span opens its clause
)

_NUMBER_HEAD = re.compile(r"^\s*(?:[(（][^)）]{1,4}[)）]|[一二三四五六七八九十]+、|\d{1,4}[.．、]|第[一二三四五六七八九十百千零〇两\d]+条)\s*")
_OFFICE_NOTE = re.compile(r"[(（]\s*(?:责任处室|責任處室)[^)）]*[)）]")
_SEGMENT = re.compile(r"[^,，:：]+[,，:：]?")
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Asked:
    """What a question asks, read once: its kind, topic words (and their total weight), character bigrams,
    whether a figure answers it, in which units, for which years."""

    question: str
    kind: str
    terms: Sequence[Term]
    total: float
    bigrams: frozenset[str]
    figure: bool
    units: tuple[str, ...]
    years: tuple[int, ...]


@dataclass(frozen=True)
class Span:
    """A candidate quote: ``text`` from the clause at fused ``rank`` (1 = best), its ``first`` sentence and how many."""

    rank: int
    text: str
    first: int
    count: int


def clause_body(text: str) -> str:
    """A clause without its number and its （责任处室：…） note: what a quote may be drawn from."""
    return _OFFICE_NOTE.sub("", _NUMBER_HEAD.sub("", text))


def spans_of(text: str, rank: int, limit: int, row: bool = False) -> list[Span]:
    """The candidate spans of a clause: each sentence (；-segments count as sentences), each adjacent pair within
    ``limit`` characters, and for a sentence longer than ``limit`` each run of ，-segments that fits. A table
    row (``header：cell；…``) is one statement: its spans are runs of consecutive cells, so an indicator is quoted
    with its values ("指标：每万人营养指导员（名）；2030年目标值：1")."""
    if row:
        return _runs([c for c in re.findall(r"[^；;]+[；;]?", text) if c.strip()], rank, 0, limit, "；;")
    sentences = [s.strip() for s in text_sentences(clause_body(text), semicolons=True) if s.strip()]
    spans: list[Span] = []
    for i, sentence in enumerate(sentences):
        if len(sentence) <= limit:
            spans.append(Span(rank, sentence, i, 1))
        else:
            spans += _segment_runs(sentence, rank, i, limit)
        if i + 1 < len(sentences) and len(sentence) + len(sentences[i + 1]) <= limit:
            spans.append(Span(rank, sentence + sentences[i + 1], i, 2))
    return spans or [Span(rank, clip(text.strip(), limit), 0, 1)]


def _segment_runs(sentence: str, rank: int, index: int, limit: int) -> list[Span]:
    """Runs of consecutive ，-segments of a long sentence, each as long as fits in ``limit`` from its start."""
    return _runs([s for s in _SEGMENT.findall(sentence) if s.strip()], rank, index, limit, ",，:：")


def _runs(pieces: Sequence[str], rank: int, index: int, limit: int, ends: str) -> list[Span]:
    """From each piece on, the longest run of consecutive ``pieces`` within ``limit`` (trailing ``ends`` cut)."""
    runs = []
    for start in range(len(pieces)):
        text = ""
        for piece in pieces[start:]:
            if len(text) + len(piece) > limit:
                break
            text += piece
        runs.append(Span(rank, (text or clip(pieces[start], limit)).strip().rstrip(ends), index, 1 if start == 0 else 2))
    return runs


def clause_summary(text: str, limit: int, head_chars: int) -> str:
    """A clause's measures in brief (:func:`summary_of`), its number and office note left out."""
    sentences = [s.strip() for s in text_sentences(clause_body(text), semicolons=True) if s.strip()]
    return summary_of(sentences, limit, head_chars) if sentences else text.strip()


def listed(lead_in: str, items: Sequence[str], limit: int, head_chars: int) -> str:
    """A lead-in clause's last sentence ("…可以采取下列紧急措施：") with the heads of the items numbered under it
    ("（一）限制或者停止集市…；（二）停工、停业、停课；…"), as one summary within ``limit`` characters."""
    lead = [s.strip() for s in text_sentences(lead_in, semicolons=True) if s.strip()][-1]
    return clip(lead + summary_of([i.strip() for i in items], limit - len(lead), head_chars), limit)


def near_miss_reason(signals: Mapping[str, float], clause_gap: str, unit: str, years: Sequence[int]) -> str:
    """What a span with these ``signals`` lacks, as a refusal says it ('' when nothing): the clause's own gap
    (最好, a qualifier), the ``unit`` asked (频次, 时限), any figure, the ``years`` asked, the office, a person."""
    if signals.get("insisted_gap") or signals.get("modifier_gap"):
        return clause_gap
    if signals.get("unit_missing"):
        return f"没有给出所问的{unit}"
    if signals.get("figure_missing"):
        return "没有给出具体数字"
    if signals.get("year_misfit"):
        return f"给出的不是{'、'.join(f'{y}年' for y in years)}的数字"
    if signals.get("office_missing"):
        return "没有标注责任处室"
    if signals.get("person_missing"):
        return "没有提到具体人员"
    return ""


def halves_found(word: str, text: str, min_chars: int) -> bool:
    """A question word of ``min_chars`` or more counts as found when both of its halves are (签约服务 in …签约…服务…)."""
    if len(word) < min_chars:
        return False
    half = len(word) // 2
    return word[:half] in text and word[half:] in text


@lru_cache(maxsize=1024)
def tagged_names(tokenizer: Tokenizer, text: str, which: str) -> tuple[str, ...]:
    """The places or person names (``which``: a :class:`Tokenizer` method) jieba tags in a clause, cached."""
    return tuple(getattr(tokenizer, which)(text))


@lru_cache(maxsize=4096)
def words_of(tokenizer: Tokenizer, text: str) -> frozenset[str]:
    """The lexical tokens of ``text`` (cached: the same clauses are weighed for many questions)."""
    return frozenset(tokenizer.tokens(text))


def bigrams(text: str) -> frozenset[str]:
    """The CJK character bigrams of ``text`` (search form): a word-list-free measure of shared wording."""
    chars = [c if _CJK.match(c) else " " for c in text]
    return frozenset(a + b for a, b in zip(chars, chars[1:], strict=False) if a != " " and b != " ")


def bigram_share(question: frozenset[str], text: str) -> float:
    """Share of the question's bigrams that ``text`` contains."""
    if not question:
        return 0.0
    return len(question & bigrams(text)) / len(question)


def summary_of(sentences: Sequence[str], limit: int = AnswerWeights.summary_chars, head_chars: int = AnswerWeights.summary_head_chars) -> str:
    """A clause's measures in brief, every word quoted: the whole text when it is short, else the opening
    segment of each sentence ("加强集中隔离点防控,…" -> "加强集中隔离点防控"), so a long section's later measures
    are not cut off by the length limit."""
    whole = "".join(sentences)
    if len(whole) <= limit:
        return whole
    heads: list[str] = []
    for sentence in sentences:
        segments = [s for s in re.split(r"(?<=[,，:：])", sentence) if s.strip()]
        head = segments[0]
        for more in segments[1:]:
            if len(re.sub(r"[\W\d]", "", head)) >= head_chars:
                break
            head += more
        heads.append(head.rstrip(",，:：。；;").strip())
    text = "；".join(h for h in heads if h)
    return clip(text, limit)


@dataclass(frozen=True)
class SpanModel:
    """Logistic weights over :data:`FEATURES`: P(span answers the question) = sigmoid(w · x)."""

    weights: Mapping[str, float]
    fitted_on: str = ""

    def logit(self, features: Mapping[str, float]) -> float:
        return sum(self.weights.get(name, 0.0) * value for name, value in features.items())

    def probability(self, features: Mapping[str, float]) -> float:
        z = self.logit(features)
        return 1.0 / (1.0 + math.exp(-z)) if z > -60 else 0.0

    @classmethod
    def from_toml(cls, text: str) -> SpanModel:
        data = tomllib.loads(text)
        weights = {str(k): float(v) for k, v in data["weights"].items()}
        unknown = set(weights) - set(FEATURES)
        if unknown:
            raise ValueError(f"span model: unknown features {sorted(unknown)}; refit with `python -m eval fit`")
        return cls(weights, str(data.get("fit", {}).get("on", "")))


@lru_cache(maxsize=1)
def fitted_model() -> SpanModel:
    """The model ``python -m eval fit`` wrote to ``qa/data/span_model.toml``."""
    return SpanModel.from_toml((resources.files("qa") / "data" / "span_model.toml").read_text(encoding="utf-8"))


def vector(features: Mapping[str, float]) -> list[float]:
    """``features`` in :data:`FEATURES` order (missing ones 0), for fitting."""
    return [float(features.get(name, 0.0)) for name in FEATURES]


def best(scored: Sequence[tuple[float, Span]]) -> tuple[float, Span]:
    """The most probable span; of equals, the better-ranked clause's earlier span."""
    return max(scored, key=lambda pair: (pair[0], -pair[1].rank, -pair[1].first))
