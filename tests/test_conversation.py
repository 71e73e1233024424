"""Follow-up questions rewritten into standalone ones by rules (no LLM)."""

import pytest

from qa.conversation import rewrite_followup

PLACES = ("赣州市", "赣州", "泰州市", "泰州", "龙岗区", "任城区")


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
