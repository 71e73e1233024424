"""qa.ingest.parsing: the units above and beside the numbered clauses, on short real snippets of the corpus documents
(quoted) and on the invented fixtures in tests/fixtures/unseen:

- 附件 / 附件2 heading lines open a top-level unit (``附件2/一、``) whose title line is its heading, while a notice's
  list of attachment names (附件：1.xxx / 2.xxx) is no unit and no clause;
- 第X编 / 第X篇 above 第X章, (一) items inside an article;
- 专栏 boxes, whose own 1. 2. lines are their text;
- ——X： part lines whose items restart at 1 are a path level (``三、/(二)/社会/3.``), and dash lines with nothing
  numbered under them are bullets of the text they stand in;
- numbering above 999.
"""

from __future__ import annotations

import pytest

from qa.ingest.markers import read_marker
from qa.ingest.parsing import PREAMBLE_PATH, parse_plan
from qa.normalize import compact
from tests.plans import all_text, clause, paths


def leaves(text: str) -> list[str]:
    return [c.path_key for c in parse_plan(text).clauses if c.kind in ("clause", "paragraph")]


# ------------------------------------------------------------------------------------------ markers


@pytest.mark.parametrize(
    ("text", "style", "number", "label"),
    [
        ("附件2", "annex", 2, "附件2"),
        ("附件", "annex", 0, "附件"),
        ("附件 3：", "annex", 3, "附件3"),
        ("第一篇　发展基础与总体要求", "part", 1, "第一篇"),
        ("第二编 物权", "part", 2, "第二编"),
        ("专栏1　“十四五”医疗服务能力提升重点工程", "box", 1, "专栏1"),
        ("——个人和家庭：", "dash", 0, "个人和家庭"),
        ("——社会和政府：", "dash", 0, "社会和政府"),
        ("——劳动者个人：", "dash", 0, "劳动者个人"),
        ("1000.第一千项任务。", "num_dot", 1000, "1000."),
        ("(1024)第一千零二十四项", "num_paren", 1024, "(1024)"),
    ],
)
def test_unit_markers(text: str, style: str, number: int, label: str) -> None:
    marker = read_marker(text)
    assert marker is not None
    assert (marker.style, marker.number, marker.label) == (style, number, label)


@pytest.mark.parametrize(
    "text",
    [
        "附件：1.省级相关部门“将健康融入所有政策”职责清单",  # a notice's list of attachment names
        "附件1：省级相关部门“将健康融入所有政策”职责清单.docx",  # a web page's list of files
        "附件5.《海南省将健康融入所有政策实施方案》政策解读.doc",
        "附件列表：",
        "附件是本方案的组成部分。",
    ],
)
def test_attachment_mentions_are_no_heading(text: str) -> None:
    marker = read_marker(text)
    assert marker is None or marker.style != "annex"


def test_a_dash_line_with_words_after_its_colon_is_no_part_line() -> None:
    marker = read_marker("——普及健康知识。把提升健康素养作为增进全民健康")
    assert marker is not None and marker.label == "——普及健康知识"


# -------------------------------------------------------------------------------------- attachments

# hainan-child-adolescent-mental-health-action.docx: a file that is 附件2 of a notice
MENTAL_HEALTH = """附件2
海南省儿童青少年心理健康关爱行动计划
心理健康是健康的重要组成部分。从世界范围来看，心理健康问题已经成为影响广泛的“全球病”。
一、行动计划目标
多部门、多层次、多方协同努力，综合施策，促进儿童青少年的心理健康和全面发展。
二、工作措施
（一）加强学生心理健康教育和心理健康测试工作
以多种形式面向学生和家长广泛开展学生心理健康知识和预防心理问题科普。（省教育厅牵头，省卫生健康委按职责分工负责）
（二）加强儿童青少年心理健康知识的传播
通过省内各网络媒体平台多渠道开展心理健康知识的网上宣传和普及。（省委宣传部牵头）
"""

