"""Ingest: files -> documents -> chunks -> vectors -> store, idempotent and incremental.

- A plan whose content hash (bytes + catalog entry + parser version) is already committed is skipped.
- A changed plan is written as a new version and committed in one step (see ``vectorstore.chroma``);
  vectors of clauses whose embedded text did not change are reused, never recomputed.
- One bad file is reported and skipped; the others still ingest. ``prune`` removes plans whose file is gone.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from qa.embeddings import ClauseEmbeddings
from qa.ingest.chunking import Chunk, chunk_document, embedding_key
from qa.ingest.documents import CATALOG_NAME, Document, DocumentError, build_document, load_catalog
from qa.ingest.readers import SUFFIXES
from qa.settings import Settings
from qa.store import ClauseStore, StoreError

log = logging.getLogger(__name__)

# What ingest reads (see qa.ingest.readers): .txt/.text, .md/.markdown, .pdf, .docx, .html/.htm.
PLAN_SUFFIXES = frozenset(SUFFIXES)


@dataclass
class FileResult:
    """What happened to one file: status is new | updated | unchanged | failed | pruned."""

    name: str
    doc_id: str
    status: str
    clauses: int = 0
    chunks: int = 0
    embedded: int = 0
    seconds: float = 0.0
    message: str = ""


@dataclass
class IngestReport:
    results: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def failed(self) -> list[FileResult]:
        return [r for r in self.results if r.status == "failed"]

    def table(self) -> str:
        """The summary table printed after an ingest."""
        header = ("file", "status", "clauses", "chunks", "embedded", "s", "notes")
        rows = [header] + [
            (r.name, r.status, str(r.clauses), str(r.chunks), str(r.embedded), f"{r.seconds:.1f}", r.message)
            for r in self.results
        ]
        widths = [max(_width(row[i]) for row in rows) for i in range(len(header) - 1)]
        lines = ["  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row[:-1])) + "  " + row[-1] for row in rows]
        totals = (
            f"{len(self.results)} documents, {sum(r.clauses for r in self.results)} clauses: "
            f"{self.count('new')} new, {self.count('updated')} updated, {self.count('unchanged')} unchanged, "
            f"{self.count('failed')} failed, {self.count('pruned')} pruned in {self.seconds:.1f} s"
        )
        return "\n".join(lines + [totals])


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def discover(paths: Iterable[Path], suffixes: frozenset[str] = PLAN_SUFFIXES) -> tuple[list[Path], list[FileResult]]:
    """Plan files under ``paths`` (files or folders, not following symlinked folders); problems as failed results."""
    found: list[Path] = []
    problems: list[FileResult] = []
    for path in paths:
        if path.is_dir():
            for root, dirs, files in os.walk(path, followlinks=False):
                dirs.sort()
                for name in sorted(files):
                    file = Path(root) / name
                    # Hidden files and Word's "~$plan.docx" lock files are not plans.
                    if file.suffix.lower() in suffixes and name != CATALOG_NAME and not name.startswith((".", "~$")):
                        found.append(file)
        elif path.is_file():
            found.append(path)
        elif path.is_symlink():
            problems.append(FileResult(str(path), "", "failed", message=f"{path}: a symbolic link that is broken or loops; fix or remove the link"))
        else:
            problems.append(FileResult(str(path), "", "failed", message=f"{path}: no such file or folder; check the path"))
    return list(dict.fromkeys(found)), problems


class Ingestor:
    """Writes plans into a clause store with one embedder."""

    def __init__(self, settings: Settings, store: ClauseStore, embeddings: ClauseEmbeddings) -> None:
        self.settings = settings
        self.store = store
        self.embeddings = embeddings

    def read(self, path: Path, doc_id: str | None = None) -> Document:
        """Read and parse one file (no store access). Raises DocumentError with the file named."""
        try:
            size = path.stat().st_size
        except OSError as exc:  # ELOOP for a symbolic link loop, ENOENT for a broken link
            raise DocumentError(f"{path}: cannot be read ({exc.strerror}); check the path, links and permissions") from exc
        if path.is_dir():
            raise DocumentError(f"{path}: is a folder, not a file; give the folder itself to ingest (it is read recursively)")
        limit = int(self.settings.max_file_mb * 1024 * 1024)
        if size > limit:
            raise DocumentError(
                f"{path}: {size / 1048576:.1f} MB is over the {self.settings.max_file_mb:g} MB limit; "
                "split the file or raise PLANQA_MAX_FILE_MB"
            )
        if path.suffix.lower() not in PLAN_SUFFIXES:
            raise DocumentError(f"{path}: unsupported file type {path.suffix or '(none)'}; accepted: {', '.join(sorted(PLAN_SUFFIXES))}")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DocumentError(f"{path}: cannot be read ({exc.strerror}); check permissions") from exc
        entry = load_catalog(path.parent).get(path.name)
        return build_document(path.name, data, entry, doc_id=doc_id or path.stem)

    def run(
        self,
        paths: Iterable[Path],
        prune: bool = False,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> IngestReport:
        """Ingest every plan under ``paths``; with ``prune``, remove stored plans whose file is not among them."""
        started = time.perf_counter()
        report = IngestReport()
        files, problems = discover(paths)
        report.results.extend(problems)
        repaired = self.store.repair()
        if repaired:
            log.warning("removed chunks of interrupted ingests for: %s", ", ".join(repaired))
        committed = self.store.documents()
        seen_ids: dict[str, Path] = {}
        for n, path in enumerate(files, start=1):
            if progress:
                progress(path.name, n, len(files))
            result = self._one(path, committed, seen_ids)
            report.results.append(result)
        if prune:
            for doc_id in sorted(set(committed) - set(seen_ids)):
                self.store.delete_document(doc_id)
                report.results.append(FileResult(str(committed[doc_id].metadata.get("source_name", doc_id)), doc_id, "pruned"))
        report.seconds = time.perf_counter() - started
        return report

    def _one(self, path: Path, committed: dict, seen_ids: dict[str, Path]) -> FileResult:
        started = time.perf_counter()
        doc_id = path.stem
        result = FileResult(path.name, doc_id, "failed")
        try:
            if doc_id in seen_ids:
                raise DocumentError(f"{path}: the same document id {doc_id!r} as {seen_ids[doc_id]}; rename one of the files")
            seen_ids[doc_id] = path
            doc = self.read(path, doc_id)
            result.clauses = len(doc.clauses)
            result.message = "; ".join(doc.notes)
            record = committed.get(doc_id)
            if record is not None and record.doc_hash == doc.content_hash:
                result.status = "unchanged"
                result.chunks = int(record.metadata.get("chunks", 0))
                return result
            chunks = chunk_document(doc, self.settings.max_chunk_tokens, self.embeddings.count_tokens)
            vectors, embedded = self._vectors(chunks)
            self.store.write_document(
                doc_id,
                doc.content_hash,
                [c.chunk_id for c in chunks],
                [c.text for c in chunks],
                vectors,
                [self._metadata(c) for c in chunks],
                self._record(doc, path, len(chunks)),
            )
            result.status = "updated" if record is not None else "new"
            result.chunks, result.embedded = len(chunks), embedded
        except (DocumentError, StoreError) as exc:
            result.status, result.message = "failed", str(exc)
            log.error("%s", exc)
        except Exception as exc:  # one bad file must not stop the others; the message says which and why
            result.status, result.message = "failed", f"{path}: unexpected {type(exc).__name__}: {exc}"
            log.exception("ingest of %s failed", path)
        finally:
            result.seconds = time.perf_counter() - started
        return result

    def _vectors(self, chunks: list[Chunk]) -> tuple[list[list[float]], int]:
        """Vectors for the chunks, reusing stored ones for unchanged embedded text. Returns (vectors, newly embedded)."""
        model_id = self.embeddings.model_id
        keys = [embedding_key(c.embed_text, model_id) for c in chunks]
        cached = self.store.cached_embeddings(keys)
        missing = [i for i, key in enumerate(keys) if key not in cached]
        batch = max(1, self.settings.embed_batch_size)
        for i in range(0, len(missing), batch):
            idx = missing[i : i + batch]
            for j, vector in zip(idx, self.embeddings.embed_documents([chunks[j].embed_text for j in idx]), strict=True):
                cached[keys[j]] = vector
        return [cached[key] for key in keys], len(missing)

    def _metadata(self, chunk: Chunk) -> dict:
        return {**chunk.metadata, "embed_key": embedding_key(chunk.embed_text, self.embeddings.model_id)}

    @staticmethod
    def _record(doc: Document, path: Path, chunks: int) -> dict:
        info = doc.info
        return {
            "title": info.title,
            "short_title": info.citation_title,
            "issuer": info.issuer,
            "region": info.region,
            "year": info.year,
            "date": info.date,
            "source_name": path.name,
            "encoding": doc.encoding,
            "clauses": len(doc.clauses),
            "chunks": chunks,
            "notes": "; ".join(doc.notes),
        }
