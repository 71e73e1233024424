"""Synthetic plans for the benchmarks, made from the sample plans (see ``bench.corpus`` for how they are used).

Each synthetic plan is one sample plan read through PlanQA's own reader, cleaner and parser, its sections and
clauses shuffled among their siblings and re-numbered, given a new place, year, title, issuer and date, and its
figures perturbed; the parser must find the sample plan's clauses in it, one for one.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from qa.ingest.chunking import Chunk, chunk_document
from qa.ingest.cleaning import Paragraph, join_wrapped, source_lines
from qa.ingest.documents import Document, build_document
from qa.ingest.markers import Marker, read_marker
from qa.ingest.pipeline import Ingestor, discover
from qa.normalize import search_form
from qa.settings import Settings
from qa.text import ADMIN_SUFFIXES, CIRCLED, chinese_numeral, suffix_pattern

ROOT = Path(__file__).resolve().parent.parent
PLANS_DIR = ROOT / "data" / "plans"
GOLD_PATH = ROOT / "eval" / "gold.jsonl"
_PLACE_CHARS = "邕莒滁婺鄞黟歙岷洮沅湄汨溧郯郓濮漯沭邳睢亳颍泗邗浠蕲郧秭澧溆耒郴醴攸隰岢岚忻朔汾潞沁陉涞涿蓟滦饶鄱嵊暨衢缙瓯"
_REGION_PART = re.compile(r"[\u4e00-\u9fff]+?" + suffix_pattern(ADMIN_SUFFIXES))
_ADMIN_SUFFIX = re.compile(suffix_pattern(ADMIN_SUFFIXES) + "$")
_YEAR = re.compile(r"(?<!\d)(?:19[5-9]\d|20[0-4]\d)(?!\d)")
_INTEGER = re.compile(r"(?<![\d.．])\d+(?![\d.．])")
_TITLE_WORK = ("卫生健康工作要点", "卫生健康工作要点", "卫生健康重点工作要点", "卫生健康工作实施方案")


# ------------------------------------------------------------------------------------------ sources


@dataclass
class Node:
    """A numbered node of a plan's body as the parser sees it: its paragraphs (the first opens it) and children."""

    marker: Marker | None
    paragraphs: list[Paragraph]
    children: list[Node] = field(default_factory=list)


@dataclass
class Source:
    """One sample plan: its document, its body tree and its chunks (with their index in the vector table)."""

    doc: Document
    tree: Node
    chunks: list[Chunk]
    first_vector: int  # row of its first chunk in the source vector table
    cores: list[str]  # place cores of its region, outermost first: 江西, 赣州
    restarts: frozenset[str]  # marker styles this plan numbers from 1 under each parent
    _rows: dict[int, list[int]] = field(init=False, repr=False)

    def vector_row(self, order: int, part: int) -> int:
        """Row of the source chunk for clause ``order``, part ``part`` (the last part if this clause has fewer)."""
        rows = self._rows[order]
        return rows[min(part, len(rows)) - 1]

    def __post_init__(self) -> None:
        self._rows: dict[int, list[int]] = {}
        for i, chunk in enumerate(self.chunks):
            self._rows.setdefault(int(chunk.metadata["order"]), []).append(self.first_vector + i)


def body_tree(doc: Document) -> Node:
    """The plan body (from its first clause on) as a tree of numbered nodes, built like the parser builds it."""
    body_start = min(c.start for c in doc.clauses)
    paragraphs = [p for p in join_wrapped(source_lines(doc.text).lines) if p.start >= body_start]
    dashless = any(p.text.startswith("——") for p in paragraphs)
    root = Node(None, [])
    stack = [root]
    for paragraph in paragraphs:
        marker = read_marker(paragraph.text, dashless_headings=dashless)
        if marker is None:
            stack[-1].paragraphs.append(paragraph)
            continue
        if marker.style in [n.marker.style for n in stack[1:] if n.marker]:
            while stack[-1].marker is not None and stack[-1].marker.style != marker.style:
                stack.pop()
            stack.pop()
        node = Node(marker, [paragraph])
        stack[-1].children.append(node)
        stack.append(node)
    return root


def _walk(node: Node) -> Iterator[Node]:
    for child in node.children:
        yield child
        yield from _walk(child)


