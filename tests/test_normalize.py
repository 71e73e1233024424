"""qa.normalize: display repair (pinyin glosses, '?' padding) and the search form, on real snippets of the plans."""

from __future__ import annotations

import pytest

from qa.normalize import LOST_CHARACTERS, compact, repair_line, search_form, strip_pinyin, strip_question_padding

# ------------------------------------------------------------------------------------ pinyin glosses


@pytest.mark.parametrize(
    ("raw", "display"),
    [
        ("衛(wèi)生健康委", "衛生健康委"),
        ("各市(區(qū))衛(wèi)生健康委,委直屬各單位,委機關各處室:", "各市(區)衛生健康委,委直屬各單位,委機關各處室:"),
        ("繼續(xù)保留必要的醫(yī)療救治設施和場所", "繼續保留必要的醫療救治設施和場所"),
        ("是全面推進中國式現(xiàn)代化泰州新實踐的起步之年", "是全面推進中國式現代化泰州新實踐的起步之年"),
        ("(一)持續(xù)強化監(jiān)測預警", "(一)持續強化監測預警"),
        ("(二)切實抓好重點機構重點環(huán)節(jié)防控", "(二)切實抓好重點機構重點環節防控"),
        ("立即進行流調(diào)溯源、規(guī)范開展處置", "立即進行流調溯源、規范開展處置"),
        ("加大職業(yè)衛(wèi)生監(jiān)管執(zhí)法力度", "加大職業衛生監管執法力度"),
        # after conversion damage a toned gloss can follow a stray Latin letter: 發 -> 瓢l(fā)
        ("重點??瓢l(fā)展規(guī)劃", "重點??瓢l展規劃"),
    ],
)
def test_pinyin_glosses_are_removed(raw: str, display: str) -> None:
    assert strip_pinyin(raw) == display
    assert repair_line(raw) == display


@pytest.mark.parametrize(
    "text",
    [
        "(一)持續強化監測預警",  # the plan's own numbering
        "(1)推進胸痛中心建設",
        "新建院前急救站(點)2個。",
        "加強公共場所AED配置率,投放AED50臺",
        "聘用人员纳入“备案制”管理(备案制管理)",
        "(責任處室:疾控處)",
        "《泰州市臨床重點專科發展規劃(2020-2025年)》",
        "(州)级老龄健康疗养中心建设全覆盖。",
        "香港中文大学(深圳)附属第二医院",
    ],
)
def test_parentheses_that_are_not_pinyin_are_kept(text: str) -> None:
    assert strip_pinyin(text) == text
    assert repair_line(text) == text


# ----------------------------------------------------------------------------------- '?' padding


@pytest.mark.parametrize(
    ("raw", "display"),
    [
        ("??? 現(xiàn)將《2023年全市衛(wèi)生健康工作要點》印發(fā)給你們,請結合實際,認真抓好貫徹落實。",
         "現將《2023年全市衛生健康工作要點》印發給你們,請結合實際,認真抓好貫徹落實。"),
        ("? ? ? ? ? ? ? ? ? ? ? ? ?泰州市衛(wèi)生健康委員會", "泰州市衛生健康委員會"),
        ("? ? ? ? ? ? ? ? ? ? ? ? ? ? 2023年5月22日", "2023年5月22日"),
        ("??? 今年是貫徹落實黨的二十大精神的開局之年。", "今年是貫徹落實黨的二十大精神的開局之年。"),
        ("\u3000\u3000??? 今年是開局之年。", "今年是開局之年。"),
        ("  (一)加快推进医院项目建设。", "(一)加快推进医院项目建设。"),  # longgang's two-space indent
    ],
)
def test_question_mark_padding_is_removed(raw: str, display: str) -> None:
    assert repair_line(raw) == display


@pytest.mark.parametrize(
    ("raw", "display", "search", "lost"),
    [
        ("重點??瓢l(fā)展規(guī)劃", "重點??瓢l展規劃", "重点瓢l展规划", 1),
        ("指導各醫(yī)院開展重點??婆嘤?,力爭年內(nèi)", "指導各醫院開展重點??婆嘤?,力爭年內", "指导各医院开展重点婆嘤,力争年内", 2),
        ("力爭年內(nèi)創(chuàng)建3~5個省級臨床重點???。", "力爭年內創建3~5個省級臨床重點???。", "力争年内创建3~5个省级临床重点。", 1),
        ("重癥、呼吸等??颇芰ㄔO,", "重癥、呼吸等??颇芰ㄔO,", "重症、呼吸等颇芰ㄔo,", 1),
    ],
)
def test_lost_characters_stay_in_display_and_leave_the_search_form(raw: str, display: str, search: str, lost: int) -> None:
    assert repair_line(raw) == display
    assert search_form(raw) == search
    assert "?" not in search_form(raw)
    assert len(LOST_CHARACTERS.findall(display)) == lost


@pytest.mark.parametrize("line", ["是否需要?", "How?", "问题?? 见下文"])
def test_question_marks_after_text_are_not_padding(line: str) -> None:
    assert strip_question_padding(line) == line


# ------------------------------------------------------------------------------------ search form


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("衛生健康", "卫生健康"),
        ("衛(wèi)生健康", "卫生健康"),
        ("泰州市衛(wèi)生健康委員會", "泰州市卫生健康委员会"),
        ("醫(yī)療救治", "医疗救治"),
        ("現(xiàn)代化", "现代化"),
        ("(一)持續強化監測預警", "(一)持续强化监测预警"),
        ("（一）持续强化监测预警", "(一)持续强化监测预警"),
        ("２０２３年", "2023年"),
        ("投放ＡＥＤ５０臺", "投放AED50台"),
        ("2020 年,法定传染病总发病率控制", "2020年,法定传染病总发病率控制"),
        ("医师2.5 人、注册护士3.14 人", "医师2.5人、注册护士3.14人"),
        ("103.26/10 万以内", "103.26/10万以内"),
        ("医疗服务 更加\u3000可及", "医疗服务更加可及"),
    ],
)
def test_equivalent_texts_share_one_search_form(a: str, b: str) -> None:
    assert search_form(a) == search_form(b)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("衛生健康", "卫生健康"),
        ("２０２３年ＡＢＣ", "2023年abc"),
        ("2020 年", "2020年"),
        ("2022 年,甲乙丙类法定传\n\n染病", "2022年,甲乙丙类法定传染病"),
        ("15 分钟内", "15分钟内"),
        ("每年建设50 个基层医疗卫生机", "每年建设50个基层医疗卫生机"),
        ("各市(區(qū))衛(wèi)生健康委", "各市(区)卫生健康委"),
        ("\ufeff一、目标任务", "一、目标任务"),
    ],
)
def test_search_form(text: str, expected: str) -> None:
    assert search_form(text) == expected


def test_search_form_is_idempotent() -> None:
    text = "??? 現(xiàn)將《2023年全市衛(wèi)生健康工作要點》印發(fā)給你們 2020 年 ２０２３"
    assert search_form(search_form(text)) == search_form(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("索 引 号", "索引号"),
        ("  一、积极完善医疗服务体系\u3000", "一、积极完善医疗服务体系"),
        ("2019—2022 年", "2019—2022年"),
        ("衛生\u00a0健康\u200b", "衛生健康"),
    ],
)
def test_compact_removes_whitespace_only(text: str, expected: str) -> None:
    assert compact(text) == expected
