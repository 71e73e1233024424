"""Which plans a question's places and years name: pure, table-driven on the sample plans' metadata."""

from __future__ import annotations

import pytest

from qa.search.scope import PlanInfo, find_places, infer_scope, named_years, place_core

PLANS = {
    p.doc_id: p
    for p in (
        PlanInfo("ganzhou-2023", "赣州市2023年卫生健康工作要点", "赣州市2023年卫生健康工作要点", "江西省赣州市", (2023,), ("江西", "赣州"), frozenset({2022, 2023, 2025})),
        PlanInfo("guizhou-2019-2022", "八大工程行动计划(2019—2022年)", "八大工程行动计划", "贵州省", (2019, 2020, 2021, 2022), ("贵州",), frozenset({2019, 2020, 2022})),
        PlanInfo("rencheng-2021", "任城区2021年度全区卫生健康工作要点", "任城区2021年度工作要点", "山东省济宁市任城区", (2021,), ("任城", "山东", "济宁"), frozenset({2021, 2022})),
        PlanInfo("taizhou-2023", "泰州市2023年全市卫生健康工作要点", "泰州市2023年卫生健康工作要点", "江苏省泰州市", (2023,), ("江苏", "泰州"), frozenset({2022, 2023})),
    )
}
IN_CORPUS = {"于都县", "南京医科大学"}


def mentioned(place: str) -> bool:
    return any(place in text for text in IN_CORPUS)


@pytest.mark.parametrize(
    ("place", "core"),
    [("赣州市", "赣州"), ("赣州", "赣州"), ("泰州", "泰州"), ("贵州省", "贵州"), ("任城区", "任城"), ("黔东南自治州", "黔东南"), ("市", "市")],
)
def test_place_core_keeps_zhou_names_whole(place: str, core: str) -> None:
    assert place_core(place) == core


@pytest.mark.parametrize(
    ("text", "years"),
    [("赣州2025年居民健康素养", [2025]), ("(2019—2022年)", [2019, 2022]), ("2020 年,孕产妇", [2020]), ("12020年", []), ("托位3.5个", [])],
)
def test_named_years(text: str, years: list[int]) -> None:
    assert named_years(text) == years


@pytest.mark.parametrize(
    ("question", "tagged", "docs", "uncovered"),
    [
        ("赣州市居民健康素养水平要提高到多少", ["赣州市"], {"ganzhou-2023"}, ()),
        # 州 is part of the name: 赣州 and 贵州 both named, not 赣 and 贵
        ("赣州和贵州分别把居民健康素养水平的目标定在多少", ["赣州", "贵州"], {"ganzhou-2023", "guizhou-2019-2022"}, ()),
        ("赣州和任城区对老年医学科分别提出了什么比例要求", ["赣州", "任城区"], {"ganzhou-2023", "rencheng-2021"}, ()),
        # a plan's place inside a longer word the tagger keeps whole
        ("对各市2022年健康泰州建设情况开展考核由哪个处室负责", [], {"taizhou-2023"}, ()),
        # a year the plan itself refers to keeps the plan; a year it never mentions is a near miss
        ("泰州2022年健康泰州建设情况", ["泰州"], {"taizhou-2023"}, ()),
        ("2024年泰州市计划投放多少台AED", ["泰州市", "台"], {"taizhou-2023"}, ("2024年",)),
        # a year alone narrows to the plans for it (2019—2022 covers 2021)
        ("2021年疫情防控有什么要求", [], {"rencheng-2021", "guizhou-2019-2022"}, ()),
        ("南京市2023年新增多少托位", ["南京市"], {"ganzhou-2023", "taizhou-2023"}, ("南京市",)),
        ("于都县有什么安排", ["于都县"], set(), ()),  # named inside the Ganzhou plan: not a near miss
        ("新东西有人教吗", ["东西"], set(), ()),  # 东西 is not a place
        ("全国托育服务", ["全国"], set(), ()),
    ],
)
def test_infer_scope(question: str, tagged: list[str], docs: set[str], uncovered: tuple[str, ...]) -> None:
    scope = infer_scope(question, tagged, PLANS, mentioned)
    assert (set(scope.doc_ids), scope.uncovered) == (docs, uncovered)


def test_find_places_adds_plan_places_inside_words_once() -> None:
    assert find_places("健康泰州建设与泰州市", ["泰州市"], PLANS) == ["泰州市"]
    assert find_places("健康泰州建设", [], PLANS) == ["泰州"]
