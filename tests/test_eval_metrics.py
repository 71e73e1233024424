"""The eval's pure metrics, table-driven, and the gold set's grounding check (fast: parses the plans, no store)."""

from __future__ import annotations

import pytest

from eval.check_gold import CATEGORIES, GoldItem, check, load_gold, load_plans, split_of
from eval.metrics import (
    AnswerOutcome,
    ItemOutcome,
    answer_correct,
    answer_summary,
    citation_scores,
    first_hit_rank,
    lookup,
    percentile,
    retrieval_summary,
    score_answer,
    summarize,
    threshold_failures,
)

GANZHOU = "1.深入推进健康赣州行动。居民健康素养水平提高至26%以上。"
TAIZHOU_TRAD = "55.完善托育服務體系。力爭全市每千人口擁有3歲以下嬰幼兒托位數達3.5個。(責任處室:人口家庭處)"
TAIZHOU_PINYIN = "力爭全市每千人口擁有3歲以下嬰(yīng)幼兒托位數達 3.5 個"
OTHER = "加强公共场所AED配置,投放AED50台。"


@pytest.mark.parametrize(
    ("texts", "evidence", "rank"),
    [
        ([GANZHOU, OTHER], ["居民健康素养水平提高至26%以上"], 1),
        ([OTHER, GANZHOU], ["居民健康素养水平提高至26%以上"], 2),
        ([OTHER], ["居民健康素养水平提高至26%以上"], 0),
        # simplified evidence in a traditional clause, with spaced digits and a pinyin gloss
        ([OTHER, TAIZHOU_PINYIN], ["3岁以下婴幼儿托位数达3.5个"], 2),
        # full-width digits and percent in the clause
        (["居民健康素养水平提高至２６％以上"], ["居民健康素养水平提高至26%以上"], 1),
        # cross-document: evidence of any gold doc counts
        ([OTHER, TAIZHOU_TRAD, GANZHOU], ["居民健康素养水平提高至26%以上", "3岁以下婴幼儿托位数达3.5个"], 2),
        ([GANZHOU], [], 0),  # unanswerable: nothing to find
        ([], ["投放AED50台"], 0),
    ],
)
def test_first_hit_rank(texts, evidence, rank):
    assert first_hit_rank(texts, evidence) == rank


@pytest.mark.parametrize(
    ("ranks", "expected"),
    [
        ([1, 2, 0, 5], {"n": 4, "hit@1": 0.25, "hit@3": 0.5, "hit@5": 0.75, "hit@10": 0.75, "mrr": round((1 + 0.5 + 0.2) / 4, 4)}),
        ([10, 11, 0], {"n": 3, "hit@1": 0.0, "hit@3": 0.0, "hit@5": 0.0, "hit@10": round(1 / 3, 4), "mrr": round((0.1 + 1 / 11) / 3, 4)}),
        ([], {"n": 0, "hit@1": None, "hit@3": None, "hit@5": None, "hit@10": None, "mrr": None}),
    ],
)
def test_retrieval_summary(ranks, expected):
    assert retrieval_summary(ranks) == expected


@pytest.mark.parametrize(
    ("text", "keywords", "refused", "correct"),
    [
        ("居民健康素养水平提高至26%以上[1]", ["26%"], False, True),
        ("居民健康素养水平提高至２６％以上[1]", ["26%"], False, True),  # full width in the answer
        ("力爭每千人口擁有托位數達3.5個[1]", ["3.5个"], False, True),  # traditional answer, simplified keyword
        ("年内新增托位数8000个[1]", ["8000", "70%"], False, False),  # every keyword is needed
        ("所检索的规划文件中没有找到……以下条款可能相关：《赣州市2023年卫生健康工作要点》", ["赣州"], True, False),  # a refusal is never correct
        ("任何文字", [], False, False),  # no keywords: cannot be judged correct
    ],
)
def test_answer_correct(text, keywords, refused, correct):
    assert answer_correct(text, keywords, refused) is correct


