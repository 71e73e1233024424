"""qa.ingest.parsing: the clause tree (paths, titles, headings, leads, offices, kinds, spans) and the numbering
sequence checks, on real snippets, the five sample plans and the fixture plans.

Expected clause paths are written out from compact tables (section -> items), never computed by the parser.
"""

from __future__ import annotations

import pytest

from qa.ingest.parsing import PREAMBLE_PATH, parse_plan
from qa.normalize import compact, search_form
from tests.plans import all_text, clause, fixture, paths, plan

_DIGITS = "零一二三四五六七八九"


def cn(n: int) -> str:
    """1 -> 一, 10 -> 十, 14 -> 十四, 20 -> 二十, 46 -> 四十六 (as plans write them, up to 99)."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")
    return head + (_DIGITS[ones] if ones else "")


def dun(n: int) -> str:
    return f"{cn(n)}、"


def paren(n: int) -> str:
    return f"({cn(n)})"


# --------------------------------------------------------------------------------- expected paths

# ganzhou: section -> its items (1.-38., numbered through the whole plan)
GANZHOU = {1: range(1, 6), 2: range(6, 11), 3: range(11, 14), 4: range(14, 20), 5: range(20, 23),
           6: range(23, 25), 7: range(25, 28), 8: range(28, 31), 9: range(31, 35), 10: range(35, 39)}
# longgang: section -> its (n) items, numbered through the whole plan
LONGGANG = {1: range(1, 11), 2: range(11, 22), 3: range(22, 32), 4: range(32, 38)}
# guizhou: the 八大工程 dash sub-headings of 二、 with their (n) items; the third lost its dash in the PDF
GUIZHOU_WORKS = [
    ("乡村能力提升工程", range(7, 12)),
    ("三级创建提升工程", range(12, 17)),
    ("妇幼服务提升工程", range(17, 22)),
    ("中医振兴提升工程", range(22, 27)),
    ("公共卫生提升工程", range(27, 32)),
    ("远程医疗提升工程", range(32, 37)),
    ("健康养老提升工程", range(37, 42)),
    ("党建引领提升工程", range(42, 47)),
]
# rencheng: section -> number of (n) items restarting at (一); 0 = a section with body text only
RENCHENG = {1: 2, 2: 0, 3: 3, 4: 4, 5: 6, 6: 6, 7: 0, 8: 0, 9: 0}
# taizhou: section -> the last item number under each of its (n) sub-sections; both levels run through the plan
TAIZHOU = {1: [2, 5, 6, 8, 10], 2: [12, 15], 3: [16, 20, 25, 27, 28], 4: [31, 32, 35, 37], 5: [39, 42, 44, 46],
           6: [50, 51, 53], 7: [56, 58, 62], 8: [63, 65], 9: [67, 68, 71, 73, 74], 10: [75, 78, 80, 81, 83, 84]}


def expected_ganzhou() -> list[str]:
    return [PREAMBLE_PATH] + [f"{dun(s)}/{i}." for s, items in GANZHOU.items() for i in items]


def expected_longgang() -> list[str]:
    return [PREAMBLE_PATH] + [f"{dun(s)}/{paren(i)}" for s, items in LONGGANG.items() for i in items]


def expected_guizhou() -> list[str]:
    out = [PREAMBLE_PATH, "一、"] + [f"一、/{paren(i)}" for i in range(1, 7)] + ["二、"]
    for work, items in GUIZHOU_WORKS:
        out += [f"二、/——{work}"] + [f"二、/{paren(i)}" for i in items]
    return out + [f"三、/{paren(i)}" for i in range(47, 51)]


def expected_rencheng() -> list[str]:
    out = [PREAMBLE_PATH]
    for s, count in RENCHENG.items():
        out += [f"{dun(s)}/{paren(i)}" for i in range(1, count + 1)] if count else [dun(s)]
    return out


def expected_taizhou() -> list[str]:
    out, sub, item = [PREAMBLE_PATH], 0, 0
    for s, lasts in TAIZHOU.items():
        for last in lasts:
            sub += 1
            while item < last:
                item += 1
                out.append(f"{dun(s)}/{paren(sub)}/{item}.")
    return out


EXPECTED_PATHS = {
    "ganzhou-2023": expected_ganzhou,
    "longgang-2023": expected_longgang,
    "guizhou-2019-2022": expected_guizhou,
    "rencheng-2021": expected_rencheng,
    "taizhou-2023": expected_taizhou,
}


def test_expected_tables_are_what_the_issue_describes() -> None:
    """The tables themselves, spot-checked against the issue's wording."""
    assert len(expected_ganzhou()) == 1 + 38 and expected_ganzhou()[1] == "一、/1." and expected_ganzhou()[-1] == "十、/38."
    assert expected_longgang()[-1] == "四、/(三十七)"
    taizhou = expected_taizhou()
    assert len(taizhou) == 1 + 84 and taizhou[1] == "一、/(一)/1." and taizhou[-1] == "十、/(三十九)/84."
    guizhou = expected_guizhou()
    assert "二、/——三级创建提升工程" in guizhou and "二、/(七)" in guizhou and guizhou[-1] == "三、/(五十)"
    assert sum(p.startswith("二、/——") for p in guizhou) == 8
    assert expected_rencheng()[-3:] == ["七、", "八、", "九、"]


