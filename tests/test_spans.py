"""Candidate spans, their signals' model and its fit (qa/answer/spans.py, eval/fit.py): pure, table-driven on real text."""

from __future__ import annotations

import numpy as np
import pytest

from eval.fit import fit_logistic, fit_rows, model_toml
from qa.answer.spans import FEATURES, SpanModel, bigram_share, bigrams, clause_body, fitted_model, spans_of

GUIZHOU = "(三)诊疗技术更加先进。2020 年,孕产妇死亡率降到20/10 万。2022 年,婴儿死亡率降到7‰。"
LAW = "第四十五条  发现乙类传染病患者、疑似患者，应当于二十四小时内进行网络直报。"
ROW = "领域：合理膳食行动；序号：19；指标：每万人营养指导员（名）；2030年目标值：1；指标性质：预期性"


@pytest.mark.parametrize(
    ("text", "body"),
    [
        (GUIZHOU, "诊疗技术更加先进。2020 年,孕产妇死亡率降到20/10 万。2022 年,婴儿死亡率降到7‰。"),
        (LAW, "发现乙类传染病患者、疑似患者，应当于二十四小时内进行网络直报。"),
        ("3.加强督导（责任处室：疾控处）。每年至少一次。", "加强督导。每年至少一次。"),
        ("第一千二百六十条 附则。", "附则。"),
    ],
)
def test_clause_body_drops_the_number_and_the_office_note(text: str, body: str) -> None:
    assert clause_body(text) == body


def test_spans_are_sentences_and_adjacent_pairs() -> None:
    texts = [s.text for s in spans_of(GUIZHOU, 1, 160)]
    assert texts == [
        "诊疗技术更加先进。", "诊疗技术更加先进。2020 年,孕产妇死亡率降到20/10 万。",
        "2020 年,孕产妇死亡率降到20/10 万。", "2020 年,孕产妇死亡率降到20/10 万。2022 年,婴儿死亡率降到7‰。",
        "2022 年,婴儿死亡率降到7‰。",
    ]
    assert {s.rank for s in spans_of(GUIZHOU, 3, 160)} == {3}


def test_a_long_sentence_gives_runs_of_segments_within_the_limit() -> None:
    spans = spans_of(LAW, 1, 20)
    assert all(len(s.text) <= 20 for s in spans)
    assert any("二十四小时内" in s.text for s in spans)


def test_a_table_row_gives_runs_of_cells() -> None:
    texts = [s.text for s in spans_of(ROW, 1, 40, row=True)]
    assert any("指标：每万人营养指导员（名）；2030年目标值：1" in t for t in texts)  # the indicator with its value, not cut at ；
    assert all(len(t) <= 40 for t in texts)


def test_bigram_share_counts_shared_chinese_bigrams_only() -> None:
    question = bigrams("看病记录会被卖吗")
    assert bigram_share(question, "个人健康信息和病历记录不得出售") == pytest.approx(1 / len(question))  # 记录
    assert bigram_share(frozenset(), "任何文字") == 0.0
    assert bigrams("AED 50台") == frozenset()


def test_the_model_is_a_logistic_over_named_features() -> None:
    model = SpanModel({"bias": -1.0, "topic": 2.0})
    assert model.probability({"bias": 1.0, "topic": 0.5}) == pytest.approx(0.5)
    assert model.probability({"bias": 1.0, "topic": 1.0}) > model.probability({"bias": 1.0, "topic": 0.0})
    with pytest.raises(ValueError, match="unknown features"):
        SpanModel.from_toml("[weights]\nbias = 1.0\nfavourite_question = 3.0\n")


def test_the_shipped_model_was_fitted_on_calibration_splits_only() -> None:
    model = fitted_model()
    assert set(model.weights) == set(FEATURES)
    assert "calib" in model.fitted_on and "dev" in model.fitted_on
    assert "test" not in model.fitted_on and "sealed" not in model.fitted_on


def test_fit_recovers_the_sign_and_order_of_known_weights() -> None:
    rng = np.random.default_rng(7)
    x = np.column_stack([np.ones(2000), rng.random(2000), rng.random(2000), rng.random(2000)])
    true = np.array([-1.0, 4.0, -3.0, 0.0])
    y = (rng.random(2000) < 1 / (1 + np.exp(-(x @ true)))).astype(float)
    w = fit_logistic(x, y, l2=0.1)
    assert w[1] > 2.5 and w[2] < -1.5 and abs(w[3]) < 0.6


def test_fit_rows_reports_how_often_the_top_span_is_right_and_writes_every_feature() -> None:
    right, wrong = [1.0] + [0.9] * (len(FEATURES) - 1), [1.0] + [0.1] * (len(FEATURES) - 1)
    groups = [[(right, 1), (wrong, 0)] for _ in range(20)] + [[(wrong, 0)] for _ in range(5)]
    weights, stats = fit_rows(groups)
    assert stats["items"] == 25 and stats["answerable_with_a_right_span"] == 20 and stats["top_span_right"] == 20
    assert SpanModel.from_toml(model_toml(weights, "sample calib (1)", stats)).weights.keys() == set(FEATURES)