def load_sources(settings: Settings, count_tokens: Callable[[str], int], plans_dir: Path = PLANS_DIR) -> list[Source]:
    """The sample plans through the real reader, cleaner, parser and chunker."""
    reader = Ingestor(settings, None, None)  # type: ignore[arg-type]  # read() touches neither store nor embedder
    sources: list[Source] = []
    row = 0
    for path in discover([plans_dir])[0]:
        doc = reader.read(path)
        chunks = chunk_document(doc, settings.max_chunk_tokens, count_tokens)
        tree = body_tree(doc)
        ones: dict[str, int] = {}
        for node in _walk(tree):
            if node.marker is not None and node.marker.number == 1:
                ones[node.marker.style] = ones.get(node.marker.style, 0) + 1
        cores = [_ADMIN_SUFFIX.sub("", part) for part in _REGION_PART.findall(doc.info.region)]
        sources.append(Source(doc, tree, chunks, row, cores, frozenset(s for s, n in ones.items() if n > 1)))
        row += len(chunks)
    return sources


# ------------------------------------------------------------------------------------------ places


def place_pools(sources: Sequence[Source], seed: int, forbidden_text: str = "") -> tuple[list[str], list[str], list[str]]:
    """Generated province, city and district cores: pairs of place characters found nowhere in the plans or questions."""
    corpus = forbidden_text + "".join(search_form(s.doc.text) for s in sources)
    pairs = [a + b for a in _PLACE_CHARS for b in _PLACE_CHARS if a != b]
    random.Random(f"places:{seed}").shuffle(pairs)
    fresh = [p for p in pairs if p not in corpus]
    return fresh[:40], fresh[40:440], fresh[440:1240]


