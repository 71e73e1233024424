"""The extractive answerer, PlanQA's default: no LLM, every word of the answer is quoted from a clause.

Given what the question asks for (:mod:`qa.answer.question`: a figure for 多少/几, places for 哪些, the office
for 哪个处室/谁负责, a summary for 有哪些措施, the plan for 哪个文件, one part per plan for 各地/分别 or when several
plans are named), it picks the clause and the sentence(s) that answer it, quotes them with markers [1] [2] and
lists the cited clauses. It refuses ("所检索的规划文件中没有找到…") when the evidence is weak, judged from several
signals together (see :class:`Evidence`), and says why when the nearest clause is a near miss: it states no
figure (in any form: 百分之二十六, 每季度召开一次, 30分钟内, 2025年底前), or not of the kind asked (a frequency for
多久一次, a deadline for 什么时候之前, money for 罚多少), or for another year (:mod:`qa.answer.figures`), names no responsible office,
or lacks what the question insists on (最好, a person's name). The thresholds live in :class:`RefusalPolicy` and
are calibrated on the eval set's calibration split; the weights that rank clauses and sentences live in
:class:`qa.answer.weights.AnswerWeights`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from qa.answer.answers import REFUSAL_PREFIX, Answer, Citation
from qa.answer.figures import has_figure, states_digits, year_context, years_fit
from qa.answer.question import Term, answer_kind, asked_what, expected_units, insisted, noun_pairs, wants_figure
from qa.answer.question import terms as question_terms
from qa.answer.weights import AnswerWeights
from qa.normalize import search_form
from qa.search.lexical import Tokenizer, colloquial_terms
from qa.search.results import Retrieved, SearchResult
from qa.text import clip
from qa.text import sentences as text_sentences

_SEGMENT = re.compile(r"[^,，:：]+[,，:：]?")
_NUMBER_HEAD = re.compile(r"^\s*(?:[(（][^)）]{1,4}[)）]|[一二三四五六七八九十]+、|\d{1,3}[.．、])")
_OFFICE_NOTE = re.compile(r"[(（]\s*(?:责任处室|責任處室)[^)）]*[)）]")


@dataclass(frozen=True)
class RefusalPolicy:
    """When the extractive answerer refuses. Calibrated on eval/gold.jsonl (see eval/README.md), not hand-tuned per question."""

    min_coverage: float = 0.0  # share of the question's content words found in the best clause
    min_coverage_figure: float = 0.4  # the same, for 多少-questions: a figure answers only its own topic
    min_confidence: float = 0.2  # combined score below which the answer is refused (the settings pass the calibrated value)
    related_shown: int = 3  # nearest clauses listed as 可能相关 with a refusal


@dataclass
class Evidence:
    """Signals of how well the retrieved clauses answer the question (each in 0..1 unless noted)."""

    coverage: float = 0.0  # weighted share of question content words present in the best clause
    agreement: float = 0.0  # 1 when the dense and lexical legs both rank the best clause in their top few
    dense_score: float = 0.0  # cosine of the best clause
    figure: float = 1.0  # 0 when the best clause lacks what the question's kind needs (a figure, an office…)
    uncovered: list[str] = field(default_factory=list)
    weights: AnswerWeights = field(default=AnswerWeights(), repr=False, compare=False)

    @property
    def confidence(self) -> float:
        """The signals combined (0..1, 4 decimals); 0 when the question names something outside the plans."""
        if self.uncovered:
            return 0.0
        w = self.weights
        dense = min(1.0, max(0.0, (self.dense_score - w.dense_floor) / w.dense_span))
        signals = w.coverage_weight * self.coverage + w.agreement_weight * self.agreement + w.dense_weight * dense
        return round(signals * (w.misfit_factor + (1 - w.misfit_factor) * self.figure), 4)


# ------------------------------------------------------------------------------------------ the answerer


def insisted_gap(question: str, clause: str) -> str:
    """Why ``clause`` does not speak to what ``question`` insists on (see :func:`qa.answer.question.insisted`;
    '' when it does)."""
    norm = search_form(clause)
    for wanted in insisted(question):
        if not re.search(wanted.required, norm):
            return f"没有涉及“{wanted.said}”{wanted.what}"
    return ""


@dataclass
class Candidate:
    """One retrieved clause weighed as the answer: how much of the question it covers, its best quote, and
    whether it gives what the question's kind needs (``gap`` says what is missing when it does not)."""

    hit: Retrieved
    rank: int
    coverage: float
    quote: str
    gap: str = ""
    weights: AnswerWeights = field(default=AnswerWeights(), repr=False, compare=False)

    @property
    def fits(self) -> bool:
        return not self.gap

    @property
    def score(self) -> float:
        return self.coverage + self.weights.prior(self.rank) + (self.weights.fits_bonus if self.fits else 0.0)


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
    ) -> None:
        self.tokenizer = tokenizer
        self.policy = policy or RefusalPolicy()
        self.idf = idf or (lambda word: 1.0)
        self.plan_years = plan_years or (lambda doc_id: ())
        self.known = known or (lambda word: False)  # whether any stored clause has the word
        self.weights = weights or AnswerWeights()

    def with_policy(self, policy: RefusalPolicy) -> ExtractiveAnswerer:
        """The same answerer with other refusal thresholds (for calibration)."""
        return ExtractiveAnswerer(self.tokenizer, policy, self.idf, self.plan_years, self.known, self.weights)

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
                if form in norm and form in _words(self.tokenizer, norm):
                    return True
            elif form in norm or (partial and _partial(form, norm, self.weights.partial_word_chars)):
                return True
        return False

    def _context(self, hit: Retrieved) -> str:
        """What a clause says in context: its text, section headings and plan title (八大工程 is in the title)."""
        m = hit.meta
        return f"{m.get('search_text', hit.text)}{m.get('headings', '')}{m.get('title', '')}"

    def candidate(self, terms: Sequence[Term], kind: str, question: str, years: Sequence[int], hit: Retrieved, rank: int) -> Candidate:
        """``hit`` weighed as the answer to a ``kind`` question."""
        coverage = self.coverage(terms, self._context(hit))
        plan_years = self.plan_years(hit.doc_id)
        units = expected_units(question)
        quote = self.best_sentence(terms, hit.text, "number" if wants_figure(question, kind) else kind, years, plan_years, units)
        gap = insisted_gap(question, hit.text) or self._modifier_gap(question, hit)
        if gap:
            return Candidate(hit, rank, coverage, quote, gap, self.weights)
        if kind == "number":
            if not has_figure(quote, units):
                # a near miss says what it lacks: any figure, or the kind asked (频次 for 多久一次, 时限 for 什么时候之前)
                gap = f"没有给出所问的{asked_what(question)}" if units else "没有给出具体数字"
            elif not years_fit(year_context(quote, hit.text), years, plan_years):
                gap = f"给出的不是{'、'.join(f'{y}年' for y in years)}的数字"
        elif kind == "office" and not hit.meta.get("office"):
            gap = "没有标注责任处室"
        elif kind == "person" and not self.tokenizer.person_names(quote):
            gap = "没有提到具体人员"
        return Candidate(hit, rank, coverage, quote, gap, self.weights)

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

    def evidence(self, best: Candidate, hits: Sequence[Retrieved], uncovered: Sequence[str]) -> Evidence:
        hit, w = best.hit, self.weights
        both = 0 < hit.dense_rank <= w.agreement_rank and 0 < hit.lexical_rank <= w.agreement_rank
        return Evidence(
            coverage=best.coverage,
            agreement=1.0 if both else (w.partial_agreement if hit.lexical_rank and hit.dense_rank else 0.0),
            dense_score=max((h.dense_score for h in hits[: w.dense_hits]), default=0.0),
            figure=1.0 if best.fits else 0.0,
            uncovered=list(uncovered),
            weights=w,
        )

    # -- answer ------------------------------------------------------------------------------------

    def answer(self, question: str, result: SearchResult, asked: str | None = None) -> Answer:
        """Answer the standalone ``question`` from ``result``; ``asked`` is what the user typed this turn (its
        wording decides what kind of answer is wanted: "这些捐血站还要开展什么新业务?" asks for a measure even
        when the rewritten question carries the previous turn's 哪些街道)."""
        kind = answer_kind(question, asked)
        terms = self.terms(question, emphasis=asked)
        if result.uncovered or not result.hits:
            return self._refusal(question, result, Evidence(uncovered=list(result.uncovered), weights=self.weights))
        if kind in {"cross", "which_plans"} or len(result.inferred.doc_ids) > 1:
            return self._per_plan(question, result, terms, kind)
        candidates = [self.candidate(terms, kind, question, result.years, h, r) for r, h in enumerate(result.hits[: self.weights.candidates], start=1)]
        best = max(candidates, key=lambda c: (c.score, -c.rank))
        ev = self.evidence(best, result.hits, result.uncovered)
        if not best.fits:
            return self._refusal(question, result, ev, near=best)
        floor = self.policy.min_coverage_figure if kind == "number" else self.policy.min_coverage
        # a clause holding none of the question's words answers nothing, whatever the vectors say
        if ev.coverage <= 0 or ev.coverage < floor or ev.confidence < self.policy.min_confidence:
            return self._refusal(question, result, ev)
        chosen = [best]
        if kind == "list":  # a summary may draw on a second clause of the same section
            chosen += [c for c in candidates if c is not best and c.hit.doc_id == best.hit.doc_id and c.fits and c.coverage >= best.coverage - self.weights.list_margin][:1]
        citations = [Citation.from_hit(n, c.hit, c.quote) for n, c in enumerate(chosen, start=1)]
        parts = [self._phrase(kind, c.hit, c.quote, n, multi=len(chosen) > 1) for n, c in enumerate(chosen, start=1)]
        text = ("；\n" if len(parts) > 1 else "").join(parts)
        return Answer(question, text, citations, refused=False, retrieved=result.hits, confidence=ev.confidence)

    def _per_plan(self, question: str, result: SearchResult, terms: Sequence[Term], kind: str) -> Answer:
        """One part per plan: the plans the question names, or (各地…, 哪些规划…) those whose clauses answer it."""
        ranked = result.hits[: self.weights.per_plan_hits]
        by_plan: dict[str, list[Candidate]] = {}
        for rank, hit in enumerate(ranked, start=1):
            by_plan.setdefault(hit.doc_id, []).append(self.candidate(terms, kind, question, result.years, hit, rank))
        best_of = {doc: max(cands, key=lambda c: (c.fits, c.score, -c.rank)) for doc, cands in by_plan.items()}
        named = [doc for doc in by_plan if doc in result.inferred.doc_ids]
        top = max((c.coverage for c in best_of.values()), default=0.0)
        floor = max(self.policy.min_coverage, top - self.weights.per_plan_margin)
        if named:
            chosen = [best_of[doc] for doc in named if best_of[doc].fits]
        else:
            chosen = [c for c in best_of.values() if c.fits and c.coverage >= floor][: self.weights.plan_parts]
        if not chosen:
            best = max(best_of.values(), key=lambda c: (c.score, -c.rank))
            return self._refusal(question, result, self.evidence(best, result.hits, result.uncovered), near=best if not best.fits else None)
        ev = self.evidence(max(chosen, key=lambda c: c.coverage), result.hits, result.uncovered)
        if ev.confidence < self.policy.min_confidence:
            return self._refusal(question, result, ev)
        citations = [Citation.from_hit(n, c.hit, c.quote) for n, c in enumerate(chosen, start=1)]
        parts = [self._phrase("which_plan" if kind == "which_plans" else "cross", c.hit, c.quote, n, multi=True) for n, c in enumerate(chosen, start=1)]
        answered = {c.hit.doc_id for c in chosen}
        missing = [self._plan_title(result, doc) for doc in sorted(result.inferred.doc_ids) if doc not in answered]
        if missing:
            parts.append("、".join(f"《{t}》" for t in missing) + "中没有找到相应内容")
        return Answer(question, "；\n".join(parts), citations, refused=False, retrieved=result.hits, confidence=ev.confidence)

    @staticmethod
    def _plan_title(result: SearchResult, doc_id: str) -> str:
        return next((h.title for h in result.hits if h.doc_id == doc_id), doc_id)

    # -- quoting -----------------------------------------------------------------------------------

    def best_sentence(
        self, terms: Sequence[Term] | Sequence[str], text: str, kind: str,
        years: Sequence[int] = (), plan_years: Sequence[int] = (), units: Sequence[str] = (),
    ) -> str:
        """The sentence (or, for a figure or a place, the clause segment) that best answers the question;
        a figure is looked for in the asked ``units`` and ``years`` first."""
        terms = [t if isinstance(t, Term) else Term(t, (t,)) for t in terms]
        body = _OFFICE_NOTE.sub("", _NUMBER_HEAD.sub("", text))
        sentences = [s.strip() for s in text_sentences(body, semicolons=True) if s.strip()]
        if not sentences:
            return text.strip()
        if kind == "list":
            return summary_of(sentences, self.weights.summary_chars, self.weights.summary_head_chars)
        scored = [(self._sentence_score(terms, s, kind, years, plan_years, units), -i, s) for i, s in enumerate(sentences)]
        _, neg_index, best = max(scored)
        at = -neg_index
        if len(best) <= self.weights.heading_chars and at + 1 < len(sentences):  # a bare heading ("推动民族医医院建设。") says what, not which
            at += 1
            best = best + sentences[at]
        if kind == "number" and not has_figure(best, units):
            best = self._through_figure(best, sentences[at + 1 :], units)
        if kind in {"number", "place"}:
            segments = [s.strip() for s in _SEGMENT.findall(best) if s.strip()]
            if len(segments) > 1:
                # a figure question is answered by a segment with a figure: 用户数 -> "争取用户突破200万"
                figured = [i for i, seg in enumerate(segments) if has_figure(seg, units)] if kind == "number" else []
                figured = figured or ([i for i, seg in enumerate(segments) if has_figure(seg, [])] if kind == "number" else [])
                seg_scores = [(self._sentence_score(terms, seg, kind, years, plan_years, units), -i, i) for i, seg in enumerate(segments) if not figured or i in figured]
                _, _, at = max(seg_scores)
                return self._segment_quote(terms, segments, at)
        return clip(best, self.weights.quote_chars)

    def _sentence_score(
        self, terms: Sequence[Term], sentence: str, kind: str, years: Sequence[int], plan_years: Sequence[int], units: Sequence[str] = (),
    ) -> float:
        norm, w = search_form(sentence), self.weights
        score = self._topic_score(terms, norm)
        if kind in {"number", "target"} and (has_figure(norm, units) or has_figure(norm, [])):
            score += w.figure_bonus + (w.unit_bonus if units and has_figure(norm, units) else 0.0)
            if states_digits(norm):  # a stated figure says more than 全覆盖
                score += w.digit_bonus
            if years:
                score += w.year_fit if years_fit(norm, years, plan_years) else -w.year_fit
        if kind == "place" and self.tokenizer.places(norm):
            score += w.place_bonus
        return score

    def _topic_score(self, terms: Sequence[Term], norm: str) -> float:
        """How much of the question's topic the search-form text ``norm`` names: the weights of the words it says,
        less the qualifiers it lacks ("基本标准达标率100%" states 标准 with another qualifier than the asked
        推荐标准: it is about something else)."""
        found = {t.word for t in terms if self._says(t, norm)}
        score = sum(self._weight(t) for t in terms if t.word in found)
        penalty = self.weights.qualifier_penalty
        return score - sum(penalty * self._weight(t.qualifier) for t in terms if t.word in found and t.qualifier and t.qualifier not in found)

    def _through_figure(self, best: str, after: Sequence[str], units: Sequence[str]) -> str:
        """``best`` and the sentences after it through the first that states the figure asked, when ``best``
        states none: a table row names its indicator in one cell and gives its value in a later one
        ("指标：每万人营养指导员（名）；基期水平：—；2030年目标值：1"), prose may name the topic before the figure.
        Within the quote length; ``best`` alone when no later sentence states a figure."""
        joined = best
        for sentence in after:
            joined += sentence
            if len(joined) > self.weights.quote_chars:
                return best
            if has_figure(joined, units):
                return joined
        return best

    def _segment_quote(self, terms: Sequence[Term], segments: Sequence[str], at: int) -> str:
        """Segment ``at`` of a sentence (the one with the figure) quoted with what it is a figure of: from the
        segment before it that is most about the question's topic, when one is more so than it ("非法采集血液或者
        组织他人出卖血液的，…并处五万元以上五十万元以下罚款", "省联席会议由…召集，…每季度召开一次"; "婴儿死亡率降到7‰"
        stands alone), or with the one segment before it when no segment names a topic word ("争取用户突破200万")."""
        scores = [(self._topic_score(terms, search_form(seg)), i) for i, seg in enumerate(segments[: at + 1])]
        best, start = max(scores)  # the latest of equals: the figure's own segment when it is as much about the topic
        if best <= 0 and not any(self._says(t, search_form(seg)) for seg in segments[: at + 1] for t in terms):
            start = max(at - 1, 0)
        quote = "".join(segments[start : at + 1])
        if len(quote) > self.weights.quote_chars:  # too far back: the segment before the figure will do
            quote = "".join(segments[at - 1 : at + 1]) if at > 0 else segments[at]
        return quote.rstrip(",，:：")

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


