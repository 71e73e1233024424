"""The incremental lexical index scores exactly as a whole-corpus build, on the sample plans and after each change.

Three builds are compared on the gold questions' tokens: bm25s over every chunk (``BM25Index``, what the
searcher used before segments), ``LexicalIndex.build`` over freshly cut segments of the same store, and the
searcher that followed the store plan by plan (adds, a replacement, a deletion) and a second one started
from the segment files the first left. Fake embedder, in-memory store: no model, no Chroma.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from qa.ingest.pipeline import Ingestor
from qa.normalize import search_form
from qa.search.hybrid import HybridSearcher
from qa.search.lexical import BM25Index, expand_query
from qa.settings import Settings
from tests.test_ingestion import CountingEmbeddings
from vectorstore import InMemoryClauseStore

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "plans"


def _questions(n: int = 60) -> list[str]:
    lines = (ROOT / "eval" / "gold.jsonl").read_text(encoding="utf-8").splitlines()
    items = [json.loads(line) for line in lines if line.strip()]
    return [str(i["question"]) for i in items if isinstance(i.get("question"), str)][:n]


def _scores(searcher: HybridSearcher, question: str) -> dict[str, float]:
    index = searcher._index
    assert index is not None
    text = search_form(question)
    tokens = searcher.tokenizer.tokens(expand_query(text, searcher.tokenizer.cut(text)))
    positions, values = index.scores(tokens)
    return {index.chunk_id(p): v for p, v in zip(positions.tolist(), values.tolist(), strict=True)}


def _fresh(store: InMemoryClauseStore, embeddings: CountingEmbeddings) -> HybridSearcher:
    searcher = HybridSearcher(store, embeddings, mode="lexical")  # no files: every segment cut now
    searcher.refresh()
    return searcher


def _assert_same(a: HybridSearcher, b: HybridSearcher, questions: list[str]) -> None:
    for q in questions:
        left, right = _scores(a, q), _scores(b, q)
        assert left.keys() == right.keys(), q
        for cid, value in left.items():
            assert value == pytest.approx(right[cid], rel=1e-9, abs=1e-12), (q, cid)
        assert [h.chunk.chunk_id for h in a.search(q, k=10).hits] == [h.chunk.chunk_id for h in b.search(q, k=10).hits], q


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "plans"
    shutil.copytree(SAMPLE, folder)
    return folder


def test_segments_score_as_bm25s_scored_the_whole_corpus(sample_copy: Path, tmp_path: Path) -> None:
    embeddings = CountingEmbeddings()
    store = InMemoryClauseStore(embeddings.model_id)
    Ingestor(Settings.load({"store_path": tmp_path / "store"}, env={}), store, embeddings).run([sample_copy])
    searcher = _fresh(store, embeddings)
    chunks = store.all_chunks()
    reference = BM25Index(searcher.tokenizer, [c.chunk_id for c in chunks], [str(c.metadata.get("search_text", "")) for c in chunks])
    compared = 0
    for q in _questions():
        text = search_form(q)
        query = expand_query(text, searcher.tokenizer.cut(text))
        ours = _scores(searcher, q)
        theirs = {cid: s for cid, s in reference.search(query, len(chunks))}
        assert ours.keys() == theirs.keys(), q
        for cid, value in ours.items():
            assert value == pytest.approx(theirs[cid], rel=2e-5), (q, cid)  # bm25s keeps float32 scores
        compared += len(ours)
    assert compared > 1000
    for token in ("托位", "家庭医生", "赣州", "不在任何规划里的词"):
        assert searcher.idf(token) == pytest.approx(reference.idf(token))
        assert searcher._index.df(token) == reference.df(token)


def test_following_adds_a_replacement_and_a_deletion_equals_a_whole_build(sample_copy: Path, tmp_path: Path) -> None:
    embeddings = CountingEmbeddings()
    store = InMemoryClauseStore(embeddings.model_id)
    settings = Settings.load({"store_path": tmp_path / "store"}, env={})
    ingestor = Ingestor(settings, store, embeddings)
    cache = tmp_path / "lexical"
    follower = HybridSearcher(store, embeddings, mode="lexical", cache_dir=cache)
    questions = _questions(40)
    staged = tmp_path / "staged"
    staged.mkdir()
    shutil.copy(sample_copy / "catalog.toml", staged / "catalog.toml")
    for n, path in enumerate(sorted(sample_copy.glob("*.txt")), start=1):  # one plan at a time, following each commit
        shutil.copy(path, staged / path.name)
        ingestor.run([staged])
        follower.refresh()
        last = follower.lexicon.last  # the new plan is cut; an older one only if its texts name the new plan's places
        assert last.cut >= 1 and last.cut + last.loaded == n and (n < 3 or last.loaded >= 1)
    _assert_same(follower, _fresh(store, embeddings), questions)

    plan = staged / "rencheng-2021.txt"
    plan.write_text(plan.read_text(encoding="utf-8").replace("家庭医生", "蓝鲸家庭医生", 1), encoding="utf-8")
    ingestor.run([staged])
    follower.refresh()
    assert follower.lexicon.last.cut >= 1 and follower.lexicon.last.loaded >= 3
    _assert_same(follower, _fresh(store, embeddings), questions)

    store.delete_document("ganzhou-2023")  # its place names leave the tokenizer: texts naming 赣州 are cut again
    follower.refresh()
    assert "ganzhou-2023" not in follower.plans
    assert not any(w.startswith("赣州") for w in follower.tokenizer.place_words)
    _assert_same(follower, _fresh(store, embeddings), questions)

    merged = follower._index.merged()  # the merge a long tail triggers changes no score
    for q in questions[:10]:
        before = _scores(follower, q)
        follower._snapshot = dataclasses.replace(follower._snapshot, index=merged)
        assert _scores(follower, q) == pytest.approx(before)

    restarted = HybridSearcher(store, embeddings, mode="lexical", cache_dir=cache)  # a new process: files, no cutting
    restarted.refresh()
    assert restarted.lexicon.last.cut == 0 and restarted.lexicon.last.loaded == len(store.documents())
    _assert_same(restarted, _fresh(store, embeddings), questions)

    if follower._merging is not None:
        follower._merging.join()
    assert (cache / "base.json").exists()  # the merged base the first start wrote, older than the last changes
    store.delete_document("taizhou-2023")
    again = HybridSearcher(store, embeddings, mode="lexical", cache_dir=cache)  # base + segment files + a deletion
    again.refresh()
    assert again.lexicon.last.cut == 0 and again.lexicon.last.removed >= 1
    _assert_same(again, _fresh(store, embeddings), questions)
    hit = restarted.search("蓝鲸", k=1).hits[0]  # a clause read back from the record files, not from memory
    assert hit.doc_id == "rencheng-2021" and "蓝鲸" in hit.text
