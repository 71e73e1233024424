"""The hybrid searcher as a LangChain ``BaseRetriever``."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from qa.search.results import Filters


class ClauseRetriever(BaseRetriever):
    """The hybrid searcher as a LangChain retriever, so the answer chain is an ordinary LangChain chain."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    searcher: Any
    k: int = 8
    filters: Filters | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[LCDocument]:
        result = self.searcher.search(query, k=self.k, filters=self.filters)
        return [
            LCDocument(page_content=hit.text, metadata={**hit.meta, "score": hit.score, "chunk_id": hit.chunk.chunk_id})
            for hit in result.hits
        ]