def summary_of(
    sentences: Sequence[str], limit: int = AnswerWeights.summary_chars, head_chars: int = AnswerWeights.summary_head_chars,
) -> str:
    """A clause's measures in brief, every word quoted: the whole text when it is short, else the opening
    segment of each sentence ("加强集中隔离点防控,…" -> "加强集中隔离点防控"), so a long section's later measures
    are not cut off by the length limit."""
    whole = "".join(sentences)
    if len(whole) <= limit:
        return whole
    heads: list[str] = []
    for sentence in sentences:
        segments = [s for s in re.split(r"(?<=[,，:：])", sentence) if s.strip()]
        head = segments[0]
        for more in segments[1:]:
            if len(re.sub(r"[\W\d]", "", head)) >= head_chars:
                break
            head += more
        heads.append(head.rstrip(",，:：。；;").strip())
    text = "；".join(h for h in heads if h)
    return clip(text, limit)


@lru_cache(maxsize=4096)
def _words(tokenizer: Tokenizer, text: str) -> frozenset[str]:
    """The lexical tokens of ``text`` (cached: the same clauses are weighed for many questions)."""
    return frozenset(tokenizer.tokens(text))


def _partial(word: str, text: str, min_chars: int) -> bool:
    """A question word of ``min_chars`` or more counts as found when both of its halves are (签约服务 in …签约…服务…)."""
    if len(word) < min_chars:
        return False
    half = len(word) // 2
    return word[:half] in text and word[half:] in text

