"""The grounding check on every answer: unsupported numbers, citations and quotes are removed and reported."""

import pytest

from qa.answer.answers import check_grounding

CLAUSE_1 = "赣州市2023年卫生健康工作要点 一、1. 1.全面推进健康促进行动。居民健康素养水平提高至26%以上。扩大学校减盐健康教育试点覆盖面至9个县(市、区)100所学校。"
CLAUSE_2 = "泰州市2023年卫生健康工作要点 四、(十五)35. 35.提升家庭醫生簽約服務質效,重點人群簽約率達到68%以上。(責任處室:基層處)"
SOURCES = {1: CLAUSE_1, 2: CLAUSE_2}


@pytest.mark.parametrize(
    ("answer", "kept", "markers", "dropped_fragment"),
    [
        ("居民健康素养水平提高至26%以上[1]。", "居民健康素养水平提高至26%以上[1]。", [1], None),
        ("居民健康素养水平提高至30%以上[1]。", "", [], "30"),  # a wrong number
        ("重点人群签约率达到68%以上[1]。", "", [], "68"),  # right number, wrong clause cited
        ("重点人群签约率达到68%以上[2]。", "重点人群签约率达到68%以上[2]。", [2], None),  # simplified quote of a traditional clause
        ("新增托位8000个[7]。", "", [], "[7]"),  # a citation to a clause that was not retrieved
        ("赣州提出“打造全国健康示范城市”[1]。", "", [], "打造全国健康示范城市"),  # a quote not in the clause
        ("赣州提出“全面推进健康促进行动”[1]。", "赣州提出“全面推进健康促进行动”[1]。", [1], None),
        ("学校减盐试点覆盖9个县[1]。签约率达到68%以上[2]。", "学校减盐试点覆盖9个县[1]。签约率达到68%以上[2]。", [1, 2], None),
        ("学校减盐试点覆盖9个县[1]。签约率达到99%[2]。", "学校减盐试点覆盖9个县[1]。", [1], "99"),
    ],
)
def test_grounding_keeps_supported_sentences_only(answer, kept, markers, dropped_fragment):
    grounded = check_grounding(answer, SOURCES)
    assert grounded.text == kept
    assert grounded.markers == markers
    if dropped_fragment is None:
        assert grounded.dropped == []
    else:
        assert len(grounded.dropped) == 1 and dropped_fragment in grounded.dropped[0]


def test_numbers_named_in_the_question_are_not_inventions():
    grounded = check_grounding("2023年居民健康素养水平提高至26%以上[1]。", {1: "居民健康素养水平提高至26%以上。"}, context="赣州2023年的目标?")
    assert grounded.dropped == []