@pytest.mark.parametrize(
    ("cited", "evidence", "docs", "precision", "recall"),
    [
        ([("ganzhou-2023", GANZHOU)], ["健康素养水平提高至26%"], ["ganzhou-2023"], 1.0, 1.0),
        ([("ganzhou-2023", GANZHOU), ("taizhou-2023", OTHER)], ["健康素养水平提高至26%"], ["ganzhou-2023"], 0.5, 1.0),
        # cross-document: one of two gold plans covered
        ([("ganzhou-2023", GANZHOU)], ["健康素养水平提高至26%", "托位数达3.5个"], ["ganzhou-2023", "taizhou-2023"], 1.0, 0.5),
        ([("ganzhou-2023", GANZHOU), ("taizhou-2023", TAIZHOU_TRAD)], ["健康素养水平提高至26%", "托位数达3.5个"], ["ganzhou-2023", "taizhou-2023"], 1.0, 1.0),
        # evidence found in a plan that is not a gold doc does not cover a gold doc
        ([("longgang-2023", GANZHOU)], ["健康素养水平提高至26%"], ["ganzhou-2023"], 1.0, 0.0),
        ([], ["健康素养水平提高至26%"], ["ganzhou-2023"], None, 0.0),  # nothing cited
    ],
)
def test_citation_scores(cited, evidence, docs, precision, recall):
    score = citation_scores(cited, evidence, docs)
    assert (score.precision, score.recall) == (precision, recall)


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [([10.0], 50, 10.0), ([1.0, 2.0, 3.0, 4.0], 50, 2.5), ([1.0, 2.0, 3.0, 4.0], 95, 3.85), ([5.0, 1.0, 3.0], 0, 1.0), ([], 50, None)],
)
def test_percentile_matches_numpy_linear(values, q, expected):
    result = percentile(values, q)
    assert result == pytest.approx(expected) if expected is not None else result is None


def test_answer_summary_counts_refusals_on_the_right_items():
    outcomes = [
        (True, AnswerOutcome(refused=False, correct=True, precision=1.0, recall=1.0, latency_ms=10)),
        (True, AnswerOutcome(refused=False, correct=False, precision=0.5, recall=0.5, latency_ms=20)),
        (True, AnswerOutcome(refused=True, latency_ms=30)),
        (False, AnswerOutcome(refused=True, latency_ms=40)),
        (False, AnswerOutcome(refused=False, latency_ms=50)),
    ]
    s = answer_summary(outcomes)
    assert (s["n_answerable"], s["n_unanswerable"]) == (3, 2)
    assert s["accuracy"] == round(1 / 3, 4)
    assert s["citation_precision"] == 0.75  # the refusal cited nothing and is left out of precision
    assert s["citation_recall"] == 0.5  # but counts 0 for recall
    assert s["unanswerable_refused"] == 0.5
    assert s["answerable_refused"] == round(1 / 3, 4)
    assert (s["latency_p50_ms"], s["latency_p95_ms"]) == (30.0, 48.0)


def test_score_answer_ignores_keywords_on_unanswerable_items():
    assert score_answer("任何", True, [], False, [], [], [], 5.0) == AnswerOutcome(refused=True, latency_ms=5.0)
    out = score_answer("居民健康素养水平提高至26%以上[1]", False, [("ganzhou-2023", GANZHOU)], True, ["26%以上"], ["ganzhou-2023"], ["26%"], 7.0)
    assert (out.correct, out.precision, out.recall) == (True, 1.0, 1.0)


def test_summarize_overall_and_per_category():
    outcomes = [
        ItemOutcome("a", "number", True, {"hybrid": 1, "naive": 0}, {"hybrid": 5.0, "naive": 3.0}, {"extractive": AnswerOutcome(False, True, 1.0, 1.0, 9)}),
        ItemOutcome("b", "number", True, {"hybrid": 3, "naive": 2}, {"hybrid": 7.0, "naive": 4.0}, {"extractive": AnswerOutcome(True, latency_ms=11)}),
        ItemOutcome("c", "unanswerable", False, {"hybrid": 0, "naive": 0}, {"hybrid": 6.0, "naive": 5.0}, {"extractive": AnswerOutcome(True, latency_ms=10)}),
    ]
    s = summarize(outcomes)
    assert s["overall"]["n"] == 3 and s["overall"]["n_answerable"] == 2
    assert s["overall"]["retrieval"]["hybrid"]["n"] == 2  # unanswerable items do not count for retrieval
    assert s["overall"]["retrieval"]["hybrid"]["hit@1"] == 0.5 and s["overall"]["retrieval"]["naive"]["hit@3"] == 0.5
    assert s["overall"]["retrieval"]["hybrid"]["latency_p50_ms"] == 6.0
    assert s["categories"]["number"]["answer"]["extractive"]["accuracy"] == 0.5
    assert s["categories"]["unanswerable"]["answer"]["extractive"]["unanswerable_refused"] == 1.0
    assert s["categories"]["unanswerable"]["retrieval"]["hybrid"]["hit@5"] is None
    assert lookup(s["overall"], "retrieval.hybrid.mrr") == round((1 + 1 / 3) / 2, 4)
    assert lookup(s["overall"], "retrieval.dense.mrr") is None