@pytest.mark.parametrize("name", sorted(EXPECTED_PATHS))
def test_sample_plan_clause_paths(name: str) -> None:
    _, parsed = plan(name)
    assert paths(parsed) == EXPECTED_PATHS[name]()


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("ganzhou-2023", ""),  # the page has no title line
        ("longgang-2023", "龙岗区2023年度卫生健康工作要点"),
        ("guizhou-2019-2022", "卫生健康服务能力提升“八大工程”行动计划(2019—2022年)"),
        ("rencheng-2021", "2021年度全区卫生健康工作要点"),  # not the cover notice's 关于印发…的通知
        ("taizhou-2023", "2023年全市衛生健康工作要點"),
    ],
)
def test_sample_plan_titles(name: str, title: str) -> None:
    assert plan(name)[1].title == title


@pytest.mark.parametrize(
    ("name", "path", "headings", "lead", "office"),
    [
        ("taizhou-2023", "一、/(一)/1.", ("一、抓實抓細新階段新冠疫情防控工作", "(一)持續強化監測預警"), "", "疾控處"),
        ("taizhou-2023", "一、/(二)/4.", ("一、抓實抓細新階段新冠疫情防控工作", "(二)切實抓好重點機構重點環節防控"), "", "基層處、老齡健康處"),
        ("taizhou-2023", "二、/(七)/15.", ("二、更大力度推進健康泰州建設行動", "(七)協調推進健康泰州建設重點任務"), "",
         "規改處、醫政處、中醫醫政處、基層處、疾控處、老齡健康處、人口家庭處"),
        ("taizhou-2023", "四、/(十三)/30.", ("四、大力加強醫療服務體系建設", "(十三)促進優質醫療資源擴容和區域均衡布局"),
         "加快推動市人民醫院省級區域醫療中心建設", "醫政處、基建辦"),
        ("taizhou-2023", "十、/(三十九)/84.", ("十、持之以恒推進全面從嚴治黨", "(三十九)堅持不懈推進黨風廉政建設"), "", ""),
        ("ganzhou-2023", "一、/1.", ("一、大力实施健康赣州建设筑基行动",), "全面推进健康促进行动", ""),
        ("ganzhou-2023", "十、/38.", ("十、持续增强卫生健康治理能力水平",), "统筹做好各项保障工作", ""),
        ("longgang-2023", "一、/(一)", ("一、积极完善医疗服务体系,促进优质医疗资源扩容提质",), "加快推进医院项目建设", ""),
        ("guizhou-2019-2022", "二、/(七)", ("二、重点工作", "乡村能力提升工程"), "加强乡村医生队伍政策保障", ""),
        ("guizhou-2019-2022", "二、/(十二)", ("二、重点工作", "三级创建提升工程"), "加强县级医院三级创建工作", ""),
        ("guizhou-2019-2022", "三、/(四十七)", ("三、保障措施",), "强化领导,专班推动", ""),
        ("rencheng-2021", "二、", (), "落实落细常态化疫情防控", ""),
        ("rencheng-2021", "六、/(三)", ("六、切实做好“一老一小”健康服务",), "积极发展3岁以下婴幼儿照护服务", ""),
    ],
)
def test_headings_lead_and_office(name: str, path: str, headings: tuple[str, ...], lead: str, office: str) -> None:
    c = clause(plan(name)[1], path)
    assert c.headings == headings
    assert c.lead == lead
    assert c.office == office


