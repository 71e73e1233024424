"""Ingest: files -> documents -> chunks -> vectors -> store, idempotent and incremental.

- A plan whose content hash (bytes + catalog entry + parser version) is already committed is skipped.
- A changed plan is written as a new version and committed in one step (see ``vectorstore.chroma``);
  vectors of clauses whose embedded text did not change are reused, never recomputed.
- One bad file is reported and skipped; the others still ingest. ``prune`` removes plans whose file is gone.
- Every file of a folder that is not ingested has a row saying why: a format that is no plan format, or one whose
  reader tool is missing (an old .doc without antiword), is ``skipped``; hidden files and Word's lock files are not.
- Staff corrections (``corrections.toml`` beside the store, or ``corrections_path``; keyed by doc id) are merged over
  the folder's ``catalog.toml`` and what is inferred from the text, so they survive every re-ingest.
- The files of one run are read together: an attachment published as a file of its own takes the issuer, date, years
  and region it does not state from the notice among them that lists it (``link_attachments``); alone, none.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from qa.embeddings import ClauseEmbeddings
from qa.ingest.chunking import Chunk, chunk_document, embedding_key
from qa.ingest.corrections import (  # noqa: F401  (importable from here, as before)
    CORRECTABLE,
    CORRECTIONS_NAME,
    corrections_file,
    load_corrections,
    merge_entry,
    write_correction,
)
from qa.ingest.documents import (
    CATALOG_NAME,
    Document,
    DocumentError,
    awaits_notice,
    build_document,
    check_entry,
    link_attachments,
    lists_attachments,
    load_catalog,
)
from qa.ingest.files import read_plan_bytes
from qa.ingest.limits import check_chunks
from qa.ingest.readers import SUFFIXES, ReaderMissing
from qa.ingest.report import FileResult, IngestReport, printable
from qa.ingest.writer import WriterLease, hold_writer
from qa.settings import Settings
from qa.store import ClauseStore, StoreError

log = logging.getLogger(__name__)

# What ingest reads (see qa.ingest.readers): .txt/.text, .md/.markdown, .pdf, .docx, .doc/.wps, .html/.htm.
PLAN_SUFFIXES = frozenset(SUFFIXES)


def discover(paths: Iterable[Path], suffixes: frozenset[str] = PLAN_SUFFIXES) -> tuple[list[Path], list[FileResult]]:
    """Plan files under ``paths`` (files or folders, not following symlinked folders); problems as failed results,
    and each other file of a folder as a skipped one naming its format and the accepted ones."""
    found: list[Path] = []
    problems: list[FileResult] = []
    accepted = ", ".join(sorted(suffixes))
    for path in paths:
        if path.is_dir():
            for root, dirs, files in os.walk(path, followlinks=False):
                dirs.sort()
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                for name in sorted(files):
                    file = Path(root) / name
                    # Hidden files, Word's "~$plan.docx" lock files and the catalogs are not plans, and not news.
                    if name in (CATALOG_NAME, CORRECTIONS_NAME) or name.startswith((".", "~$")):
                        continue
                    if file.suffix.lower() in suffixes:
                        found.append(file)
                    else:
                        kind = file.suffix.lower() or "a file without an extension"
                        problems.append(FileResult(name, file.stem, "skipped", message=f"{file}: {kind}: not a plan format; accepted: {accepted}"))
        elif path.is_file() or path.exists():  # a pipe or a device given by name: refused when it is read
            found.append(path)
        elif path.is_symlink():
            problems.append(FileResult(str(path), "", "failed", message=f"{path}: a symbolic link that is broken or loops; fix or remove the link"))
        else:
            problems.append(FileResult(str(path), "", "failed", message=f"{path}: no such file or folder; check the path"))
    return list(dict.fromkeys(found)), problems


@contextmanager
def _reported(path: Path, result: FileResult, started: float) -> Iterator[None]:
    """What goes wrong with one file is its result's status and message (the others still ingest); time is added."""
    try:
        yield
    except ReaderMissing as exc:  # a format whose tool is not installed: skipped, with what to do
        result.status, result.message = "skipped", str(exc)
        log.warning("%s", printable(str(exc)))
    except (DocumentError, StoreError) as exc:
        result.status, result.message = "failed", str(exc)
        log.error("%s", printable(str(exc)))
    except Exception as exc:  # one bad file must not stop the others; the message says which and why
        result.status = "failed"
        result.message = f"{path}: could not be ingested ({type(exc).__name__}: {exc}); the other files are; please report this file as a PlanQA bug"
        log.error("%s", printable(result.message))
        log.debug("ingest of %s failed", printable(str(path)), exc_info=True)  # the traceback with -v only
    finally:
        result.seconds += time.perf_counter() - started


