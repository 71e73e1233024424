"""Readers and numbering on inputs the red-team run found misread (issue 15): list numbers past 999 and a code's
articles past 第九百九十九条, and (below) encrypted and padded PDFs, documents with no words, PDF bytes saved as text,
Japanese and Korean encodings."""

from __future__ import annotations

import pytest

from qa.ingest.markers import read_marker
from qa.ingest.parsing import parse_plan
from qa.text import chinese_numeral
from tests.hostile import numbered_plan


def test_a_list_runs_past_999_and_past_9999_in_sequence() -> None:
    clauses = parse_plan(numbered_plan(2_500)).clauses
    assert [c.path for c in clauses[998:1001]] == [("一、", "999."), ("一、", "1000."), ("一、", "1001.")]
    assert clauses[-1].path == ("一、", "2500.") and len(clauses) == 2_500
    clauses = parse_plan(numbered_plan(10_002)).clauses  # parsed whole; ingest refuses a plan of so many clauses
    assert [c.path[-1] for c in clauses[-5:]] == ["9998.", "9999.", "10000.", "10001.", "10002."] and len(clauses) == 10_002


def _article(n: int) -> str:
    if n < 1000:
        return chinese_numeral(n)
    thousands, rest = divmod(n, 1000)
    return chinese_numeral(thousands) + "千" + ("" if not rest else ("零" if rest < 100 else "") + chinese_numeral(rest))


@pytest.mark.parametrize(("label", "number"), [("第一千条", 1000), ("第一千零一条", 1001), ("第一千二百六十条", 1260), ("第两千条", 2000)])
def test_article_numbers_past_999_are_read(label: str, number: int) -> None:
    marker = read_marker(label + "　本法自公布之日起施行。")
    assert marker is not None and (marker.style, marker.number, marker.label) == ("article", number, label)


def test_a_code_with_articles_past_999_keeps_each_article() -> None:
    text = "第一编 总则\n" + "".join(f"第{_article(n)}条 第{n}条的规定。\n" for n in range(1, 1006))
    paths = [c.path[-1] for c in parse_plan(text).clauses]
    assert paths[994:1000] == ["第九百九十五条", "第九百九十六条", "第九百九十七条", "第九百九十八条", "第九百九十九条", "第一千条"]
    assert paths[-1] == "第一千零五条" and len(paths) == 1005


@pytest.mark.parametrize("line", ["千千、推进工作", "千方百计推进工作", "万众一心、共建健康"])
def test_numerals_that_make_no_number_open_no_clause(line: str) -> None:
    assert read_marker(line) is None
