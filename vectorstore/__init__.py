"""Everything that touches Chroma lives here (the rest of PlanQA never imports ``chromadb``)."""

from vectorstore.chroma import ChromaClauseStore, DocumentRecord, StoredChunk, StoreError

__all__ = ["ChromaClauseStore", "DocumentRecord", "StoreError", "StoredChunk"]