def gold_questions(path: Path = GOLD_PATH) -> list[str]:
    if not path.exists():
        return []
    return [str(json.loads(line)["question"]) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# ------------------------------------------------------------------------------------------ synthesis


def relabel(marker: Marker, number: int) -> str:
    """``marker``'s label as written, with ``number`` in its numeral system: (三) -> (七), 12. -> 3."""
    label = marker.label
    if marker.style == "dash":
        return "——"
    if marker.style == "circled":
        if number > len(CIRCLED):
            raise ValueError(f"circled marker number {number} has no character; the sample plan has too many ①-style clauses")
        return CIRCLED[number - 1]
    m = re.search(r"\d+", label) if re.search(r"\d", label) else re.search(r"[零〇一二两三四五六七八九十百]+", label)
    if m is None:
        raise ValueError(f"marker {label!r} has no number to replace")
    numeral = str(number) if m[0].isdigit() else chinese_numeral(number)
    return label[: m.start()] + numeral + label[m.end() :]


@dataclass(frozen=True)
class SyntheticPlan:
    """One synthetic plan: its file name, text and catalog entry, and for each clause start the source clause start."""

    doc_id: str
    source: str  # doc id of the sample plan it was made from
    text: str
    entry: dict[str, Any]
    origins: dict[int, int]  # start offset of a node's first line in ``text`` -> start offset in the source text


class _Rewriter:
    """Places, years and figures of one synthetic plan."""

    def __init__(self, rng: random.Random, places: dict[str, str], year_shift: int) -> None:
        self.rng = rng
        self.year_shift = year_shift
        self.places = places
        variants = {form: new for old, new in places.items() for form in {old, _traditional(old)}}
        self._place = re.compile("|".join(map(re.escape, sorted(variants, key=len, reverse=True)))) if variants else None
        self._variants = variants

    def __call__(self, text: str, keep_leading_number: bool = True) -> str:
        if self._place is not None:
            text = self._place.sub(lambda m: self._variants[m[0]], text)
        text = _YEAR.sub(lambda m: str(int(m[0]) + self.year_shift), text)

        def figure(m: re.Match[str]) -> str:
            if (m.start() == 0 and keep_leading_number) or (len(m[0]) == 4 and _YEAR.fullmatch(m[0])):
                return m[0]  # a number opening a line could become a marker; years were shifted above
            return str(max(1, round(int(m[0]) * self.rng.uniform(0.6, 1.6))))

        return _INTEGER.sub(figure, text)


@lru_cache(maxsize=1)
def _s2t() -> Any:
    import opencc  # the traditional form of a place (江苏 -> 江蘇) occurs in the traditional sample plan

    return opencc.OpenCC("s2t")


def _traditional(text: str) -> str:
    return str(_s2t().convert(text))


def synthesize(source: Source, index: int, seed: int, pools: tuple[list[str], list[str], list[str]]) -> SyntheticPlan:
    """Synthetic plan ``index`` made from ``source``: shuffled, re-numbered, new place/year/title/figures."""
    rng = random.Random(f"plan:{seed}:{index}")
    provinces, cities, districts = pools
    info = source.doc.info
    new_cores = [rng.choice(provinces), rng.choice(cities), rng.choice(districts)][: len(source.cores)]
    if len(source.cores) == 1:
        new_cores = [rng.choice(provinces)]
    year = rng.randint(2016, 2025)
    shift = year - (info.year or year)
    rewrite = _Rewriter(rng, dict(zip(source.cores, new_cores, strict=True)), shift)
    parts = _REGION_PART.findall(info.region)
    region = "".join(new + part[len(old) :] for old, new, part in zip(source.cores, new_cores, parts, strict=True))
    short_title = rewrite(info.citation_title)
    title = rewrite(info.title)
    if "工作要点" in short_title:  # vary the wording of yearly plans; multi-year action plans keep theirs
        work = rng.choice(_TITLE_WORK)
        short_title = re.sub(r"卫生健康工作要点$", work, short_title)
        title = re.sub(r"卫生健康工作要点$", work, title)
    doc_id = f"syn-{index:05d}-{source.doc.info.doc_id}"
    entry = {
        "title": title, "short_title": short_title, "issuer": rewrite(info.issuer), "region": region, "year": year,
        "date": f"{year}-{rng.randint(1, 6):02d}-{rng.randint(1, 28):02d}",
    }

    lines: list[str] = [short_title]
    origins: dict[int, int] = {}
    position = len(short_title) + 1

    def emit(text: str, origin: int | None) -> None:
        nonlocal position
        if origin is not None:
            origins[position] = origin
        lines.append(text)
        position += len(text) + 1

    counters: dict[tuple[str, int], int] = {}

    def render(node: Node) -> None:
        children = list(node.children)
        rng.shuffle(children)
        for child in children:
            assert child.marker is not None
            style = child.marker.style
            key = (style, id(node) if style in source.restarts else 0)
            counters[key] = counters.get(key, 0) + 1
            first, *rest = child.paragraphs
            emit(relabel(child.marker, counters[key]) + rewrite(child.marker.rest), first.start)
            for paragraph in rest:
                emit(rewrite(paragraph.text), None)
            render(child)

    for i, paragraph in enumerate(source.tree.paragraphs):  # the preamble stays first
        emit(rewrite(paragraph.text), paragraph.start if i == 0 else None)
    render(source.tree)
    return SyntheticPlan(doc_id, source.doc.info.doc_id, "\n".join(lines) + "\n", entry, origins)


def synthetic_document(plan: SyntheticPlan, source: Source) -> Document:
    """Parse a synthetic plan with the real pipeline; its clauses must be the source's, one for one."""
    doc = build_document(plan.doc_id + ".txt", plan.text.encode("utf-8"), plan.entry, doc_id=plan.doc_id)
    if len(doc.clauses) != len(source.doc.clauses):
        raise ValueError(
            f"synthetic plan {plan.doc_id}: the parser found {len(doc.clauses)} clauses, its source "
            f"{source.doc.info.doc_id} has {len(source.doc.clauses)}; the generator broke the numbering"
        )
    return doc


def clause_origins(doc: Document, plan: SyntheticPlan, source: Source) -> list[int]:
    """For each clause of the synthetic document, the ``order`` of the source clause it was made from."""
    by_start = {c.start: i for i, c in enumerate(source.doc.clauses)}
    orders = []
    for clause in doc.clauses:
        origin = plan.origins.get(clause.start)
        if origin is None or origin not in by_start:
            raise ValueError(f"synthetic plan {plan.doc_id}: clause {clause.path_label} at {clause.start} has no source clause")
        orders.append(by_start[origin])
    return orders


