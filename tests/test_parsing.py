"""qa.ingest.parsing: line cleaning, wrap joining, markers and the clause tree, on real snippets and the five sample plans.

Expected clause paths are written out from compact tables (section -> items), never computed by the parser.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from qa.ingest.parsing import (
    PREAMBLE_PATH,
    ParsedPlan,
    join_wrapped,
    parse_plan,
    read_marker,
    source_lines,
)
from qa.normalize import compact, search_form
from qa.text import chinese_number

PLANS = Path(__file__).resolve().parent.parent / "data" / "plans"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

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


@cache
def plan(name: str) -> tuple[str, ParsedPlan]:
    text = (PLANS / f"{name}.txt").read_text(encoding="utf-8")
    return text, parse_plan(text)


@cache
def fixture(name: str) -> tuple[str, ParsedPlan]:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    return text, parse_plan(text)


def paths(parsed: ParsedPlan) -> list[str]:
    return [c.path_key for c in parsed.clauses]


def clause(parsed: ParsedPlan, path: str):  # type: ignore[no-untyped-def]
    found = [c for c in parsed.clauses if c.path_key == path]
    assert len(found) == 1, f"{path}: {len(found)} clauses"
    return found[0]


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


# ----------------------------------------------------------------------- noise kept out of clauses


def _all_text(parsed: ParsedPlan) -> str:
    return "\n".join(c.text for c in parsed.clauses)


@pytest.mark.parametrize(
    ("name", "absent"),
    [
        ("longgang-2023", "发布时间"),
        ("longgang-2023", "浏览次数"),
        ("longgang-2023", "扫一扫在手机打开当前页"),
        ("ganzhou-2023", "相关文章"),
        ("guizhou-2019-2022", "相关主题"),
        ("guizhou-2019-2022", "最新文档"),
        ("guizhou-2019-2022", "行动计划(2019—2022"),  # the running header
        ("rencheng-2021", "索引号"),
        ("rencheng-2021", "11370811004320060A"),
        ("rencheng-2021", "主动公开"),
        ("rencheng-2021", "印发给你们"),  # cover notice
        ("rencheng-2021", "济任卫字"),
        ("taizhou-2023", "印發給你們"),  # cover notice
        ("taizhou-2023", "委機關各處室"),
        ("taizhou-2023", "(wèi)"),
        ("taizhou-2023", "(fā)"),
        ("taizhou-2023", "? ?"),
    ],
)
def test_noise_is_not_clause_text(name: str, absent: str) -> None:
    assert absent not in _all_text(plan(name)[1])


def test_longgang_chrome_date_becomes_metadata() -> None:
    assert plan("longgang-2023")[1].metadata == {"发布日期": "2023-02-28"}


def test_rencheng_metadata_table_is_document_metadata() -> None:
    parsed = plan("rencheng-2021")[1]
    assert parsed.metadata["索引号"] == "11370811004320060A/2021-36196"
    assert parsed.metadata["发布机构"] == "任城区卫生健康局"
    assert parsed.metadata["成文日期"] == "2021-10-18"
    assert parsed.metadata["公开方式"] == "主动公开"
    assert parsed.metadata["文号"] == "济任卫字〔2021〕5号"
    assert parsed.metadata["日期"] == "2021-03-10"  # the cover notice's signature date


@pytest.mark.parametrize(
    ("name", "front"),
    [
        ("rencheng-2021", "关于印发《2021年度全区卫生健康工作要点》的通知"),
        ("rencheng-2021", "《2021年度全区卫生健康工作要点》已经局长办公会议通过,现印发给你们,请遵照执行。"),
        ("taizhou-2023", "現將《2023年全市衛生健康工作要點》印發給你們,請結合實際,認真抓好貫徹落實。"),
        ("taizhou-2023", "泰州市衛生健康委員會"),
        ("taizhou-2023", "2023年5月22日"),
    ],
)
def test_cover_notice_is_front_matter(name: str, front: str) -> None:
    parsed = plan(name)[1]
    assert front in parsed.front_matter.split("\n")
    assert front not in _all_text(parsed)


def test_taizhou_metadata_from_the_cover_signature() -> None:
    assert plan("taizhou-2023")[1].metadata == {"发布机构": "泰州市衛生健康委員會", "日期": "2023-05-22"}


def test_guizhou_running_header_is_kept_once() -> None:
    parsed = plan("guizhou-2019-2022")[1]
    title = "卫生健康服务能力提升“八大工程”行动计划(2019—2022年)"
    everything = "\n".join([parsed.title, parsed.front_matter, _all_text(parsed)])
    assert compact(everything).count(compact(title)) == 1


def test_taizhou_reports_lost_characters() -> None:
    warnings = plan("taizhou-2023")[1].warnings
    assert any("lost in an encoding round trip" in w for w in warnings)
    c = clause(plan("taizhou-2023")[1], "四、/(十三)/31.")
    assert "重點??瓢l展規劃" in c.text  # kept in display ...
    assert "?" not in c.search_text  # ... dropped from the search form


@pytest.mark.parametrize("name", ["ganzhou-2023", "longgang-2023", "guizhou-2019-2022", "rencheng-2021"])
def test_clean_plans_have_no_warnings(name: str) -> None:
    assert plan(name)[1].warnings == []


# ---------------------------------------------------------------------------------- PDF line wraps


def test_guizhou_sentence_broken_across_blank_line_is_one_sentence() -> None:
    c = clause(plan("guizhou-2019-2022")[1], "一、/(二)")
    assert "2020 年,法定传染病总发病率控制在全国平均水平以下,免疫规划疫苗接种率95%以上;" in c.text
    assert "2022 年,甲乙丙类法定传染病总发病率控制在全国平均水平以下。" in c.text
    assert "\n" not in c.text


@pytest.mark.parametrize(
    ("path", "joined"),
    [
        ("二、/(四十)", "(四十)探索院校、医院、产业融合发展。加快推进贵州护理职业技术学院发展,支持在贵阳市配套建设贵州省康复医院、"
                       "贵州省康养中心,集聚城市、医院、高校合力,助推健康养老产业融合发展。"),
        ("二、/(八)", "2020 年,贫困地区县、乡、村三级医疗卫生机构全部达标"),
        ("二、/(二十八)", "结核病报告发病率下降到103.26/10 万以内;"),
        ("二、/(三十七)", "2022 年,推动市(州)级老龄健康疗养中心建设全覆盖。"),
        ("二、/(三十六)", "数据共享交换体系推动部门数据共享交换。2020年,全面实现面向建档立卡贫困人口的医疗健康协同服务"),
        ("三、/(四十八)", "统筹使用各类资金。"),
    ],
)
def test_guizhou_wrapped_lines_are_rejoined(path: str, joined: str) -> None:
    assert joined in clause(plan("guizhou-2019-2022")[1], path).text


@pytest.mark.parametrize(
    ("text", "paragraphs"),
    [
        (  # guizhou: a sentence broken across a blank line
            "(二)疾病防控更加有力。2020 年,法定传染病总发病率控制\n\n在全国平均水平以下,免疫规划疫苗接种率95%以上;",
            ["(二)疾病防控更加有力。2020 年,法定传染病总发病率控制在全国平均水平以下,免疫规划疫苗接种率95%以上;"],
        ),
        (  # a heading followed by prose stays apart
            "一、目标任务\n\n以按期打赢脱贫攻坚战为统领,以改革创新为动力,将健康融入所有政策,奋力实现卫生健康事业高质量发展六大目标:",
            ["一、目标任务", "以按期打赢脱贫攻坚战为统领,以改革创新为动力,将健康融入所有政策,奋力实现卫生健康事业高质量发展六大目标:"],
        ),
        (  # the title line has no sentence punctuation: not prose, not joined
            "卫生健康服务能力提升“八大工程”行动计划(2019—2022年)\n\n为贯彻落实《“健康贵州2030”规划纲要》,特制定本行动计划。",
            ["卫生健康服务能力提升“八大工程”行动计划(2019—2022年)", "为贯彻落实《“健康贵州2030”规划纲要》,特制定本行动计划。"],
        ),
        (  # a number at the start of the continuation is not a clause
            "加快推进省疾控中心实验室标准化建设;结核病报告发病率下降到\n\n103.26/10 万以内;登记在册的严重精神障碍患者管理率达80%以上。",
            ["加快推进省疾控中心实验室标准化建设;结核病报告发病率下降到103.26/10 万以内;登记在册的严重精神障碍患者管理率达80%以上。"],
        ),
        (
            "每年支持20 个社区开展智慧健康养老服务试点。2022 年,推动市\n\n(州)级老龄健康疗养中心建设全覆盖。",
            ["每年支持20 个社区开展智慧健康养老服务试点。2022 年,推动市(州)级老龄健康疗养中心建设全覆盖。"],
        ),
        (  # an unfinished line before a real clause marker is not joined to it
            "2020 年,贫困地区县、乡、村三级\n\n医疗卫生机构全部达标\n\n(九)推进中心乡镇卫生院(城市社区卫生服务中心)升级提质。",
            ["2020 年,贫困地区县、乡、村三级医疗卫生机构全部达标", "(九)推进中心乡镇卫生院(城市社区卫生服务中心)升级提质。"],
        ),
        (  # a finished sentence ends the paragraph even when more text follows
            "(三十五)推动贵州省国家健康医疗大数据西部中心建设。\n\n2020 年,建成省市县全民健康信息平台。",
            ["(三十五)推动贵州省国家健康医疗大数据西部中心建设。", "2020 年,建成省市县全民健康信息平台。"],
        ),
        (  # the sub-heading that lost its dash, wrapped three times
            "三级创建提升工程。不断提升三级医院服务能力与水\n\n平,充分发挥三级医院技术辐射和带动作用,有效促进医疗资源纵向整合,\n\n引导优质医疗资源下沉。",
            ["三级创建提升工程。不断提升三级医院服务能力与水平,充分发挥三级医院技术辐射和带动作用,有效促进医疗资源纵向整合,引导优质医疗资源下沉。"],
        ),
        (  # taizhou: one line per paragraph, headings without punctuation
            "一、抓實抓細新階段新冠疫情防控工作\n(一)持續(xù)強化監(jiān)測預警\n1.加強疫情監(jiān)測。(責任處室:疾控處)",
            ["一、抓實抓細新階段新冠疫情防控工作", "(一)持續強化監測預警", "1.加強疫情監測。(責任處室:疾控處)"],
        ),
    ],
)
def test_join_wrapped(text: str, paragraphs: list[str]) -> None:
    joined = join_wrapped(source_lines(text).lines)
    assert [p.text for p in joined] == paragraphs
    for p in joined:  # spans still index the source
        assert search_form(text[p.start : p.end]) == search_form(p.text)


# ---------------------------------------------------------------------------------- line cleaning


@pytest.mark.parametrize("page_number", ["— 3 —", "-3-", "- 3 -", "—3—", "第3页", "第 3 页", "第3页 共12页", "3/12", "12"])
def test_page_number_lines_are_dropped(page_number: str) -> None:
    text = f"一、发展基础\n{page_number}\n二、主要任务"
    assert [line.text for line in source_lines(text).lines] == ["一、发展基础", "二、主要任务"]


def test_longgang_chrome_line_is_dropped_and_its_date_kept() -> None:
    text = (
        "龙岗区2023年度卫生健康工作要点\n\n"
        "发布时间: 2023年02月28日 来源:深圳市龙岗区卫生健康局 浏览次数:- T浏览字号:\n\n"
        "  2023年,全区卫生健康系统将紧紧围绕党的二十大对推进健康中国建设提出的新思路。\n\n\n"
        "扫一扫在手机打开当前页"
    )
    lines = source_lines(text)
    assert [line.text for line in lines.lines] == [
        "龙岗区2023年度卫生健康工作要点",
        "2023年,全区卫生健康系统将紧紧围绕党的二十大对推进健康中国建设提出的新思路。",
    ]
    assert lines.metadata == {"发布日期": "2023-02-28"}


def test_rencheng_metadata_table_is_lifted_out() -> None:
    text = (
        "索 引 号 | 11370811004320060A/2021-36196 | 发布机构 | 任城区卫生健康局 |\n"
        "公开方式 | 主动公开 | 组配分类 | 部门文件 |\n"
        "成文日期 | 2021-10-18 | 废止日期 | |\n"
        "有效性 |\n"
        "济任卫字〔2021〕5号\n"
    )
    lines = source_lines(text)
    assert [line.text for line in lines.lines] == ["济任卫字〔2021〕5号"]
    assert lines.metadata == {
        "索引号": "11370811004320060A/2021-36196",
        "发布机构": "任城区卫生健康局",
        "公开方式": "主动公开",
        "组配分类": "部门文件",
        "成文日期": "2021-10-18",
        "废止日期": "",
        "有效性": "",
    }


def test_repeated_short_line_is_kept_once_but_repeated_markers_are_not_headers() -> None:
    text = "某市卫生健康规划\n一、目标\n某市卫生健康规划\n(一)任务。\n某市卫生健康规划\n二、措施\n(一)任务。"
    assert [line.text for line in source_lines(text).lines] == ["某市卫生健康规划", "一、目标", "(一)任务。", "二、措施", "(一)任务。"]


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
    assert kept in _all_text(parsed)


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


def test_pdf_pages_are_cleaned_and_rejoined() -> None:
    source, parsed = fixture("pdf-pages.txt")
    first = clause(parsed, "一、")
    assert first.text == (
        "一、发展基础\n“十三五”期间,全市卫生健康事业取得显著成效,居民人均预期寿命达到79.5 岁,孕产妇死亡率、婴儿死亡率持续下降。"
    )
    assert clause(parsed, "二、/(一)").text == (
        "(一)完善医疗服务体系。到2025 年,每千人口医疗卫生机构床位数达到7.2 张,每千人口执业(助理)医师数达到3.4 人。"
    )
    everything = _all_text(parsed)
    for noise in ("— 1 —", "-2-", "第3页", "第 4 页"):
        assert noise not in everything
    assert compact(everything + parsed.title).count("江州市“十四五”卫生健康发展规划") == 1
    # a clause wrapped across a page keeps one span over the page break
    span = source[first.start : first.end]
    assert span.startswith("一、发展基础") and span.endswith("持续下降。") and "— 1 —" in span
    assert parsed.warnings == []


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
