"""The extractive answerer's weights and sizes, in one place. Pure data.

Neither the refusal thresholds (:class:`qa.answer.extractive.RefusalPolicy`, calibrated on the gold sets'
calibration splits and set from the settings) nor the weights that choose the quote (the fitted span model,
``qa/data/span_model.toml``) are here. These are the sizes of what is weighed and quoted and the weights of a
question's topic words; tests/test_answer_weights.py pins each one, so a change is deliberate.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AnswerWeights:
    """Weights (unitless scores unless noted) and sizes of the extractive answerer."""

    # -- candidate clauses
    candidates: int = 5  # clauses considered for a single-plan answer
    plan_parts: int = 5  # plans quoted at most in a cross-plan answer
    per_plan_hits: int = 20  # retrieved clauses weighed in a cross-plan answer (each plan's best come first)
    per_plan_depth: int = 40  # how deep a cross-plan question searches before each plan's best are put first
    per_plan_margin: float = 0.25  # a plan is quoted when its best span's probability is within this of the best plan's
    list_margin: float = 0.1  # a summary's second clause covers at most this much less than the first

    # -- topic words
    long_word_chars: int = 3  # a topic word this long (characters) or longer weighs more …
    long_word_factor: float = 1.5  # … by this factor (on top of its idf)
    follow_up_stress: float = 2.0  # factor of the words a follow-up's user typed this turn
    partial_word_chars: int = 4  # a word this long counts as found when both its halves are

    # -- quoting
    qualifier_penalty: float = 1.5  # times the idf of the asked qualifier a sentence lacks (推荐 of 推荐标准)

    # -- lengths of what is quoted (characters)
    quote_chars: int = 160  # an answering sentence
    summary_chars: int = 400  # a list question's summary of a clause
    summary_head_chars: int = 6  # letters a long clause's sentence head needs to stand for the sentence
    near_quote_chars: int = 60  # the near miss quoted in a refusal
    related_quote_chars: int = 80  # each clause listed as 可能相关 with a refusal
