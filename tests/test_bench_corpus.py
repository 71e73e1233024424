"""The synthetic corpus builder of the benchmarks (bench/corpus.py): behaviour at a tiny scale, no timing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from backends import open_store
from bench import corpus, synthetic
from qa.ingest.markers import read_marker
from qa.settings import Settings
from qa.text import chinese_numeral
from tests.test_ingestion import CountingEmbeddings


@pytest.fixture(scope="module")
def sources() -> list[synthetic.Source]:
    return synthetic.load_sources(Settings.load({}, env={}), len)


@pytest.fixture(scope="module")
def pools(sources):
    return synthetic.place_pools(sources, corpus.DEFAULT_SEED)


@pytest.mark.parametrize(("number", "numeral"), [(1, "一"), (9, "九"), (10, "十"), (11, "十一"), (20, "二十"), (38, "三十八"), (100, "一百"), (105, "一百零五"), (110, "一百一十"), (121, "一百二十一")])
def test_chinese_numerals_read_back_as_the_parser_reads_them(number, numeral):
    from qa.text import chinese_number

    assert chinese_numeral(number) == numeral
    assert chinese_number(numeral) == number


@pytest.mark.parametrize(("text", "number", "label"), [("一、总体要求", 3, "三、"), ("(十一)加强", 2, "(二)"), ("（三）加强", 12, "（十二）"), ("12.开展", 4, "4."), ("(2)推进", 7, "(7)"), ("②推进", 5, "⑤")])
def test_relabel_keeps_the_marker_style(text, number, label):
    marker = read_marker(text)
    assert marker is not None
    assert synthetic.relabel(marker, number) == label


def test_every_synthetic_plan_parses_to_its_source_clauses_renumbered(sources, pools):
    for index in range(3):
        for source in sources:
            plan = synthetic.synthesize(source, index, corpus.DEFAULT_SEED, pools)
            doc = synthetic.synthetic_document(plan, source)  # raises when the clause count differs
            orders = synthetic.clause_origins(doc, plan, source)
            assert sorted(orders) == list(range(len(source.doc.clauses)))  # each source clause exactly once
            assert orders != list(range(len(orders))) or len(orders) < 5  # shuffled
            tops = [c.path[0] for c in doc.clauses if c.kind != "preamble"]
            firsts = list(dict.fromkeys(tops))
            assert firsts == [chinese_numeral(i) + "、" for i in range(1, len(firsts) + 1)]  # 一、二、三… in order


def test_synthetic_plans_have_new_places_years_and_titles(sources, pools):
    titles = set()
    for index, source in enumerate(sources):
        plan = synthetic.synthesize(source, index, corpus.DEFAULT_SEED, pools)
        place = source.cores[-1]
        assert place not in plan.entry["region"] and place not in plan.entry["short_title"]
        assert place not in plan.text  # 赣州 in the source text became the synthetic city
        assert 2016 <= plan.entry["year"] <= 2025
        titles.add(plan.entry["short_title"])
    assert len(titles) == len(sources)


def test_synthesis_is_deterministic_for_a_seed(sources, pools):
    source = sources[0]
    first = synthetic.synthesize(source, 4, 7, pools)
    assert synthetic.synthesize(source, 4, 7, pools) == first
    assert synthetic.synthesize(source, 4, 8, pools).text != first.text


def test_derived_vectors_are_unit_length_and_near_their_source():
    rng = np.random.default_rng(0)
    base = rng.normal(size=384).astype(np.float32)
    base /= np.linalg.norm(base)
    vector = corpus.noisy(base, rng)
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5
    assert 0.85 < float(vector @ base) < 0.99


def test_build_corpus_writes_the_sample_and_synthetic_plans_through_the_store(tmp_path: Path):
    embeddings = CountingEmbeddings()
    info = corpus.build_corpus(600, tmp_path / "store", embeddings, cache_dir=tmp_path / "cache")
    store = open_store(Settings.load({"store_path": tmp_path / "store"}, env={}), embeddings.model_id)
    records = store.documents()
    assert info.chunks == store.chunk_count() >= 600
    assert info.plans == len(records) == 5 + info.synthetic_plans
    assert {"ganzhou-2023", "taizhou-2023"} <= set(records)
    assert len(embeddings.embedded) == sum(len(s.chunks) for s in synthetic.load_sources(Settings.load({}, env={}), len))  # only the sample is embedded
    again = corpus.build_corpus(600, tmp_path / "again", CountingEmbeddings(), cache_dir=tmp_path / "cache")
    assert (again.chunks, again.plans) == (info.chunks, info.plans)  # same seed, same corpus (vectors from the cache)
    with pytest.raises(ValueError, match="already holds a store"):
        corpus.build_corpus(600, tmp_path / "store", embeddings, cache_dir=tmp_path / "cache")