@pytest.mark.parametrize(
    ("name", "path", "kind", "starts", "ends"),
    [
        ("ganzhou-2023", "前言", "preamble", "2023年全市卫生健康工作的总体要求是", "建设新篇章。"),
        ("ganzhou-2023", "十、/38.", "clause", "38.统筹做好各项保障工作。", "全力维护系统和谐稳定。"),  # no 相关文章
        ("longgang-2023", "前言", "preamble", "2023年,全区卫生健康系统", "筑牢健康之基。"),
        ("longgang-2023", "四、/(三十七)", "clause", "(三十七)深入推进党风廉政建设和反腐败斗争。", "违纪违法问题。"),
        ("guizhou-2019-2022", "前言", "preamble", "为贯彻落实《“健康贵州2030”规划纲要》", "特制定本行动计划。"),
        ("guizhou-2019-2022", "一、", "section", "一、目标任务\n以按期打赢脱贫攻坚战为统领", "六大目标:"),
        ("guizhou-2019-2022", "二、", "section", "二、重点工作\n大力实施卫生健康服务能力提升“八大工程”", "党建引领提升工程。"),
        ("guizhou-2019-2022", "二、/——三级创建提升工程", "section", "三级创建提升工程。不断提升三级医院服务能力与水平,充分",
         "引导优质医疗资源下沉。"),
        ("guizhou-2019-2022", "三、/(五十)", "clause", "(五十)积极宣传,典型引导。", "加强正面宣传和典型引导。"),
        ("rencheng-2021", "前言", "preamble", "2021年是建党100周年", "重点抓好以下工作:"),
        ("rencheng-2021", "九、", "clause", "九、加强卫生健康事业改革发展保障\n紧盯中央和省市有关部门", "关心关爱干部身心健康。"),
        ("taizhou-2023", "前言", "preamble", "今年是貫徹落實黨的二十大精神的開局之年", "提供堅實健康保障。"),
        ("taizhou-2023", "一、/(一)/1.", "clause", "1.加強疫情監測特別是變異毒株監測,采取常規與應急監測", "(責任處室:疾控處)"),
    ],
)
def test_clause_text_and_kind(name: str, path: str, kind: str, starts: str, ends: str) -> None:
    c = clause(plan(name)[1], path)
    assert c.kind == kind
    assert c.text.startswith(starts)
    assert c.text.endswith(ends)


@pytest.mark.parametrize("name", sorted(EXPECTED_PATHS))
def test_spans_point_at_the_clause_in_the_source(name: str) -> None:
    source, parsed = plan(name)
    previous_end = 0
    for c in parsed.clauses:
        segment = source[c.start : c.end]
        assert previous_end <= c.start < c.end <= len(source), c.path_key
        previous_end = c.end
        if c.kind != "preamble":
            assert segment.lstrip("—").startswith(c.path[-1].lstrip("—")), c.path_key  # begins with its marker
        assert segment.endswith(c.text[-3:]) or search_form(segment).endswith(search_form(c.text)[-6:]), c.path_key
        # the same words, only noise and layout removed
        assert search_form(segment) == search_form(c.text), c.path_key


def test_taizhou_span_starts_after_question_padding() -> None:
    source, parsed = plan("taizhou-2023")
    preamble = clause(parsed, "前言")
    assert source[preamble.start : preamble.start + 6] == "今年是貫徹落"
    assert source[preamble.start - 4 : preamble.start] == "??? "


# ------------------------------------------------------------------ numbers that are not headings


