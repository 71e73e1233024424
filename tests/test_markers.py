"""qa.ingest.markers: reading the numbering marker that opens a line (no sequence check), and the numbers in it."""

from __future__ import annotations

import pytest

from qa.ingest.markers import read_marker
from qa.text import chinese_number

# ------------------------------------------------------------------------------------------ markers


@pytest.mark.parametrize(
    ("text", "style", "number", "label"),
    [
        ("一、目标任务", "cn_dun", 1, "一、"),
        ("十、持之以恒推進全面從嚴治黨", "cn_dun", 10, "十、"),
        ("(十一)加强基层人才培训培养。", "cn_paren", 11, "(十一)"),
        ("(三十九)堅持不懈推進黨風廉政建設", "cn_paren", 39, "(三十九)"),
        ("(一) 医疗服务更加可及。", "cn_paren", 1, "(一)"),
        ("（二）推进社康机构扩容提质。", "cn_paren", 2, "（二）"),
        ("1.全面推进健康促进行动。", "num_dot", 1, "1."),
        ("38.统筹做好各项保障工作。", "num_dot", 38, "38."),
        ("84.全面壓實黨委(黨組)管黨治黨主體責任", "num_dot", 84, "84."),
        ("3．加强药政工作。", "num_dot", 3, "3．"),
        ("2.2023年底前完成医共体建设。", "num_dot", 2, "2."),  # a year, not the decimal 2.2023
        ("(1)推进胸痛中心建设", "num_paren", 1, "(1)"),
        ("①健康知识普及行动。", "circled", 1, "①"),
        ("⑫第十二项。", "circled", 12, "⑫"),
        ("第一章 总则", "chapter", 1, "第一章"),
        ("第十二条 本办法自2024年1月1日起施行。", "article", 12, "第十二条"),
        ("第二节 监督检查", "section", 2, "第二节"),
        ("——乡村能力提升工程。按照“乡要活、村要稳”的要求", "dash", 0, "——乡村能力提升工程"),
    ],
)
def test_read_marker(text: str, style: str, number: int, label: str) -> None:
    marker = read_marker(text)
    assert marker is not None
    assert (marker.style, marker.number, marker.label) == (style, number, label)
    assert text.endswith(marker.rest)


@pytest.mark.parametrize(
    "text",
    [
        "2020 年,法定传染病总发病率控制",
        "2020年,探索建成贵州省互联网医院。",
        "103.26/10 万以内;登记在册的严重精神障碍患者管理率达80%以上。",
        "7.2 张,每千人口执业(助理)医师数达到3.4 人。",
        "79.5 岁,孕产妇死亡率、婴儿死亡率持续下降。",
        "2.2023 万人次。",
        "(州)级老龄健康疗养中心建设全覆盖。",
        "按照第三条规定的程序处理。",
        "3月底前,区疾控中心要完成建设规划编制。",
        "一,二级医院",
        "3.",
        "(二)",
        "30%以上。2019 年,建立贵州省慢性病健康管理中心",
        "三级创建提升工程。不断提升三级医院服务能力与水平",  # a dashless heading only counts when asked for
    ],
)
def test_not_a_marker(text: str) -> None:
    assert read_marker(text) is None


def test_dashless_heading_is_read_when_the_plan_uses_dash_headings() -> None:
    marker = read_marker("三级创建提升工程。不断提升三级医院服务能力与水平", dashless_headings=True)
    assert marker is not None and (marker.style, marker.label) == ("dash", "——三级创建提升工程")
    assert read_marker("加强组织领导,压实工作责任。", dashless_headings=True) is None


@pytest.mark.parametrize(
    ("token", "value"),
    [("一", 1), ("十", 10), ("十一", 11), ("二十", 20), ("二十一", 21), ("三十九", 39), ("五十", 50), ("一百零三", 103),
     ("两", 2), ("12", 12), ("③", 3), ("⑳", 20)],
)
def test_chinese_number(token: str, value: int) -> None:
    assert chinese_number(token) == value
