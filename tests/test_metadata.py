"""Metadata read from a plan's own text (qa/ingest/metadata.py and the metadata_* rule modules), table-driven on short snippets of real documents
(a title, a 落款, an adoption note, a metadata block: a few lines each, not the documents), and the rule data in
qa/data/document_kinds.toml and qa/data/issuers.toml."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from qa.ingest.metadata import DocumentInfo, infer_info, read_metadata
from qa.ingest.metadata_issuers import find_adoption, find_signature, is_body, parse_date
from qa.ingest.metadata_regions import region_of
from qa.ingest.metadata_titles import find_notice_title, heading_title, kind_of
from qa.ingest.metadata_years import parse_years, plan_years, title_years
from qa.ingest.parsing import parse_plan

DATA = Path(__file__).resolve().parent.parent / "qa" / "data"
EXPECTATIONS = Path(__file__).resolve().parent / "expectations"

# ------------------------------------------------------------------------------------------------ dates


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2025年3月17日", "2025-03-17"), ("2019 年 12 月 28 日", "2019-12-28"), ("2025年05月15日", "2025-05-15"),
        ("2023-02-28", "2023-02-28"), ("2023.5.22", "2023-05-22"), ("二〇二五年三月十七日", "2025-03-17"),
        ("二〇一九年十二月二十八日", "2019-12-28"), ("2025年13月1日", ""), ("到2030年", ""), ("", ""),
    ],
)
def test_parse_date(text: str, iso: str) -> None:
    assert parse_date(text) == iso


# ----------------------------------------------------------------------------------------------- bodies


@pytest.mark.parametrize(
    ("text", "body"),
    [
        ("海南省健康海南建设委员会（爱国卫生运动委员会）", True), ("海南省健康海南建设委员会", True),
        ("健康中国行动推进委员会", True), ("全国人民代表大会常务委员会", True), ("全国人大常委会", True),
        ("泰州市衛生健康委員會", True), ("深圳市龙岗区卫生健康局", True), ("国务院办公厅", True),
        ("（爱国卫生运动委员会）", False),  # a second name continues the line above; it is no body by itself
        ("中国人大网", False), ("海南省儿童健康促进专项行动计划", False), ("2025年3月17日", False),
        ("各市、县、自治县人民政府，海南省健康海南建设委员会各成员单位：", False), ("局", False),
    ],
)
def test_is_body(text: str, body: bool) -> None:
    assert is_body(text) is body


# ----------------------------------------------------------------------------------------------- titles


@pytest.mark.parametrize(
    ("lines", "title", "issuer"),
    [
        # a notice whose issuer and title each run over two lines (the docx and the web page's PDF print)
        (["琼健爱卫〔2025〕7号", "海南省健康海南建设委员会", "（爱国卫生运动委员会）", "关于印发《海南省将健康融入所有政策", "实施方案》的通知"],
         "关于印发《海南省将健康融入所有政策实施方案》的通知", "海南省健康海南建设委员会（爱国卫生运动委员会）"),
        (["济宁市任城区卫生健康局", "关于印发《2021年度全区卫生健康工作要点》的通知"],
         "关于印发《2021年度全区卫生健康工作要点》的通知", "济宁市任城区卫生健康局"),
        (["青卫发〔2024〕12号", "", "关于印发《青崖县基层医疗卫生服务能力提升三年行动实施方案（2024—2026年）》的通知"],
         "关于印发《青崖县基层医疗卫生服务能力提升三年行动实施方案（2024—2026年）》的通知", ""),
        # a sentence that quotes a notice title is not one
        (["为贯彻落实中共中央办公厅、国务院办公厅《关于进一步深化改革促进乡村医疗卫生体系健康发展的意见》，加快补齐短板。"], "", ""),
    ],
)
def test_find_notice_title(lines: list[str], title: str, issuer: str) -> None:
    _at, found, body = find_notice_title(lines)
    assert (found, body) == (title, issuer)


@pytest.mark.parametrize(
    ("lines", "title"),
    [
        (["附件2", "", "海南省儿童青少年心理健康关爱行动计划", "", "心理健康是健康的重要组成部分。"], "海南省儿童青少年心理健康关爱行动计划"),
        (["附件4", "", "海南省健康体重管理与健康食品产业", "发展行动", "", "体重与人体健康状况密切相关。"], "海南省健康体重管理与健康食品产业发展行动"),
        (["附件５", "", "《海南省将健康融入所有政策实施方案》", "政策解读", "在新时代……我省出台《方案》。"], "《海南省将健康融入所有政策实施方案》政策解读"),
        (["附件1", "", "省级相关部门“将健康融入所有政策”职责清单", "部门 | 职责与任务"], "省级相关部门“将健康融入所有政策”职责清单"),
        # a cover: the title, its year span on the next line (a hyphen there is written as the title's dash)
        (["健康中国行动", "（2019-2030 年）", "健康中国行动推进委员会", "2019 年 7 月 9 日"], "健康中国行动（2019—2030年）"),
        (["中华人民共和国传染病防治法", "（1989 年2 月 21 日第七届全国人民代表大会常务委员会第六次会议通过）"], "中华人民共和国传染病防治法"),
        # a red head printed above the title (a PDF's running header) is not part of it
        (["江州市卫生健康委员会文件", "江州市2023年卫生健康工作要点", "为做好2023年工作，制定本要点。"], "江州市2023年卫生健康工作要点"),
        (["2023年全市卫生健康工作的总体要求是：坚持以人民健康为中心"], ""),  # prose: no title
        (["政策解读", "某市2024年卫生健康工作要点"], "某市2024年卫生健康工作要点"),  # a web menu's entry is too short to be one
    ],
)
def test_heading_title(lines: list[str], title: str) -> None:
    assert heading_title(lines)[1] == title


# ---------------------------------------------------------------------------------------- 落款 and notes


@pytest.mark.parametrize(
    ("lines", "issuer", "date"),
    [
        (["附件：海南省将健康融入所有政策实施方案", "", "", "海南省健康海南建设委员会", "（爱国卫生运动委员会）（代章）", "2025年3月17日", "（此件主动公开）"],
         "海南省健康海南建设委员会（爱国卫生运动委员会）", "2025-03-17"),
        # a PDF has no blank lines: the attachment line above the 落款 is not part of the body
        (["附件：海南省将健康融入所有政策实施方案", "海南省健康海南建设委员会", "（爱国卫生运动委员会）（代章）", "2025年3月17日"],
         "海南省健康海南建设委员会（爱国卫生运动委员会）", "2025-03-17"),
        (["鹤岭县2024年卫生健康工作要点", "鹤岭县卫生健康局　2024年2月26日"], "鹤岭县卫生健康局", "2024-02-26"),
        (["健康中国行动", "（2019-2030 年）", "健康中国行动推进委员会", "2019 年 7 月 9 日"], "健康中国行动推进委员会", "2019-07-09"),
        (["国家卫生健康委员会", "国家发展和改革委员会", "二〇二五年三月十七日"], "国家卫生健康委员会、国家发展和改革委员会", "2025-03-17"),
        (["到2030年，我省产前筛查率达90%以上。", "2025年3月17日"], "", ""),  # a date under a sentence is no 落款
    ],
)
def test_find_signature(lines: list[str], issuer: str, date: str) -> None:
    assert find_signature(lines) == (issuer, date)


@pytest.mark.parametrize(
    ("text", "issuer", "date"),
    [
        ("（2019 年 12 月 28 日第十三届全国人民代表大会常务委员会第十五次会议通过）", "全国人民代表大会常务委员会", "2019-12-28"),
        # an amendment history: the latest revision is the law's date
        ("（1989 年2 月 21 日第七届全国人民代表大会常务委员会第六次会议通过 2004 年8 月28 日第十届全国人民代表大会常务委员会"
         "第十一次会议第一次修订 根据 2013 年6 月29 日第十二届全国人民代表大会常务委员会第三次会议《关于修改〈中华人民共和国"
         "文物保护法〉等十二部法律的\n决定》修正 2025 年4 月30 日第十四届全国人民代表大会常务委员会第十五次会议第二次修订）",
         "全国人民代表大会常务委员会", "2025-04-30"),
        ("（2010年12月29日国务院第138次常务会议通过）", "国务院", "2010-12-29"),
        ("本法自 2020 年 6 月 1 日起施行。", "", ""),
    ],
)
def test_find_adoption(text: str, issuer: str, date: str) -> None:
    assert find_adoption(text) == (issuer, date)


# ------------------------------------------------------------------------------------------------ years


@pytest.mark.parametrize(
    ("title", "years"),
    [
        ("健康中国行动（2019—2030年）", tuple(range(2019, 2031))), ("行动计划(2019—2022 年)", (2019, 2020, 2021, 2022)),
        ("澄川市“十四五”卫生健康事业发展规划", (2021, 2022, 2023, 2024, 2025)), ("“十三五”规划", tuple(range(2016, 2021))),
        ("鹤岭县2024年卫生健康工作要点", (2024,)), ("龙岗区2023年度卫生健康工作要点", (2023,)),
        ("关于印发《2021年度全区卫生健康工作要点》的通知", (2021,)), ("海南省儿童健康促进专项行动计划", ()),
    ],
)
def test_title_years(title: str, years: tuple[int, ...]) -> None:
    assert title_years(title) == years


@pytest.mark.parametrize(
    ("title", "kind", "date", "text", "years"),
    [
        # a plan kind without a year in its title: its issue year through its last 到YYYY年 target
        ("某省儿童健康促进专项行动计划", "行动计划", "2025-03-17", "到2030年，新生儿疾病筛查率达98.5%以上。", tuple(range(2025, 2031))),
        # a notice keeps to its own year whatever the plan it prints sets (the expectations' reading)
        ("关于印发《某省实施方案》的通知", "通知", "2025-03-17", "到2030年“将健康融入所有政策”……", (2025,)),
        ("中华人民共和国传染病防治法", "法", "2025-04-30", "", (2025,)),
        ("某县工作要点", "工作要点", "2024-02-26", "到2025年……", (2024,)),  # an annual 工作要点 too
        ("某市规划", "规划", "2021-06-01", "展望到2050年……", (2021,)),  # a far vision is no target
        # no date and no year in the title: targets alone do not say when the plan starts
        ("某省儿童健康促进专项行动计划", "行动计划", "", "到2030年……", ()),
        ("健康中国行动（2019—2030年）", "行动计划", "2019-07-09", "到2022年……", tuple(range(2019, 2031))),
    ],
)
def test_plan_years(title: str, kind: str, date: str, text: str, years: tuple[int, ...]) -> None:
    assert plan_years(title, kind, date, text) == years


@pytest.mark.parametrize(
    ("value", "years"),
    [([2019, 2020], (2019, 2020)), ("2019-2022", (2019, 2020, 2021, 2022)), ("2019,2020", (2019, 2020)), (2023, (2023,)), ("", ())],
)
def test_parse_years(value: object, years: tuple[int, ...]) -> None:
    assert parse_years(value) == years


# ----------------------------------------------------------------------------------------------- region


@pytest.mark.parametrize(
    ("issuer", "title", "region"),
    [
        ("海南省健康海南建设委员会（爱国卫生运动委员会）", "", "海南省"), ("深圳市龙岗区卫生健康局", "", "深圳市龙岗区"),
        ("泰州市衛生健康委員會", "", "泰州市"), ("中共海南省委", "", "海南省"), ("内蒙古自治区卫生健康委员会", "", "内蒙古自治区"),
        ("", "《海南省将健康融入所有政策实施方案》政策解读", "海南省"), ("", "关于印发《青崖县某方案》的通知", "青崖县"),
        ("", "晋城市2023年卫生健康工作要点", "晋城市"), ("", "健康城市建设行动方案", ""), ("", "工业园区卫生工作要点", ""),
        ("全国人民代表大会常务委员会", "中华人民共和国传染病防治法", "全国"), ("健康中国行动推进委员会", "健康中国行动", "全国"),
        ("国家卫生健康委员会", "", "全国"), ("国务院办公厅", "", "全国"), ("", "中华人民共和国基本医疗卫生与健康促进法", "全国"),
        ("", "省级相关部门“将健康融入所有政策”职责清单", ""), ("", "", ""),
    ],
)
def test_region_of(issuer: str, title: str, region: str) -> None:
    assert region_of(issuer, title) == region


def test_every_national_body_of_the_data_list_is_national_and_reads_as_a_body() -> None:
    data = tomllib.loads((DATA / "issuers.toml").read_text(encoding="utf-8"))
    for prefix in data["national"]["issuers"]:
        assert region_of(prefix + "办公厅", "") == "全国", prefix
    for short, full in data["aliases"].items():
        assert is_body(short) and is_body(full), (short, full)
    assert region_of("中国疾病预防控制中心", "") == "全国"
    assert region_of("海南省卫生健康委员会", "") == "海南省"  # a place wins over a national-looking word after it


# ------------------------------------------------------------------------------------------------- kinds


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("关于印发《海南省将健康融入所有政策实施方案》的通知", "通知"), ("海南省将健康融入所有政策实施方案", "实施方案"),
        ("健康中国行动（2019—2030年）", "行动计划"), ("海南省健康体重管理与健康食品产业发展行动", "行动计划"),
        ("海南省儿童健康促进专项行动计划", "行动计划"), ("2023年全市衛生健康工作要點", "工作要点"),
        ("澄川市“十四五”卫生健康事业发展规划（2021—2025年）", "规划"), ("中华人民共和国传染病防治法", "法"),
        ("《海南省将健康融入所有政策实施方案》政策解读", "解读"), ("省级相关部门“将健康融入所有政策”职责清单", "清单"),
        ("医疗机构管理条例", "条例"), ("关于深化医药卫生体制改革的意见", "意见"), ("健康教育的方法", ""), ("江州市卫生健康委员会", ""),
    ],
)
def test_kind_of(title: str, kind: str) -> None:
    assert kind_of(title) == kind


def test_the_kinds_table_lists_longer_endings_first_and_every_expected_kind() -> None:
    rows = tomllib.loads((DATA / "document_kinds.toml").read_text(encoding="utf-8"))["kind"]
    endings = [row["ending"] for row in rows]
    for i, ending in enumerate(endings):
        shadowing = [e for e in endings[:i] if ending.endswith(e) and e != ending]
        assert not shadowing, f"{ending} comes after {shadowing}: it would never match"
    expected = {json.loads(p.read_text(encoding="utf-8"))["kind"] for p in EXPECTATIONS.glob("*.json")}
    assert expected <= {row["kind"] for row in rows}


# ---------------------------------------------------------------------------------------- whole documents

NOTICE = """琼健爱卫〔2025〕7号
海南省健康海南建设委员会
（爱国卫生运动委员会）
关于印发《海南省将健康融入所有政策
实施方案》的通知
各市、县、自治县人民政府，海南省健康海南建设委员会（爱国卫生运动委员会）各成员单位：
《海南省将健康融入所有政策实施方案》已经全体委员会研究通过，现印发你们，请遵照执行。

