"""The naive LangChain baseline PlanQA is compared with: fixed-size character chunks, dense retrieval only.

Each plan's raw file text (decoded, nothing cleaned) is cut by ``RecursiveCharacterTextSplitter(chunk_size=500,
chunk_overlap=50)``, embedded with the same embedder as PlanQA (passage prefix) and stored in its own Chroma
collection (``naive_<embedder>``) beside PlanQA's; a question is ``search_form``-ed, embedded and matched by
cosine. No clauses, no lexical leg, no filters. Re-embedding is skipped when the collection already holds a
plan with the same hash (file bytes + splitter parameters).
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from backends import open_store
from qa.embeddings import ClauseEmbeddings
from qa.ingest.documents import DocumentError, decode_text, load_catalog
from qa.ingest.pipeline import discover
from qa.ingest.readers import PLAIN_TEXT_SUFFIXES, read_document
from qa.normalize import search_form
from qa.settings import Settings
from qa.store import StoredChunk

log = logging.getLogger(__name__)

COLLECTION_PREFIX = "naive"
CHUNK_SIZE = 500  # characters
CHUNK_OVERLAP = 50  # characters


@dataclass
class BaselineBuild:
    """What :meth:`NaiveBaseline.build` did: plans seen, plans (re-)embedded, chunks embedded, seconds."""

    plans: int = 0
    embedded_plans: int = 0
    embedded_chunks: int = 0
    seconds: float = 0.0


class NaiveBaseline:
    """Character chunks of the raw plans in a separate collection, searched by the embedder alone."""

    mode = "naive"

    def __init__(self, settings: Settings, embeddings: ClauseEmbeddings, chunk_size: int = CHUNK_SIZE, chunk_overlap: int = CHUNK_OVERLAP) -> None:
        self.embeddings = embeddings
        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap
        self.store = open_store(settings.replace(collection_prefix=COLLECTION_PREFIX), embeddings.model_id)
        self.batch_size = max(1, settings.embed_batch_size)

    def plan_hash(self, data: bytes) -> str:
        """Identity of a plan's chunks: the file bytes, the splitter parameters and the embedder."""
        stamp = f"naive:{self.chunk_size}:{self.chunk_overlap}:{self.embeddings.model_id}".encode()
        return hashlib.sha256(data + b"\n" + stamp).hexdigest()

    def split(self, text: str) -> list[tuple[str, int]]:
        """(chunk text, start offset in ``text``) pairs, as the LangChain splitter cuts them."""
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        splitter = RecursiveCharacterTextSplitter(chunk_size=self.chunk_size, chunk_overlap=self.chunk_overlap, add_start_index=True)
        return [(d.page_content, int(d.metadata.get("start_index", -1))) for d in splitter.create_documents([text])]

    def build(self, plans_dir: Path) -> BaselineBuild:
        """Embed every plan of ``plans_dir`` (any format ingest reads) not already stored with the same hash; drop vanished plans."""
        started = time.perf_counter()
        report = BaselineBuild()
        catalog = load_catalog(plans_dir)
        stored = self.store.documents()
        seen: set[str] = set()
        for path in discover([plans_dir])[0]:
            doc_id = path.stem
            seen.add(doc_id)
            report.plans += 1
            data = path.read_bytes()
            doc_hash = self.plan_hash(data)
            if doc_id in stored and stored[doc_id].doc_hash == doc_hash:
                continue
            try:  # the raw text of the file, as its reader gives it (no clause parsing: that is what is compared)
                text = decode_text(data, path.name)[0] if path.suffix.lower() in PLAIN_TEXT_SUFFIXES else read_document(path.name, data).text
            except DocumentError:
                continue
            title = str((catalog.get(path.name) or {}).get("short_title") or doc_id)
            pieces = self.split(text)
            texts = [p for p, _ in pieces]
            vectors: list[list[float]] = []
            for i in range(0, len(texts), self.batch_size):
                vectors.extend(self.embeddings.embed_documents(texts[i : i + self.batch_size]))
            metadatas = [
                {
                    "doc_id": doc_id, "doc_hash": doc_hash, "title": title, "short_title": title,
                    "path": f"#{n}", "path_label": f"chunk {n}", "part": 1, "parts": 1, "order": n,
                    "start": start, "end": start + len(piece) if start >= 0 else -1,
                    "search_text": search_form(piece),
                }
                for n, (piece, start) in enumerate(pieces, start=1)
            ]
            ids = [f"{doc_id}:{doc_hash[:12]}:{n:04d}" for n in range(1, len(pieces) + 1)]
            record = {"title": title, "short_title": title, "source_name": path.name, "chunks": len(pieces)}
            self.store.write_document(doc_id, doc_hash, ids, texts, vectors, metadatas, record)
            report.embedded_plans += 1
            report.embedded_chunks += len(pieces)
            log.info("naive baseline: embedded %s (%d chunks)", path.name, len(pieces))
        for doc_id in sorted(set(stored) - seen):
            self.store.delete_document(doc_id)
        report.seconds = time.perf_counter() - started
        return report

    def search(self, question: str, k: int = 10) -> list[StoredChunk]:
        """The ``k`` nearest chunks to the question (search form, query prefix), best first."""
        return self.store.query(self.embeddings.embed_query(search_form(question)), k)