# hainan-health-in-all-policies-plan.docx: the notice's closing list of attachment names and the web-style file list
NAMES_LIST = """一、总体要求及主要目标
以习近平新时代中国特色社会主义思想为指导，坚持将保障人民健康放在优先发展的战略位置。
二、重点任务
（一）建立健全“将健康融入所有政策”体系机制
1.领导体系。海南省健康海南建设委员会负责统筹推动落实。
2.工作机制。实行定期联席会议制度。
3.专业技术支撑体系。建立专家技术支撑体系。
三、组织实施
加强组织领导，各级党委和政府是落实“将健康融入所有政策”方针的责任主体。
附件：1.省级相关部门“将健康融入所有政策”职责清单
2.海南省儿童青少年心理健康关爱行动计划
3.海南省儿童健康促进专项行动计划
4.海南省健康体重管理与健康食品产业发展行动
附件列表：
附件1：省级相关部门“将健康融入所有政策”职责清单.docx
附件2：海南省儿童青少年心理健康关爱行动计划.docx
"""


def test_an_attachment_heading_opens_a_top_level_unit() -> None:
    parsed = parse_plan(MENTAL_HEALTH)
    assert leaves(MENTAL_HEALTH) == ["附件2/一、", "附件2/二、/（一）", "附件2/二、/（二）"]
    assert parsed.title == "海南省儿童青少年心理健康关爱行动计划"
    own = clause(parsed, "附件2")
    assert own.kind == "section"  # the attachment's title and opening paragraph: its own text, no leaf
    assert own.text.startswith("附件2\n海南省儿童青少年心理健康关爱行动计划\n心理健康是健康的重要组成部分")
    assert clause(parsed, "附件2/二、/（一）").headings == ("附件2海南省儿童青少年心理健康关爱行动计划", "二、工作措施")


def test_a_two_line_attachment_title_is_its_heading() -> None:
    text = "附件4\n海南省健康体重管理与健康食品产业\n发展行动\n体重与人体健康状况密切相关，是反映健康常用的重要指标。\n一、主要目标\n多部门协同实施健康体重管理行动。"
    assert clause(parse_plan(text), "附件4/一、").headings == ("附件4海南省健康体重管理与健康食品产业发展行动",)


def test_a_list_of_attachment_names_is_no_unit_and_no_clause() -> None:
    parsed = parse_plan(NAMES_LIST)
    assert leaves(NAMES_LIST) == ["一、", "二、/（一）/1.", "二、/（一）/2.", "二、/（一）/3.", "三、"]
    third = clause(parsed, "三、")  # the list stays in the text it closes
    assert "附件：1.省级相关部门" in third.text and "4.海南省健康体重管理与健康食品产业发展行动" in third.text
    assert "附件2：海南省儿童青少年心理健康关爱行动计划.docx" in third.text


def test_a_bare_attachment_colon_over_numbered_names_is_a_list() -> None:
    text = "一、工作要求\n各单位要高度重视，认真组织实施。\n附件：\n1.重点任务分工表\n2.联系人名单\n"
    assert leaves(text) == ["一、"]
    assert "2.联系人名单" in clause(parse_plan(text), "一、").text


def test_notice_then_attachment() -> None:
    """notice-with-attachment.txt (unseen): the notice is front matter, "附件" alone on its line opens the plan."""
    from pathlib import Path

    source = (Path(__file__).parent / "fixtures" / "unseen" / "notice-with-attachment.txt").read_text(encoding="utf-8")
    parsed = parse_plan(source)
    found = [c.path_key for c in parsed.clauses if c.kind == "clause"]
    assert found[:3] == ["附件/一、/（一）", "附件/一、/（二）", "附件/二、/（一）/1."]
    assert "附件/二、/（二）/5." in found and "附件/三、/1." in found and found[-1] == "附件/四、"
    assert parsed.metadata["日期"] == "2024-03-15"  # the notice's 落款 stays front matter
    assert "研究制定了" in parsed.front_matter


def test_each_attachment_restarts_its_numbering() -> None:
    text = "附件1\n甲方案\n一、目标\n建成社区医院5家。\n二、措施\n加强建设。\n附件2\n乙方案\n一、目标\n新增托位300个。"
    assert leaves(text) == ["附件1/一、", "附件1/二、", "附件2/一、"]


