"""The extractive answerer's weights (qa/answer/weights.py): each pinned to its value, so a change to one fails
here and is made on purpose (with the eval rerun), and each wired into the answerer, not shadowed by a literal."""

from __future__ import annotations

import dataclasses

import pytest

from qa.answer.extractive import Candidate, Evidence, ExtractiveAnswerer, RefusalPolicy, summary_of
from qa.answer.question import Term
from qa.answer.weights import AnswerWeights
from qa.search.lexical import Tokenizer

PINNED = {
    "rank_prior": (0.15, 0.07, 0.03),
    "fits_bonus": 0.3,
    "candidates": 5,
    "plan_parts": 5,
    "per_plan_hits": 10,
    "per_plan_margin": 0.25,
    "list_margin": 0.1,
    "long_word_chars": 3,
    "long_word_factor": 1.5,
    "follow_up_stress": 2.0,
    "partial_word_chars": 4,
    "qualifier_penalty": 1.5,
    "figure_bonus": 2.5,
    "unit_bonus": 1.5,
    "digit_bonus": 0.5,
    "year_fit": 2.0,
    "place_bonus": 1.5,
    "heading_chars": 16,
    "agreement_rank": 5,
    "partial_agreement": 0.5,
    "dense_hits": 3,
    "dense_floor": 0.80,
    "dense_span": 0.12,
    "coverage_weight": 0.55,
    "agreement_weight": 0.2,
    "dense_weight": 0.25,
    "misfit_factor": 0.5,
    "quote_chars": 160,
    "summary_chars": 400,
    "summary_head_chars": 6,
    "near_quote_chars": 60,
    "related_quote_chars": 80,
}


def test_every_weight_is_pinned() -> None:
    assert dataclasses.asdict(AnswerWeights()) == PINNED


def test_the_weights_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        AnswerWeights().fits_bonus = 0.0  # type: ignore[misc]


def test_rank_prior_by_fused_rank() -> None:
    weights = AnswerWeights()
    assert [weights.prior(rank) for rank in (1, 2, 3, 4, 10)] == [0.15, 0.07, 0.03, 0.0, 0.0]


def test_candidate_score_uses_the_weights() -> None:
    hit = object()
    assert Candidate(hit, 1, 0.5, "q").score == pytest.approx(0.5 + 0.15 + 0.3)  # type: ignore[arg-type]
    assert Candidate(hit, 2, 0.5, "q", gap="没有给出具体数字").score == pytest.approx(0.5 + 0.07)  # type: ignore[arg-type]
    custom = AnswerWeights(rank_prior=(1.0,), fits_bonus=2.0)
    assert Candidate(hit, 1, 0.5, "q", weights=custom).score == pytest.approx(3.5)  # type: ignore[arg-type]


def test_confidence_combines_the_signals_with_the_weights() -> None:
    evidence = Evidence(coverage=0.8, agreement=1.0, dense_score=0.86, figure=1.0)
    assert evidence.confidence == round(0.55 * 0.8 + 0.2 * 1.0 + 0.25 * 0.5, 4)
    assert dataclasses.replace(evidence, figure=0.0).confidence == round((0.55 * 0.8 + 0.2 + 0.25 * 0.5) * 0.5, 4)
    assert Evidence(coverage=1.0, dense_score=0.99, uncovered=["上海"]).confidence == 0.0
    only_coverage = AnswerWeights(coverage_weight=1.0, agreement_weight=0.0, dense_weight=0.0)
    assert dataclasses.replace(evidence, weights=only_coverage).confidence == 0.8


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return Tokenizer()


def test_the_answerer_passes_its_weights_on(tokenizer: Tokenizer) -> None:
    weights = AnswerWeights(follow_up_stress=3.0, long_word_factor=1.0, quote_chars=10)
    answerer = ExtractiveAnswerer(tokenizer, weights=weights)
    assert answerer.with_policy(RefusalPolicy(min_confidence=0.5)).weights is weights
    terms = answerer.terms("龙岗区打算在哪些街道建捐血站 捐血站还要开展什么新业务?", emphasis="这些捐血站还要开展什么新业务?")
    assert {t.word: t.stress for t in terms}["业务"] == 3.0
    assert answerer._weight(Term("捐血站", ("捐血站",))) == 1.0  # long_word_factor 1: no bonus for length
    assert ExtractiveAnswerer(tokenizer)._weight(Term("捐血站", ("捐血站",))) == 1.5
    long = "全面推进卫生城镇创建,推进瑞金市、信丰县、上犹县等9个县、36个乡镇国家卫生城镇创建,加快推进宁都县创建省级卫生县城。"
    assert answerer.best_sentence(["卫生城镇"], long, "general") == long[:9] + "…"


RATE = r"%|‰|成|/10万|全覆盖|100%"
INFANT = [Term("婴儿死亡率", ("婴儿死亡率",))]


@pytest.mark.parametrize(
    ("weight", "terms", "sentence", "kind", "years", "units", "per_unit"),
    [
        ("long_word_factor", INFANT, "2022 年,婴儿死亡率降到7‰", "number", [2022], [RATE], 1.0),  # idf 1: the factor itself
        ("figure_bonus", INFANT, "2022 年,婴儿死亡率降到7‰", "number", [2022], [RATE], 1.0),
        ("unit_bonus", INFANT, "2022 年,婴儿死亡率降到7‰", "number", [2022], [RATE], 1.0),
        ("digit_bonus", INFANT, "2022 年,婴儿死亡率降到7‰", "number", [2022], [RATE], 1.0),
        ("year_fit", INFANT, "2022 年,婴儿死亡率降到7‰", "number", [2022], [RATE], 1.0),
        ("year_fit", INFANT, "2020 年,婴儿死亡率降到7.5‰", "number", [2022], [RATE], -1.0),
        ("place_bonus", [Term("卫生城镇", ("卫生城镇",))], "推进瑞金市、信丰县创建国家卫生城镇", "place", [], [], 1.0),
        ("qualifier_penalty", [Term("标准", ("标准",), qualifier="推荐")], "基本标准达标率达到100%", "number", [], [], -1.0),
    ],
)
def test_sentence_scoring_follows_its_weights(tokenizer, weight, terms, sentence, kind, years, units, per_unit) -> None:  # type: ignore[no-untyped-def]
    """Raising one weight by 1 moves the score of a sentence it applies to by ``per_unit`` (idf 1 for every word)."""
    default = ExtractiveAnswerer(tokenizer)
    raised = ExtractiveAnswerer(tokenizer, weights=dataclasses.replace(AnswerWeights(), **{weight: getattr(AnswerWeights(), weight) + 1}))
    args = (terms, sentence, kind, years, (2022,), units)
    assert raised._sentence_score(*args) - default._sentence_score(*args) == pytest.approx(per_unit)


def test_summary_length_comes_from_the_weights() -> None:
    sentences = [f"第{i}项措施是加强某某工作,并且要落实到位。" for i in range(1, 40)]
    assert len(summary_of(sentences)) == AnswerWeights().summary_chars
    assert len(summary_of(sentences, limit=100)) == 100
