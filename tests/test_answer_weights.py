"""The extractive answerer's weights (qa/answer/weights.py): each pinned to its value, so a change to one fails
here and is made on purpose (with the eval rerun), and each wired into the answerer, not shadowed by a literal."""

from __future__ import annotations

import dataclasses

import pytest

from qa.answer.extractive import Evidence, ExtractiveAnswerer, RefusalPolicy
from qa.answer.question import Term
from qa.answer.spans import summary_of
from qa.answer.weights import AnswerWeights
from qa.search.lexical import Tokenizer

PINNED = {
    "candidates": 5,
    "plan_parts": 5,
    "per_plan_hits": 20,
    "per_plan_depth": 40,
    "per_plan_margin": 0.25,
    "list_margin": 0.1,
    "long_word_chars": 3,
    "long_word_factor": 1.5,
    "follow_up_stress": 2.0,
    "partial_word_chars": 4,
    "qualifier_penalty": 1.5,
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
        AnswerWeights().candidates = 1  # type: ignore[misc]


def test_confidence_is_the_span_probability_unless_the_question_is_off_scope() -> None:
    assert Evidence(coverage=0.8, probability=0.73456).confidence == 0.7346
    assert Evidence(coverage=1.0, probability=0.99, uncovered=["上海"]).confidence == 0.0


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return Tokenizer()


def test_the_answerer_passes_its_weights_on(tokenizer: Tokenizer) -> None:
    weights = AnswerWeights(follow_up_stress=3.0, long_word_factor=1.0, summary_chars=10)
    answerer = ExtractiveAnswerer(tokenizer, weights=weights)
    assert answerer.with_policy(RefusalPolicy(min_confidence=0.5)).weights is weights
    terms = answerer.terms("龙岗区打算在哪些街道建捐血站 捐血站还要开展什么新业务?", emphasis="这些捐血站还要开展什么新业务?")
    assert {t.word: t.stress for t in terms}["业务"] == 3.0
    assert answerer._weight(Term("捐血站", ("捐血站",))) == 1.0  # long_word_factor 1: no bonus for length
    assert ExtractiveAnswerer(tokenizer)._weight(Term("捐血站", ("捐血站",))) == 1.5
    long = "全面推进卫生城镇创建,推进瑞金市、信丰县、上犹县等9个县、36个乡镇国家卫生城镇创建,加快推进宁都县创建省级卫生县城。"
    assert answerer.summary(long) == "全面推进卫生城镇创建"  # each sentence by its head, within summary_chars


@pytest.mark.parametrize(
    ("terms", "sentence", "topic"),
    [
        ([Term("婴儿死亡率", ("婴儿死亡率",))], "2022 年,婴儿死亡率降到7‰", 1.5),  # idf 1 × long_word_factor
        ([Term("标准", ("标准",), qualifier="推荐")], "基本标准达标率达到100%", 1.0 - 1.5),  # qualifier_penalty × idf of 推荐
        ([Term("标准", ("标准",), qualifier="推荐"), Term("推荐", ("推荐",))], "推荐标准达标率达到90%", 2.0),
    ],
)
def test_topic_score_follows_its_weights(tokenizer, terms, sentence, topic) -> None:  # type: ignore[no-untyped-def]
    assert ExtractiveAnswerer(tokenizer)._topic_score(terms, sentence) == pytest.approx(topic)


def test_summary_length_comes_from_the_weights() -> None:
    sentences = [f"第{i}项措施是加强某某工作,并且要落实到位。" for i in range(1, 40)]
    assert len(summary_of(sentences)) == AnswerWeights().summary_chars
    assert len(summary_of(sentences, limit=100)) == 100