# ----------------------------------------------------------------------------- parts, articles, boxes


def test_parts_above_chapters_and_chapters_numbered_through_the_parts() -> None:
    text = (
        "第一篇　发展基础与总体要求\n第一章　发展基础\n第一节　发展成就\n（一）医疗服务能力明显增强。新增省级临床重点专科6个。\n"
        "（二）公共卫生体系不断完善。建成生物安全二级实验室。\n第二节　面临的形势\n当前，人口老龄化进程加快。\n"
        "第二章　总体要求\n坚持以人民健康为中心。\n"
        "第二篇　主要任务\n第三章　构建优质高效的医疗服务体系\n（一）建设区域医疗高地。支持创建省级区域医疗中心。\n"
    )
    assert leaves(text) == [
        "第一篇/第一章/第一节/（一）", "第一篇/第一章/第一节/（二）", "第一篇/第一章/第二节", "第一篇/第二章", "第二篇/第三章/（一）"
    ]  # fmt: skip


def test_items_of_an_article() -> None:
    # national-infectious-disease-law.pdf, 第二十五条
    text = (
        "第一章  总   则\n第一条  为了预防、控制和消除传染病的发生与流行，制定本法。\n"
        "第二章  预    防\n第二条  国家实行免疫规划制度。\n第三条  各级疾病预防控制机构在传染病预防、控制中履行下列职责：\n"
        "（一）实施传染病预防控制规划、计划和方案；\n（二）收集、分析和报告传染病监测信息；\n第四条  国家建立健全传染病菌种、毒种库。"
    )
    parsed = parse_plan(text)
    assert leaves(text) == ["第一章/第一条", "第二章/第二条", "第二章/第三条/（一）", "第二章/第三条/（二）", "第二章/第四条"]
    assert clause(parsed, "第二章/第三条").kind == "section"  # the lead-in is the article's own text


SHISIWU_BOX = """第一章　构建优质高效的医疗服务体系
第一节　推动公立医院高质量发展
（一）建设区域医疗高地。支持市第一人民医院创建省级区域医疗中心。
（二）加强临床专科建设。到2025年新增省级临床重点专科10个以上。
专栏1　“十四五”医疗服务能力提升重点工程
1.区域医疗中心建设工程：建成市第一人民医院医疗综合楼，新增床位800张。
2.县级医院提标扩能工程：推动4家县级人民医院达到三级医院服务能力。
第二节　夯实基层医疗卫生服务网底
（一）推进基层机构标准化建设。到2025年建成社区医院15所。
"""


def test_a_box_is_a_unit_of_its_section_and_its_lines_are_its_text() -> None:
    parsed = parse_plan(SHISIWU_BOX)
    assert leaves(SHISIWU_BOX) == ["第一章/第一节/（一）", "第一章/第一节/（二）", "第一章/第一节/专栏1", "第一章/第二节/（一）"]
    box = clause(parsed, "第一章/第一节/专栏1")
    assert box.text.endswith("2.县级医院提标扩能工程：推动4家县级人民医院达到三级医院服务能力。")


def test_a_box_between_items_ends_at_the_next_item() -> None:
    text = "一、重点任务\n（一）建设区域医疗高地。支持创建。\n专栏1 重点工程\n1.建设工程：新增床位800张。\n（二）加强临床专科建设。新增专科。"
    assert leaves(text) == ["一、/（一）", "一、/专栏1", "一、/（二）"]


# ------------------------------------------------------------------------------------ dash lines

# national-healthy-china-action-2019-2030.pdf: parts whose items restart at 1
ACTION = """一、重大行动
（一）合理膳食行动。
合理膳食是健康的基础。
行动目标：
到2022年和2030年，成人肥胖增长率持续减缓。
——个人和家庭：
1.对于一般人群。学习中国居民膳食科学知识。
2.对于超重（BMI≥24）或肥胖（BMI≥28）的成年人群。减少能量摄入。
——社会：
1.推动营养健康科普宣教活动常态化。
2.加强对食品企业的营养标签知识指导。
3.全面推动实施《国民营养计划（2017—2030年）》。
——政府：
1.全面推动实施《国民营养计划（2017—2030年）》。
（二）全民健身行动。
生命在于运动，运动需要科学。
——个人：
1.了解运动对健康的益处。
"""


