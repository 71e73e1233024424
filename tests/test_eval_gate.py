"""The eval as CI's quality gate: the real gold set on the real sample store, every metric within eval/thresholds.toml."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.slow


def test_eval_meets_its_thresholds_on_the_test_split(sample_settings, sample_store, tmp_path, capsys):
    from cli import main

    out = tmp_path / "reports"
    status = main(["eval", "--store", str(sample_settings.store_path), "--no-plots", "--out", str(out), "--check-thresholds"])
    printed = capsys.readouterr()
    report = json.loads((out / "latest.json").read_text(encoding="utf-8"))
    assert status == 0, printed.err + "\n".join(report["threshold_failures"])
    assert report["meta"]["split"] == "test" and report["meta"]["reported"]["unanswerable"] > 0
    assert set(report["summary"]["overall"]["retrieval"]) == {"hybrid", "dense", "lexical", "naive"}
    markdown = (out / "latest.md").read_text(encoding="utf-8")
    assert markdown.startswith("# PlanQA evaluation")
    assert len(report["meta"]["structure"]) == 13 and "| national-basic-healthcare-law |" in markdown  # per-document structure score
    assert "all 10 thresholds met" in printed.out


def test_eval_meets_its_thresholds_on_the_corpus_sealed_split(tmp_path, capsys):
    """The corpus set (ten real documents nobody tuned PlanQA to) gates CI on its sealed split, in aggregate only."""
    from cli import main

    out = tmp_path / "reports"
    status = main(["eval", "--set", "corpus", "--store", str(tmp_path / "store"), "--modes", "hybrid", "--no-plots", "--out", str(out), "--check-thresholds"])
    printed = capsys.readouterr()
    report = json.loads((out / "latest.json").read_text(encoding="utf-8"))
    assert status == 0, printed.err + "\n".join(report["threshold_failures"])
    assert report["meta"]["gold_set"] == "corpus" and report["meta"]["split"] == "sealed"
    assert report["meta"]["reported"]["items"] == 65 and report["items"] == []  # aggregate only: no sealed item is written
    assert "Not listed: the sealed split is reported in aggregate only." in (out / "latest.md").read_text(encoding="utf-8")
