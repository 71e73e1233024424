"""qa.ingest.cleaning: line cleaning (chrome, page numbers, running headers, the metadata table) and wrap joining,
on real snippets and through the parse of the five sample plans and the PDF fixture."""

from __future__ import annotations

import pytest

from qa.ingest.cleaning import is_web_chrome, join_wrapped, source_lines
from qa.ingest.parsing import parse_plan
from qa.normalize import compact, search_form
from tests.plans import all_text, clause, fixture, plan

# ----------------------------------------------------------------------- noise kept out of clauses


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
    assert absent not in all_text(plan(name)[1])


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
    assert front not in all_text(parsed)


def test_taizhou_metadata_from_the_cover_signature() -> None:
    assert plan("taizhou-2023")[1].metadata == {"发布机构": "泰州市衛生健康委員會", "日期": "2023-05-22"}


def test_guizhou_running_header_is_kept_once() -> None:
    parsed = plan("guizhou-2019-2022")[1]
    title = "卫生健康服务能力提升“八大工程”行动计划(2019—2022年)"
    everything = "\n".join([parsed.title, parsed.front_matter, all_text(parsed)])
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


def test_pdf_pages_are_cleaned_and_rejoined() -> None:
    source, parsed = fixture("pdf-pages.txt")
    first = clause(parsed, "一、")
    assert first.text == (
        "一、发展基础\n“十三五”期间,全市卫生健康事业取得显著成效,居民人均预期寿命达到79.5 岁,孕产妇死亡率、婴儿死亡率持续下降。"
    )
    assert clause(parsed, "二、/(一)").text == (
        "(一)完善医疗服务体系。到2025 年,每千人口医疗卫生机构床位数达到7.2 张,每千人口执业(助理)医师数达到3.4 人。"
    )
    everything = all_text(parsed)
    for noise in ("— 1 —", "-2-", "第3页", "第 4 页"):
        assert noise not in everything
    assert compact(everything + parsed.title).count("江州市“十四五”卫生健康发展规划") == 1
    # a clause wrapped across a page keeps one span over the page break
    span = source[first.start : first.end]
    assert span.startswith("一、发展基础") and span.endswith("持续下降。") and "— 1 —" in span
    assert parsed.warnings == []


# ------------------------------------------------------------------ a web page printed to PDF

# hainan-health-in-all-policies-plan.webpage.pdf and what browsers print around a page
WEB_CHROME = [
    "繁 无障碍浏览 | 关怀版",
    "请输入关键词搜索",
    "首    页  机构介绍  要闻动态  信息公开  解读回应  政务服务  互动交流  数据",
    "首页  >  信息公开  >  公开保障  >  政府信息公开目录",
    "网站地图　|　联系我们",
    "主办单位：海南省卫生健康委员会   地址：海南省海口市美兰区海府路38号",
    "任何建议和意见请联系：hnswshjhsywyh@126.com　技术支持：海南省卫生健康委员会信息中心、海南信息岛技术服务中心琼ICP备2023011375号-4",
    "琼公网安备 46010802000007号  政府网站标识码：4600000044 邮编：570203",
    "https://wst.hainan.gov.cn/swjw/xxgk/0200/202505/t20250515_3860000.html 1/4",
    "2025/5/20 10:21 海南省健康海南建设委员会（爱国卫生运动委员会）关于印发《海南省将健康融入所有政策实施方案》的通知",
    "2025/5/20 下午3:05",
]
PROSE = [
    "险问题跨部门干预专项行动扎实推进，儿童青少年心理健康关爱行动计划等项目落地实施。",
    "无障碍环境建设，推进适老化改造。",  # a wrapped line may begin with a furniture word
    "技术支持，确保系统稳定运行。",
    "主办单位负责场地保障。",
    "首页是门户网站的窗口",
    "2025年3月17日",
    "一、总体要求及主要目标",
]


@pytest.mark.parametrize("line", WEB_CHROME)
def test_web_chrome_is_dropped(line: str) -> None:
    assert is_web_chrome(line)
    assert source_lines(f"{line}\n一、总体要求\n坚持人民至上。").lines[0].text == "一、总体要求"


@pytest.mark.parametrize("line", PROSE)
def test_prose_is_no_web_chrome(line: str) -> None:
    assert not is_web_chrome(line)


def test_web_chrome_inside_a_sentence_no_longer_breaks_it() -> None:
    # the site's search box printed at the foot of a page, between the two halves of a sentence
    parsed = parse_plan("一、总体要求\n推进行动，重大健康风\n请输入关键词搜索\n险问题跨部门干预专项行动扎实推进，各项目落地实施。")
    assert parsed.clauses[0].text == "一、总体要求\n推进行动，重大健康风险问题跨部门干预专项行动扎实推进，各项目落地实施。"


def test_the_pages_information_block_is_document_metadata() -> None:
    block = (
        "标题：海南省健康海南建设委员会 （爱国卫生运动委员会）关于印发《海南省将健康融入所有政策实施方案》的通知\n"
        "索引号：00817371-5/2025-00123 主题分类：卫生、计划生育、妇女儿童\n"
        "发文机关：海南省卫生健康委员会 成文日期：2025年05月15日\n"
        "文 号：琼健爱卫〔2025〕7号 发布日期：2025年05月15日\n"
        "时效性：有效\n"
        "一、总体要求\n坚持人民至上。"
    )
    src = source_lines(block)
    assert [line.text for line in src.lines] == ["一、总体要求", "坚持人民至上。"]
    assert src.metadata["索引号"] == "00817371-5/2025-00123"
    assert src.metadata["主题分类"] == "卫生、计划生育、妇女儿童"
    assert src.metadata["发文机关"] == "海南省卫生健康委员会"
    assert src.metadata["成文日期"] == "2025-05-15" and src.metadata["发布日期"] == "2025-05-15"
    assert src.metadata["文号"] == "琼健爱卫〔2025〕7号"
    assert src.metadata["时效性"] == "有效"
