"""What a question asks for, read from its wording (qa/answer/question.py and the qa/data tables it loads): one
table-driven test per rule group, on question wordings from eval/gold.jsonl and the tests."""

from __future__ import annotations

import pytest

from qa.answer.figures import has_figure
from qa.answer.question import (
    ELLIPTIC_CHARS,
    Insisted,
    answer_kind,
    asked_units,
    asked_what,
    expected_units,
    filler,
    filler_groups,
    insisted,
    insisted_gap,
    kinds,
    question_kind,
    terms,
    topic_text,
    unit_expectations,
    wants_figure,
)
from qa.search.lexical import Tokenizer


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return Tokenizer()


# ------------------------------------------------------------------------------------- question kinds

KIND_WORDINGS = {
    "which_plans": ["哪些规划提出要开展“西学中”(西医学习中医)培训?"],
    "which_plan": [
        "哪个文件提出继续推进“江西卫惠保”?",
        "哪份规划提出创办“协和班”来加强硕士、博士人才培养?",
        "“医心向党、守护健康”党建品牌出自哪份工作要点?",
        "哪个文件提出建设国家健康医疗大数据西部中心?",
    ],
    "office": [
        "泰州投放AED、组织院前急救技能培训大赛由哪个处室负责?",
        "泰州巩固血吸虫病防治成果这项工作的责任处室是哪个?",
        "泰州落实三孩生育政策、参与生育友好工作先进单位评选,由哪个处室牵头?",
        "泰州开展“廉洁机关”建设由哪个处室负责?",
        # the same ask with the other words for an administration's unit (科室, 部门, 科) and for what it does
        "泰州家庭医生签约服务由哪个科室负责?",
        "泰州家庭医生签约服务的负责部门是什么?",
        "泰州托育服务归什么部门管?",
        "泰州巩固血吸虫病防治成果的主管科室是哪个?",
        "泰州院前急救培训由哪个科来牵头?",
        "泰州市家庭医生签约服务由什么部门负责?",
    ],
    "cross": [
        "赣州和泰州对托育服务分别提出了什么目标?",  # 分别 before 什么目标
        "泰州2023年和任城区2021年的基本公共卫生服务人均经费标准分别是多少?",  # 分别 before 多少
        "各地对托育服务的目标分别是什么?",
    ],
    "person": ["泰州市人民医院的院长是谁?", "赣州市中医院要设立哪位院士的工作站?"],
    "place": [
        "哪些县要打造健康赣州建设样板县?",
        "龙岗区要在哪些街道建设和启用捐血站?",
        "赣州生物医药大健康产业合作推介会2023年在哪里举行?",
        "贵州哪几家医院要在2022年完成国家级区域医疗中心创建?",
        "泰州推荐哪个区作为国家医养结合示范县?",
    ],
    "number": [
        "赣州市2023年居民健康素养水平要提高到多少?",
        "赣州今年要新增几个省级卫生县城(乡镇)?",
        "赣州提出力争多大比例的乡镇(街道)建有公办托育机构?",
        "任城区力争年内把疾控中心高级岗位占比提升到多少?",
        "贵州省2021年新冠疫苗的接种率是多少?",
        "联席会议多久召开一次?",  # a frequency
        "督导检查的频次是怎样规定的?",
        "这项工作要在什么时候之前完成?",  # a deadline
        "信息公开的时限是怎样规定的?",
        "医疗机构发现甲类传染病患者,要在多长时间内网络直报?",  # a duration
    ],
    "target": ["泰州2023年在托育方面定了什么目标?", "赣州2023年在托育方面定了什么目标?"],
    "list": [
        "龙岗区卫生对口支援的地区有哪些?",
        "龙岗区2023年在托育服务体系方面有哪些举措?",
        "概括一下赣州2023年在“一老一小”健康促进方面的主要安排。",
        "任城区2021年在中医药传承创新方面要做哪些事?",
        "我家小孩上托儿所,泰州今年有什么打算?",
        "任城区戴眼镜的学生越来越多,区里今年管这件事吗?",
        "赣州2023年“提升卫生健康服务质量”这一条主要讲了什么?",
    ],
    "general": [
        "赣州市怎样推进健康促进行动", "到2022年呢?", "赣州要推动哪两个县设置二级妇保院?",
        "赣州的大医院有没有专门给老人看病的科室?",  # a hospital's department, not an office
    ],
}


