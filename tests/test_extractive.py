"""The extractive answerer's quoting of clauses: pure parts, table-driven on real text (its reading of questions:
tests/test_question.py; its weights: tests/test_answer_weights.py)."""

from __future__ import annotations

import pytest

from qa.answer.extractive import ExtractiveAnswerer
from qa.answer.figures import has_figure, year_context, years_fit
from qa.answer.spans import summary_of
from qa.search.lexical import Tokenizer, colloquial_in, expand_query
from qa.search.results import Retrieved
from qa.store import StoredChunk

GUIZHOU_TARGETS = (
    "(三)诊疗技术更加先进。2020 年,孕产妇死亡率降到20/10 万,婴儿死亡率降到7.5‰,5 岁以下儿童死亡率降到9.5‰。"
    "2022 年,孕产妇死亡率降到18/10 万,婴儿死亡率降到7‰,5 岁以下儿童死亡率降到9‰,人均预期寿命75 岁以上。"
)
GANZHOU_32 = (
    "32.全面推进卫生城镇创建。推进瑞金市、信丰县、上犹县等9个县、36个乡镇国家卫生城镇创建,加快推进宁都县创建省级卫生县城,"
    "年内新增省级卫生县城(乡镇)26个,确保卫生乡镇创建率达50%。"
)
LONGGANG_10 = "(十)推进智慧医院建设。完善“龙岗健康在线”微信号便民惠民服务,争取用户突破200万。"


@pytest.mark.parametrize(
    ("sentence", "units", "figure"),
    [
        ("居民健康素养水平提高至26%以上", [], True),
        ("再建成1个负压生物安全二级实验室", ["元"], False),  # a count is not a price
        ("组织泰州市卫生健康系统2023年南京医科大学公开招聘专场", [], False),  # a year is not a figure
        ("推动实现电子化监测县全覆盖", [r"%|‰|成|/10万|全覆盖|100%"], True),
        ("增加普惠托位供给", [], False),
        ("人均预期寿命75 岁以上", ["岁"], True),
    ],
)
def test_has_figure(sentence: str, units: list[str], figure: bool) -> None:
    assert has_figure(sentence, units) is figure


@pytest.mark.parametrize(
    ("sentence", "asked", "plan_years", "fits"),
    [
        ("2022 年,婴儿死亡率降到7‰", [2022], (2019, 2020, 2021, 2022), True),
        ("2020 年,婴儿死亡率降到7.5‰", [2022], (2019, 2020, 2021, 2022), False),
        ("投放AED50台", [2024], (2023,), False),  # an undated target is for the plan's own year
        ("投放AED50台", [2023], (2023,), True),
        ("投放AED50台", [], (2023,), True),
    ],
)
def test_years_fit(sentence: str, asked: list[int], plan_years: tuple[int, ...], fits: bool) -> None:
    assert years_fit(sentence, asked, plan_years) is fits


def test_colloquial_words_map_to_plan_terms_longest_first() -> None:
    found = dict(colloquial_in("我女儿快到年龄了,打宫颈癌疫苗要自己掏钱吗"))
    assert "HPV" in found["宫颈癌疫苗"] and "宫颈癌" not in found and "疫苗" not in found
    assert "免费" in found["自己掏钱"]
    assert "托育" in expand_query("我家小孩上托儿所").split()


@pytest.fixture(scope="module")
def answerer() -> ExtractiveAnswerer:
    return ExtractiveAnswerer(Tokenizer(), plan_years=lambda doc_id: (2019, 2020, 2021, 2022))


def quoted(answerer: ExtractiveAnswerer, question: str, text: str, years: tuple[int, ...] = (), **meta: object) -> tuple[str, str]:
    """(the span the fitted model quotes from ``text`` for ``question``, what it lacks as a refusal says it)."""
    ask = answerer.asked(question, None, years)
    candidate = answerer.candidate(ask.terms, ask.kind, question, years, _hit(text, **meta), 1)
    _, span, chosen, signals = answerer.best_span(ask, [candidate])
    return span.text, answerer.span_gap(ask, chosen, signals)