@pytest.mark.parametrize(
    ("text", "expected", "kept"),
    [
        (  # "2020 年," at a line start inside a clause
            "一、重点工作\n(一)推动贵州省国家健康医疗大数据西部中心建设。\n2020 年,建成省市县全民健康信息平台。",
            ["一、/(一)"],
            "2020 年,建成省市县全民健康信息平台。",
        ),
        (  # 103.26/10 万 and (州) at a line start
            "一、重点工作\n(一)加强疾病防控体系建设。结核病报告发病率下降到\n103.26/10 万以内。2022 年,推动市\n(州)级老龄健康疗养中心建设全覆盖。",
            ["一、/(一)"],
            "下降到103.26/10 万以内。2022 年,推动市(州)级老龄健康疗养中心建设全覆盖。",
        ),
        (  # a "3." that does not follow 2.: the first 1.-style number seen is 3
            "一、大力实施健康赣州建设筑基行动\n(一)全面推进健康促进行动。\n3.5万人次参加健康科普巡讲。\n3. 年内完成学校减盐健康教育试点。",
            ["一、/(一)"],
            "3. 年内完成学校减盐健康教育试点。",
        ),
        (  # 12. after 2. is too far a jump to be the next item
            "一、重点任务\n1.全面推进健康促进行动。\n2.全面推进妇幼健康促进行动。\n12.以上任务由各县(市、区)落实。",
            ["一、/1.", "一、/2."],
            "12.以上任务由各县(市、区)落实。",
        ),
        (  # going backwards is not a new item either
            "一、重点任务\n1.全面推进健康促进行动。\n2.全面推进妇幼健康促进行动。\n1.以上任务由各县(市、区)落实。",
            ["一、/1.", "一、/2."],
            "1.以上任务由各县(市、区)落实。",
        ),
        (  # 按照第一条规定 starts no article; a wrapped 第一条规定 joins the sentence it continues
            "第一条 为规范执业行为,制定本办法。\n第二条 医疗机构应当建立自查制度。\n第三条 违反本办法的,依照本办法\n第一条规定处理。\n按照第二条规定执行。",
            ["第一条", "第二条", "第三条"],
            "依照本办法第一条规定处理。",
        ),
        (  # 二、 without 一、 first is not a section
            "为加快推进健康城市建设,制定本方案。\n二、三级医院要发挥带动作用,帮扶基层医疗卫生机构。\n一、总体要求\n(一)指导思想。坚持人民至上。",
            [PREAMBLE_PATH, "一、/(一)"],
            "二、三级医院要发挥带动作用,帮扶基层医疗卫生机构。",
        ),
    ],
)
def test_numbers_in_text_do_not_open_clauses(text: str, expected: list[str], kept: str) -> None:
    parsed = parse_plan(text)
    assert paths(parsed) == expected
    assert kept in all_text(parsed)


def test_wrapped_article_reference_is_one_sentence() -> None:
    parsed = parse_plan(
        "第一条 为规范执业行为,制定本办法。\n第二条 医疗机构应当建立自查制度。\n第三条 违反本办法的,依照本办法\n第一条规定处理。"
    )
    assert parsed.clauses[-1].text == "第三条 违反本办法的,依照本办法第一条规定处理。"
    assert parsed.clauses[-1].lead == "违反本办法的,依照本办法第一条规定处理"
    assert parsed.warnings == []


# ------------------------------------------------------------------------------- fixture plans


@pytest.mark.parametrize(
    ("name", "title", "expected"),
    [
        (
            "regulation-articles.txt",
            "江州市医疗机构依法执业监督管理办法",
            ["第一章/第一条", "第一章/第二条", "第二章/第三条", "第二章/第四条", "第二章/第四条/(一)", "第二章/第四条/(二)",
             "第二章/第五条", "第三章/第六条"],
        ),
        (
            "nested-levels.txt",
            "江州县2024年卫生健康工作计划",
            [PREAMBLE_PATH, "一、/(一)/1./(1)", "一、/(一)/1./(2)", "一、/(一)/2.", "一、/(二)/1./①", "一、/(二)/1./②",
             "一、/(二)/1./③", "一、/(二)/2.", "二、/(一)", "二、/(二)"],
        ),
        (
            "pdf-pages.txt",
            "江州市“十四五”卫生健康发展规划",
            [PREAMBLE_PATH, "一、", "二、/(一)", "二、/(二)", "二、/(三)"],
        ),
        (
            "numbering-jumps.txt",
            "江州区2024年卫生健康工作要点",
            [PREAMBLE_PATH, "一、/(一)", "一、/(二)", "一、/(四)", "二、/(五)", "二、/(六)"],
        ),
        (
            "no-numbering.txt",
            "江州市夏季爱国卫生运动工作方案",
            ["¶1", "¶2", "¶3"],
        ),
    ],
)
def test_fixture_plan_paths(name: str, title: str, expected: list[str]) -> None:
    _, parsed = fixture(name)
    assert parsed.title == title
    assert paths(parsed) == expected


def test_regulation_articles() -> None:
    parsed = fixture("regulation-articles.txt")[1]
    fourth = clause(parsed, "第二章/第四条")
    assert fourth.kind == "section"
    assert fourth.text == "第四条 医疗机构有下列情形之一的,由卫生健康行政部门依照本办法第三条规定的程序责令限期整改:"
    assert clause(parsed, "第二章/第四条/(一)").headings[0] == "第二章监督检查"
    assert clause(parsed, "第三章/第六条").lead == "本办法自2024年1月1日起施行"
    assert clause(parsed, "第二章/第五条").text.startswith("第五条 2023 年以前")  # a year is not an article
    assert parsed.warnings == []