@pytest.mark.parametrize(("kind", "question"), [(k, q) for k, qs in KIND_WORDINGS.items() for q in qs])
def test_question_kind(kind: str, question: str) -> None:
    assert question_kind(question) == kind


def test_every_kind_of_the_table_has_wordings_in_the_order_tried() -> None:
    assert [name for name, _ in kinds()] == [k for k in KIND_WORDINGS if k != "general"]


@pytest.mark.parametrize(
    ("question", "asked", "kind"),
    [
        ("贵州2022年婴儿死亡率要降到多少?", "到2022年呢?", "number"),  # elliptic: what the rewritten question asks
        ("贵州2022年婴儿死亡率要降到多少?", "那么到2022年呢?", "number"),  # ELLIPTIC_CHARS of topic text
        ("贵州2022年婴儿死亡率要降到多少?", "那么到2022年底呢?", "number"),  # one more: not elliptic, but a 呢-follow-up asking the same
        ("贵州2022年婴儿死亡率要降到多少?", "那么到2022年底的情况?", "general"),  # neither elliptic nor a 呢-follow-up
        ("龙岗区打算在哪些街道建捐血站 捐血站还要开展什么新业务?", "这些捐血站还要开展什么新业务?", "general"),
        ("龙岗区打算在哪些街道建捐血站?", None, "place"),
    ],
)
def test_answer_kind_follows_what_was_typed_unless_elliptic(question: str, asked: str | None, kind: str) -> None:
    assert len("那么到2022年") == ELLIPTIC_CHARS
    assert answer_kind(question, asked) == kind


# ------------------------------------------------------------------------------------ figures and units


@pytest.mark.parametrize(
    ("question", "kind", "wanted"),
    [
        ("赣州和贵州分别把居民健康素养水平的目标定在多少?", "cross", True),
        ("赣州和任城区对二级综合医院设立老年医学科分别提出了什么比例要求?", "cross", True),
        ("泰州2023年和任城区2021年的基本公共卫生服务人均经费标准分别是多少?", "cross", True),
        ("赣州和任城区对紧密型县域医共体的付费方式分别怎么提?", "cross", False),
        ("哪些规划提出要开展“西学中”(西医学习中医)培训?", "which_plans", False),
        ("赣州今年计划新增多少个托位?", "number", True),
        ("龙岗区2023年在托育服务体系方面有哪些举措?", "list", False),
    ],
)
def test_figure_asked(question: str, kind: str, wanted: bool) -> None:
    assert question_kind(question) == kind
    assert wants_figure(question, kind) is wanted


@pytest.mark.parametrize(
    ("question", "units"),
    [
        ("任城区新建实验室要投资多少钱?", ["money"]),  # money
        ("任城区给村卫生室的运营补助每年多少钱?", ["money"]),
        ("非法采集血液,传染病防治法规定罚多少?", ["money"]),
        ("贵州“八大工程”行动计划提出2022年人均预期寿命达到多少岁?", ["age"]),  # age
        ("每年要开展几次督导?", ["times", "frequency"]),  # a count of times
        ("联席会议多久召开一次?", ["frequency"]),  # a frequency, not a duration
        ("健康体检多长时间做一次?", ["frequency"]),
        ("督导检查的频次是怎样规定的?", ["frequency"]),
        ("检查的频率是多少?", ["frequency"]),  # 频率 is no rate
        ("传染病防护物资要按多长时间的消耗量来储备?", ["duration"]),  # duration
        ("执业医师要晋升副高级职称,需要有多长时间的基层服务经历?", ["duration"]),
        ("急救车从接到电话到赶到现场要几分钟?", ["duration"]),
        ("这项工作要在什么时候之前完成?", ["deadline"]),  # a deadline
        ("医疗机构发现乙类传染病患者要在几天内报告?", ["duration", "deadline"]),  # either
        ("信息公开的时限是怎样规定的?", ["deadline"]),
        ("卫生乡镇的创建率要达到多少?", ["rate"]),  # rate
        ("赣州提出力争多大比例的乡镇(街道)建有公办托育机构?", ["rate"]),
        ("新增多少托位?", []),  # a count: any figure will do
    ],
)
def test_asked_units(question: str, units: list[str]) -> None:
    assert [unit.name for unit in asked_units(question)] == units
    assert expected_units(question) == [unit.pattern for unit in asked_units(question)]


def test_every_asked_unit_names_figure_forms_and_what_a_refusal_calls_it() -> None:
    assert [unit.name for unit in unit_expectations()] == ["money", "age", "times", "frequency", "duration", "deadline", "rate"]
    assert all(unit.pattern and unit.what for unit in unit_expectations())
    assert asked_what("联席会议多久召开一次?") == "频次" and asked_what("要在几天内报告?") == "时长、时限"