def test_part_lines_whose_items_restart_are_a_path_level() -> None:
    parsed = parse_plan(ACTION)
    assert leaves(ACTION) == [
        "一、/（一）/个人和家庭/1.", "一、/（一）/个人和家庭/2.",
        "一、/（一）/社会/1.", "一、/（一）/社会/2.", "一、/（一）/社会/3.",
        "一、/（一）/政府/1.",
        "一、/（二）/个人/1.",
    ]  # fmt: skip
    assert clause(parsed, "一、/（一）/社会/3.").headings == ("一、重大行动", "（一）合理膳食行动", "社会：")
    assert "行动目标：" in clause(parsed, "一、/（一）").text  # the action's own text


def test_part_lines_whose_items_run_on_are_no_path_level() -> None:
    text = "一、重点任务\n——个人：\n1.了解运动对健康的益处。\n2.动则有益。\n——社会：\n3.建设健身设施。\n4.开放学校场地。"
    assert leaves(text) == ["一、/1.", "一、/2.", "一、/3.", "一、/4."]


def test_dash_lines_with_nothing_numbered_under_them_are_bullets_of_their_item() -> None:
    # national-healthy-china-action-2019-2030.pdf, 一、(二)
    text = (
        "一、总体要求\n（一）指导思想。\n以习近平新时代中国特色社会主义思想为指导。\n（二）基本路径。\n"
        "——普及健康知识。把提升健康素养作为增进全民健康的前提。\n——参与健康行动。倡导每个人是自己健康第一责任人。\n"
        "（三）总体目标。\n到2022年，健康促进政策体系基本建立。"
    )
    parsed = parse_plan(text)
    assert leaves(text) == ["一、/（一）", "一、/（二）", "一、/（三）"]
    assert clause(parsed, "一、/（二）").text.endswith("——参与健康行动。倡导每个人是自己健康第一责任人。")


def test_dash_sub_headings_with_items_stay_as_they_were() -> None:
    # guizhou-2019-2022.txt: ——X工程 headings title their (n) items but are no level of the items' paths
    text = "一、重点工作\n——乡村能力提升工程。按照“乡要活、村要稳”的要求,全面推进。\n(一)加强乡村医生队伍政策保障。落实待遇。\n"
    assert paths(parse_plan(text)) == ["一、/——乡村能力提升工程", "一、/(一)"]


# ------------------------------------------------------------------------------------- big numbers


def test_items_past_999_are_items() -> None:
    lines = [f"{n}.第{n}项任务。" for n in range(1, 1003)]
    text = "一、任务清单\n" + "\n".join(lines)
    found = leaves(text)
    assert len(found) == 1002 and found[998:] == ["一、/999.", "一、/1000.", "一、/1001.", "一、/1002."]
    assert compact(all_text(parse_plan(text))).count("第1000项任务") == 1


def test_preamble_before_an_attachment_stays_front_matter() -> None:
    text = "关于印发某方案的通知\n各单位：现印发给你们。\n附件\n某市健康促进实施方案\n为推进健康促进，制定本方案。\n一、目标\n建成社区医院5家。"
    parsed = parse_plan(text)
    assert leaves(text) == ["附件/一、"]
    assert PREAMBLE_PATH not in paths(parsed)


# ------------------------------------------------------------------------------ paragraphs of an article

