"""The extractive answerer, PlanQA's default: no LLM, every word of the answer is quoted from a clause.

It reads what the question asks for (a figure for 多少/几, places for 哪些, the office for 哪个处室/谁负责, a
summary for 有哪些措施, the plan for 哪个文件, one part per plan for 各地/分别 or when several plans are named),
picks the clause and the sentence(s) that answer it, quotes them with markers [1] [2] and lists the cited
clauses. It refuses ("所检索的规划文件中没有找到…") when the evidence is weak, judged from several signals
together (see :class:`Evidence`), and says why when the nearest clause is a near miss: it states no figure
(or not in the unit asked, or for another year), names no responsible office, or lacks what the question
insists on (最好, a person's name). The thresholds live in :class:`RefusalPolicy` and are calibrated on the
eval set's calibration split.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from qa.answer.answers import REFUSAL_PREFIX, Answer, Citation
from qa.normalize import search_form
from qa.search.hybrid import Retrieved, SearchResult
from qa.search.lexical import Tokenizer, colloquial_in, colloquial_terms
from qa.search.scope import named_years
from qa.text import clip
from qa.text import sentences as text_sentences

_KINDS: list[tuple[str, re.Pattern[str]]] = [
    ("which_plans", re.compile(r"哪些(规划|文件|地方|城市|地区|计划|要点)")),
    ("which_plan", re.compile(r"哪个文件|哪份|哪个规划|哪一个文件|哪个计划|哪个要点|出自|哪个方案|哪个地方(提出|要求|计划)|哪(个|些)(城市|地区)(提出|要求|计划|的规划)")),
    ("office", re.compile(r"处室|哪个部门|哪些部门|谁负责|谁来负责|由谁|负责单位|牵头|责任单位|哪个处")),
    ("cross", re.compile(r"各地|分别|对比|比较|两地|各个|几个地方|几地|哪些地方.*(都|均)")),
    ("person", re.compile(r"是谁|叫什么名字|姓名|哪位")),
    ("place", re.compile(r"哪些(县|区|市|地方|医院|机构|单位|乡镇|街道|学校|街道|社区)|哪里|哪儿|在哪|哪个(县|区|医院|机构|单位)|哪几(个|家|所)")),
    ("number", re.compile(r"多少|几个|几家|几所|几张|几项|几场|几成|比例|百分之|占比|多大|多高|多长|数量|目标值|达到多|提高到|降到|控制在|几%|几")),
    # 目标 without 多少: a figure is the likely answer, but a target in words is one too (no figure required).
    ("target", re.compile(r"什么目标|目标是什么|目标定|哪些目标|目标有哪些")),
    ("list", re.compile(r"有哪些|哪些(措施|工作|任务|方面|内容|举措|要求|安排|事)|主要(措施|任务|内容|工作)|概括|总结|包括什么|包括哪些|做什么|做哪些|做些什么|干什么|有什么(措施|安排|打算|举措|要求|部署|重点|动作|计划)|什么打算|怎么做|如何(推进|做|开展|加强)|讲了什么|说了什么|管这件事|管不管")),
]
# What some questions insist on, which a clause must speak of to answer them: plans rank nothing as 最好,
# and a work plan says what the government will do, rarely how a citizen applies for something.
_INSISTED: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"最好|最差|最强|最佳|最便宜|最贵|最快|排名第?|排第几|推荐|哪家好|好不好|靠谱"), "", "这类评价"),
    (re.compile(r"(怎样|怎么|如何|去哪里?|在哪里?)(申领|申请|办理|领取|报名|报销)|需要(什么|哪些)材料|(办理|申请)(流程|手续)"), r"申领|申请|办理|领取|报名|流程|手续|材料", "办理方法"),
]
_FIGURE_ASKED = re.compile(r"多少|比例|目标|几[个家所张项成人名]|百分|占比|提高到|降到|达到")
_SEGMENT = re.compile(r"[^,，:：]+[,，:：]?")
# Interrogative phrases and filler of spoken questions: never topic words.
_ASKING = re.compile(
    r"多少[个家所张人名岁元台项次万亿倍天年月]?|几[个家所张项岁成人名台次]?|多长时间|多久|多大|多高|多长|多远|哪些|哪个|哪家|哪里|哪儿|哪位|什么|怎样|怎么样?|如何|"
    r"是否|是不是|有没有|能不能|会不会|可不可以|要不要|好不好|行不行|对不对|吗|呢|吧|啊|呀|请问|是谁|谁"
)
_FILLER = frozenset(
    "我家 我们家 家里 咱们 咱 我 你 他 她 以后 现在 今年 明年 今后 政府 有人 能 可以 会 还 都 定 上 下 去 来 做 搞 管 让 给 用 要 想 "
    "打算 计划 提出 达到 提高 安排 这件 事 东西 这些 那些 一些 多 少 越来越 不太 专门 顺便 讲讲 时候 里面 还能 用上 "
    "最近 老是 总是 经常 一直 平时 总 得 不 没 别 也 就 才 再 又 很 挺 特别 比较 听说 据说 感觉 觉得 担心 害怕 怕 想要 需要 办法 "
    "帮 帮忙 一把 聊聊 说说 问问 看看 普通 一般 对应 相应 相关 有关 这种 那种 这样 那样 怎么办 情况 问题".split()
)
# a numeral or demonstrative with a classifier carries no topic: 一张, 每家, 这个, 一个
_COUNTED = re.compile(r"[一两二三几每各这那哪][个张把家次件位些所项条种]")
_NUMBER_HEAD = re.compile(r"^\s*(?:[(（][^)）]{1,4}[)）]|[一二三四五六七八九十]+、|\d{1,3}[.．、])")
_OFFICE_NOTE = re.compile(r"[(（]\s*(?:责任处室|責任處室)[^)）]*[)）]")
# The best clause gets this head start by its fused rank: retrieval already weighed the whole question.
RANK_PRIOR = {1: 0.15, 2: 0.07, 3: 0.03}
CANDIDATES = 5  # clauses considered for a single-plan answer
PLAN_PARTS = 5  # plans quoted at most in a cross-plan answer


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
    agreement: float = 0.0  # 1 when the dense and lexical legs both rank the best clause in their top 5
    dense_score: float = 0.0  # cosine of the best clause
    figure: float = 1.0  # 0 when the best clause lacks what the question's kind needs (a figure, an office…)
    uncovered: list[str] = field(default_factory=list)

    @property
    def confidence(self) -> float:
        if self.uncovered:
            return 0.0
        dense = min(1.0, max(0.0, (self.dense_score - 0.80) / 0.12))
        return round((0.55 * self.coverage + 0.2 * self.agreement + 0.25 * dense) * (0.5 + 0.5 * self.figure), 4)


# ------------------------------------------------------------------------------------------ the question


# What a 多少-question asks to be measured in: money, age, duration, a rate. A figure in another unit does
# not answer it ("癌症筛查要交多少钱?" is not answered by "筛查1.1万例").
_UNIT_EXPECTATIONS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"钱|费用|投资|经费|资金|补贴|补助|元|收费|价格|预算|总额|起付线"), r"元"),
    (re.compile(r"多少岁|几岁|寿命|年龄"), r"岁"),
    (re.compile(r"多长时间|多久|几天|几个月|几年|时长|时间"), r"天|日|周|月|年|小时|分钟"),
    (re.compile(r"率|比例|占比|百分|覆盖面|几成"), r"%|‰|成|/10万|全覆盖|100%"),
]
_NOUN = frozenset({"n", "nz"})
_QUALIFIED = frozenset({"n", "nz", "vn", "ng", "nt", "l"})  # nouns, verbal nouns, idioms like 接种率  # jieba tags of common nouns (not places ns, persons nr)
_AGE_GROUP = re.compile(r"\d+\s*(?:[-—~至到]\s*\d+\s*)?(?:周|个月)?岁(?:以下|以上|及以上|及以下)?")
_YEAR_OR_DATE = re.compile(r"(?:19|20)\d{2}\s*年(?:度|底|内)?|\d{1,2}\s*月\s*\d{0,2}\s*日?")


def expected_units(question: str) -> list[str]:
    """Unit patterns a figure must carry to answer ``question`` (empty: any figure will do)."""
    text = search_form(question)
    return [unit for pattern, unit in _UNIT_EXPECTATIONS if pattern.search(text)]


def has_figure(sentence: str, units: Sequence[str]) -> bool:
    """Whether ``sentence`` states a figure (a year or date is not one, nor an age group such as 3岁以下 unless
    an age is asked) in one of ``units`` (if any)."""
    text = _YEAR_OR_DATE.sub("", search_form(sentence))
    if not any("岁" in unit for unit in units):
        text = _AGE_GROUP.sub("", text)
    if not re.search(r"\d", text) and not re.search(r"全覆盖|[一二两三四五六七八九十百千万]+(个|家|所|项|名)", text):
        return False
    return not units or any(re.search(unit, text) for unit in units)


def question_kind(question: str) -> str:
    """What the question asks for: which_plans, which_plan, office, cross, person, place, number, target, list,
    general."""
    text = search_form(question)
    for kind, pattern in _KINDS:
        if pattern.search(text):
            return kind
    return "general"


def insisted_words(question: str) -> list[tuple[str, str]]:
    """What the answering clause must speak of, as (what the question says, what the clause must contain: a
    pattern, or empty for the same words): "哪家医院的眼科最好?" is not answered by a clause without 最好, "怎样
    申领生育津贴?" not by one that says nothing of applying."""
    text = search_form(question)
    found = []
    for pattern, required, _ in _INSISTED:
        match = pattern.search(text)
        if match:
            found.append((match.group(0), required or re.escape(match.group(0))))
    return found


