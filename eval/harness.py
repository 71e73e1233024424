"""The eval harness: the store with the sample plans, an Assistant per retrieval mode, and one pass over the gold items.

``evaluate`` retrieves with every mode for every item and, in the hybrid mode, answers through ``Assistant.ask``
(the entry point the chat, CLI and API use), scoring each item as it goes; ``diagnose`` names a first guess at
where the hybrid + extractive pipeline went wrong.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.check_gold import GoldItem
from eval.metrics import AnswerOutcome, ItemOutcome, evidence_forms, first_hit_rank, holds_evidence, score_answer
from qa.settings import Settings
from qa.text import clip

EVAL_DIR = Path(__file__).resolve().parent
MODES = ("hybrid", "dense", "lexical", "naive")
SEARCH_K = 10  # clauses retrieved per question for hit@10
FAILURE_RANK = 5  # an answerable item whose evidence is not in the top 5 is listed as a failure
EXTRACTIVE = "extractive"


@dataclass
class Harness:
    """The store with the sample plans, the embedder, and an Assistant per retrieval mode (built on demand)."""

    settings: Settings
    plans_dir: Path
    store: Any = None
    embeddings: Any = None
    notes: list[str] = field(default_factory=list)
    _assistants: dict[str, Any] = field(default_factory=dict)
    baseline: Any = None

    def prepare(self) -> None:
        """Ingest the gold set's documents into the store (fast when they are already there)."""
        from backends import open_store
        from qa.answer.tokens import install_bpe_files
        from qa.embeddings import make_embeddings
        from qa.ingest.pipeline import Ingestor, discover

        install_bpe_files(self.settings.tiktoken_cache_dir)
        self.embeddings = make_embeddings(self.settings)
        self.store = open_store(self.settings, self.embeddings.model_id)
        started = time.perf_counter()
        report = Ingestor(self.settings, self.store, self.embeddings).run([self.plans_dir])
        if report.failed and len(report.failed) == len(report.results):
            raise RuntimeError(f"ingest of the documents in {self.plans_dir} failed:\n" + report.table())
        for failed in report.failed:  # one unreadable document costs only the items about it
            self.notes.append(f"warning: {failed.name} was not ingested ({failed.message}); items about it cannot be answered")
        changed = report.count("new") + report.count("updated")
        self.notes.append(
            f"ingest: {len(report.results)} plans, {changed} (re)ingested, {report.count('unchanged')} unchanged "
            f"in {time.perf_counter() - started:.1f} s"
        )
        print(self.notes[-1], file=sys.stderr)
        sample = {p.stem for p in discover([self.plans_dir])[0]}
        extra = sorted(set(self.store.documents()) - sample)
        if extra:
            self.notes.append(f"warning: the store also holds plans outside the gold set ({', '.join(extra)}); they compete in retrieval")

    def assistant(self, mode: str = "hybrid") -> Any:
        """An extractive Assistant searching with ``mode`` (the LLM, if configured, is left out)."""
        if mode not in self._assistants:
            from qa.service import Assistant

            self._assistants[mode] = Assistant(self.settings.replace(llm_base_url="", llm_model=""), self.store, self.embeddings, mode=mode)
        return self._assistants[mode]

    def llm_assistant(self) -> tuple[Any, str]:
        """(Assistant answering with the configured LLM, its name), or (None, why it is skipped)."""
        if not self.settings.llm_configured:
            return None, "skipped (no endpoint configured)"
        from qa.service import Assistant

        try:
            assistant = Assistant(self.settings, self.store, self.embeddings, mode="hybrid")
        except ImportError as exc:
            return None, f"not evaluated: the LLM answerer cannot be loaded ({exc})"
        return assistant, assistant.answerer_name

    def naive(self) -> Any:
        if self.baseline is None:
            from eval.baseline import NaiveBaseline

            self.baseline = NaiveBaseline(self.settings, self.embeddings)
            built = self.baseline.build(self.plans_dir)
            self.notes.append(
                f"naive baseline: {built.plans} plans, {built.embedded_plans} embedded ({built.embedded_chunks} chunks) "
                f"in {built.seconds:.1f} s, collection {self.baseline.store.collection_name}"
            )
            print(self.notes[-1], file=sys.stderr)
        return self.baseline


def select_split(items: Sequence[GoldItem], split: str) -> list[GoldItem]:
    return list(items) if split == "all" else [i for i in items if i.split == split]


