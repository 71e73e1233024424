"""The extractive answerer, PlanQA's default: no LLM, every word of the answer is quoted from a clause.

It reads what the question asks for (:mod:`qa.answer.question`: a figure for 多少/几, in the unit asked for
多久一次 or 罚多少, places for 哪些, the office for 谁负责, a summary for 有哪些措施, the plan for 哪个文件, one part
per plan for 各地/分别 or when several plans are named apart), weighs every candidate span of the top clauses with
the fitted span model (:mod:`qa.answer.spans`), quotes the most probable one with a marker [1] and cites its
clause. A table row is quoted by its cells, a lead-in clause ("…可以采取下列紧急措施：") with the items under it.
It refuses ("所检索的规划文件中没有找到…") when the best span's probability is below the calibrated threshold
(:class:`RefusalPolicy`), or when the question names a place or year no stored plan covers, and says why when the
nearest span is a near miss: it states no figure (in any form), not of the kind or year asked, names no
responsible office or person, or lacks what the question insists on (最好, a qualifier the plans know elsewhere).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from qa.answer.answers import REFUSAL_PREFIX, Answer, Citation
from qa.answer.figures import has_figure, states_digits, year_context, years_fit
from qa.answer.question import (
    PER_PLAN_KINDS,
    Term,
    answer_kind,
    asked_what,
    expected_units,
    insisted_gap,
    noun_pairs,
    wants_figure,
)
from qa.answer.question import terms as question_terms
from qa.answer.spans import (
    Asked,
    Span,
    SpanModel,
    bigram_share,
    bigrams,
    clause_summary,
    fitted_model,
    halves_found,
    listed,
    near_miss_reason,
    spans_of,
    tagged_names,
    words_of,
)
from qa.answer.weights import AnswerWeights
from qa.normalize import search_form
from qa.search.lexical import Tokenizer, colloquial_terms
from qa.search.results import Retrieved, SearchResult
from qa.search.scope import named_years
from qa.text import clip


@dataclass(frozen=True)
class RefusalPolicy:
    """When the extractive answerer refuses: thresholds on the span model's probability, calibrated on the calibration
    splits of every gold set (``python -m eval calibrate``), not hand-tuned per question. A near miss (the best span
    lacks what is asked) needs a higher probability to be answered; a clear answer is not refused because one of the
    near-miss signals fired when the model is sure of it anyway."""

    min_coverage: float = 0.0  # share of the question's content words found in the best clause
    min_coverage_figure: float = 0.4  # the same, for 多少-questions: a figure answers only its own topic
    min_confidence: float = 0.05  # span probability below which the answer is refused (the settings pass the calibrated value)
    min_confidence_near_miss: float = 0.4  # … below which a span that lacks what is asked (a figure, the year, 最好) is refused
    related_shown: int = 3  # nearest clauses listed as 可能相关 with a refusal


@dataclass
class Evidence:
    """How well the retrieved clauses answer the question."""

    coverage: float = 0.0  # weighted share of question content words present in the chosen clause (and its context)
    uncovered: list[str] = field(default_factory=list)  # places/years the question names that no stored plan covers
    probability: float = 0.0  # the span model's probability that the chosen span answers the question

    @property
    def confidence(self) -> float:
        """The chosen span's probability (4 decimals); 0 when the question names something outside the plans."""
        return 0.0 if self.uncovered else round(self.probability, 4)


# ------------------------------------------------------------------------------------------ the answerer


@dataclass
class Candidate:
    """One retrieved clause weighed as the answer: how much of the question it covers, its summary (for a list
    question), and what it lacks that the question insists on (``gap``; '' when nothing)."""

    hit: Retrieved
    rank: int
    coverage: float
    quote: str
    gap: str = ""
    gap_signal: str = ""  # which signal ``gap`` is: insisted_gap (最好 not spoken to) or modifier_gap (XY said as Y)
    rarest_missing: bool = False  # the question's weightiest topic word is not in the clause's context

    @property
    def fits(self) -> bool:
        return not self.gap


