"""The lexical leg's words: jieba tokens of the search text (the index itself: ``qa.search.postings``).

LangChain's BM25 retriever splits on whitespace, which makes a Chinese sentence one token; here jieba's
search-mode cut (words plus their sub-words: 家庭医生签约 -> 家庭, 医生, 签约, 家庭医生…) does the splitting,
with a domain dictionary (``qa/data/domain_words.txt``) so terms like 医共体 and 分级诊疗 stay whole.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

# Function words and question words that carry no topic: kept out of the index and of coverage checks.
STOPWORDS = frozenset(
    """的 了 和 与 及 等 在 是 为 对 将 把 被 由 从 到 至 于 以 按 向 跟 同 并 或 而 其 之 也 都 就 又 还 要 会 能 可 可以 应 需 需要
    什么 多少 几 几个 哪 哪些 哪个 哪里 哪儿 哪家 哪几 如何 怎么 怎样 怎么样 是否 有没有 有 没有 吗 呢 吧 啊 么 请问 请 问 一下 我 我们 你 你们 他们
    这 那 这个 那个 这些 那些 该 此 各 每 个 今年 明年 方面 相关 有关 情况 工作 提出 要求 目标 主要 具体 内容 分别 怎么办 说 讲 计划 打算
    家 所 张 名 场 项 次 条 措施 举措 安排 打算 部署 做法 哪方面 呀 哦 嗯 年 月 日 市 区 县 省 全市 全区 全省 文件 规划 要点""".split()
)
# a token needs a letter, digit or CJK character: "." or "%" alone says nothing
_TOKEN_OK = re.compile(r"[\u3400-\u9fffA-Za-z0-9]")
INDEX_FORMAT = "1"  # bump when what a lexical segment holds changes: persisted segments are cut again


@lru_cache(maxsize=1)
def domain_words() -> tuple[str, ...]:
    text = (resources.files("qa") / "data" / "domain_words.txt").read_text(encoding="utf-8")
    return tuple(w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#"))


@lru_cache(maxsize=1)
def colloquial_terms() -> dict[str, tuple[str, ...]]:
    """Citizen wording -> the terms plans use (``qa/data/colloquial.txt``): 托儿所 -> 托育, 托位, …"""
    text = (resources.files("qa") / "data" / "colloquial.txt").read_text(encoding="utf-8")
    terms: dict[str, tuple[str, ...]] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if ":" in line:
            word, _, targets = line.partition(":")
            terms[word.strip()] = tuple(dict.fromkeys(t for t in targets.split() if t))
    return terms


def colloquial_in(
    text: str, terms: dict[str, tuple[str, ...]] | None = None, words: Sequence[str] | None = None,
) -> list[tuple[str, tuple[str, ...]]]:
    """The colloquial words of ``text`` (search form) with the plan terms each stands for, longest match first,
    non-overlapping: "宫颈癌疫苗" is one match (HPV, 人乳头瘤病毒疫苗), not 宫颈癌 + 疫苗. Given the text's
    segmentation ``words``, a match must start and end at word boundaries: 传染 inside 传染病 is not 传染."""
    terms = colloquial_terms() if terms is None else terms
    bounds = None
    if words is not None:
        bounds, at = {0}, 0
        for word in words:
            at += len(word)
            bounds.add(at)
    taken = [False] * len(text)
    found: list[tuple[int, str, tuple[str, ...]]] = []
    for word in sorted(terms, key=len, reverse=True):
        start = text.find(word)
        while start >= 0:
            aligned = bounds is None or (start in bounds and start + len(word) in bounds)
            if aligned and not any(taken[start : start + len(word)]):
                taken[start : start + len(word)] = [True] * len(word)
                found.append((start, word, terms[word]))
            start = text.find(word, start + 1)
    return [(word, targets) for _, word, targets in sorted(found)]


def expand_query(text: str, words: Sequence[str] | None = None) -> str:
    """``text`` with the plan terms of its colloquial words appended, for the lexical leg:
    "我家小孩上托儿所" -> "我家小孩上托儿所 儿童 婴幼儿 幼儿 托育 托位 …"."""
    extra = [t for _, targets in colloquial_in(text, words=words) for t in targets if t not in text]
    return text + (" " + " ".join(dict.fromkeys(extra)) if extra else "")


class Tokenizer:
    """A jieba tokenizer of its own (the module-level jieba state is never touched), loaded on first use.

    Place names of the stored plans are words of its dictionary (龙岗区 stays whole), but jieba's total word
    count is held at its value without them: a route's probability then depends only on the words the text
    itself holds, so adding or removing a place re-cuts exactly the texts that contain it (the incremental
    lexical index relies on this), and a clause cuts the same in a store of 5 plans or of 20,000.
    """

    def __init__(self, extra_words: Iterable[str] = ()) -> None:
        self._extra = tuple(extra_words)
        self._jieba: Any = None
        self._posseg: Any = None
        self._places: set[str] = set()
        self._before: dict[str, tuple[int | None, str | None]] = {}  # place -> its frequency and tag before it was added
        self._total = 0
        self._lock = threading.Lock()

    def add_places(self, places: Iterable[str]) -> None:
        """Teach the tokenizer place names of the stored plans (龙岗区, 任城), tagged as places."""
        self.set_places(self._places | set(places))

    def set_places(self, places: Iterable[str]) -> set[str]:
        """Make ``places`` the tokenizer's place names (adding new ones, restoring removed ones); returns the
        words added or removed: only texts containing one of them cut differently than before."""
        tok = self._load()
        wanted = set(places)
        changed = wanted ^ self._places
        for place in sorted(self._places - wanted):
            freq, tag = self._before.pop(place)
            tok.FREQ[place] = freq or 0  # 0 cuts like an absent word (jieba's own del_word would touch global HMM state)
            if tag is None:
                tok.user_word_tag_tab.pop(place, None)
            else:
                tok.user_word_tag_tab[place] = tag
        for place in sorted(wanted - self._places):
            self._before[place] = (tok.FREQ.get(place), tok.user_word_tag_tab.get(place))
            tok.add_word(place, freq=20000, tag="ns")
        tok.total = self._total
        self._places = wanted
        return changed

    @property
    def place_words(self) -> frozenset[str]:
        return frozenset(self._places)

    def _load(self) -> Any:
        with self._lock:
            if self._jieba is None:
                import jieba

                logging.getLogger("jieba").setLevel(logging.WARNING)
                tok = jieba.Tokenizer()
                for word in (*domain_words(), *self._extra):
                    tok.add_word(word, freq=20000)
                self._total = tok.total
                self._jieba = tok
        return self._jieba

    def fingerprint(self) -> str:
        """What the index tokens depend on besides the plans' place names: jieba's version, the domain words,
        the stopwords. A lexical segment cut under another fingerprint is cut again."""
        import hashlib

        import jieba

        parts = [INDEX_FORMAT, jieba.__version__, *domain_words(), "|", *self._extra, "|", *sorted(STOPWORDS)]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]

    def cut(self, text: str) -> list[str]:
        """jieba's precise-mode words of ``text``, every character kept (for word boundaries)."""
        return self._load().lcut(text)

    def tokens(self, search_text: str) -> list[str]:
        """Index tokens of normalised text: jieba search-mode words, stopwords and punctuation dropped."""
        words = self._load().lcut_for_search(search_text)
        return [w for w in words if w not in STOPWORDS and _TOKEN_OK.search(w) and not w.isspace()]

    def places(self, text: str) -> list[str]:
        """Place names jieba tags in ``text`` (``ns``): 南京市, 赣州, 泰州."""
        return self.places_of((w.word, w.flag) for w in self.tagged(text))

    def places_of(self, tagged: Iterable[tuple[str, str]]) -> list[str]:
        """:meth:`places` of text already tagged (``(word, flag)`` pairs), for a caller that reads the tags too."""
        return [word for word, flag in tagged if flag == "ns" or word in self._places]

    def person_names(self, text: str) -> list[str]:
        """Personal names jieba tags in ``text`` (``nr``), two characters or more."""
        return [w.word for w in self.tagged(text) if w.flag == "nr" and len(w.word) >= 2]

    def tagged(self, text: str) -> Any:
        """jieba part-of-speech pairs (``word``, ``flag``) of ``text``."""
        if self._posseg is None:
            import jieba.posseg

            # POSTokenizer(tok) would parse dict.txt's tags a second time (~0.6 s of every process start): jieba.posseg
            # parsed them at import for its default tokenizer, from the same dictionary ours loads. A copy (~10 ms),
            # since the tagger merges our added words' tags into its table.
            tagger = object.__new__(jieba.posseg.POSTokenizer)
            tagger.tokenizer, tagger.word_tag_tab = self._load(), dict(jieba.posseg.dt.word_tag_tab)
            self._posseg = tagger
        return self._posseg.cut(text)