@pytest.mark.parametrize(
    ("minimum", "maximum", "failed"),
    [
        ({"retrieval.hybrid.hit@5": 0.9}, {}, []),
        ({"retrieval.hybrid.hit@5": 0.95}, {}, ["retrieval.hybrid.hit@5"]),
        ({}, {"answer.extractive.answerable_refused": 0.05}, ["answer.extractive.answerable_refused"]),
        ({}, {"answer.extractive.answerable_refused": 0.2}, []),
        ({"answer.llm.accuracy": 0.5}, {}, ["answer.llm.accuracy"]),  # a metric that was not measured fails
    ],
)
def test_threshold_failures_name_each_metric(minimum, maximum, failed):
    summary = {"retrieval": {"hybrid": {"hit@5": 0.92}}, "answer": {"extractive": {"answerable_refused": 0.1}}}
    failures = threshold_failures(summary, minimum, maximum)
    assert [f.split(" ")[0].rstrip(":") for f in failures] == failed


def test_split_is_deterministic_and_about_forty_percent_calib():
    items = load_gold()
    assert [split_of(i.id) for i in items] == [split_of(i.id) for i in items]
    calib = sum(1 for i in items if i.split == "calib")
    assert 0.3 < calib / len(items) < 0.5
    # both splits hold unanswerable items, so refusals can be calibrated and reported
    assert {i.split for i in items if not i.answerable} == {"calib", "test"}


@pytest.fixture(scope="module")
def plans():
    return load_plans()


def test_gold_set_is_grounded_in_the_plans(plans):
    """The acceptance check of eval/gold.jsonl: `python -m eval check-gold` must pass."""
    items = load_gold()
    assert len(items) >= 160
    assert {i.category for i in items} <= set(CATEGORIES)
    assert check(items, plans) == []


def _item(**fields):
    base = {
        "id": "x-1", "question": "赣州市居民健康素养水平要提高到多少?", "category": "number", "docs": ("ganzhou-2023",),
        "paths": ("一、/1.",), "evidence": ("居民健康素养水平提高至26%以上",), "answer": "26%以上", "keywords": ("26%",), "line": 1,
    }
    return GoldItem(**{**base, **fields})


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({}, None),
        ({"evidence": ("居民健康素养水平提高至30%以上",)}, "is not in the text of gold clause"),
        ({"paths": ("一、/99.",)}, "is no clause of"),
        ({"keywords": ("火星",)}, "does not occur in"),
        ({"category": "trivia"}, "unknown category"),
        ({"docs": ("nowhere-2020",)}, "unknown doc"),
        ({"category": "unanswerable"}, "an unanswerable item has empty"),
        ({"turns": ("第一问?", "另一个问题?")}, "the last of turns"),
        ({"docs": ("ganzhou-2023", "taizhou-2023")}, "gold doc taizhou-2023 holds none of the evidence"),
    ],
)
def test_check_reports_each_kind_of_problem(plans, fields, problem):
    failures = check([_item(**fields)], plans)
    if problem is None:
        assert failures == []
    else:
        assert any(problem in f for f in failures), failures


def test_check_reports_duplicate_ids(plans):
    failures = check([_item(), _item(line=2)], plans)
    assert failures == ["x-1 (line 2): duplicate id (first on line 1)"]


def test_settings_carry_the_calibrated_refusal_thresholds():
    """The app, the CLI and the eval run with the settings' thresholds; `eval calibrate` chose them on the calib
    split. When a recalibration changes them, the settings' defaults must follow (and the reverse)."""
    from eval.calibrate import CALIBRATION_PATH, read_calibration
    from qa.settings import Settings

    confidence, near_miss, calib = read_calibration(CALIBRATION_PATH)
    defaults = Settings()
    assert (defaults.refusal_min_confidence, defaults.refusal_min_confidence_near_miss) == (confidence, near_miss)
    assert calib["items"] > 0 and calib["unanswerable"] > 0

