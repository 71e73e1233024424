"""Which backend implements each of PlanQA's interfaces: the one place that wires settings to Chroma, the
embedder and the answerer. The edges (``cli``, ``ui``, ``eval``, ``bench``) build through it; ``qa`` itself
never imports a backend package.
"""

from __future__ import annotations

from qa.embeddings import make_embeddings
from qa.service import Assistant
from qa.settings import Settings
from vectorstore import ChromaClauseStore, ChromaConfig


def open_store(settings: Settings, model_id: str) -> ChromaClauseStore:
    """The Chroma clause store the settings name (embedded at ``store_path``, or a ``chroma run`` server)."""
    return ChromaClauseStore(ChromaConfig.of(settings), model_id)


def build_assistant(settings: Settings, mode: str = "hybrid") -> Assistant:
    """An :class:`Assistant` on the configured embedder and store; heavy parts load on first use."""
    from qa.answer.tokens import install_bpe_files

    install_bpe_files(settings.tiktoken_cache_dir)
    embeddings = make_embeddings(settings)
    return Assistant(settings, open_store(settings, embeddings.model_id), embeddings, mode=mode)