@pytest.mark.parametrize(
    ("question", "clause", "answers"),
    [
        ("联席会议多久召开一次?", "联席会议每季度召开一次", True),  # the form asked, in words
        ("联席会议多久召开一次?", "每年至少开展一次督导", True),
        ("联席会议多久召开一次?", "参会人员30分钟内到达", False),  # a duration is no frequency
        ("急救人员多长时间内到达现场?", "城市地区30分钟内到达", True),
        ("这项工作要在什么时候之前完成?", "2025年底前完成", True),
        ("这项工作要在什么时候之前完成?", "三个工作日内办结", True),  # a span within which: a deadline too
        ("这项工作要在什么时候之前完成?", "覆盖率达到90%", False),
        ("违法的单位最多罚多少?", "可以并处二万元以下罚款", True),
        ("执业医师晋升副高级职称需要多长时间的基层服务经历?", "应当有累计一年以上在县级以下医疗卫生机构服务的经历", True),
    ],
)
def test_a_clause_answers_in_the_form_asked(question: str, clause: str, answers: bool) -> None:
    assert has_figure(clause, expected_units(question)) is answers


# ------------------------------------------------------------------------------------ insisted on


@pytest.mark.parametrize(
    ("question", "found", "lacking", "speaking"),
    [
        ("龙岗区哪家医院的眼科水平最好?", [Insisted("最好", "最好", "这类评价")], "提升眼科诊疗水平。", "打造全市最好的眼科。"),
        ("泰州推荐哪个区作为国家医养结合示范县?", [Insisted("推荐", "推荐", "这类评价")], "创建国家医养结合示范县。", "推荐海陵区创建示范县。"),
        (
            "在赣州怎样申领生育津贴?",
            [Insisted("怎样申领", "申领|申请|办理|领取|报名|流程|手续|材料", "办理方法")],
            "落实生育津贴政策。",
            "简化生育津贴申领流程。",
        ),
        ("龙岗区眼科有什么合作?", [], "", ""),
    ],
)
def test_insisted(question: str, found: list[Insisted], lacking: str, speaking: str) -> None:
    assert insisted(question) == found
    for wanted in found:
        assert insisted_gap(question, lacking) == f"没有涉及“{wanted.said}”{wanted.what}"
        assert insisted_gap(question, speaking) == ""


# ------------------------------------------------------------------------------------ topic words


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("龙岗区要新增多少个普惠托位?", "龙岗区要新增 普惠托位"),  # 多少 with its classifier
        ("贵州“八大工程”行动计划提出2022年人均预期寿命达到多少岁?", "贵州“八大工程”行动计划提出2022年人均预期寿命达到 "),
        ("在赣州,单位饭堂和外面馆子的饭菜吃得健不健康,政府有没有在抓?", "在赣州,单位饭堂和外面馆子的饭菜吃得健不健康,政府 在抓"),
        ("龙岗的游泳馆池水干不干净,有人盯着吗?", "龙岗的游泳馆池水干不干净,有人盯着 "),  # a sentence-final particle
        ("泰州市人民医院的院长是谁?", "泰州市人民医院的院长 "),  # 是谁 as a whole, not 是 left behind
        ("这项工作要在什么时候之前完成?", "这项工作要在 完成"),  # 什么时候之前 as a whole, not 时候 left behind
        ("督导检查的频次是怎样规定的?", "督导检查的  规定的"),  # the kind of figure asked is no topic word
    ],
)
def test_interrogatives_are_cut_from_the_topic(question: str, topic: str) -> None:
    assert topic_text(question) == topic