# national-infectious-disease-law.pdf, 第一百零四条: two paragraphs (款), each with its own (一) list, then a third
ARTICLE_104 = """第一章  总  则
第一条  为了预防、控制和消除传染病的发生与流行，制定本法。
第二条  违反本法规定，医疗机构有下列情形之一的，由县级以上人民政府疾病预防控制部门责令改正，给予警告：
（一）未按照规定承担本机构的传染病预防、控制工作；
（二）未按照规定报告传染病疫情，隐瞒、谎报、缓报、漏报传染病疫情；
（三）未按照规定对本机构内被传染病病原体污染的场所、物品实施消毒或者无害化处置。
违反本法规定，医疗机构有下列情形之一的，由县级以上人民政府卫生健康主管部门依照前款规定给予行政处罚：
（一）发现传染病疫情时，未按照规定对传染病患者、疑似患者提供医疗救护；
（二）未遵守国家有关规定，导致因输入血液引起经血液传播疾病的发生。
医疗机构未按照规定对使用的医疗器械进行消毒的，依照有关医疗器械管理的法律、行政法规规定追究法律责任。
第三条  本法自 2025 年 9 月 1 日起施行。
"""


def test_paragraphs_of_an_article_with_their_own_lists_are_a_level() -> None:
    parsed = parse_plan(ARTICLE_104)
    assert leaves(ARTICLE_104) == [
        "第一章/第一条",
        "第一章/第二条/第一款/（一）", "第一章/第二条/第一款/（二）", "第一章/第二条/第一款/（三）",
        "第一章/第二条/第二款/（一）", "第一章/第二条/第二款/（二）",
        "第一章/第三条",
    ]  # fmt: skip
    second = clause(parsed, "第一章/第二条/第二款")
    assert second.kind == "section" and second.text.startswith("违反本法规定，医疗机构有下列情形之一的，由县级以上人民政府卫生健康主管部门")
    assert "依照有关医疗器械管理的法律" in clause(parsed, "第一章/第二条/第二款/（二）").text  # the item-less third paragraph


def test_a_paragraph_after_an_articles_list_without_a_list_of_its_own_is_no_level() -> None:
    # national-basic-healthcare-law.pdf, 第三十八条: text after the list stays in the article's last item, as it reads
    text = (
        "第一章 总则\n第一条 举办医疗机构，应当具备下列条件：\n（一）有符合规定的名称、组织机构和场所；\n（二）能够独立承担民事责任。\n"
        "医疗机构依法取得执业许可证。禁止伪造、变造、买卖、出租、出借医疗机构执业许可证。\n第二条 本法自 2020 年 6 月 1 日起施行。"
    )
    parsed = parse_plan(text)
    assert leaves(text) == ["第一章/第一条/（一）", "第一章/第一条/（二）", "第一章/第二条"]
    assert clause(parsed, "第一章/第一条/（二）").text.endswith("禁止伪造、变造、买卖、出租、出借医疗机构执业许可证。")


def test_items_numbered_on_after_a_paragraph_stay_the_articles() -> None:
    text = "第一章 总则\n第一条 有下列情形之一的，予以处罚：\n（一）未报告；\n（二）未消毒。\n前款规定以外的，有下列情形之一的，也予以处罚：\n（三）拒绝检查。\n"
    assert leaves(text) == ["第一章/第一条/（一）", "第一章/第一条/（二）", "第一章/第一条/（三）"]


# ------------------------------------------------------------------------------------------ Markdown


def test_markdown_heading_hashes_are_no_part_of_markers() -> None:
    from qa.ingest.markdown import read_markdown

    source = (
        "# 澄川市“十四五”卫生健康事业发展规划（2021—2025年）\n\n为全面推进健康澄川建设，制定本规划。\n\n"
        "## 第一篇　发展基础与总体要求\n\n### 第一章　发展基础\n\n#### 第一节　“十三五”时期发展成就\n\n"
        "（一）医疗服务能力明显增强。新增省级临床重点专科6个。\n\n#### 第二节　面临的形势和挑战\n\n当前，人口老龄化进程加快。\n"
    )
    parsed = parse_plan(read_markdown("plan.md", source.encode()).text)
    assert parsed.title == "澄川市“十四五”卫生健康事业发展规划（2021—2025年）"
    assert leaves(source.replace("#", "")) == ["第一篇/第一章/第一节/（一）", "第一篇/第一章/第二节"]
    assert [c.path_key for c in parsed.clauses if c.kind == "clause"] == ["第一篇/第一章/第一节/（一）", "第一篇/第一章/第二节"]
