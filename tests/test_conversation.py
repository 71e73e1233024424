"""Follow-up questions rewritten into standalone ones by rules (no LLM)."""

import pytest

from qa.answer.followup import rewrite_followup, standalone_questions

PLACES = ("赣州市", "赣州", "泰州市", "泰州", "龙岗区", "任城区", "贵州")


def places(text: str) -> list[str]:
    found = []
    for p in PLACES:
        if p in text and not any(p in f for f in found):
            found.append(p)
    return found


@pytest.mark.parametrize(
    ("history", "question", "expected"),
    [
        ([], "那泰州呢?", "那泰州呢?"),
        (["赣州市居民健康素养水平要提高到多少?"], "那泰州呢?", "泰州居民健康素养水平要提高到多少?"),
        (["赣州市新增托位多少个?"], "泰州市呢？", "泰州市新增托位多少个?"),
        (["泰州市家庭医生签约服务有什么要求?"], "它的责任处室是哪个?", "泰州市家庭医生签约服务 的责任处室是哪个?"),
        (["龙岗区要新建多少家社康机构?"], "泰州市家庭医生签约率目标是多少?", "泰州市家庭医生签约率目标是多少?"),
    ],
)
def test_followups_become_standalone(history, question, expected):
    assert rewrite_followup(question, history, places) == expected


@pytest.mark.parametrize(
    ("history", "question", "expected"),
    [
        (["贵州2020年婴儿死亡率的目标是多少?"], "到2022年呢?", "贵州2022年婴儿死亡率的目标是多少?"),
        (["龙岗区的三大医疗集团是哪几个?"], "它们在医用耗材方面要做什么?", "龙岗区的三大医疗集团 在医用耗材方面要做什么?"),
        (["赣州2023年要推进哪些县创建国家卫生城镇?"], "那卫生乡镇的创建率要达到多少?", "赣州2023年要推进哪些县创建国家卫生城镇 卫生乡镇的创建率要达到多少?"),
        (["任城区2021年要对在岗乡医开展技能提升培训吗?"], "参训时间和参训率有什么要求?", "任城区2021年 参训时间和参训率有什么要求?"),
        (["赣州市新增托位多少个?"], "各地对托育服务的目标分别是什么?", "各地对托育服务的目标分别是什么?"),
        (["贵州2020年每千常住人口注册护士的目标是多少?"], "那2022年在基层就诊的患者比例呢?", "贵州2022年每千常住人口注册护士的目标 在基层就诊的患者比例呢?"),
    ],
)
def test_followups_carry_year_topic_and_place(history, question, expected):
    assert rewrite_followup(question, history, places) == expected


def test_a_chain_of_followups_builds_on_each_rewritten_question():
    questions = ["赣州市居民健康素养水平要提高到多少?", "那泰州呢?", "那龙岗区呢?"]
    assert standalone_questions(questions, places)[-1] == "龙岗区居民健康素养水平要提高到多少?"