# One real wording per group of qa/data/spoken_filler.txt, with a filler word of that group that the tokenizer
# does yield as a token of the question: it is dropped from the topic words only because it is filler.
FILLER_WORDINGS = {
    "people": ("泰州那些独生子女不在了、一个人过日子的老人,政府会帮一把吗?", "政府"),
    "time": ("以后在贵州的饭店、商场里面还能抽烟吗?", "以后"),
    "modal": ("在龙岗想去割双眼皮,怕碰上没资质的黑诊所,区里会查吗?", "想"),
    "light_verbs": ("任城区2021年要对多少儿童和中小学生做近视初步筛查?", "做"),
    "plan_verbs": ("龙岗区希望“龙岗健康在线”微信号的用户数达到多少?", "达到"),
    "vague": ("在赣州看病总要排队,有没有用手机就能找医生的办法?", "办法"),
    "degree": ("我爸妈七十多岁了,赣州的大医院会不会都有专门给老人看病的科室?", "专门"),
    "adverbs": ("龙岗的游泳馆池水干不干净,有人盯着吗?", "不"),
    "stance": ("夏天龙岗蚊子老鼠多,怕传上什么病,区里有没有措施?", "怕"),
    "telling": ("在龙岗看病的时候,医生会不会顺便讲讲保健常识?", "讲讲"),
    "generic": ("我是龙岗的普通居民,想学点救人的本领,区里有面向老百姓的培训吗?", "普通"),
}


@pytest.mark.parametrize("group", sorted(FILLER_WORDINGS))
def test_spoken_filler_is_never_a_topic_word(tokenizer: Tokenizer, group: str) -> None:
    question, word = FILLER_WORDINGS[group]
    assert word in filler_groups()[group]
    assert word in tokenizer.tokens(topic_text(question))
    assert word not in [t.word for t in terms(tokenizer, question)]


def test_every_filler_group_has_a_wording() -> None:
    assert sorted(filler_groups()) == sorted(FILLER_WORDINGS)
    assert filler() == frozenset().union(*filler_groups().values())


@pytest.mark.parametrize(
    ("question", "counted"),
    [
        ("在任城区去不同的医院看病,是不是每家都得重新办一张卡?", "每家"),
        ("在任城区去不同的医院看病,是不是每家都得重新办一张卡?", "一张"),
        ("泰州巩固血吸虫病防治成果这项工作的责任处室是哪个?", "这项"),
        ("赣州要推动哪两个县设置二级妇保院?", "两个"),
    ],
)
def test_a_numeral_with_a_classifier_is_no_topic_word(tokenizer: Tokenizer, question: str, counted: str) -> None:
    assert counted in tokenizer.tokens(topic_text(question))
    assert counted not in [t.word for t in terms(tokenizer, question)]


def test_topic_words_leave_out_places_and_years(tokenizer: Tokenizer) -> None:
    question = "赣州市2023年居民健康素养水平要提高到多少?"
    assert {"赣州", "赣州市", "2023"} <= set(tokenizer.tokens(topic_text(question)))
    assert [t.word for t in terms(tokenizer, question)] == ["居民", "健康素养水平"]  # 健康, 素养, 水平 are inside it


@pytest.mark.parametrize(
    ("standalone", "asked", "kind"),
    [
        # "the same about X": a 呢-follow-up with no interrogative of its own asks what the turn before asked
        ("海南加强学生心理健康教育由哪个部门牵头 完善心理危机干预服务体系这项呢?", "那完善心理危机干预服务体系这项呢?", "office"),
        ("泰州计划投放多少台AED 如果是农村地区呢?", "如果是农村地区呢?", "number"),
        # a follow-up that asks something of its own keeps its own kind
        ("龙岗区打算在哪些街道建捐血站 这些捐血站还要开展什么新业务呢?", "这些捐血站还要开展什么新业务呢?", "general"),
    ],
)
def test_a_follow_up_asking_the_same_about_something_else_inherits_the_kind(standalone: str, asked: str, kind: str) -> None:
    assert answer_kind(standalone, asked) == kind


@pytest.mark.parametrize(
    "text",
    ["赣州市2023年居民健康素养水平提高至26%以上", "由市卫生健康委牵头，任城区疾控中心负责", "张家口市与黔东南苗族侗族自治州的乡镇卫生院", "龙岗区推进医联体建设", "蓝鲸岗区卫生院"],
)
def test_tags_are_jiebas_own_though_its_tag_table_is_read_once(text: str) -> None:
    """The tagger copies the tag table jieba.posseg read at import (a second read is ~0.6 s of each start): its
    (word, flag) pairs are those of a tagger that reads the table itself, added place names included, and jieba's
    default tagger learns none of our words."""
    import jieba.posseg

    ours, theirs = Tokenizer(), Tokenizer()
    for tokenizer in (ours, theirs):
        tokenizer.add_places(["龙岗区", "蓝鲸岗区"])
    own = jieba.posseg.POSTokenizer(theirs._load())
    assert [(w.word, w.flag) for w in ours.tagged(text)] == [(w.word, w.flag) for w in own.cut(text)]
    assert "蓝鲸岗区" not in jieba.posseg.dt.word_tag_tab
