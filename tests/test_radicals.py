"""qa.normalize.unify_radicals and its table qa/data/radicals.toml: the radical and compatibility code points a PDF
text layer gives for ordinary characters (pypdf on a web page printed by Chrome) read as those characters, so that
"（⼀）" is the marker (一) and 部⻔ is searched as 部门; the plan's own full-width punctuation is left as written, and
so is the display text (a clause is its span with noise deleted)."""

from __future__ import annotations

import tomllib
import unicodedata
from importlib import resources

import pytest

from qa.ingest.cleaning import source_lines
from qa.ingest.markers import read_marker, starts_clause
from qa.ingest.parsing import parse_plan
from qa.normalize import search_form, unify_radicals


@pytest.mark.parametrize(
    ("pdf_text", "ordinary"),
    [
        ("（⼀）建⽴健全“将健康融⼊所有政策”体系机制", "（一）建立健全“将健康融入所有政策”体系机制"),  # Kangxi radicals: NFKC
        ("（⼆）开展“将健康融⼊所有政策”专项⾏动", "（二）开展“将健康融入所有政策”专项行动"),
        ("重⼤健康⻛险", "重大健康风险"),  # ⻛ U+2EDB: the table
        ("组织协调相关部⻔、单位", "组织协调相关部门、单位"),  # ⻔ U+2ED4
        ("持续增进⼈⺠群众健康福祉", "持续增进人民群众健康福祉"),  # ⺠ U+2EA0
        ("健康视⻆分析", "健康视角分析"),  # ⻆ U+2EC6
        ("健康⻝品", "健康食品"),  # ⻝ U+2EDD
        ("⼉童⻘少年", "儿童青少年"),  # ⻘ U+2ED8
        ("2025年3⽉17⽇", "2025年3月17日"),
        ("（一）指导思想，１．ＡＢ", "（一）指导思想，１．ＡＢ"),  # full-width forms are the plan's own: kept
    ],
)
def test_radicals_read_as_ordinary_characters(pdf_text: str, ordinary: str) -> None:
    assert unify_radicals(pdf_text) == ordinary
    assert len(unify_radicals(pdf_text)) == len(pdf_text)  # one for one: offsets hold
    assert search_form(pdf_text) == search_form(ordinary)
    assert [line.text for line in source_lines(f"  {pdf_text}\n").lines] == [pdf_text]  # display text as written


def test_a_radical_marker_is_read_as_the_marker_it_shows() -> None:
    marker = read_marker("（⼀）建⽴健全体系机制")
    assert marker is not None and (marker.style, marker.number, marker.label) == ("cn_paren", 1, "（一）")
    assert marker.rest == "建⽴健全体系机制"  # the text's own characters
    assert starts_clause("（⼆）开展专项⾏动") and not starts_clause("⼆是开展专项⾏动")


def test_a_radical_heading_of_a_web_page_pdf_opens_its_clause() -> None:
    text = "⼀、重点任务\n（⼀）建⽴健全体系机制\n1.领导体系。负责统筹推动。\n2.⼯作机制。实⾏定期联席会议制度。\n（⼆）开展专项⾏动\n1.开展⼲预⾏动。"
    assert [c.path_key for c in parse_plan(text).clauses] == ["一、/（一）/1.", "一、/（一）/2.", "一、/（二）/1."]


def test_the_radical_table_maps_radicals_to_whole_characters() -> None:
    table = tomllib.loads((resources.files("qa") / "data" / "radicals.toml").read_text(encoding="utf-8"))["radicals"]
    assert {"⻔", "⺠", "⻛", "⻝", "⻘", "⻆"} <= set(table)
    for radical, character in table.items():
        assert 0x2E80 <= ord(radical) <= 0x2EFF, radical  # only the block NFKC leaves alone
        assert unicodedata.normalize("NFKC", radical) == radical, radical  # NFKC does not already do it
        assert len(character) == 1 and 0x4E00 <= ord(character) <= 0x9FFF, character  # an ordinary CJK character