附件：海南省将健康融入所有政策实施方案

海南省健康海南建设委员会
（爱国卫生运动委员会）（代章）
2025年3月17日
（此件主动公开）

海南省将健康融入所有政策实施方案

为深入贯彻党的二十大精神，特制定本方案。
一、总体要求及主要目标
2025年，省级、市县……到2030年“将健康融入所有政策”……
"""

WEB_HEADER = """标题：海南省健康海南建设委员会 （爱国卫生运动委员会）关于印发《海南省将健康融入所有政策实施方案》的通知
发文机关：海南省卫生健康委员会 成文日期：2025年05月15日
文 号：琼健爱卫〔2025〕7号 发布日期：2025年05月15日
"""

ATTACHMENT = """附件3

海南省儿童健康促进专项行动计划

儿童健康是经济社会可持续发展的重要保障。
一、主要目标
到2030年，我省产前筛查率达90%以上。
二、工作举措
（一）加强出生缺陷综合防治服务。（省卫生健康委、省民政厅按职责分工负责）
"""

LAW = """中华人民共和国基本医疗卫生与健康促进法
发文机关 全国人大常委会
发文日期 2019 年 12 月 28 日
效力级别 法律
法条正文
（2019 年 12 月 28 日第十三届全国人民代表大会常务委员会第十五次会议通过）
第一章 总则
第一条 为了发展医疗卫生与健康事业，制定本法。
"""


@pytest.mark.parametrize(
    ("text", "title", "short_title", "issuer", "date", "years", "region", "kind"),
    [
        (NOTICE, "关于印发《海南省将健康融入所有政策实施方案》的通知", "海南省将健康融入所有政策实施方案",
         "海南省健康海南建设委员会（爱国卫生运动委员会）", "2025-03-17", (2025,), "海南省", "通知"),
        # the web page's own metadata names another body and date: the document's 落款 wins
        (WEB_HEADER + NOTICE, "关于印发《海南省将健康融入所有政策实施方案》的通知", "海南省将健康融入所有政策实施方案",
         "海南省健康海南建设委员会（爱国卫生运动委员会）", "2025-03-17", (2025,), "海南省", "通知"),
        # an attachment printed as a file of its own states no issuer and no date (read alone; tests/test_attachments.py)
        (ATTACHMENT, "海南省儿童健康促进专项行动计划", "海南省儿童健康促进专项行动计划", "", "", (), "海南省", "行动计划"),
        (LAW, "中华人民共和国基本医疗卫生与健康促进法", "中华人民共和国基本医疗卫生与健康促进法",
         "全国人民代表大会常务委员会", "2019-12-28", (2019,), "全国", "法"),
    ],
)
def test_read_metadata(text: str, title: str, short_title: str, issuer: str, date: str, years: tuple[int, ...], region: str, kind: str) -> None:
    found = read_metadata(text)
    assert (found.title, found.short_title, found.issuer, found.date, found.years, found.region, found.kind) == (
        title, short_title, issuer, date, years, region, kind
    )


def test_read_metadata_names_its_sources() -> None:
    assert read_metadata(WEB_HEADER + NOTICE).sources == {"title": "notice title", "issuer": "落款", "date": "落款"}
    assert read_metadata(LAW).sources == {"title": "heading", "issuer": "adoption note", "date": "adoption note"}


def test_a_markdown_title_comes_first() -> None:
    found = read_metadata("关于本规划\n一、总则\n", markdown="澄川市卫生健康事业发展规划（2021—2025年）")
    assert found.title == "澄川市卫生健康事业发展规划（2021—2025年）" and found.years == tuple(range(2021, 2026))


# ------------------------------------------------------------------------------------------- the catalog


def test_the_catalog_wins_and_the_text_fills_what_it_lacks() -> None:
    parsed = parse_plan(NOTICE)
    info, notes = infer_info("x", parsed, {"title": "海南省将健康融入所有政策实施方案", "region": "海南省"}, NOTICE)
    assert (info.title, info.region, info.issuer, info.date, info.years, info.kind) == (
        "海南省将健康融入所有政策实施方案", "海南省", "海南省健康海南建设委员会（爱国卫生运动委员会）", "2025-03-17",
        tuple(range(2025, 2031)), "实施方案",
    )  # as a 实施方案 (not a notice), the plan runs from its 落款 year to its 到2030年 targets
    assert notes == []  # a catalog entry: no note on inference


@pytest.mark.parametrize(
    ("entry", "year", "years"),
    [
        ({"title": "行动计划(2019—2022年)", "year": 2019}, 2019, (2019, 2020, 2021, 2022)),  # the title's span from its year
        ({"title": "某市2023年工作要点", "year": 2023}, 2023, (2023,)),
        ({"title": "行动计划(2019—2022年)", "year": 2020}, 2020, (2020,)),  # a catalog year the span does not start at
        ({"title": "某市规划", "years": "2021-2025"}, 2021, (2021, 2022, 2023, 2024, 2025)),
        ({"title": "某市规划", "years": [2024, 2025], "year": 2024}, 2024, (2024, 2025)),
    ],
)
def test_catalog_years(entry: dict, year: int, years: tuple[int, ...]) -> None:
    info, _ = infer_info("x", parse_plan("一、总则\n1.内容。\n"), entry, "一、总则\n1.内容。\n")
    assert (info.year, info.years) == (year, years)


def test_notes_say_what_could_not_be_inferred() -> None:
    info, notes = infer_info("x", parse_plan(ATTACHMENT), None, ATTACHMENT)
    assert notes == ["no catalog entry: metadata inferred from the text; could not infer issuer, years, date"]
    assert info.year == 0 and info.citation_title == "海南省儿童健康促进专项行动计划"


NOTICE_INFO = DocumentInfo(
    "notice", "关于印发《海南省将健康融入所有政策实施方案》的通知", issuer="海南省健康海南建设委员会（爱国卫生运动委员会）",
    region="海南省", year=2025, date="2025-03-17", years=(2025,), kind="通知",
)
UNDATED_NOTICE = DocumentInfo("notice", "关于印发《某方案（2024—2026年）》的通知", issuer="青崖县卫生健康局", region="青崖县", year=2024, years=(2024, 2025, 2026))
DUTIES = "附件1\n\n省级相关部门职责清单\n\n一、省卫生健康委：统筹推进。\n"


@pytest.mark.parametrize(
    ("text", "entry", "notice", "issuer", "date", "years", "region", "inherited"),
    [
        # the text says title and region: issuer and date are the notice's, years from its date through the targets
        (ATTACHMENT, None, NOTICE_INFO, "海南省健康海南建设委员会（爱国卫生运动委员会）", "2025-03-17", tuple(range(2025, 2031)), "海南省", "issuer, date and years"),
        (DUTIES, None, NOTICE_INFO, "海南省健康海南建设委员会（爱国卫生运动委员会）", "2025-03-17", (2025,), "海南省", "issuer, date, years and region"),
        # the text's own 落款 wins over the notice
        (ATTACHMENT + "\n海南省卫生健康委员会\n2025年4月2日\n", None, NOTICE_INFO, "海南省卫生健康委员会", "2025-04-02", tuple(range(2025, 2031)), "海南省", ""),
        # the catalog wins over both
        (ATTACHMENT, {"issuer": "海南省教育厅", "years": "2025-2027"}, NOTICE_INFO, "海南省教育厅", "2025-03-17", (2025, 2026, 2027), "海南省", "date"),
        # a notice without a date: its year starts the years
        (DUTIES, None, UNDATED_NOTICE, "青崖县卫生健康局", "", (2024,), "青崖县", "issuer, years and region"),
        (ATTACHMENT, None, None, "", "", (), "海南省", ""),  # no notice: nothing
    ],
)
def test_an_attachment_inherits_what_neither_its_entry_nor_its_text_gives(
    text: str, entry: dict | None, notice: DocumentInfo | None, issuer: str, date: str, years: tuple[int, ...], region: str, inherited: str
) -> None:
    info, notes = infer_info("x", parse_plan(text), entry, text, notice=notice, listed_as="附件3")
    assert (info.issuer, info.date, info.years, info.year, info.region) == (issuer, date, years, years[0] if years else 0, region)
    assert [n for n in notes if "from the notice" in n] == ([f"{inherited} from the notice {notice.title} that lists it as 附件3"] if inherited and notice else [])
