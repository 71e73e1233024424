"""qa.normalize.unify_radicals and its table qa/data/radicals.toml: the radical and compatibility code points a PDF
text layer gives for ordinary characters (pypdf on a web page printed by Chrome) read as those characters, so that
"（⼀）" is the marker (一); the plan's own full-width punctuation is left as written."""

from __future__ import annotations

import tomllib
import unicodedata
from importlib import resources

import pytest

from qa.ingest.markers import read_marker
from qa.normalize import repair_line, unify_radicals


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
    assert repair_line(pdf_text) == ordinary


def test_a_radical_marker_is_recognised_after_repair() -> None:
    raw = read_marker("（⼀）建⽴健全体系机制")
    assert raw is None or raw.style != "cn_paren"  # U+2F00 is no numeral
    marker = read_marker(repair_line("（⼀）建⽴健全体系机制"))
    assert marker is not None and (marker.style, marker.number, marker.label) == ("cn_paren", 1, "（一）")


def test_the_radical_table_maps_radicals_to_whole_characters() -> None:
    table = tomllib.loads((resources.files("qa") / "data" / "radicals.toml").read_text(encoding="utf-8"))["radicals"]
    assert {"⻔", "⺠", "⻛", "⻝", "⻘", "⻆"} <= set(table)
    for radical, character in table.items():
        assert 0x2E80 <= ord(radical) <= 0x2EFF, radical  # only the block NFKC leaves alone
        assert unicodedata.normalize("NFKC", radical) == radical, radical  # NFKC does not already do it
        assert len(character) == 1 and 0x4E00 <= ord(character) <= 0x9FFF, character  # an ordinary CJK character
