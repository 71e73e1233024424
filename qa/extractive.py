"""The extractive answerer, PlanQA's default: no LLM, every word of the answer is quoted from a clause.

It reads what the question asks for (a figure for 多少/几, places for 哪些, the office for 哪个处室/谁负责, a
summary for 有哪些措施, the plan for 哪个文件), picks the sentence(s) of the top clauses that answer it, quotes
them with markers [1] [2] and lists the cited clauses. It refuses ("所检索的规划文件中没有找到…") when the
evidence is weak, judged from several signals together (see :class:`Evidence`); the thresholds live in
:class:`RefusalPolicy` and are calibrated on the eval set.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from qa.answers import REFUSAL_PREFIX, Answer, Citation
from qa.lexical import Tokenizer
from qa.normalize import search_form
from qa.retrieval import Retrieved, SearchResult

_KINDS: list[tuple[str, re.Pattern[str]]] = [
    ("which_plan", re.compile(r"哪个文件|哪份|哪个规划|哪一个文件|哪个计划|哪个要点|出自|哪个方案|哪个地方(提出|要求|计划)|哪(个|些)(城市|地区)(提出|要求|计划|的规划)")),
    ("office", re.compile(r"处室|哪个部门|哪些部门|谁负责|谁来负责|由谁|负责单位|牵头|责任单位|哪个处")),
    ("cross", re.compile(r"各地|分别|对比|比较|两地|各个|几个地方|几地|哪些地方.*(都|均)")),
    ("place", re.compile(r"哪些(县|区|市|地方|医院|机构|单位|乡镇|街道|学校|街道|社区)|哪里|哪儿|在哪|哪个(县|区|医院|机构|单位)|哪几(个|家|所)")),
    ("number", re.compile(r"多少|几个|几家|几所|几张|几项|几场|几成|比例|百分之|占比|多大|多高|多长|数量|目标值|达到多|提高到|降到|控制在|几%|几")),
    ("list", re.compile(r"有哪些|哪些(措施|工作|任务|方面|内容|举措|要求|安排)|主要(措施|任务|内容|工作)|概括|总结|包括什么|包括哪些|做什么|有什么(措施|安排|打算|举措|要求|部署|重点)|怎么做|如何(推进|做|开展|加强)|讲了什么|说了什么")),
]
_FIGURE = re.compile(r"\d[\d.,]*\s*(?:%|‰|个|家|所|张|人|名|场|万|亿|项|次|岁|天|分钟|倍|床|支|辆|台|条|元|平方米|公里|/10万)?")
_SENTENCE = re.compile(r"[^。；;！？!?\n]+[。；;！？!?]?")
_SEGMENT = re.compile(r"[^,，:：]+[,，:：]?")


@dataclass(frozen=True)
class RefusalPolicy:
    """When the extractive answerer refuses. Calibrated on eval/gold.jsonl (see eval/README.md), not hand-tuned per question."""

    min_coverage: float = 0.0  # share of the question's content words found in the best clause
    min_coverage_figure: float = 0.4  # the same, for 多少-questions: a figure answers only its own topic
    min_confidence: float = 0.45  # combined score below which the answer is refused
    related_shown: int = 3  # nearest clauses listed as 可能相关 with a refusal


@dataclass
class Evidence:
    """Signals of how well the retrieved clauses answer the question (each in 0..1 unless noted)."""

    coverage: float = 0.0  # weighted share of question content words present in the best clause
    agreement: float = 0.0  # 1 when the dense and lexical legs both rank the best clause in their top 5
    dense_score: float = 0.0  # cosine of the best clause
    figure: float = 1.0  # 0 when a 多少-question's best sentence has no figure
    uncovered: list[str] = field(default_factory=list)

    @property
    def confidence(self) -> float:
        if self.uncovered:
            return 0.0
        dense = min(1.0, max(0.0, (self.dense_score - 0.80) / 0.12))
        return round((0.55 * self.coverage + 0.2 * self.agreement + 0.25 * dense) * (0.5 + 0.5 * self.figure), 4)


# What a 多少-question asks to be measured in: money, age, duration, a rate. A figure in another unit does
# not answer it ("癌症筛查要交多少钱?" is not answered by "筛查1.1万例").
_UNIT_EXPECTATIONS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"钱|费用|投资|经费|资金|补贴|补助|元|收费|价格|预算|总额|起付线"), r"元"),
    (re.compile(r"多少岁|几岁|寿命|年龄"), r"岁"),
    (re.compile(r"多长时间|多久|几天|几个月|几年|时长|时间"), r"天|日|周|月|年|小时|分钟"),
    (re.compile(r"率|比例|占比|百分|覆盖面|几成"), r"%|‰|成|/10万|全覆盖|100%"),
]
_YEAR_OR_DATE = re.compile(r"(?:19|20)\d{2}\s*年(?:度|底|内)?|\d{1,2}\s*月\s*\d{0,2}\s*日?")


def expected_units(question: str) -> list[str]:
    """Unit patterns a figure must carry to answer ``question`` (empty: any figure will do)."""
    text = search_form(question)
    return [unit for pattern, unit in _UNIT_EXPECTATIONS if pattern.search(text)]


def has_figure(sentence: str, units: list[str]) -> bool:
    """Whether ``sentence`` states a figure (a year or date is not one) in one of ``units`` (if any)."""
    text = _YEAR_OR_DATE.sub("", search_form(sentence))
    if not re.search(r"\d", text) and not re.search(r"全覆盖|[一二两三四五六七八九十百千万]+(个|家|所|项|名)", text):
        return False
    return not units or any(re.search(unit, text) for unit in units)


def question_kind(question: str) -> str:
    text = search_form(question)
    for kind, pattern in _KINDS:
        if pattern.search(text):
            return kind
    return "general"


class ExtractiveAnswerer:
    """Quotes the answering sentences of the retrieved clauses, or refuses."""

    name = "extractive"

    def __init__(self, tokenizer: Tokenizer, policy: RefusalPolicy | None = None, idf: Callable[[str], float] | None = None) -> None:
        self.tokenizer = tokenizer
        self.policy = policy or RefusalPolicy()
        self.idf = idf or (lambda word: 1.0)

    def _weight(self, word: str) -> float:
        """Rare words decide whether a clause is about the question: weight = idf (absent words weigh most)."""
        return self.idf(word) * (1.5 if len(word) >= 3 else 1.0)

    # -- signals -----------------------------------------------------------------------------------

    def content_words(self, question: str) -> list[str]:
        """The question's topic words: tokens minus places, years and question words."""
        text = search_form(question)
        places = set(self.tokenizer.places(text))
        words = [
            w for w in dict.fromkeys(self.tokenizer.tokens(text))
            if not any(w in p for p in places) and not re.fullmatch(r"\d{4}", w)
        ]
        # drop words contained in a longer kept word (search mode yields 家庭医生 and 家庭, 医生)
        return [w for w in words if not any(w != o and w in o for o in words)] or words

    def coverage(self, words: list[str], clause_text: str) -> float:
        if not words:
            return 0.0
        norm = search_form(clause_text)
        total = sum(self._weight(w) for w in words)
        return sum(self._weight(w) for w in words if w in norm or _partial(w, norm)) / total

    def evidence(self, question: str, result: SearchResult, kind: str) -> tuple[Evidence, list[str]]:
        words = self.content_words(question)
        if not result.hits:
            return Evidence(uncovered=result.uncovered), words
        top = result.hits[:3]
        coverages = [self.coverage(words, h.meta.get("search_text", h.text) + str(h.meta.get("headings", ""))) for h in top]
        best = max(range(len(top)), key=lambda i: (coverages[i], -i))
        hit = top[best]
        ev = Evidence(
            coverage=coverages[best],
            agreement=1.0 if 0 < hit.dense_rank <= 5 and 0 < hit.lexical_rank <= 5 else (0.5 if hit.lexical_rank and hit.dense_rank else 0.0),
            dense_score=max((h.dense_score for h in top), default=0.0),
            uncovered=result.uncovered,
        )
        if kind == "office":  # a clause without a stated office does not answer 哪个处室
            ev.figure = 1.0 if hit.meta.get("office") else 0.0
        if kind == "number":
            sentence = self.best_sentence(words, hit.text, kind)
            ev.figure = 1.0 if has_figure(sentence, expected_units(question)) else 0.0
        return ev, words

    # -- answer ------------------------------------------------------------------------------------

    def answer(self, question: str, result: SearchResult) -> Answer:
        kind = question_kind(question)
        ev, words = self.evidence(question, result, kind)
        floor = self.policy.min_coverage_figure if kind == "number" else self.policy.min_coverage
        refused = bool(ev.uncovered) or not result.hits or ev.coverage < floor or ev.confidence < self.policy.min_confidence
        if refused:
            return self._refusal(question, result, ev)
        hits = self._choose(words, result.hits, kind)
        citations: list[Citation] = []
        parts: list[str] = []
        sentence_kind = kind
        if kind in {"cross", "which_plan"}:
            sentence_kind = "number" if re.search(r"多少|比例|目标|几", search_form(question)) else "general"
        for hit in hits:
            marker = len(citations) + 1
            quote = self.best_sentence(words, hit.text, sentence_kind)
            citations.append(Citation.from_hit(marker, hit, quote))
            parts.append(self._phrase(kind, hit, quote, marker, multi=len(hits) > 1))
        text = ("；\n" if len(parts) > 1 else "").join(parts)
        return Answer(question, text, citations, refused=False, retrieved=result.hits, confidence=ev.confidence)

    def _choose(self, words: list[str], hits: list[Retrieved], kind: str) -> list[Retrieved]:
        """The clauses to quote: the best one; for cross-plan questions the best of each plan that answers."""
        scored = [(self.coverage(words, h.meta.get("search_text", h.text)), i, h) for i, h in enumerate(hits[:8])]
        best_cov = max(c for c, _, _ in scored)
        if kind == "cross" or len({h.doc_id for h in hits[:8]}) > 1 and kind in {"which_plan"}:
            per_doc: dict[str, tuple[float, int, Retrieved]] = {}
            for cov, i, h in scored:
                if cov >= max(self.policy.min_coverage, best_cov - 0.2) and (h.doc_id not in per_doc or cov > per_doc[h.doc_id][0]):
                    per_doc[h.doc_id] = (cov, i, h)
            chosen = sorted(per_doc.values(), key=lambda t: t[1])
            return [h for _, _, h in chosen][: 5 if kind == "cross" else 1]
        top = max(scored[:3], key=lambda t: (t[0], -t[1]))
        chosen = [top[2]]
        if kind == "list":  # a summary may draw on a second clause of the same section
            for cov, _, h in scored[:4]:
                if h is not top[2] and cov >= best_cov - 0.1 and h.doc_id == top[2].doc_id and len(chosen) < 2:
                    chosen.append(h)
        return chosen

    def best_sentence(self, words: list[str], text: str, kind: str) -> str:
        """The sentence (or, for a figure, the clause segment) that best answers the question."""
        body = re.sub(r"^\s*(?:[(（][^)）]{1,4}[)）]|[一二三四五六七八九十]+、|\d{1,3}[.．、])", "", text)
        body = re.sub(r"[(（]\s*(?:责任处室|責任處室)[^)）]*[)）]", "", body)
        sentences = [s.strip() for s in _SENTENCE.findall(body) if s.strip()]
        if not sentences:
            return text.strip()
        if kind == "list":  # a summary quotes the clause itself, up to a screenful
            return _clip("".join(sentences[:8]), 400)
        scored = [(self._sentence_score(words, s, kind), -i, s) for i, s in enumerate(sentences)]
        _, neg_index, best = max(scored)
        if len(best) <= 16 and -neg_index + 1 < len(sentences):  # a bare heading ("推动民族医医院建设。") says what, not which
            best = best + sentences[-neg_index + 1]
        if kind in {"number", "place"}:
            segments = [s.strip() for s in _SEGMENT.findall(best) if s.strip()]
            if len(segments) > 1:
                seg_scores = [(self._sentence_score(words, seg, kind), -i, i) for i, seg in enumerate(segments)]
                _, _, at = max(seg_scores)
                quote = segments[at]
                if at > 0 and not self._has_subject(words, quote):
                    quote = segments[at - 1] + quote
                return quote.rstrip(",，:：")
        return _clip(best, 160)

    def _sentence_score(self, words: list[str], sentence: str, kind: str) -> float:
        norm = search_form(sentence)
        score = sum(self._weight(w) for w in words if w in norm)
        if kind == "number" and re.search(r"\d", norm):
            score += 2.5
        if kind == "place" and self.tokenizer.places(norm):
            score += 1.5
        return score

    def _has_subject(self, words: list[str], segment: str) -> bool:
        norm = search_form(segment)
        return sum(1 for w in words if w in norm) >= 2

    def _phrase(self, kind: str, hit: Retrieved, quote: str, marker: int, multi: bool) -> str:
        where = f"{hit.title}（{hit.path_label}）" if multi else ""
        if kind == "office" and hit.meta.get("office"):
            return f"{where}{'：' if where else ''}由{hit.meta['office']}负责[{marker}]：{quote}"
        if kind == "which_plan":
            return f"《{hit.title}》{hit.path_label}提出：{quote}[{marker}]"
        if multi:
            return f"{where}：{quote}[{marker}]"
        return f"{quote}[{marker}]"

    def _refusal(self, question: str, result: SearchResult, ev: Evidence) -> Answer:
        if ev.uncovered:
            reason = f"问题提到的{'、'.join(ev.uncovered)}不在已收录的规划范围内"
            text = f"{REFUSAL_PREFIX}关于这个问题的内容：{reason}。"
        else:
            text = f"{REFUSAL_PREFIX}能回答这个问题的条款。"
        related = [Citation.from_hit(i, h, _clip(h.text, 80)) for i, h in enumerate(result.hits[: self.policy.related_shown], start=1)]
        if related:
            text += "以下条款可能相关：" + "；".join(c.label for c in related) + "。"
        return Answer(question, text, [], refused=True, retrieved=result.hits, related=related, confidence=ev.confidence)


def _partial(word: str, text: str) -> bool:
    """A long question word counts as found when both of its halves are (签约服务 in …签约…服务…)."""
    if len(word) < 4:
        return False
    half = len(word) // 2
    return word[:half] in text and word[half:] in text


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
