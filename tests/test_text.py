"""qa.text: the shared facts of written Chinese (sentences, clipping, markers, page lines, numerals, place suffixes)."""

from __future__ import annotations

import re

import pytest

from qa.text import (
    ADMIN_SUFFIXES,
    CITATION_MARKER,
    PAGE_NUMBER_LINE,
    chinese_number,
    chinese_numeral,
    clip,
    sentences,
    split_after_ends,
    split_keeping_ends,
    suffix_pattern,
)


@pytest.mark.parametrize(
    ("text", "semicolons", "expected"),
    [
        ("居民健康素养水平提高至26%以上。新增托位8000个。", False, ["居民健康素养水平提高至26%以上。", "新增托位8000个。"]),
        ("建成社区医院5家；签约率达到45%。", False, ["建成社区医院5家；签约率达到45%。"]),
        ("建成社区医院5家；签约率达到45%。", True, ["建成社区医院5家；", "签约率达到45%。"]),
        ("第一行\n第二行没有句号", False, ["第一行", "第二行没有句号"]),
    ],
)
def test_sentences(text: str, semicolons: bool, expected: list[str]) -> None:
    assert sentences(text, semicolons=semicolons) == expected


@pytest.mark.parametrize(
    "text",
    ["一、加强基层。\n(一)建成社区医院5家；签约率45%。\n", "没有句末标点", "两句！第二句？\n\n空行之后。"],
)
def test_split_keeping_ends_joins_back(text: str) -> None:
    assert "".join(split_keeping_ends(text)) == text


def test_split_after_ends_keeps_punctuation() -> None:
    assert split_after_ends("甲；乙。丙") == ["甲；", "乙。", "丙"]


@pytest.mark.parametrize(("text", "limit", "expected"), [("短文本", 10, "短文本"), ("一二三四五六", 4, "一二三…"), ("一二三四", 4, "一二三四")])
def test_clip(text: str, limit: int, expected: str) -> None:
    assert clip(text, limit) == expected


def test_citation_marker() -> None:
    assert CITATION_MARKER.findall("提高至26%以上[1]，新增托位[2][12]。2023[年]") == ["1", "2", "12"]


@pytest.mark.parametrize("line", ["— 3 —", "-12-", "第3页 共9页", "3/9", "17"])
def test_page_number_lines(line: str) -> None:
    assert PAGE_NUMBER_LINE.match(line)


@pytest.mark.parametrize("line", ["2023年", "一、总体要求", "3.加强基层"])
def test_not_page_number_lines(line: str) -> None:
    assert not PAGE_NUMBER_LINE.match(line)


@pytest.mark.parametrize(("token", "value"), [("二十一", 21), ("十", 10), ("一百零五", 105), ("两", 2), ("③", 3), ("12", 12)])
def test_chinese_number(token: str, value: int) -> None:
    assert chinese_number(token) == value


@pytest.mark.parametrize("n", [1, 9, 10, 11, 20, 21, 99, 100, 105, 110, 999])
def test_chinese_numeral_round_trips(n: int) -> None:
    assert chinese_number(chinese_numeral(n)) == n


@pytest.mark.parametrize(("place", "core"), [("赣州市", "赣州"), ("延边朝鲜族自治州", "延边朝鲜族"), ("锡林郭勒盟", "锡林郭勒"), ("贵州", "贵州")])
def test_admin_suffixes(place: str, core: str) -> None:
    assert re.sub(suffix_pattern(ADMIN_SUFFIXES) + "$", "", place) == core