def rel_path(path: Path) -> str:
    """``path`` relative to the working directory when it lies below it (as reports and messages show it)."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def one_line(text: str, limit: int = 160) -> str:
    """One line of report text: white space folded, then clipped."""
    return clip(" ".join(str(text).split()), limit)


def _hit_view(doc_id: str, title: str, path: str, path_label: str, text: str, forms: list[str]) -> dict[str, Any]:
    return {"doc_id": doc_id, "title": title, "path": path, "path_label": path_label, "holds_evidence": holds_evidence(text, forms), "text": one_line(text, 200)}


def evaluate(items: Sequence[GoldItem], harness: Harness, modes: Sequence[str]) -> tuple[list[ItemOutcome], list[dict[str, Any]], dict[str, str]]:
    """Retrieve with every mode and answer with every answerer; returns outcomes, per-item records, answerer notes."""
    from tqdm import tqdm

    hybrid = harness.assistant("hybrid")
    answerers: dict[str, Any] = {}
    answerer_notes: dict[str, str] = {}
    if "hybrid" in modes:
        answerers[EXTRACTIVE] = hybrid
        llm, note = harness.llm_assistant()
        answerer_notes["llm"] = note
        if llm is not None:
            answerers["llm"] = llm
    searchers = {mode: (harness.naive() if mode == "naive" else harness.assistant(mode)) for mode in modes}
    outcomes: list[ItemOutcome] = []
    records: list[dict[str, Any]] = []
    for item in tqdm(items, desc="eval", unit="item", file=sys.stderr, dynamic_ncols=True):
        previous = item.previous_questions
        standalone = hybrid.standalone(item.question, previous)
        forms = evidence_forms(item.evidence)
        record: dict[str, Any] = {
            "id": item.id, "category": item.category, "split": item.split, "question": item.question,
            "previous": previous, "standalone": standalone, "docs": list(item.docs), "paths": list(item.paths),
            "evidence": list(item.evidence), "keywords": list(item.keywords), "expected_answer": item.answer,
            "near_miss": item.near_miss, "retrieval": {}, "answers": {},
        }
        ranks: dict[str, int] = {}
        search_ms: dict[str, float] = {}
        for mode, searcher in searchers.items():
            started = time.perf_counter()
            if mode == "naive":
                chunks = searcher.search(standalone, SEARCH_K)
                views = [_hit_view(c.doc_id, str(c.metadata.get("title", "")), str(c.metadata.get("path", "")), str(c.metadata.get("path_label", "")), c.text, forms) for c in chunks]
                texts = [c.text for c in chunks]
            else:
                result = searcher.search(standalone, k=SEARCH_K)
                views = [_hit_view(h.doc_id, h.title, str(h.meta.get("path", "")), h.path_label, h.text, forms) for h in result.hits]
                texts = [h.text for h in result.hits]
            search_ms[mode] = round((time.perf_counter() - started) * 1000, 2)
            ranks[mode] = first_hit_rank(texts, item.evidence) if item.answerable else 0
            record["retrieval"][mode] = {"rank": ranks[mode], "ms": search_ms[mode], "top": views[:5]}
        answers: dict[str, AnswerOutcome] = {}
        for name, assistant in answerers.items():
            started = time.perf_counter()
            answer = assistant.ask(item.question, history=previous)
            latency = float(answer.timings.get("total_ms") or (time.perf_counter() - started) * 1000)
            cited = [(c.doc_id, c.text) for c in answer.citations]
            outcome = score_answer(answer.text, answer.refused, cited, item.answerable, item.evidence, item.docs, item.keywords, latency)
            answers[name] = outcome
            record["answers"][name] = {
                "answerer": answer.answerer, "text": answer.text, "refused": answer.refused, "correct": outcome.correct,
                "confidence": answer.confidence, "precision": outcome.precision, "recall": outcome.recall,
                "latency_ms": round(latency, 1), "notices": list(answer.notices),
                "citations": [{"doc_id": c.doc_id, "path": c.path, "path_label": c.path_label, "holds_evidence": holds_evidence(c.text, forms)} for c in answer.citations],
            }
        outcome_item = ItemOutcome(item.id, item.category, item.answerable, ranks, search_ms, answers)
        record["diagnosis"] = diagnose(item, record)
        outcomes.append(outcome_item)
        records.append(record)
    return outcomes, records, answerer_notes


def diagnose(item: GoldItem, record: dict[str, Any]) -> str:
    """Where the hybrid + extractive pipeline went wrong for this item ('' when it did not): a first guess for analysis."""
    retrieval = record["retrieval"].get("hybrid")
    answer = record["answers"].get(EXTRACTIVE)
    if not item.answerable:
        if answer is not None and not answer["refused"]:
            return "refusal: a near miss was answered instead of refused"
        return ""
    rank = retrieval["rank"] if retrieval else 0
    where = f"evidence at rank {rank}" if rank else f"evidence not in the top {SEARCH_K}"
    split_clause = ""
    if retrieval:
        for n, hit in enumerate(retrieval["top"], start=1):
            if hit["doc_id"] in item.docs and hit["path"] in item.paths and not hit["holds_evidence"]:
                split_clause = f"; the gold clause is at rank {n} but its retrieved part lacks the evidence (clause split into parts?)"
                break
    if answer is None:
        return "" if 0 < rank <= FAILURE_RANK else f"retrieval: {where}{split_clause}"
    if answer["correct"]:
        if item.category == "cross_doc" and answer["recall"] < 1:
            return f"citations: only part of the gold plans cited (recall {answer['recall']:.2f})"
        return "" if 0 < rank <= FAILURE_RANK else f"retrieval (answer still right): {where}"
    if rank == 0:
        return f"retrieval: {where}{split_clause}"
    if answer["refused"]:
        return f"refusal: wrongly refused ({where}, confidence {answer['confidence']:.2f})"
    if any(c["holds_evidence"] for c in answer["citations"]):
        return f"answer selection: cites an evidence clause but the quote misses a keyword ({where})"
    return f"answer selection: cited clause(s) without the evidence ({where})"