def _insisted_gap(question: str, clause: str) -> str:
    """Why ``clause`` does not speak to what ``question`` insists on ('' when it does)."""
    text, norm = search_form(question), search_form(clause)
    for pattern, required, what in _INSISTED:
        match = pattern.search(text)
        if match and not re.search(required or re.escape(match.group(0)), norm):
            return f"没有涉及“{match.group(0)}”{what}"
    return ""


def topic_text(question: str) -> str:
    """The question with its interrogative phrases cut out (多少岁, 哪些, 是否 …), in search form."""
    return _ASKING.sub(" ", search_form(question))


def years_fit(sentence: str, asked: Sequence[int], plan_years: Sequence[int]) -> bool:
    """A figure answers a question about year Y when its sentence names Y, or names no year and the plan is
    for Y: "2022年…人均预期寿命75岁" answers 2022 but not 2020; a 2023 plan's undated target answers 2023."""
    if not asked:
        return True
    said = set(named_years(search_form(sentence)))
    return bool(said & set(asked)) if said else bool(set(plan_years) & set(asked))


@dataclass(frozen=True)
class Term:
    """A topic word of the question and the words that count as it in a clause (itself, plan terms for a
    colloquial word: 托儿所 -> 托育, 托位 …)."""

    word: str
    forms: tuple[str, ...]
    stress: float = 1.0  # weight multiplier: 2 for the words of a follow-up the user typed this turn
    qualifier: str = ""  # the topic word right before it in the question: 推荐 in 推荐标准