def missing_chunks(committed: dict, counts: dict[str, int]) -> dict[str, tuple[int, int]]:
    """doc id -> (chunks present, chunks its record promises) of each committed plan that lacks some."""
    out = {}
    for doc_id, record in committed.items():
        if "chunks" in record.metadata and (present := counts.get(doc_id, 0)) != (promised := int(record.metadata["chunks"])):
            out[doc_id] = (present, promised)
    return out


class Ingestor:
    """Writes plans into a clause store with one embedder, holding the store's writer lock while it does."""

    def __init__(self, settings: Settings, store: ClauseStore, embeddings: ClauseEmbeddings, command: str = "ingest") -> None:
        self.settings = settings
        self.store = store
        self.embeddings = embeddings
        self.command = command  # named on the writer lock's card, for the message a second writer gets
        self._lease: WriterLease | None = None
        self._incomplete: dict[str, tuple[int, int]] = {}

    def writing(self):  # type: ignore[no-untyped-def]
        """The store's writer lock (:func:`~qa.ingest.writer.hold_writer`) for this ingestor's command and settings."""
        where = str(getattr(self.store, "location", ""))
        return hold_writer(self.store, self.command, self.settings.writer_wait_seconds, self.settings.writer_lease_seconds, where)

    def read(self, path: Path, doc_id: str | None = None) -> Document:
        """Read and parse one file (no store access), its catalog entry with the staff's correction merged over it.
        Raises DocumentError with the file named (:class:`~qa.ingest.readers.ReaderMissing` when a tool is missing)."""
        if path.suffix.lower() not in PLAN_SUFFIXES and not path.is_dir():
            raise DocumentError(f"{path}: unsupported file type {path.suffix or '(none)'}; accepted: {', '.join(sorted(PLAN_SUFFIXES))}")
        limit = int(self.settings.max_file_mb * 1024 * 1024)
        data = read_plan_bytes(path, limit, "split the file or raise PLANQA_MAX_FILE_MB")
        doc_id = doc_id or path.stem
        correction = load_corrections(corrections_file(self.settings)).get(doc_id, {})
        check_entry(corrections_file(self.settings), doc_id, correction)
        catalogued = load_catalog(path.parent).get(path.name)
        check_entry(path.parent / CATALOG_NAME, path.name, catalogued)
        entry = merge_entry(catalogued, correction)
        doc = build_document(path.name, data, entry, doc_id=doc_id)
        if correction:
            doc.notes.append("staff correction: " + ", ".join(k for k in CORRECTABLE if k in correction))
        return doc

    def run(
        self,
        paths: Iterable[Path],
        prune: bool = False,
        progress: Callable[[str, int, int], None] | None = None,
        replace: bool = False,
        on_chunks: Callable[[int], None] | None = None,
    ) -> IngestReport:
        """Ingest every plan under ``paths``; with ``prune``, remove stored plans whose file is not among them.

        A plan is its file: a changed file at the path a plan was ingested from updates it, but a different file
        with the same name (so the same doc id) is refused, unless ``replace`` says it is to replace that plan.

        Read together: an attachment as a file of its own is stored once every file is read, with what the notice among
        them that lists it gives (:func:`~qa.ingest.documents.link_attachments`); the others as they are read.

        ``progress`` is called as each file starts, ``on_chunks(n)`` as each embedding batch of ``n`` chunks is done
        (and once per plan for the chunks whose stored vectors were reused): a long plan's bar moves as it embeds."""
        self._on_chunks = on_chunks
        with self.writing() as lease:
            self._lease = lease
            try:
                return self._run(paths, prune, progress, replace)
            finally:
                self._lease = None

    def _run(self, paths: Iterable[Path], prune: bool, progress: Callable[[str, int, int], None] | None, replace: bool) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport()
        files, problems = discover(paths)
        report.results.extend(problems)
        assert self._lease is not None
        # Holding the lock, every other run is over: what they left uncommitted is removed (never this run's own).
        report.repaired = self.store.repair(live_runs={self._lease.run_id})
        if report.repaired:
            log.warning("removed chunks of interrupted ingests for: %s", ", ".join(report.repaired))
        committed = self.store.documents()
        self._incomplete = missing_chunks(committed, self.store.chunk_counts())
        seen_ids: dict[str, Path] = {}
        notices: list[Document] = []  # plans naming attachments: kept until every file is read
        waiting: list[tuple[Path, Document, FileResult]] = []  # attachments that a notice read later may describe
        for n, path in enumerate(files, start=1):
            if progress:
                progress(printable(path.name), n, len(files))
            result, doc = self._read_one(path, seen_ids)
            report.results.append(result)
            if doc is None:
                continue
            if lists_attachments(doc):
                notices.append(doc)
            if awaits_notice(doc):
                waiting.append((path, doc, result))
            else:
                self._store_one(doc, path, committed, result, replace)
        if waiting:
            linked = link_attachments([*notices, *(doc for _, doc, _ in waiting if all(doc is not n for n in notices))])
            by_id = {doc.info.doc_id: doc for doc in linked}
            for path, doc, result in waiting:
                self._store_one(by_id[doc.info.doc_id], path, committed, result, replace)
        for doc_id in sorted(set(self._incomplete) - set(seen_ids)):  # a plan lacking chunks whose file is not in this run
            record, (present, promised) = committed[doc_id], self._incomplete[doc_id]
            source = record.metadata.get("source_path") or record.metadata.get("source_name") or "its file"
            report.results.append(FileResult(
                str(record.metadata.get("source_name", doc_id)), doc_id, "failed",
                message=f"stored plan {doc_id!r} is incomplete: its record says {promised} chunks, {present} are stored (an interrupted "
                        f"write); ingest {source} again to repair it, or delete the plan",
            ))
        if prune:
            for doc_id in sorted(set(committed) - set(seen_ids)):
                self._lease.check()
                self.store.delete_document(doc_id)
                report.results.append(FileResult(str(committed[doc_id].metadata.get("source_name", doc_id)), doc_id, "pruned"))
        report.seconds = time.perf_counter() - started
        return report

    def _read_one(self, path: Path, seen_ids: dict[str, Path]) -> tuple[FileResult, Document | None]:
        """Read one file: its result (failed or skipped with the reason, when there is no document) and document."""
        started = time.perf_counter()
        doc_id = path.stem
        result = FileResult(path.name, doc_id, "failed")
        doc = None
        with _reported(path, result, started):
            if any("\udc80" <= ch <= "\udcff" for ch in path.name):
                raise DocumentError(
                    f"{printable(str(path))}: the file name is not UTF-8 text (a name in GBK from an old zip tool?); "
                    "rename the file, and ingest it again"
                )
            if doc_id in seen_ids:
                raise DocumentError(f"{path}: the same document id {doc_id!r} as {seen_ids[doc_id]}; rename one of the files")
            seen_ids[doc_id] = path
            doc = self.read(path, doc_id)
        return result, doc

    def _store_one(self, doc: Document, path: Path, committed: dict, result: FileResult, replace: bool = False) -> None:
        """Store a read document unless its hash is committed already, or (without ``replace``) it is another file
        than the one its stored plan was ingested from; ``result`` says what happened."""
        started = time.perf_counter()
        doc_id, info = doc.info.doc_id, doc.info
        with _reported(path, result, started):
            result.clauses = len(doc.clauses)
            result.message = "; ".join(doc.notes)
            result.title, result.issuer, result.region, result.years = info.citation_title, info.issuer, info.region, info.years
            record = committed.get(doc_id)
            missing = self._incomplete.get(doc_id)
            if record is not None and record.doc_hash == doc.content_hash and missing is None:
                result.status = "unchanged"
                result.chunks = int(record.metadata.get("chunks", 0))
                return
            stored_from = str(record.metadata.get("source_path", "")) if record is not None else ""
            if stored_from and stored_from != str(path.resolve()) and not replace:  # plans stored before paths were kept: as before
                raise DocumentError(
                    f"{path}: another file than the stored plan {doc_id!r} of the same name, which was ingested from "
                    f"{stored_from}; to replace that plan with this file, ingest it with --replace; to keep both, rename this file"
                )
            chunks = chunk_document(doc, self.settings.max_chunk_tokens, self.embeddings.count_tokens)
            check_chunks(path.name, len(chunks))  # before the embedding work they would cost
            vectors, embedded = self._vectors(chunks)
            assert self._lease is not None
            self._lease.check()  # a run that lost the lock writes nothing more
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
            if missing is not None and record is not None and record.doc_hash == doc.content_hash:
                result.status = "repaired"
                result.message = "; ".join([f"{missing[0]} of its {missing[1]} chunks were stored (an interrupted write): written again", *doc.notes])
            result.chunks, result.embedded = len(chunks), embedded

    def _vectors(self, chunks: list[Chunk]) -> tuple[list[list[float]], int]:
        """Vectors for the chunks, reusing stored ones for unchanged embedded text. Returns (vectors, newly embedded)."""
        model_id = self.embeddings.model_id
        keys = [embedding_key(c.embed_text, model_id) for c in chunks]
        cached = self.store.cached_embeddings(keys)
        missing = [i for i, key in enumerate(keys) if key not in cached]
        batch = max(1, self.settings.embed_batch_size)
        on_chunks = getattr(self, "_on_chunks", None)
        if on_chunks and len(missing) < len(chunks):
            on_chunks(len(chunks) - len(missing))
        for i in range(0, len(missing), batch):
            idx = missing[i : i + batch]
            for j, vector in zip(idx, self.embeddings.embed_documents([chunks[j].embed_text for j in idx]), strict=True):
                cached[keys[j]] = vector
            if on_chunks:
                on_chunks(len(idx))
        return [cached[key] for key in keys], len(missing)

    def _metadata(self, chunk: Chunk) -> dict:
        run = {"run_id": self._lease.run_id} if self._lease is not None else {}  # whose leftovers, should the run die
        return {**chunk.metadata, "embed_key": embedding_key(chunk.embed_text, self.embeddings.model_id), **run}

    @staticmethod
    def _record(doc: Document, path: Path, chunks: int) -> dict:
        info = doc.info
        return {
            "title": info.title,
            "short_title": info.citation_title,
            "issuer": info.issuer,
            "region": info.region,
            "year": info.year,
            "years": ",".join(str(y) for y in info.years),  # Chroma metadata are scalars: "2019,2020,…,2030"
            "kind": info.kind,
            "date": info.date,
            "source_name": path.name,
            "source_path": str(path.resolve()),  # the plan's identity: another file of the same name does not replace it
            "encoding": doc.encoding,
            "clauses": len(doc.clauses),
            "chunks": chunks,
            "notes": "; ".join(doc.notes),
        }
