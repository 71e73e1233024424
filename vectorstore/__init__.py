"""The clause store backends: Chroma (the only package that imports ``chromadb``) and an in-memory one.

Both implement :class:`qa.store.ClauseStore`; ``vectorstore`` imports nothing of PlanQA but ``qa.store``.
"""

from vectorstore.chroma import ChromaClauseStore
from vectorstore.config import ChromaConfig
from vectorstore.memory import InMemoryClauseStore

__all__ = ["ChromaClauseStore", "ChromaConfig", "InMemoryClauseStore"]
