"""The parser against what readers expect: the structure score of eval/structure.py, on the ten real documents in
../shared/corpus and the invented fixtures in tests/fixtures/unseen, never below its floor in
tests/expectations/floors.toml; and the scorer itself on small cases."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from eval.structure import UNSEEN, Expectation, load_expectations, path_form, score, score_file

FLOORS = tomllib.loads((Path(__file__).parent / "expectations" / "floors.toml").read_text(encoding="utf-8"))
EXPECTED = {e.name: e for e in load_expectations() + load_expectations(UNSEEN)}


@pytest.mark.parametrize(
    ("written", "form"),
    [("一、/（一）/1、", "一、/(一)/1."), ("第 三 章/第二十一条", "第三章/第二十一条"), ("附件1/一、/1．", "附件1/一、/1."), ("(3)/②", "(3)/②")],
)
def test_path_form(written: str, form: str) -> None:
    assert path_form(written) == form


def test_the_score_counts_missing_extra_and_misfiled_paths() -> None:
    expected = Expectation("x", Path("x.txt"), ("一、/1.", "一、/2.", "二、/3."), {"title": "某市规划", "years": [2024]})
    assert score(expected, ["一、/1.", "一、/2.", "二、/3."], {"title": "某市规划", "years": [2024]}).share == 1.0
    missed = score(expected, ["一、/1.", "二、/3."], {})
    assert missed.matched == 2 and missed.missing == ["一、/2."] and missed.share == pytest.approx(2 / 3)
    misfiled = score(expected, ["一、/1.", "一、/2.", "一、/3."], {"title": "某市 规划", "years": [2024]})
    assert misfiled.extra == ["一、/3."] and misfiled.share == pytest.approx(2 / 3)
    assert misfiled.metadata_right == {"title": True, "issuer": True, "region": True, "years": True}


def test_every_expectation_has_a_floor() -> None:
    assert set(FLOORS) == set(EXPECTED)
    assert len(EXPECTED) == 13  # ten corpus documents, three unseen fixtures


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_structure_never_falls_below_its_floor(name: str) -> None:
    result = score_file(EXPECTED[name])
    floor = FLOORS[name]
    assert result.share >= floor["share"], f"{name}: {result.share:.3f} of leaf paths right; missing {result.missing}, extra {result.extra}"
    assert sum(result.metadata_right.values()) >= floor["metadata"], f"{name}: metadata right {result.metadata_right}"