def test_nested_levels_headings() -> None:
    parsed = fixture("nested-levels.txt")[1]
    assert clause(parsed, "一、/(一)/1./(2)").headings == ("一、提升医疗服务能力", "(一)加强县级医院建设", "1.提升县级医院综合能力")
    assert clause(parsed, "一、/(二)/1./②").text == "②合理膳食行动。推广减盐减油减糖。"
    assert clause(parsed, "一、/(二)/1./②").lead == "合理膳食行动"
    # 1. is only a heading (no own text), so it is not a clause of its own
    assert "一、/(一)/1." not in paths(parsed)


def test_numbering_jump_is_accepted_with_a_warning() -> None:
    source, parsed = fixture("numbering-jumps.txt")
    assert len(parsed.warnings) == 1
    warning = parsed.warnings[0]
    assert "jumps from 2 to 4" in warning and "(四)" in warning
    offset = int(warning.rsplit("offset ", 1)[1].rstrip(")"))
    assert source[offset:].startswith("(四)加强急诊急救能力建设")


@pytest.mark.parametrize(
    ("text", "expected", "warning"),
    [
        # a repeated number is a second clause (typing slip), noted
        ("一、目标\n1.建成社区医院5家。\n2.新增托位300个。\n2.签约率达到45%。\n3.新建发热门诊2个。",
         ["一、/1.", "一、/2.", "一、/2.", "一、/3."], "repeats 2"),
        # a jump of up to 3 is accepted, noted
        ("一、目标\n1.建成社区医院5家。\n4.新增托位300个。", ["一、/1.", "一、/4."], "jumps from 1 to 4"),
        # a jump further than that is not a clause: its text stays in the clause before, nothing is lost
        ("一、目标\n1.建成社区医院5家。\n9.新增托位300个。", ["一、/1."], ""),
        # numbering restarting under a new section is no irregularity
        ("一、目标\n1.建成社区医院5家。\n二、措施\n1.新增托位300个。", ["一、/1.", "二、/1."], ""),
    ],
)
def test_numbering_that_jumps_or_repeats_loses_no_text(text: str, expected: list[str], warning: str) -> None:
    parsed = parse_plan(text)
    assert paths(parsed) == expected
    assert [w for w in parsed.warnings if warning and warning in w] or not warning and not parsed.warnings
    body = compact("".join(c.text for c in parsed.clauses))
    for sentence in ("建成社区医院5家。", "新增托位300个。"):
        assert body.count(sentence) == 1


def test_a_heading_that_is_no_clause_is_kept_whole_in_the_heading_chain() -> None:
    # found by the property tests: the part after the colon was in neither a clause nor a heading
    parsed = parse_plan("一、目标:全面提升服务能力\n1.建成社区医院5家。")
    assert parsed.clauses[0].headings == ("一、目标:全面提升服务能力",)


def test_no_numbering_is_ingested_paragraph_by_paragraph() -> None:
    source, parsed = fixture("no-numbering.txt")
    assert [c.kind for c in parsed.clauses] == ["paragraph"] * 3
    assert parsed.clauses[1].text == "要加强病媒生物防制,清除积水和卫生死角,降低蚊蝇密度。"
    assert any("no clause numbering" in w for w in parsed.warnings)
    for c in parsed.clauses:
        assert source[c.start : c.end] == c.text


def test_empty_text_has_no_clauses() -> None:
    assert parse_plan("").clauses == []
    assert parse_plan("\n扫一扫在手机打开当前页\n相关文章\n— 2 —\n").clauses == []


@pytest.mark.parametrize(
    ("text", "office"),
    [
        ("推进体重管理。（省卫生健康委牵头，省疾控局、省计生协按职责分工负责）", "省卫生健康委牵头，省疾控局、省计生协按职责分工"),
        ("加强出生缺陷防治。（省卫生健康委、省民政厅按职责分工负责）", "省卫生健康委、省民政厅按职责分工"),
        ("开展健康知识进万家活动。（省卫生健康委牵头，省旅游和文化广电体育厅配合）", "省卫生健康委牵头，省旅游和文化广电体育厅配合"),
        ("建成社区医院5家（责任处室：基层卫生处）", "基层卫生处"),
        ("由社区（居委会）负责组织。", ""),  # a bracket inside the sentence names no responsible body
        ("新建社区医院（约50家）。", ""),
    ],
)
def test_the_responsible_bodies_closing_a_clause_are_its_office(text: str, office: str) -> None:
    assert parse_plan(f"某市2024年卫生健康工作要点\n一、加强基层\n1.{text}\n").clauses[-1].office == office