class ExtractiveAnswerer:
    """Quotes the answering sentences of the retrieved clauses, or refuses."""

    name = "extractive"

    def __init__(
        self,
        tokenizer: Tokenizer,
        policy: RefusalPolicy | None = None,
        idf: Callable[[str], float] | None = None,
        plan_years: Callable[[str], Sequence[int]] | None = None,
        known: Callable[[str], bool] | None = None,
        weights: AnswerWeights | None = None,
        model: SpanModel | None = None,
        children: Callable[[str, str], Sequence[str]] | None = None,
    ) -> None:
        self.tokenizer = tokenizer
        self.policy = policy or RefusalPolicy()
        self.idf = idf or (lambda word: 1.0)
        self.plan_years = plan_years or (lambda doc_id: ())
        self.known = known or (lambda word: False)  # whether any stored clause has the word
        self.weights = weights or AnswerWeights()
        self.model = model or fitted_model()
        self.children = children or (lambda doc_id, path: ())  # texts of the clauses numbered under a clause

    def with_policy(self, policy: RefusalPolicy) -> ExtractiveAnswerer:
        """The same answerer with other refusal thresholds (for calibration)."""
        return ExtractiveAnswerer(self.tokenizer, policy, self.idf, self.plan_years, self.known, self.weights, self.model, self.children)

    def _weight(self, term: Term | str) -> float:
        """Rare words decide whether a clause is about the question: weight = idf (absent words weigh most)."""
        word, stress = (term.word, term.stress) if isinstance(term, Term) else (term, 1.0)
        w = self.weights
        return self.idf(word) * (w.long_word_factor if len(word) >= w.long_word_chars else 1.0) * stress

    # -- signals -----------------------------------------------------------------------------------

    def terms(self, question: str, emphasis: str | None = None) -> list[Term]:
        """The question's topic words (see :func:`qa.answer.question.terms`), a follow-up's own words stressed."""
        return question_terms(self.tokenizer, question, emphasis, stress=self.weights.follow_up_stress)

    def coverage(self, terms: Sequence[Term], clause_text: str) -> float:
        """Weighted share of ``terms`` found in ``clause_text`` (any of a term's forms; a long word counts when
        both its halves are there)."""
        if not terms:
            return 0.0
        norm = search_form(clause_text)
        weights = [self._weight(t) for t in terms]
        found = sum(w for t, w in zip(terms, weights, strict=True) if self._says(t, norm, partial=True))
        return found / sum(weights)

    def _says(self, term: Term, norm: str, partial: bool = False) -> bool:
        """Whether the search-form text ``norm`` says ``term`` (any of its forms). A one-character form counts
        only as a word of its own: 新 in 新业务 is not said by 创新."""
        for form in term.forms:
            if len(form) == 1:
                if form in norm and form in words_of(self.tokenizer, norm):
                    return True
            elif form in norm or (partial and halves_found(form, norm, self.weights.partial_word_chars)):
                return True
        return False

    def _context(self, hit: Retrieved) -> str:
        """What a clause says in context: its text, section headings and plan title (八大工程 is in the title)."""
        m = hit.meta
        return f"{m.get('search_text', hit.text)}{m.get('headings', '')}{m.get('title', '')}"

    def candidate(self, terms: Sequence[Term], kind: str, question: str, years: Sequence[int], hit: Retrieved, rank: int) -> Candidate:
        """``hit`` weighed as the answer to a ``kind`` question (``years`` are the years it names)."""
        context = self._context(hit)
        coverage = self.coverage(terms, context)
        quote = self.summary(hit.text) if kind == "list" else ""
        insisted = insisted_gap(question, hit.text)
        gap = insisted or self._modifier_gap(question, hit)
        signal = "insisted_gap" if insisted else "modifier_gap" if gap else ""
        rarest = max(terms, key=self._weight, default=None)
        missing = rarest is not None and not self._says(rarest, search_form(context), partial=True)
        return Candidate(hit, rank, coverage, quote, gap, signal, missing)

    def candidates(self, ask: Asked, hits: Sequence[Retrieved]) -> list[Candidate]:
        """``hits`` (in fused rank order) weighed as candidates for ``ask``."""
        return [self.candidate(ask.terms, ask.kind, ask.question, ask.years, h, r) for r, h in enumerate(hits, start=1)]

    def summary(self, text: str) -> str:
        """A clause's measures in brief (:func:`qa.answer.spans.clause_summary`)."""
        return clause_summary(text, self.weights.summary_chars, self.weights.summary_head_chars)

    def _modifier_gap(self, question: str, hit: Retrieved) -> str:
        """A clause about Y does not answer a question about the compound noun XY when the plans know X but this
        clause does not say it: "新冠疫苗的接种率" is not answered by "免疫规划疫苗接种率95%以上" (新冠 is elsewhere
        in the plans). Only noun-noun compounds count: in "香港机构签订协议" 机构 does not qualify 签订."""
        clause = search_form(self._context(hit))
        for x, y in noun_pairs(self.tokenizer, question):
            said = any(f in clause for f in (x, *colloquial_terms().get(x, ())))  # 病人 is said as 患者
            if y in clause and not said and self.known(x):
                return f"说的不是“{x}{y}”"
        return ""

    def clause_signals(self, ask: Asked, cand: Candidate) -> dict[str, float]:
        """The signals of :data:`qa.answer.spans.FEATURES` that belong to ``cand``'s clause, the same for all its spans."""
        hit = cand.hit
        f = {"bias": 1.0, "rank": 1.0 / cand.rank, "clause_topic": cand.coverage, "rarest_missing": float(cand.rarest_missing)}
        f["dense_rank"] = 1.0 / hit.dense_rank if hit.dense_rank else 0.0
        f["lexical_rank"] = 1.0 / hit.lexical_rank if hit.lexical_rank else 0.0
        f["dense"] = max(0.0, hit.dense_score - 0.8) / 0.1
        f["clause_bigrams"] = bigram_share(ask.bigrams, search_form(self._context(hit)))
        if ask.kind == "office":
            f["office_given" if hit.meta.get("office") else "office_missing"] = 1.0
        if cand.gap_signal:
            f[cand.gap_signal] = 1.0
        return f

    def span_signals(self, ask: Asked, cand: Candidate, span: Span, clause: dict[str, float]) -> dict[str, float]:
        """The signals of :data:`qa.answer.spans.FEATURES` for ``span`` of ``cand``'s clause as the answer to ``ask``,
        its clause's own (:meth:`clause_signals`) included."""
        hit, text = cand.hit, span.text
        norm = search_form(text)
        f = {**clause, "length": min(1.0, len(text) / self.weights.quote_chars), "pair": float(span.count > 1), "first": float(span.first == 0)}
        f["topic"] = max(0.0, self._topic_score(ask.terms, norm)) / ask.total if ask.total else 0.0
        f["bigrams"] = bigram_share(ask.bigrams, norm)
        if ask.figure:
            given = has_figure(norm, []) or (bool(ask.units) and has_figure(norm, ask.units))
            f["figure_given"], f["figure_missing"] = float(given), float(not given)
            f["digits"] = float(states_digits(norm))
            if ask.units:
                in_unit = has_figure(norm, ask.units)
                f["unit_given"], f["unit_missing"] = float(in_unit), float(not in_unit)
            if ask.years and given:
                f["year_misfit"] = float(not years_fit(year_context(text, hit.text), ask.years, self.plan_years(hit.doc_id)))
                f["other_years"] = float(bool(set(named_years(norm)) - set(ask.years)))
        # names are tagged once per clause (jieba's tagger is slow), then looked for in the span
        if ask.kind == "place" and any(p in norm for p in tagged_names(self.tokenizer, search_form(hit.text), "places")):
            f["place_given"] = 1.0
        if ask.kind == "person" and not any(n in text for n in tagged_names(self.tokenizer, hit.text, "person_names")):
            f["person_missing"] = 1.0
        return f

    def scored_spans(self, ask: Asked, cands: Sequence[Candidate]) -> list[tuple[float, Span, Candidate, dict[str, float]]]:
        """Every candidate span of ``cands`` with its probability under the fitted model and its signals."""
        out = []
        for cand in cands:
            row = cand.hit.meta.get("kind") == "table_row"
            spans = [Span(cand.rank, cand.quote, 0, 1)] if ask.kind == "list" else spans_of(cand.hit.text, cand.rank, self.weights.quote_chars, row=row)
            listed = self._listed(cand)
            if listed:  # a sentence ending in a colon introduces the items after it: it is quoted with them
                spans = [Span(sp.rank, listed, sp.first, 2) if sp.text.endswith((":", "：")) else sp for sp in spans]
            clause = self.clause_signals(ask, cand)
            for span in spans:
                signals = self.span_signals(ask, cand, span, clause)
                out.append((self.model.probability(signals), span, cand, signals))
        return out

    def _listed(self, cand: Candidate) -> str:
        """A lead-in clause with the items numbered under it (:func:`qa.answer.spans.listed`); '' when it has none."""
        body = cand.hit.text.rstrip()
        items = self.children(cand.hit.doc_id, str(cand.hit.meta.get("path", ""))) if body.endswith((":", "：")) else ()
        return listed(body, items, self.weights.summary_chars, self.weights.summary_head_chars) if items else ""

    def asked(self, question: str, asked: str | None = None, years: Sequence[int] = ()) -> Asked:
        """What ``question`` asks, read once for all its candidate spans."""
        kind = answer_kind(question, asked)
        terms = self.terms(question, emphasis=asked)
        return Asked(question, kind, terms, sum(self._weight(t) for t in terms), bigrams(search_form(question)),
                     wants_figure(question, kind), tuple(expected_units(question)), tuple(years))

    # -- answer ------------------------------------------------------------------------------------

    def answer(self, question: str, result: SearchResult, asked: str | None = None) -> Answer:
        """Answer the standalone ``question`` from ``result``; ``asked`` is what the user typed this turn (its
        wording decides what kind of answer is wanted: "这些捐血站还要开展什么新业务?" asks for a measure even
        when the rewritten question carries the previous turn's 哪些街道)."""
        ask = self.asked(question, asked, result.years)
        kind = ask.kind
        if result.uncovered or not result.hits:
            return self._refusal(question, result, Evidence(uncovered=list(result.uncovered)))
        if kind in PER_PLAN_KINDS or result.plans_apart:
            return self._per_plan(question, result, ask)
        candidates = self.candidates(ask, result.hits[: self.weights.candidates])
        p, span, cand, signals = self.best_span(ask, candidates)
        chosen_quote = span.text
        gap = self.span_gap(ask, cand, signals)
        ev = Evidence(cand.coverage, list(result.uncovered), p)
        floor = self.policy.min_coverage_figure if kind == "number" else self.policy.min_coverage
        # a clause holding none of the question's topic words answers nothing, whatever the vectors and shared characters say
        unshared = not signals["clause_topic"]
        if unshared or p < self.policy.min_confidence or ev.coverage < floor or (gap and p < self.policy.min_confidence_near_miss):
            near = dataclasses.replace(cand, quote=chosen_quote, gap=gap) if gap else None
            return self._refusal(question, result, ev, near=near)
        chosen = [(cand, chosen_quote)]
        if kind == "list":  # a summary may draw on a second clause of the same section
            chosen += [(c, c.quote) for c in candidates if c is not cand and c.hit.doc_id == cand.hit.doc_id and c.fits and c.coverage >= cand.coverage - self.weights.list_margin][:1]
        citations = [Citation.from_hit(n, c.hit, q) for n, (c, q) in enumerate(chosen, start=1)]
        parts = [self._phrase(kind, c.hit, q, n, multi=len(chosen) > 1) for n, (c, q) in enumerate(chosen, start=1)]
        text = ("；\n" if len(parts) > 1 else "").join(parts)
        return Answer(question, text, citations, refused=False, retrieved=result.hits, confidence=round(p, 4))

    def ranked(self, question: str, result: SearchResult, asked: str | None = None) -> list[Retrieved]:
        """``result``'s clauses ordered by their best span's probability under the span model (retrieval order
        among equals): the order an LLM is given them in, so it reads first what the extractive answer would quote."""
        ask = self.asked(question, asked, result.years)
        cands = self.candidates(ask, result.hits)
        best: dict[int, float] = {}
        for p, span, _, _ in self.scored_spans(ask, cands):
            best[span.rank] = max(best.get(span.rank, 0.0), p)
        return [result.hits[r - 1] for r in sorted(best, key=lambda r: (-best[r], r))] if best else list(result.hits)

    def best_span(self, ask: Asked, candidates: Sequence[Candidate]) -> tuple[float, Span, Candidate, dict[str, float]]:
        """The most probable span of ``candidates`` (of equals, the better-ranked clause's earlier span)."""
        scored = self.scored_spans(ask, candidates)
        return max(scored, key=lambda s: (s[0], -s[1].rank, -s[1].first))

    def span_gap(self, ask: Asked, cand: Candidate, signals: dict[str, float]) -> str:
        """What the chosen span lacks that the question asks for, as a refusal says it ('' when nothing)."""
        return near_miss_reason(signals, cand.gap, asked_what(ask.question), ask.years)

    def _per_plan(self, question: str, result: SearchResult, ask: Asked) -> Answer:
        """One part per plan: the plans the question names apart, or (各地…, 哪些规划…, 分别…) every plan whose
        best span is about as probable as the best plan's."""
        kind, w = ask.kind, self.weights
        by_plan = self.plan_candidates(ask, result)
        best_of = {doc: self.best_span(ask, cands) for doc, cands in by_plan.items()}
        near_miss = self.policy.min_confidence_near_miss
        speaks = {doc: b for doc, b in best_of.items() if not (self.span_gap(ask, b[2], b[3]) and b[0] < near_miss)}
        top = max((b[0] for b in speaks.values()), default=0.0)
        floor = max(self.policy.min_confidence, top - w.per_plan_margin)
        named = [doc for doc in by_plan if doc in result.inferred.doc_ids] if result.plans_apart else []
        if named:
            chosen = [speaks[doc] for doc in named if doc in speaks and speaks[doc][0] >= self.policy.min_confidence]
        else:
            chosen = sorted((b for b in speaks.values() if b[0] >= floor), key=lambda b: -b[0])[: w.plan_parts]
        if not chosen:
            p, span, cand, signals = max(best_of.values(), key=lambda b: b[0])
            gap = self.span_gap(ask, cand, signals)
            near = dataclasses.replace(cand, quote=span.text, gap=gap) if gap else None
            return self._refusal(question, result, Evidence(cand.coverage, list(result.uncovered), p), near=near)
        confidence = max(b[0] for b in chosen)
        citations = [Citation.from_hit(n, c.hit, span.text) for n, (_, span, c, _) in enumerate(chosen, start=1)]
        phrase_kind = "which_plan" if kind == "which_plans" else "cross"
        parts = [self._phrase(phrase_kind, c.hit, span.text, n, multi=True) for n, (_, span, c, _) in enumerate(chosen, start=1)]
        answered = {c.hit.doc_id for _, _, c, _ in chosen}
        missing = [self._plan_title(result, doc) for doc in sorted(result.inferred.doc_ids) if doc not in answered] if result.plans_apart else []
        if missing:
            parts.append("、".join(f"《{t}》" for t in missing) + "中没有找到相应内容")
        return Answer(question, "；\n".join(parts), citations, refused=False, retrieved=result.hits, confidence=round(confidence, 4))

    def plan_candidates(self, ask: Asked, result: SearchResult) -> dict[str, list[Candidate]]:
        """The candidate clauses of each plan among the top ``per_plan_hits`` (at most ``candidates`` a plan)."""
        by_plan: dict[str, list[Candidate]] = {}
        for rank, hit in enumerate(result.hits[: self.weights.per_plan_hits], start=1):
            if len(by_plan.get(hit.doc_id, ())) < self.weights.candidates:
                by_plan.setdefault(hit.doc_id, []).append(self.candidate(ask.terms, ask.kind, ask.question, ask.years, hit, rank))
        return by_plan

    @staticmethod
    def _plan_title(result: SearchResult, doc_id: str) -> str:
        return next((h.title for h in result.hits if h.doc_id == doc_id), doc_id)

    # -- quoting ---------------------------------------------------------------------------------

    def _topic_score(self, terms: Sequence[Term], norm: str) -> float:
        """How much of the question's topic the search-form text ``norm`` names: the weights of the words it says,
        less the qualifiers it lacks ("基本标准达标率100%" states 标准 with another qualifier than the asked
        推荐标准: it is about something else)."""
        found = {t.word for t in terms if self._says(t, norm)}
        score = sum(self._weight(t) for t in terms if t.word in found)
        penalty = self.weights.qualifier_penalty
        return score - sum(penalty * self._weight(t.qualifier) for t in terms if t.word in found and t.qualifier and t.qualifier not in found)

    def _phrase(self, kind: str, hit: Retrieved, quote: str, marker: int, multi: bool) -> str:
        where = f"{hit.title}（{hit.path_label}）" if multi else ""
        if kind == "office" and hit.meta.get("office"):
            return f"{where}{'：' if where else ''}由{hit.meta['office']}负责[{marker}]：{quote}"
        if kind == "which_plan":
            return f"《{hit.title}》{hit.path_label}提出：{quote}[{marker}]"
        if multi:
            return f"{where}：{quote}[{marker}]"
        return f"{quote}[{marker}]"

    def _refusal(self, question: str, result: SearchResult, ev: Evidence, near: Candidate | None = None) -> Answer:
        if ev.uncovered:
            reason = f"问题提到的{'、'.join(ev.uncovered)}不在已收录的规划范围内"
            text = f"{REFUSAL_PREFIX}关于这个问题的内容：{reason}。"
        elif near is not None:
            text = (
                f"{REFUSAL_PREFIX}能回答这个问题的条款。最接近的是《{near.hit.title}》{near.hit.path_label}："
                f"“{clip(near.quote, self.weights.near_quote_chars)}”，但{near.gap}。"
            )
        else:
            text = f"{REFUSAL_PREFIX}能回答这个问题的条款。"
        related = [Citation.from_hit(i, h, clip(h.text, self.weights.related_quote_chars)) for i, h in enumerate(result.hits[: self.policy.related_shown], start=1)]
        if related:
            text += "以下条款可能相关：" + "；".join(c.label for c in related) + "。"
        return Answer(question, text, [], refused=True, retrieved=result.hits, related=related, confidence=ev.confidence)