class BM25Index:
    """BM25 via ``bm25s`` over every chunk at once: how the searcher scored before per-plan segments, kept as the
    reference ``tests/test_incremental_lexical.py`` holds ``qa.search.postings.LexicalIndex`` to."""

    def __init__(self, tokenizer: Tokenizer, ids: Sequence[str], texts: Sequence[str]) -> None:
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets its logger to DEBUG when imported

        self.tokenizer = tokenizer
        self.ids = list(ids)
        self._position = {cid: i for i, cid in enumerate(self.ids)}
        self._bm25 = bm25s.BM25()
        corpus = [tokenizer.tokens(t) or ["∅"] for t in texts]
        if corpus:
            self._bm25.index(corpus, show_progress=False)
        self._df = Counter(token for tokens in corpus for token in set(tokens))

    def df(self, token: str) -> int:
        """In how many chunks ``token`` occurs."""
        return self._df.get(token, 0)

    def idf(self, token: str) -> float:
        """BM25 inverse document frequency of ``token`` (a word absent from the corpus gets the highest)."""
        n, df = len(self.ids), self._df.get(token, 0)
        return math.log((n - df + 0.5) / (df + 0.5) + 1.0)

    def search(self, search_text: str, k: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        """Top ``k`` (chunk id, BM25 score > 0), optionally only among ``allowed`` ids."""
        if not self.ids:
            return []
        query = [t for t in self.tokenizer.tokens(search_text) if t in self._bm25.vocab_dict]
        if not query:
            return []
        mask = None
        if allowed is not None:
            mask = np.zeros(len(self.ids), dtype=np.float32)
            mask[[self._position[cid] for cid in allowed if cid in self._position]] = 1.0
        scores = self._bm25.get_scores(query, weight_mask=mask)
        return [(self.ids[i], float(scores[i])) for i in _top(scores, k) if scores[i] > 0]


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` highest scores, best first, ties by position: a full sort's answer without sorting all n."""
    if k <= 0 or not len(scores):
        return np.empty(0, dtype=np.int64)
    if k < len(scores):
        threshold = np.partition(scores, len(scores) - k)[len(scores) - k]
        candidates = np.flatnonzero(scores >= threshold)  # every tie at the threshold, so the order below is exact
    else:
        candidates = np.arange(len(scores))
    order = np.lexsort((candidates, -scores[candidates]))
    return candidates[order][:k]
