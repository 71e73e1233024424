"""``Assistant``: the one entry point of PlanQA, shared by the chat, the CLI, the API and the eval."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from qa.answers import Answer
from qa.conversation import rewrite_followup
from qa.embeddings import ClauseEmbeddings, make_embeddings
from qa.extractive import ExtractiveAnswerer, RefusalPolicy
from qa.retrieval import Filters, HybridSearcher, SearchResult
from qa.settings import Settings
from vectorstore import ChromaClauseStore

log = logging.getLogger(__name__)


@dataclass
class Turn:
    """One earlier turn of a conversation."""

    question: str
    answer: str = ""


class Assistant:
    """Search and answer over a clause store. Build with :meth:`from_settings`; heavy parts load on first use."""

    def __init__(self, settings: Settings, store: ChromaClauseStore, embeddings: ClauseEmbeddings, mode: str = "hybrid") -> None:
        self.settings = settings
        self.store = store
        self.embeddings = embeddings
        self.searcher = HybridSearcher(store, embeddings, mode=mode)
        policy = RefusalPolicy(
            min_coverage=settings.refusal_min_coverage,
            min_coverage_figure=settings.refusal_min_coverage_figure,
            min_confidence=settings.refusal_min_confidence,
        )
        self.extractive = ExtractiveAnswerer(self.searcher.tokenizer, policy, idf=self.searcher.idf)
        self._llm: Any = None
        if settings.llm_configured:
            from qa.llm import LLMAnswerer

            self._llm = LLMAnswerer(settings)

    @classmethod
    def from_settings(cls, settings: Settings, mode: str = "hybrid") -> Assistant:
        from qa.tokens import install_bpe_files

        install_bpe_files(settings.tiktoken_cache_dir)
        embeddings = make_embeddings(settings)
        return cls(settings, ChromaClauseStore(settings, embeddings.model_id), embeddings, mode=mode)

    @property
    def answerer_name(self) -> str:
        return f"llm:{self.settings.llm_model}" if self._llm else "extractive"

    def search(self, question: str, k: int | None = None, filters: Filters | None = None) -> SearchResult:
        """Ranked clauses with scores (fused, and each leg's rank and score)."""
        return self.searcher.search(question, k=k or max(self.settings.top_k, 10), filters=filters)

    def standalone(self, question: str, history: Sequence[Turn | str] = ()) -> str:
        previous = [h.question if isinstance(h, Turn) else str(h) for h in history]
        return rewrite_followup(question, previous, self.searcher.tokenizer.places)

    def ask(self, question: str, history: Sequence[Turn | str] = (), filters: Filters | None = None) -> Answer:
        """Answer ``question`` (with the conversation so far) and cite the clauses it rests on, or refuse."""
        *_, answer = self.ask_stream(question, history, filters)
        assert isinstance(answer, Answer)
        return answer

    def ask_stream(self, question: str, history: Sequence[Turn | str] = (), filters: Filters | None = None) -> Iterator[str | Answer]:
        """Yield text pieces as they are produced, then the final :class:`Answer` (always last)."""
        started = time.perf_counter()
        question = _clean_question(question)
        if not question:
            yield Answer(question, "请输入问题。", refused=True, answerer=self.answerer_name)
            return
        standalone = self.standalone(question, history)
        result = self.search(standalone, filters=filters)
        extractive = self.extractive.answer(standalone, result)
        answer = extractive
        if self._llm is not None:
            answer = yield from self._llm.answer_stream(standalone, result, fallback=extractive)
        else:
            yield answer.text
        answer.question = question
        answer.standalone_question = standalone
        answer.timings = {**result.timings, "total_ms": round((time.perf_counter() - started) * 1000, 2)}
        yield answer


MAX_QUESTION_CHARS = 500


def _clean_question(question: str) -> str:
    """Strip control characters and cap the length: a question is a sentence, not a document."""
    cleaned = "".join(ch for ch in str(question or "") if ch in "\n\t" or ord(ch) >= 32).strip()
    return cleaned[:MAX_QUESTION_CHARS]