# ------------------------------------------------------------------------------------------ the answerer


@dataclass
class Candidate:
    """One retrieved clause weighed as the answer: how much of the question it covers, its best quote, and
    whether it gives what the question's kind needs (``gap`` says what is missing when it does not)."""

    hit: Retrieved
    rank: int
    coverage: float
    quote: str
    gap: str = ""

    @property
    def fits(self) -> bool:
        return not self.gap

    @property
    def score(self) -> float:
        return self.coverage + RANK_PRIOR.get(self.rank, 0.0) + (0.3 if self.fits else 0.0)


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
    ) -> None:
        self.tokenizer = tokenizer
        self.policy = policy or RefusalPolicy()
        self.idf = idf or (lambda word: 1.0)
        self.plan_years = plan_years or (lambda doc_id: ())
        self.known = known or (lambda word: False)  # whether any stored clause has the word

    def with_policy(self, policy: RefusalPolicy) -> ExtractiveAnswerer:
        """The same answerer with other refusal thresholds (for calibration)."""
        return ExtractiveAnswerer(self.tokenizer, policy, self.idf, self.plan_years, self.known)

    def _weight(self, term: Term | str) -> float:
        """Rare words decide whether a clause is about the question: weight = idf (absent words weigh most)."""
        word, stress = (term.word, term.stress) if isinstance(term, Term) else (term, 1.0)
        return self.idf(word) * (1.5 if len(word) >= 3 else 1.0) * stress

    # -- signals -----------------------------------------------------------------------------------

    def terms(self, question: str, emphasis: str | None = None) -> list[Term]:
        """The question's topic words: colloquial words with their plan terms, then the remaining tokens minus
        places, years, interrogatives and filler. Words of ``emphasis`` (what the user typed this turn, when
        ``question`` was rewritten from a follow-up) weigh double: the new question matters more than the
        topic carried over from the last one."""
        text = topic_text(question)
        places = set(self.tokenizer.places(search_form(question)))
        terms: list[Term] = []
        for word, targets in colloquial_in(text, words=self.tokenizer.cut(text)):
            if word not in _FILLER:
                terms.append(Term(word, (word, *targets)))
            text = text.replace(word, " ")
        words = [
            w for w in dict.fromkeys(self.tokenizer.tokens(text))
            if w not in _FILLER and not _COUNTED.fullmatch(w) and not any(w in p for p in places) and not re.fullmatch(r"\d{4}年?", w)
        ]
        # drop words contained in a longer kept word (search mode yields 家庭医生 and 家庭, 医生)
        words = [w for w in words if not any(w != o and w in o for o in words)] or words
        plain = topic_text(question)
        nouns = self._noun_spans(plain)
        for w in words:
            at = plain.find(w)
            before = next((o for o in words if o != w and at > 0 and plain.startswith(o, at - len(o))), "")
            terms.append(Term(w, (w,), qualifier=before if any(a <= at < b for a, b in nouns) else ""))
        if emphasis and search_form(emphasis) != search_form(question):
            stressed = search_form(emphasis)
            # words this turn only repeats from the last ("这些捐血站…新业务" after "…建捐血站?") are the topic, not the ask
            carried = search_form(question.strip().rsplit(" ", 1)[0]) if " " in question.strip() else ""
            terms = [dataclasses.replace(t, stress=2.0) if t.word in stressed and t.word not in carried else t for t in terms]
        return terms

    def _noun_spans(self, text: str) -> list[tuple[int, int]]:
        """Character spans of the nouns jieba tags in ``text``: only a noun has a qualifier (推荐 in 推荐标准)."""
        spans, at = [], 0
        for pair in self.tokenizer.tagged(text):
            if pair.flag in _QUALIFIED:
                spans.append((at, at + len(pair.word)))
            at += len(pair.word)
        return spans

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
            elif form in norm or (partial and _partial(form, norm)):
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
        figure_wanted = kind == "number" or (kind in {"cross", "which_plans"} and _FIGURE_ASKED.search(search_form(question)) is not None)
        units = expected_units(question)
        quote = self.best_sentence(terms, hit.text, "number" if figure_wanted else kind, years, plan_years, units)
        gap = _insisted_gap(question, hit.text) or self._modifier_gap(question, hit)
        if gap:
            pass
        elif kind == "number":
            if not has_figure(quote, units):
                gap = "没有给出所问单位的具体数字" if units and has_figure(quote, []) else "没有给出具体数字"
            elif not years_fit(year_context(quote, hit.text), years, plan_years):
                gap = f"给出的不是{'、'.join(f'{y}年' for y in years)}的数字"
        elif kind == "office" and not hit.meta.get("office"):
            gap = "没有标注责任处室"
        elif kind == "person" and not self.tokenizer.person_names(quote):
            gap = "没有提到具体人员"
        return Candidate(hit, rank, coverage, quote, gap)

    def _modifier_gap(self, question: str, hit: Retrieved) -> str:
        """A clause about Y does not answer a question about the compound noun XY when the plans know X but this
        clause does not say it: "新冠疫苗的接种率" is not answered by "免疫规划疫苗接种率95%以上" (新冠 is elsewhere
        in the plans). Only noun-noun compounds count: in "香港机构签订协议" 机构 does not qualify 签订."""
        clause = search_form(self._context(hit))
        tagged = [(w.word, w.flag) for w in self.tokenizer.tagged(topic_text(question)) if w.word.strip()]
        for (x, x_flag), (y, y_flag) in zip(tagged, tagged[1:], strict=False):
            said = any(f in clause for f in (x, *colloquial_terms().get(x, ())))  # 病人 is said as 患者
            if x_flag in _NOUN and y_flag in _NOUN and y in clause and not said and self.known(x):
                return f"说的不是“{x}{y}”"
        return ""

    def evidence(self, best: Candidate, hits: Sequence[Retrieved], uncovered: Sequence[str]) -> Evidence:
        hit = best.hit
        return Evidence(
            coverage=best.coverage,
            agreement=1.0 if 0 < hit.dense_rank <= 5 and 0 < hit.lexical_rank <= 5 else (0.5 if hit.lexical_rank and hit.dense_rank else 0.0),
            dense_score=max((h.dense_score for h in hits[:3]), default=0.0),
            figure=1.0 if best.fits else 0.0,
            uncovered=list(uncovered),
        )

    # -- answer ------------------------------------------------------------------------------------

    def answer(self, question: str, result: SearchResult, asked: str | None = None) -> Answer:
        """Answer the standalone ``question`` from ``result``; ``asked`` is what the user typed this turn (its
        wording decides what kind of answer is wanted: "这些捐血站还要开展什么新业务?" asks for a measure even
        when the rewritten question carries the previous turn's 哪些街道)."""
        kind = question_kind(asked or question)
        if kind == "general" and asked and len(re.sub(r"\W", "", topic_text(asked))) <= 8:
            kind = question_kind(question)  # an elliptic "到2022年呢?" asks what the rewritten question asks
        terms = self.terms(question, emphasis=asked)
        if result.uncovered or not result.hits:
            return self._refusal(question, result, Evidence(uncovered=list(result.uncovered)))
        if kind in {"cross", "which_plans"} or len(result.inferred.doc_ids) > 1:
            return self._per_plan(question, result, terms, kind)
        candidates = [self.candidate(terms, kind, question, result.years, h, r) for r, h in enumerate(result.hits[:CANDIDATES], start=1)]
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
            chosen += [c for c in candidates if c is not best and c.hit.doc_id == best.hit.doc_id and c.fits and c.coverage >= best.coverage - 0.1][:1]
        citations = [Citation.from_hit(n, c.hit, c.quote) for n, c in enumerate(chosen, start=1)]
        parts = [self._phrase(kind, c.hit, c.quote, n, multi=len(chosen) > 1) for n, c in enumerate(chosen, start=1)]
        text = ("；\n" if len(parts) > 1 else "").join(parts)
        return Answer(question, text, citations, refused=False, retrieved=result.hits, confidence=ev.confidence)

    def _per_plan(self, question: str, result: SearchResult, terms: Sequence[Term], kind: str) -> Answer:
        """One part per plan: the plans the question names, or (各地…, 哪些规划…) those whose clauses answer it."""
        ranked = result.hits[:10]
        by_plan: dict[str, list[Candidate]] = {}
        for rank, hit in enumerate(ranked, start=1):
            by_plan.setdefault(hit.doc_id, []).append(self.candidate(terms, kind, question, result.years, hit, rank))
        best_of = {doc: max(cands, key=lambda c: (c.fits, c.score, -c.rank)) for doc, cands in by_plan.items()}
        named = [doc for doc in by_plan if doc in result.inferred.doc_ids]
        top = max((c.coverage for c in best_of.values()), default=0.0)
        floor = max(self.policy.min_coverage, top - 0.25)
        if named:
            chosen = [best_of[doc] for doc in named if best_of[doc].fits]
        else:
            chosen = [c for c in best_of.values() if c.fits and c.coverage >= floor][:PLAN_PARTS]
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
            return summary_of(sentences)
        scored = [(self._sentence_score(terms, s, kind, years, plan_years, units), -i, s) for i, s in enumerate(sentences)]
        _, neg_index, best = max(scored)
        if len(best) <= 16 and -neg_index + 1 < len(sentences):  # a bare heading ("推动民族医医院建设。") says what, not which
            best = best + sentences[-neg_index + 1]
        if kind in {"number", "place"}:
            segments = [s.strip() for s in _SEGMENT.findall(best) if s.strip()]
            if len(segments) > 1:
                # a figure question is answered by a segment with a figure: 用户数 -> "争取用户突破200万"
                figured = [i for i, seg in enumerate(segments) if has_figure(seg, units)] if kind == "number" else []
                figured = figured or ([i for i, seg in enumerate(segments) if has_figure(seg, [])] if kind == "number" else [])
                seg_scores = [(self._sentence_score(terms, seg, kind, years, plan_years, units), -i, i) for i, seg in enumerate(segments) if not figured or i in figured]
                _, _, at = max(seg_scores)
                quote = segments[at]
                if at > 0 and not self._has_subject(terms, quote):
                    quote = segments[at - 1] + quote
                return quote.rstrip(",，:：")
        return clip(best, 160)

    def _sentence_score(
        self, terms: Sequence[Term], sentence: str, kind: str, years: Sequence[int], plan_years: Sequence[int], units: Sequence[str] = (),
    ) -> float:
        norm = search_form(sentence)
        found = {t.word for t in terms if self._says(t, norm)}
        score = sum(self._weight(t) for t in terms if t.word in found)
        # "基本标准达标率100%" states 标准 with another qualifier than the asked 推荐标准: it is about something else
        score -= sum(1.5 * self._weight(t.qualifier) for t in terms if t.word in found and t.qualifier and t.qualifier not in found)
        if kind in {"number", "target"} and (has_figure(norm, units) or has_figure(norm, [])):
            score += 2.5 + (1.5 if units and has_figure(norm, units) else 0.0)
            if re.search(r"\d", _YEAR_OR_DATE.sub("", norm)):  # a stated figure says more than 全覆盖
                score += 0.5
            if years:
                score += 2.0 if years_fit(norm, years, plan_years) else -2.0
        if kind == "place" and self.tokenizer.places(norm):
            score += 1.5
        return score

    def _has_subject(self, terms: Sequence[Term], segment: str) -> bool:
        """A segment naming a topic word stands alone ("婴儿死亡率降到7‰"); one that does not ("争取用户突破200万")
        is quoted with the segment before it."""
        norm = search_form(segment)
        return any(f in norm for t in terms for f in t.forms)

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
                f"“{clip(near.quote, 60)}”，但{near.gap}。"
            )
        else:
            text = f"{REFUSAL_PREFIX}能回答这个问题的条款。"
        related = [Citation.from_hit(i, h, clip(h.text, 80)) for i, h in enumerate(result.hits[: self.policy.related_shown], start=1)]
        if related:
            text += "以下条款可能相关：" + "；".join(c.label for c in related) + "。"
        return Answer(question, text, [], refused=True, retrieved=result.hits, related=related, confidence=ev.confidence)


