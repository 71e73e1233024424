"""The extractive answerer's weights and sizes, in one place. Pure data.

The refusal thresholds are not here: :class:`qa.answer.extractive.RefusalPolicy` holds them, calibrated on the
eval set and set from the settings. These are the weights that rank candidate clauses and sentences and that
combine the evidence into a confidence; tests/test_answer_weights.py pins each one, so a change is deliberate.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AnswerWeights:
    """Weights (unitless scores unless noted) and sizes of the extractive answerer."""

    # -- candidate clauses
    rank_prior: tuple[float, ...] = (0.15, 0.07, 0.03)  # head start of fused ranks 1, 2, 3: retrieval already weighed the whole question
    fits_bonus: float = 0.3  # added to a clause that gives what the question's kind needs (a figure, an office…)
    candidates: int = 5  # clauses considered for a single-plan answer
    plan_parts: int = 5  # plans quoted at most in a cross-plan answer
    per_plan_hits: int = 10  # retrieved clauses weighed in a cross-plan answer
    per_plan_margin: float = 0.25  # a plan is quoted when its coverage is within this of the best plan's
    list_margin: float = 0.1  # a summary's second clause covers at most this much less than the first

    # -- topic words
    long_word_chars: int = 3  # a topic word this long (characters) or longer weighs more …
    long_word_factor: float = 1.5  # … by this factor (on top of its idf)
    follow_up_stress: float = 2.0  # factor of the words a follow-up's user typed this turn
    partial_word_chars: int = 4  # a word this long counts as found when both its halves are

    # -- sentence scoring
    qualifier_penalty: float = 1.5  # times the idf of the asked qualifier a sentence lacks (推荐 of 推荐标准)
    figure_bonus: float = 2.5  # a sentence stating a figure, for a figure or target question
    unit_bonus: float = 1.5  # … in the unit asked
    digit_bonus: float = 0.5  # … in digits (a stated figure says more than 全覆盖)
    year_fit: float = 2.0  # added when the figure is for the year asked, subtracted when it is not
    place_bonus: float = 1.5  # a sentence naming a place, for a place question
    heading_chars: int = 16  # a best sentence this short is a heading: the next sentence is quoted with it

    # -- evidence and confidence
    agreement_rank: int = 5  # both legs rank the clause this high or better: full agreement …
    partial_agreement: float = 0.5  # … else both legs found it at all
    dense_hits: int = 3  # top hits whose best cosine counts as the dense score
    dense_floor: float = 0.80  # cosine at which the dense signal starts …
    dense_span: float = 0.12  # … and the span over which it rises to 1
    coverage_weight: float = 0.55  # confidence = coverage, agreement and dense signal, weighted …
    agreement_weight: float = 0.2
    dense_weight: float = 0.25
    misfit_factor: float = 0.5  # … times this when the best clause lacks what the kind needs (1 when it fits)

    # -- lengths of what is quoted (characters)
    quote_chars: int = 160  # an answering sentence
    summary_chars: int = 400  # a list question's summary of a clause
    summary_head_chars: int = 6  # letters a long clause's sentence head needs to stand for the sentence
    near_quote_chars: int = 60  # the near miss quoted in a refusal
    related_quote_chars: int = 80  # each clause listed as 可能相关 with a refusal

    def prior(self, rank: int) -> float:
        """The head start of the clause at fused ``rank`` (1 = best; 0 beyond the listed ranks)."""
        return self.rank_prior[rank - 1] if 1 <= rank <= len(self.rank_prior) else 0.0
