"""The two gold sets: their files, splits (by a hash of the id, never moving) and the corpus set's grounding check."""

from __future__ import annotations

from collections import Counter

from eval.check_gold import GOLD_SETS, GoldItem, check, load_gold, split_of
from qa.ingest.documents import build_document


def test_the_sample_set_keeps_its_calib_test_split() -> None:
    items = load_gold(GOLD_SETS["sample"].path)
    assert Counter(i.split for i in items) == {"test": 122, "calib": 78}
    assert split_of("num-001") == GOLD_SETS["sample"].split_of("num-001")


def test_the_corpus_set_splits_into_dev_and_sealed_with_every_category_sealed() -> None:
    corpus = GOLD_SETS["corpus"]
    items = load_gold(corpus.path, "corpus")
    assert {i.gold_set for i in items} == {"corpus"}
    assert Counter(i.split for i in items) == {"sealed": 65, "dev": 56}
    sealed = [i for i in items if i.split == corpus.sealed]
    assert sum(1 for i in sealed if not i.answerable) >= 10
    assert {i.category for i in sealed} == {i.category for i in items}
    assert corpus.calib_split == "dev" and corpus.report_split == "sealed" and not corpus.check_paths


def _item(evidence: str, paths: tuple[str, ...] = ("二、/(三)",)) -> GoldItem:
    return GoldItem("x-1", "某市新增多少托位?", "number", ("city",), paths, (evidence,), "300个", ("300",))


def test_without_path_checks_evidence_is_looked_for_in_the_whole_document() -> None:
    doc = build_document("city.txt", "某市2024年卫生健康工作要点\n一、加强基层\n1.新增托位300个。\n".encode(), doc_id="city")
    assert check([_item("新增托位300个")], {"city": doc}, check_paths=False) == []
    assert any("path" in p for p in check([_item("新增托位300个")], {"city": doc}))  # 二、/(三) is no clause of it
    assert any("not in the text of city" in p for p in check([_item("新增床位")], {"city": doc}, check_paths=False))


def test_the_scoreboard_has_one_row_per_set_and_split_and_says_what_each_is_for() -> None:
    from eval.scoreboard import COLUMNS, split_role, table

    row = {"set": "corpus", "split": "sealed", "items": 65, "unanswerable": 14, **{name: 0.5 for name, _ in COLUMNS}}
    row["role"] = split_role(GOLD_SETS["corpus"], "sealed")
    lines = table([row, {**row, "split": "dev", "hit@5": None, "role": split_role(GOLD_SETS["corpus"], "dev")}]).splitlines()
    assert len(lines) == 4
    assert lines[2].startswith("| corpus | sealed | 65 (14) | 0.500 |") and "aggregate only" in lines[2]
    assert "| – |" in lines[3] and "calibration" in lines[3]
    assert "in-sample" in split_role(GOLD_SETS["sample"], "test")


def test_the_reliability_table_buckets_answers_and_refusals_by_confidence() -> None:
    from types import SimpleNamespace

    from eval.calibrate import reliability_table

    answers = [(None, SimpleNamespace(confidence=0.1, refused=True), True), (None, SimpleNamespace(confidence=0.5, refused=False), False),
               (None, SimpleNamespace(confidence=0.9, refused=False), True), (None, SimpleNamespace(confidence=0.95, refused=False), True)]
    rows = reliability_table(answers).splitlines()  # type: ignore[arg-type]
    assert rows[2] == "| 0.0–0.2 | 0 | – | 1 | 1.00 |"
    assert rows[4] == "| 0.4–0.6 | 1 | 0.00 | 0 | – |"
    assert rows[6] == "| 0.8–1.0 | 2 | 1.00 | 0 | – |"