SUMMARY_CHARS = 400


def summary_of(sentences: Sequence[str], limit: int = SUMMARY_CHARS) -> str:
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
            if len(re.sub(r"[\W\d]", "", head)) >= 6:
                break
            head += more
        heads.append(head.rstrip(",，:：。；;").strip())
    text = "；".join(h for h in heads if h)
    return clip(text, limit)


def year_context(quote: str, text: str) -> str:
    """The part of ``text`` that says which year ``quote`` (a segment quoted from it) is for: the quote when it
    names a year, else the last year written before it in its sentence ("2020 年,…注册护士3.14 人" is for 2020;
    "力争年内建成…70个,争取到2022年…" is not for 2022), else nothing (the plan's own year applies)."""
    if named_years(search_form(quote)):
        return quote
    at = text.find(quote)
    if at < 0:
        return ""
    start = max(text.rfind(mark, 0, at) for mark in "。；;！？!?\n") + 1
    before = re.findall(r"(?:19|20)\d{2}\s*年", text[start:at])
    return before[-1] if before else ""


@lru_cache(maxsize=4096)
def _words(tokenizer: Tokenizer, text: str) -> frozenset[str]:
    """The lexical tokens of ``text`` (cached: the same clauses are weighed for many questions)."""
    return frozenset(tokenizer.tokens(text))


def _partial(word: str, text: str) -> bool:
    """A long question word counts as found when both of its halves are (签约服务 in …签约…服务…)."""
    if len(word) < 4:
        return False
    half = len(word) // 2
    return word[:half] in text and word[half:] in text

