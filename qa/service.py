"""``Assistant``: the one entry point of PlanQA, shared by the chat, the CLI, the API and the eval."""

from __future__ import annotations

import dataclasses
import logging
import time
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from qa.answer.answers import Answer
from qa.answer.extractive import ExtractiveAnswerer, RefusalPolicy
from qa.answer.followup import standalone_questions
from qa.answer.question import PER_PLAN_KINDS, answer_kind
from qa.embeddings import ClauseEmbeddings
from qa.search.hybrid import HybridSearcher
from qa.search.results import Filters, SearchResult
from qa.settings import Settings
from qa.store import ClauseStore

log = logging.getLogger(__name__)


@dataclass
class Turn:
    """One earlier turn of a conversation."""

    question: str
    answer: str = ""


class Assistant:
    """Search and answer over a clause store. ``backends.build_assistant`` builds one from the settings; heavy parts load on first use."""

    def __init__(self, settings: Settings, store: ClauseStore, embeddings: ClauseEmbeddings, mode: str = "hybrid") -> None:
        self.settings = settings
        self.store = store
        self.embeddings = embeddings
        self.searcher = HybridSearcher(store, embeddings, mode=mode, cache_dir=settings.lexical_cache_path(embeddings.model_id))
        policy = RefusalPolicy(
            min_coverage=settings.refusal_min_coverage,
            min_coverage_figure=settings.refusal_min_coverage_figure,
            min_confidence=settings.refusal_min_confidence,
            min_confidence_near_miss=settings.refusal_min_confidence_near_miss,
        )
        self.extractive = ExtractiveAnswerer(self.searcher.tokenizer, policy, idf=self.searcher.idf, plan_years=self.searcher.plan_years, known=self.searcher.known, children=self.searcher.children)
        self._llm: Any = None
        if settings.llm_configured:
            from qa.answer.llm import LLMAnswerer

            self._llm = LLMAnswerer(settings)

    @property
    def answerer_name(self) -> str:
        return f"llm:{self.settings.llm_model}" if self._llm else "extractive"

    def search(self, question: str, k: int | None = None, filters: Filters | None = None) -> SearchResult:
        """Ranked clauses with scores (fused, and each leg's rank and score)."""
        return self.searcher.search(question, k=k or self.settings.top_k, filters=filters)

    def retrieve(self, standalone: str, asked: str | None = None, filters: Filters | None = None) -> SearchResult:
        """The clauses the answerer weighs for ``standalone`` (the user typed ``asked``): the top ``top_k``, or for
        a question answered one part per plan (各地…, 分别…, 哪些规划…) each plan's best clauses first, from a
        search ``per_plan_depth`` deep. Text addressing the reader is left out (:meth:`SearchResult.quotable`)."""
        if answer_kind(standalone, asked) in PER_PLAN_KINDS:
            depth = max(self.settings.top_k, self.extractive.weights.per_plan_depth)
            return self.searcher.search(standalone, k=depth, filters=filters, per_plan=True).quotable()
        return self.search(standalone, filters=filters).quotable()

    def standalone(self, question: str, history: Sequence[Turn | str] = ()) -> str:
        """``question`` rewritten to stand alone: by the LLM when one is configured (and answers sensibly),
        else by the rules of :mod:`qa.answer.followup`."""
        previous = [h.question if isinstance(h, Turn) else str(h) for h in history]
        if self._llm is not None and previous:
            rewritten = self._llm.rewrite(question, previous)
            if rewritten:
                return rewritten
        return standalone_questions([*previous, question], self.searcher.tokenizer.places)[-1]

    def ask(self, question: str, history: Sequence[Turn | str] = (), filters: Filters | None = None) -> Answer:
        """Answer ``question`` (with the conversation so far) and cite the clauses it rests on, or refuse."""
        *_, answer = self.ask_stream(question, history, filters)
        assert isinstance(answer, Answer)
        return answer

    def ask_stream(self, question: str, history: Sequence[Turn | str] = (), filters: Filters | None = None) -> Iterator[str | Answer]:
        """Yield text pieces as they are produced, then the final :class:`Answer` (always last)."""
        started = time.perf_counter()
        question = clean_question(question, self.settings.max_question_chars)
        if not question:
            yield Answer(question, "请输入问题。", refused=True, answerer=self.answerer_name)
            return
        standalone = self.standalone(question, history)
        result = self.retrieve(standalone, question, filters)
        extractive = self.extractive.answer(standalone, result, asked=question)
        answer = extractive
        if self._llm is not None:  # the model reads the clauses in the order the span model ranks them
            ranked = dataclasses.replace(result, hits=self.extractive.ranked(standalone, result, question))
            answer = yield from self._llm.answer_stream(standalone, ranked, fallback=extractive)
        else:
            yield answer.text
        answer.question = question
        answer.standalone_question = standalone
        answer.timings = {**result.timings, "total_ms": round((time.perf_counter() - started) * 1000, 2)}
        yield answer


def clean_question(question: str, max_chars: int) -> str:
    """Strip control and invisible format characters (NUL, ANSI escapes, bidi overrides, zero-width spaces) and
    cap the length at ``max_chars``: a question is a sentence, not a document. One without a letter, digit or Chinese character
    (only punctuation or emoji) is empty: there is nothing to look up."""
    cleaned = "".join(ch for ch in str(question or "") if ch in "\n\t" or unicodedata.category(ch) not in {"Cc", "Cf"}).strip()
    if not any(ch.isalnum() for ch in cleaned):
        return ""
    return cleaned[:max_chars]
