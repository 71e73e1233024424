"""Which plans a question's places and years name: pure, table-driven on the sample plans' metadata."""

from __future__ import annotations

import pytest

from qa.search.scope import PlanInfo, find_places, impossible_years, infer_scope, named_years, place_core, suffixed_names

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


HAINAN = {
    p.doc_id: p
    for p in (
        PlanInfo("hainan-policy", "海南省将健康融入所有政策实施方案", "实施方案", "海南省", (2024,), ("海南",)),
        PlanInfo("hainan-child", "海南省儿童健康促进专项行动计划", "儿童健康促进", "海南省", (2024, 2030), ("海南",)),
        PlanInfo("xilingol", "锡林郭勒盟健康行动", "锡林郭勒盟健康行动", "内蒙古自治区锡林郭勒盟", (2024,), ("内蒙古", "锡林郭勒")),
        PlanInfo("qiandongnan", "黔东南苗族侗族自治州健康规划", "黔东南健康规划", "贵州省黔东南苗族侗族自治州", (2024,), ("贵州", "黔东南苗族侗族")),
    )
}


@pytest.mark.parametrize(
    ("question", "tagged", "apart"),
    [
        # one place naming several plans of its region is one scope, answered from the best clause …
        ("海南开发体重管理应用程序这件事由哪个部门牵头", ["海南"], False),
        # … two places naming different plans are answered one part per plan
        ("海南和锡林郭勒盟分别提出了什么目标", ["海南", "锡林郭勒盟"], True),
        ("2024年有什么安排", [], False),  # a year narrowing to several plans names none apart
    ],
)
def test_plans_are_named_apart_only_by_different_places(question: str, tagged: list[str], apart: bool) -> None:
    assert infer_scope(question, tagged, HAINAN).apart is apart


@pytest.mark.parametrize(
    ("question", "tagged", "docs"),
    [("锡林郭勒盟的健康行动有什么目标", ["锡林郭勒盟"], {"xilingol"}), ("锡林郭勒有什么目标", ["锡林郭勒"], {"xilingol"})],
)
def test_meng_names_match_with_or_without_their_suffix(question: str, tagged: list[str], docs: set[str]) -> None:
    scope = infer_scope(question, tagged, HAINAN)
    assert (set(scope.doc_ids), scope.uncovered) == (docs, ())


@pytest.mark.parametrize(("question", "uncovered"), [("赣州9999年居民健康素养水平", ("9999年",)), ("赣州1000年", ("1000年",)), ("赣州2023年", ())])
def test_impossible_years_are_out_of_scope(question: str, uncovered: tuple[str, ...]) -> None:
    assert impossible_years(question) == list(uncovered)
    assert infer_scope(question, ["赣州"], PLANS).uncovered == uncovered


@pytest.mark.parametrize(
    ("tagged", "names"),
    [
        ([("火星", "n"), ("市", "n"), ("的", "uj"), ("居民", "n")], ["火星市"]),
        ([("亚特兰蒂斯", "nrt"), ("市", "n"), ("2023", "m")], ["亚特兰蒂斯市"]),
        ([("乌托邦", "nr"), ("县", "zg"), ("卫生", "an")], ["乌托邦县"]),
        ([("蓝星", "nr"), ("省", "n")], ["蓝星省"]),
        ([("样板", "n"), ("县", "n")], ["样板县"]),  # a plan's term: not uncovered while a clause says it
        ([("城市", "ns")], []), ([("地级市", "n")], []), ([("示范县", "n")], []),  # words jieba knows whole
        ([("赣州市", "ns"), ("于都县", "ns")], []),  # places the tagger knows come from its ns tags
        ([("各", "r"), ("市", "n")], []), ([("全国", "n"), ("省", "n")], []), ([("新", "a"), ("县", "n")], []),
    ],
)
def test_suffixed_names(tagged: list[tuple[str, str]], names: list[str]) -> None:
    assert suffixed_names(tagged) == names


@pytest.mark.parametrize(
    ("question", "names", "uncovered"),
    [
        ("火星市2023年居民健康素养水平目标是多少?", ["火星市"], ("火星市",)),
        ("火星市和赣州市分别要提高到多少?", ["火星市", "赣州市"], ("火星市",)),
        ("哪些县要打造样板县?", ["样板县"], ()),
    ],
)
def test_an_invented_place_is_out_of_scope(question: str, names: list[str], uncovered: tuple[str, ...]) -> None:
    corpus = {"打造健康赣州建设样板县"}
    assert infer_scope(question, names, PLANS, lambda place: any(place in t for t in corpus)).uncovered == uncovered
