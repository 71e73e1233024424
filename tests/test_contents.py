"""qa.ingest.cleaning.table_of_contents: a table of contents (目录) before the body is left out of the clauses and
the preamble, so the body's numbering starts afresh. Two general signs, on real snippets of the corpus documents
(quoted) and invented ones: contents entries with dot leaders and page numbers (with the descriptions some entries
carry), and a run of heading lines whose numbering restarts at its first number."""

from __future__ import annotations

import pytest

from qa.ingest.cleaning import is_contents_entry, source_lines
from qa.ingest.parsing import PREAMBLE_PATH, parse_plan
from tests.plans import all_text, paths


@pytest.mark.parametrize(
    ("line", "entry"),
    [
        ("一、总体要求.............................................................................. 7", True),
        ("（四）控烟行动....................................................…37", True),
        ("四、保障措施…...................................................................... 104", True),
        ("第一篇　发展基础与总体要求……………………………………1", True),
        ("第一章 总则 ··········· 1", True),
        ("引言.............................................................................................. 6", True),
        ("到2025年，人均预期寿命达到79.6岁", False),
        ("……………… 12", False),  # leaders alone
        ("以上……3", False),  # two leaders are an ellipsis
        ("一、总体要求", False),
    ],
)
def test_contents_entry(line: str, entry: bool) -> None:
    assert is_contents_entry(line) is entry


# national-healthy-china-action-2019-2030.pdf: entries with dot leaders, some with a description under them
HEALTHY_CHINA = """健康中国行动（2019—2030 年）
引言.............................................................................................. 6
一、总体要求.............................................................................. 7
（一）指导思想.......................................................................... 7
（二）基本路径.......................................................................... 7
二、主要指标.............................................................................. 9
三、重大行动............................................................................ 22
（一）健康知识普及行动........................................................22
每个人是自己健康的第一责任人。世界卫生组织研究发现，
个人行为与生活方式因素对健康的影响占到 60%。
（二）合理膳食行动................................................................28
合理膳食是健康的基础。
四、保障措施…...................................................................... 104
（一）加强组织领导..............................................................104
引言
人民健康是民族昌盛和国家富强的重要标志。
一、总体要求
（一）指导思想。
以习近平新时代中国特色社会主义思想为指导。
（二）基本路径。
——普及健康知识。把提升健康素养作为增进全民健康的前提。
二、主要指标
三、重大行动
（一）健康知识普及行动。
每个人是自己健康的第一责任人，对家庭和社会都负有健康责任。
——个人和家庭：
1.正确认识健康。健康包括身体健康、心理健康和良好的社会适应能力。
（二）合理膳食行动。
合理膳食是健康的基础。
——个人和家庭：
1.对于一般人群。学习中国居民膳食科学知识。
四、保障措施
（一）加强组织领导。
健康中国行动推进委员会负责组织实施。
"""

# national-infectious-disease-law.pdf: chapter names only, then the body from the second 第一章
INFECTIOUS_DISEASE_LAW = """中华人民共和国传染病防治法
（2025 年4 月30 日第十四届全国人民代表大会常务委员会第十五次会议第二次修订）
目    录
第一章  总   则
第二章  预    防
第三章  监测、报告和预警
第九章  附    则
第一章  总  则
第一条  为了预防、控制和消除传染病的发生与流行，制定本法。
第二条  传染病防治工作坚持中国共产党的领导。
第二章  预    防
第三条  国家实行免疫规划制度。
"""

# shisiwu-plan.md (unseen), after the Markdown reader: a 目录 heading over entries with leaders
SHISIWU = """澄川市“十四五”卫生健康事业发展规划（2021—2025年）
为全面推进健康澄川建设，制定本规划。
目录
第一篇　发展基础与总体要求……………………………………1
第一章　发展基础………………………………………………1
第二篇　主要任务………………………………………………8
第二章　构建优质高效的医疗服务体系…………………………8
第一篇　发展基础与总体要求
第一章　发展基础
“十三五”期间，卫生健康事业取得显著成效。
第二篇　主要任务
第二章　构建优质高效的医疗服务体系
（一）建设区域医疗高地。支持市第一人民医院创建省级区域医疗中心。
"""

# invented: 一、…四、 then 一、 again, no leaders and no 目录 word
RESTARTED = """某县2024年卫生健康工作要点
一、总体要求
二、重点任务
三、保障措施
一、总体要求
坚持以人民健康为中心，推动卫生健康事业高质量发展。
二、重点任务
（一）提升县级医院能力。新建胸痛中心1个。
三、保障措施
加强组织领导，压实工作责任。
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (HEALTHY_CHINA, [PREAMBLE_PATH, "一、/（一）", "一、/（二）", "二、", "三、/（一）", "三、/（一）/个人和家庭/1.", "三、/（二）",
                         "三、/（二）/个人和家庭/1.", "四、/（一）"]),
        (INFECTIOUS_DISEASE_LAW, [PREAMBLE_PATH, "第一章/第一条", "第一章/第二条", "第二章/第三条"]),
        (SHISIWU, [PREAMBLE_PATH, "第一篇/第一章", "第二篇/第二章/（一）"]),
        (RESTARTED, ["一、", "二、/（一）", "三、"]),
    ],
)
def test_the_contents_open_no_clauses(text: str, expected: list[str]) -> None:
    parsed = parse_plan(text)
    assert paths(parsed) == expected
    assert any("table of contents" in w for w in parsed.warnings)
    body = all_text(parsed)
    assert "....." not in body and "……………" not in body  # no entry in any clause or the preamble
    assert "目录" not in body.replace(" ", "") and "目    录" not in body


def test_the_descriptions_of_contents_entries_are_left_out_too() -> None:
    parsed = parse_plan(HEALTHY_CHINA)
    assert "个人行为与生活方式因素" not in all_text(parsed)
    assert parsed.clauses[0].text.endswith("引言\n人民健康是民族昌盛和国家富强的重要标志。")  # the preamble: the body's 引言


@pytest.mark.parametrize(
    "text",
    [
        # headings with their body: numbering that restarts under a new part is no contents
        "一、目标\n（一）建成社区医院5家。\n二、措施\n（一）新增托位300个。",
        # the first numbered line is body text
        "一、卫生第1项。卫生第2项。\n(一)重点任务0\n二、总体要求1\n三、总体要求2\n(一)重点任务0",
        # a heading sequence that never goes on to its next number before repeating
        "一、总体要求\n一、总体要求\n坚持以人民健康为中心。",
        # two entries with leaders are not yet a table of contents
        "一、总体要求……7\n坚持以人民健康为中心。\n二、重点任务……9\n推进医院建设。",
    ],
)
def test_no_contents_without_its_signs(text: str) -> None:
    parsed = parse_plan(text)
    assert not any("table of contents" in w for w in parsed.warnings)
    assert len(source_lines(text).lines) == len(text.splitlines())
