"""Feedback exported as gold-set items (ui/feedback.py): the schema of eval/gold.jsonl, passing eval/check_gold.py."""

from __future__ import annotations

import json
from pathlib import Path

from eval.check_gold import CATEGORIES, GoldItem, check, load_gold, load_plans
from ui.feedback import _CATEGORY_OF_KIND, gold_item, gold_jsonl

USEFUL = {
    "verdict": "useful", "comment": "", "question": "赣州市居民健康素养水平要提高到多少?", "refused": False,
    "answer": "市县两级分别开展“百名千场”健康科普巡讲“六进”活动20场、50场以上,居民健康素养水平提高至26%以上。[1]",
    "citations": [{"marker": 1, "doc_id": "ganzhou-2023", "label": "《赣州市2023年卫生健康工作要点》一、1.", "path": "一、/1.",
                   "quote": "居民健康素养水平提高至26%以上"}],
}


def test_useful_verdicts_export_as_gold_items_that_pass_check_gold(tmp_path: Path) -> None:
    refusal = {"verdict": "useful", "question": "火星市2023年新增多少托位?", "refused": True, "answer": "没有找到", "citations": []}
    wrong = {**USEFUL, "verdict": "wrong", "question": "赣州有误的问题?"}
    text = gold_jsonl([USEFUL, refusal, wrong, USEFUL])  # the same question twice: one item
    path = tmp_path / "from_feedback.jsonl"
    path.write_text(text, encoding="utf-8")
    items: list[GoldItem] = load_gold(path)
    assert [i.category for i in items] == ["number", "unanswerable"]
    assert items[0].paths == ("一、/1.",) and "26%" in items[0].keywords and "[1]" not in items[0].answer
    assert check(items, load_plans()) == []
    assert gold_item(wrong) is None and gold_item({**USEFUL, "citations": []}) is None
    assert json.loads(text.splitlines()[0])["id"].startswith("fb-")


def test_categories_named_by_the_export_are_the_gold_sets() -> None:
    assert set(_CATEGORY_OF_KIND.values()) | {"paraphrase", "unanswerable"} <= set(CATEGORIES)