@pytest.mark.parametrize(
    ("question", "text", "years", "said", "not_said"),
    [
        ("贵州2022年婴儿死亡率降到多少?", GUIZHOU_TARGETS, (2022,), "婴儿死亡率降到7‰", "7.5‰"),
        ("贵州2020年婴儿死亡率降到多少?", GUIZHOU_TARGETS, (2020,), "婴儿死亡率降到7.5‰", "18/10"),
        ("人均预期寿命要达到多少岁?", GUIZHOU_TARGETS, (), "人均预期寿命75 岁以上", "\\n"),
        ("卫生乡镇创建率要达到多少?", GANZHOU_32, (), "卫生乡镇创建率达50%", "\n"),
        ("龙岗健康在线微信号的用户数要突破多少?", LONGGANG_10, (), "争取用户突破200万", "\n"),
    ],
)
def test_the_quote_states_the_figure_asked_for(answerer, question, text, years, said, not_said) -> None:  # type: ignore[no-untyped-def]
    quote, gap = quoted(answerer, question, text, years)
    assert said in quote and not_said not in quote and gap == ""


def test_summary_keeps_every_measure_of_a_long_clause() -> None:
    sentences = [f"第{i}项措施是加强某某工作,并且要落实到位,确保取得实效。" for i in range(1, 30)]
    summary = summary_of(sentences, limit=400)
    assert len(summary) <= 400 and summary.startswith("第1项措施是加强某某工作") and "确保取得实效" not in summary
    assert summary_of(["短句。", "也短。"]) == "短句。也短。"


def test_follow_up_words_weigh_double(answerer) -> None:
    terms = answerer.terms("龙岗区打算在哪些街道建捐血站 捐血站还要开展什么新业务?", emphasis="这些捐血站还要开展什么新业务?")
    stress = {t.word: t.stress for t in terms}
    assert stress["业务"] == 2.0 and stress["街道"] == 1.0


@pytest.mark.parametrize(
    ("quote", "context"),
    [
        ("婴儿死亡率降到7.5‰", "2020 年"),
        ("人均预期寿命75 岁以上。", "2022 年"),
        ("2022 年,孕产妇死亡率降到18/10 万", "2022 年,孕产妇死亡率降到18/10 万"),
        ("诊疗技术更加先进。", ""),
        ("不在文中", ""),
    ],
)
def test_year_context_of_a_quoted_segment(quote: str, context: str) -> None:
    assert year_context(quote, GUIZHOU_TARGETS) == context


def test_a_later_year_in_the_sentence_does_not_date_an_earlier_segment() -> None:
    text = "力争年内建成国家卫生乡镇4个、省级卫生村70个,争取到2022年,省级卫生村占比达到60%。"
    assert year_context("力争年内建成国家卫生乡镇4个、省级卫生村70个", text) == ""


def test_a_segment_stating_another_qualifier_loses() -> None:
    # rare words weigh more (idf from the sample store, rounded): the distinguishing 推荐 and 达标率 are rare
    idf = {"县级": 2.7, "医院": 1.0, "医疗": 0.9, "服务": 0.9, "能力": 1.7, "推荐": 3.8, "标准": 2.0, "达标率": 5.1}
    answerer = ExtractiveAnswerer(Tokenizer(), idf=lambda w: idf.get(w, 5.0))
    clause = "32.持续开展县医院医疗服务能力评估。全市县级医院医疗服务能力基本标准达标率达到100%,推荐标准达标率达到90%以上。"
    question = "泰州县级医院医疗服务能力推荐标准达标率要达到多少?"
    terms = answerer.terms(question)
    assert next(t for t in terms if t.word == "标准").qualifier == "推荐"
    basic, recommended = "全市县级医院医疗服务能力基本标准达标率达到100%", "推荐标准达标率达到90%以上"
    assert answerer._topic_score(terms, recommended) > answerer._topic_score(terms, basic)
    assert recommended in quoted(answerer, question, clause)[0]


def test_colloquial_words_match_whole_words_only() -> None:
    tokenizer = Tokenizer()
    text = "传染病防护物资要按多长时间的消耗量来储备"
    assert colloquial_in(text, words=tokenizer.cut(text)) == []  # 传染 inside 传染病 is not the colloquial 传染
    assert [w for w, _ in colloquial_in("担心会被传染上", words=tokenizer.cut("担心会被传染上"))] == ["传染"]


# ------------------------------------------------------------------------------------- figures in every form


def _hit(text: str, **extra: object) -> Retrieved:
    meta = {"doc_id": "plan", "title": "规划", "path": "1.", "path_label": "一、1.", "office": "", "year": 2023, "start": 0, "end": len(text), **extra}
    return Retrieved(chunk=StoredChunk("plan:abc:0001.1", text, meta), score=0.03, dense_rank=1, lexical_rank=1)


