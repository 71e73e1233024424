"""Figures in every form plans write them (qa/answer/figures.py and qa/data/figures.toml): one table-driven test
per group of the table (Chinese numerals, each figure form, any figure), on real clause wordings."""

from __future__ import annotations

import pytest

from qa.answer.figures import _table, form_pattern, forms, has_figure, read_numerals, states_digits

# ------------------------------------------------------------------------------------- Chinese numerals


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("居民健康素养水平提高到百分之二十六", "居民健康素养水平提高到26%"),  # a share
        ("百分之九十至九十五", "90%至95%"),  # a range of shares
        ("婴儿死亡率控制在千分之五以下", "婴儿死亡率控制在5‰以下"),
        ("三分之一的县", "33.33%的县"),  # a fraction reads as its share
        ("建成两个中心", "建成2个中心"),  # a numeral before a classifier
        ("可以并处二万元以下罚款", "可以并处20000元以下罚款"),  # an amount
        ("并处五万元以上五十万元以下罚款", "并处50000元以上500000元以下罚款"),
        ("新生儿疾病筛查率达九十八点五%", "新生儿疾病筛查率达98.5%"),  # a decimal
        ("二十多个", "20多个"),
        ("应当于二十四小时内进行网络直报", "应当于24小时内进行网络直报"),
        ("每季度召开一次", "每季度召开1次"),
        ("每两年开展一次", "每2年开展1次"),  # a period in numerals
        ("累计一年以上", "累计1年以上"),  # a bounded span of years
        ("三个工作日内", "3个工作日内"),
        ("三至五年", "3至5年"),  # a range of years
        ("二〇二五年底前", "2025年底前"),  # four numerals before 年: a year
        # words with a numeral inside are not figures
        ("统一", "统一"),
        ("进一步加强", "进一步加强"),
        ("第一次会议", "第一次会议"),  # an ordinal
        ("一人一档", "一人一档"),  # a distributive idiom
        ("三年行动计划", "三年行动计划"),  # an unbounded span of years is a name
        ("一次性补助", "一次性补助"),
        ("十四五时期", "十四五时期"),
        ("一日三餐", "一日三餐"),
        ("万一", "万一"),
    ],
)
def test_chinese_numerals_are_read_as_digits_where_they_state_a_figure(text: str, read: str) -> None:
    assert read_numerals(text) == read


def test_a_number_in_numerals_states_digits() -> None:
    assert states_digits("可以并处二万元以下罚款") and not states_digits("每季度通报") and not states_digits("2025年")


# ------------------------------------------------------------------------------------- the forms

FORM_CASES = {
    "rate": (
        ["居民健康素养水平提高至26%以上", "婴儿死亡率降到7.5‰", "孕产妇死亡率降到18/10 万", "每千人口执业医师数达到3.2人",
         "每5万人配置1辆救护车", "覆盖率达到90%—95%", "三分之一的县", "推动实现电子化监测县全覆盖", "八成以上"],
        ["每万人营养指导员", "完成创建", "新增托位2000个", "建立健全覆盖全省的体系", "附件1"],
    ),
    "money": (["运营补助每年1.2万元", "可以并处二万元以下罚款", "投资5亿元"], ["筛查1.1万例", "元旦前后"]),
    "age": (["人均预期寿命75 岁以上", "3岁以下婴幼儿", "6个月龄"], ["老年人健康管理"]),
    "times": (["每年开展两次", "组织3次演练"], ["一次性补助", "召开会议"]),
    "frequency": (
        ["每季度召开一次", "每年至少开展一次督导", "每半年通报", "一年两次", "每两年开展一次", "按月发放", "2次/年", "一年一度"],
        ["定期召开会议", "组织3次演练", "2025年底前完成", "年度目标"],
    ),
    "duration": (
        ["15分钟健身圈", "30分钟内到达", "3个工作日内", "应当于二十四小时内报告", "累计一年以上", "3-5年", "半年", "七日内"],
        ["2021-2025年", "2025年底前", "三年行动计划", "3月15日"],
    ),
    "deadline": (["2025年底前完成", "6月底前", "力争年内建成", "3月15日", "上半年"], ["30分钟内到达", "定期召开"]),
}


@pytest.mark.parametrize("form", sorted(FORM_CASES))
def test_each_figure_form_states_a_figure_in_its_form_only(form: str) -> None:
    stating, not_stating = FORM_CASES[form]
    for text in stating:
        assert has_figure(text, [form_pattern(form)]), text
    for text in not_stating:
        assert not has_figure(text, [form_pattern(form)]), text


def test_every_form_of_the_table_has_cases() -> None:
    assert sorted(forms()) == sorted(FORM_CASES) == sorted(f["name"] for f in _table()["form"])


@pytest.mark.parametrize(
    ("sentence", "figure"),
    [
        ("居民健康素养水平提高到百分之二十六", True),
        ("建成两个中心", True),
        ("推动实现电子化监测县全覆盖", True),
        ("组织泰州市卫生健康系统2023年南京医科大学公开招聘专场", False),  # a year is not a figure
        ("3岁以下婴幼儿照护服务", False),  # nor an age group, unless an age is asked
        ("每季度通报", False),  # a frequency is a figure only when one is asked
        ("统一标准", False),
        ("附件1省级相关部门职责清单", False),  # a label names a part: 附件1, 表1, 第23行, 序号：19
        ("附件1表1第23行", False),
        ("序号：19；指标：每万人营养指导员（名）", False),
        ("国卫办发〔2019〕13号", False),
        ("建立健全覆盖全省的医疗保障体系", False),  # 健全 + 覆盖 is no full coverage
    ],
)
def test_any_figure(sentence: str, figure: bool) -> None:
    assert has_figure(sentence, []) is figure