@pytest.mark.parametrize(
    ("question", "clause", "gap"),
    [
        # the kind of figure asked, in any form: no "no figure" near miss
        ("联席会议多久召开一次?", "3.建立联席会议制度。联席会议每季度召开一次,通报工作进展。", ""),
        ("督导检查的频次是怎样规定的?", "5.加强督导检查。省卫生健康委每年至少开展一次督导检查。", ""),
        ("急救人员接到呼叫后多长时间内到达现场?", "6.提升院前急救能力。城市地区急救人员30分钟内到达现场。", ""),
        ("医疗机构要在多长时间内网络直报?", "第四十五条 发现乙类传染病患者、疑似患者,应当于二十四小时内进行网络直报。", ""),
        ("健康档案电子化要在什么时候之前完成?", "7.推进健康档案电子化。2025年底前完成居民健康档案电子化。", ""),
        ("违法的单位最多罚多少?", "第一百一十一条 对违法的单位可以并处二万元以下罚款。", ""),
        ("居民健康素养水平要提高到多少?", "1.开展健康促进。居民健康素养水平提高到百分之二十六。", ""),
        # none stated, or another kind: still a near miss, with its reason
        ("联席会议多久召开一次?", "3.建立联席会议制度。定期召开联席会议,通报工作进展。", "没有给出所问的频次"),
        ("联席会议多久召开一次?", "3.建立联席会议制度。参会人员30分钟内到达。", "没有给出所问的频次"),
        ("健康档案电子化要在什么时候之前完成?", "7.推进健康档案电子化。居民健康档案电子化率达到90%。", "没有给出所问的时限"),
        ("居民健康素养水平要提高到多少?", "1.开展健康促进。持续提升居民健康素养水平。", "没有给出具体数字"),
    ],
)
def test_the_no_figure_near_miss_fires_only_when_the_figure_asked_is_not_stated(answerer, question, clause, gap) -> None:
    quote, lacks = quoted(answerer, question, clause)
    assert lacks == gap, quote


@pytest.mark.parametrize(
    ("question", "text", "meta", "said"),
    [
        # the figure asked is in a later segment: quoted with the segment that names what it is of
        ("非法采集血液或者组织他人出卖血液的罚多少?", "第一百零五条 非法采集血液或者组织他人出卖血液的，由县级以上人民政府卫生健康主管部门责令停止违法行为，没收违法所得，可以并处五万元以上五十万元以下罚款。",
         {}, ("非法采集血液", "五万元以上五十万元以下罚款")),
        ("省联席会议多久召开一次?", "3.建立联席会议制度。省联席会议由分管副省长召集，各成员单位参加，每季度召开一次。", {}, ("联席会议", "每季度召开一次")),
        # a table row is quoted by its cells: the indicator with its values
        ("每万人营养指导员要达到多少名?", "领域：合理膳食行动；序号：19；指标：每万人营养指导员（名）；基期水平：—；2022年目标值、2030年目标值：1；指标性质：预期性",
         {"kind": "table_row"}, ("每万人营养指导员（名）", "2030年目标值：1")),
    ],
)
def test_the_quote_holds_the_figure_asked_and_what_it_is_of(question, text, meta, said) -> None:  # type: ignore[no-untyped-def]
    idf = {"罚": 7.4}  # rare words weigh more (idf from the corpus store, rounded): 罚 weighs most, yet names no subject
    answerer = ExtractiveAnswerer(Tokenizer(), idf=lambda w: idf.get(w, 5.0))
    quote, _ = quoted(answerer, question, text, **meta)
    assert all(part in quote for part in said), quote


def test_a_lead_in_clause_is_quoted_with_the_items_under_it() -> None:
    lead = "第六十三条 传染病暴发、流行时，县级以上地方人民政府应当立即组织力量进行防治；发生重大传染病疫情，经评估必要时，可以采取下列紧急措施："
    items = ["（一）限制或者停止集市、影剧院演出或者其他人群聚集的活动；", "（二）停工、停业、停课；", "（三）封闭或者封存被传染病病原体污染的公共饮用水源；"]
    answerer = ExtractiveAnswerer(Tokenizer(), children=lambda doc_id, path: items if path == "第六十三条" else ())
    quote, _ = quoted(answerer, "发生重大传染病疫情时，经评估可以采取哪些紧急措施?", lead, path="第六十三条")
    assert "可以采取下列紧急措施" in quote and "停工、停业、停课" in quote
    assert quoted(ExtractiveAnswerer(Tokenizer()), "可以采取哪些紧急措施?", lead, path="第六十三条")[0].endswith("：")  # no items known: as written
