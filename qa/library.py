"""知识库: the stored plans as a service, without Gradio: list them, upload and ingest, re-index, delete, correct
a plan's metadata, and the clause tree of one plan. The 知识库 tab of :mod:`ui.blocks` calls only this and the
:class:`~qa.service.Assistant`; this is the one place that reaches the assistant's store, searcher and embedder.
"""

from __future__ import annotations

import os
import re
import shutil
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qa.ingest.documents import DocumentError, build_document
from qa.ingest.pipeline import PLAN_SUFFIXES, FileResult, Ingestor, IngestReport, corrections_file, write_correction
from qa.settings import Settings

if TYPE_CHECKING:
    from qa.search.scope import PlanInfo
    from qa.service import Assistant
    from qa.store import StoredChunk

# Every format ingest reads; checked again on the server, whatever the browser's picker allowed.
UPLOAD_SUFFIXES = tuple(sorted(PLAN_SUFFIXES))
MAX_FILENAME_CHARS = 80


@dataclass(frozen=True)
class PlanRow:
    """One stored plan as the plan list shows it (counts of clauses and chunks, the file it came from)."""

    doc_id: str
    title: str
    region: str
    year: int
    clauses: int
    chunks: int
    source: str
    issuer: str = ""
    committed: float = 0.0  # when it was last (re)ingested, seconds since the epoch
    notes: str = ""  # what ingest noticed ("; "-joined, in English: the UI translates)


# ------------------------------------------------------------------------------------------ uploads

_UNSAFE = re.compile(r"[^\w.\-]+")


def safe_filename(name: str) -> str:
    """A plain file name for an upload: no folders, no ``..``, no control/invisible/bidi characters, ≤ 80 chars.

    Letters of any script are kept (中文 names stay readable); everything else becomes ``_``; the suffix is
    lower-cased; an empty stem becomes ``plan``.
    """
    name = unicodedata.normalize("NFKC", str(name))
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] not in {"C"} and unicodedata.category(ch) not in {"Zl", "Zp"})
    name = re.split(r"[\\/]", name)[-1].strip()
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    stem = _UNSAFE.sub("_", stem).replace(".", "_")
    stem = re.sub(r"_+", "_", stem).strip("._-") or "plan"
    suffix = _UNSAFE.sub("", suffix).lower()[:10]
    return stem[:MAX_FILENAME_CHARS] + (f".{suffix}" if suffix else "")


class UploadError(ValueError):
    """An uploaded file is refused; the message names it and says why."""


def check_upload(original_name: str, size: int, max_mb: float) -> str:
    """The safe name of an acceptable upload, or :class:`UploadError` (wrong type, too large, empty)."""
    name = safe_filename(original_name)
    if Path(name).suffix not in UPLOAD_SUFFIXES:
        raise UploadError(f"{original_name}: 只接受 {' / '.join(UPLOAD_SUFFIXES)} 文件")
    if size > max_mb * 1024 * 1024:
        raise UploadError(f"{original_name}: {size / 1048576:.1f} MB 超过 {max_mb:g} MB 上限")
    if size == 0:
        raise UploadError(f"{original_name}: 空文件")
    return name


# ------------------------------------------------------------------------------------------ the service


class Library:
    """知识库: list, upload and ingest, re-index, delete and inspect the stored plans. No UI here."""

    def __init__(self, assistant: Assistant, settings: Settings) -> None:
        self.assistant = assistant
        self.settings = settings

    def rows(self) -> list[PlanRow]:
        records = self.assistant.store.documents()
        rows = [
            PlanRow(
                doc_id, str(r.metadata.get("short_title") or r.metadata.get("title") or doc_id), str(r.metadata.get("region", "")),
                int(r.metadata.get("year", 0) or 0), int(r.metadata.get("clauses", 0) or 0), int(r.metadata.get("chunks", 0) or 0),
                str(r.metadata.get("source_name", "")), str(r.metadata.get("issuer", "")),
                float(r.metadata.get("committed_at", 0) or 0), str(r.metadata.get("notes", "")),
            )
            for doc_id, r in records.items()
        ]
        return sorted(rows, key=lambda r: (r.region, r.year, r.doc_id))

    def metadata(self, doc_id: str) -> dict[str, str]:
        """The stored plan's title, issuer, region and years as the correction form shows them ("2019-2030");
        empty strings for a plan that is not stored."""
        record = self.assistant.store.documents().get(doc_id)
        meta = record.metadata if record else {}
        plan = self.plans().get(doc_id)  # its years as the searcher reads them from the record
        years = plan.years if plan else ()
        span = "" if not years else (str(years[0]) if len(years) == 1 else f"{min(years)}-{max(years)}")
        return {"title": str(meta.get("title", "")), "issuer": str(meta.get("issuer", "")), "region": str(meta.get("region", "")), "years": span}

    def _ingestor(self) -> Ingestor:
        return Ingestor(self.settings, self.assistant.store, self.assistant.embeddings, command="serve")

    def upload(self, files: Iterable[tuple[str, Path]]) -> tuple[IngestReport, list[str]]:
        """Save each ``(original name, temp path)`` under a safe name in ``upload_dir`` and ingest the saved ones."""
        problems: list[str] = []
        saved: list[Path] = []
        known = self.assistant.store.documents()
        target_dir = self.settings.upload_dir
        for original, temp in files:
            try:
                name = check_upload(original, temp.stat().st_size, self.settings.max_file_mb)
                dest = target_dir / name
                if Path(name).stem in known and not dest.exists():
                    raise UploadError(f"{original}: 已有编号为 {Path(name).stem} 的规划（来自 {known[Path(name).stem].metadata.get('source_name', '?')}）；请改名或先删除")
                # Read it before it is kept: a file ingest cannot read must not replace the stored plan's file
                # (the store would keep the old version, but every re-index would fail on the new file).
                build_document(name, temp.read_bytes(), doc_id=Path(name).stem)
                target_dir.mkdir(parents=True, exist_ok=True)
                partial = dest.with_name(dest.name + ".part")  # not a plan suffix: re-index never reads a half copy
                shutil.copyfile(temp, partial)
                os.replace(partial, dest)
                saved.append(dest)
            except (UploadError, DocumentError) as exc:
                problems.append(str(exc))
            except OSError as exc:
                problems.append(f"{original}: 无法保存（{exc.strerror}）")
        report = self._ingestor().run(saved) if saved else IngestReport()
        return report, problems

    def reindex(self) -> IngestReport:
        """Re-read the sample folder and the upload folder; unchanged plans are skipped by content hash."""
        folders = [p for p in (self.settings.plans_dir, self.settings.upload_dir) if p.is_dir()]
        return self._ingestor().run(folders)

    def delete(self, doc_id: str) -> str:
        records = self.assistant.store.documents()
        if doc_id not in records:
            return f"没有编号为 {doc_id} 的规划。"
        source = str(records[doc_id].metadata.get("source_name", ""))
        with self._ingestor().writing():  # not amid another process's ingest
            self.assistant.store.delete_document(doc_id)
        uploaded = self.settings.upload_dir / safe_filename(source) if source else None
        if uploaded is not None and uploaded.is_file() and uploaded.name == source:
            uploaded.unlink()
            return f"已删除 {doc_id}（及上传的文件 {source}）。"
        return f"已删除 {doc_id}。它的文件不在上传目录中：重新索引会把它重新入库，要永久删除请移走该文件。"

    def correct(self, doc_id: str, **fields: object) -> IngestReport:
        """Correct a stored plan's metadata (``title``, ``short_title``, ``issuer``, ``region``, ``years`` as a list or
        ``"2019-2030"``, ``year``, ``date``, ``kind``; ``None`` clears a field's correction) and re-ingest that plan.

        The correction is kept in the corrections file (``corrections_path``), keyed by doc id, and merged over the
        folder's catalog and the inferred metadata at every later ingest, so a re-index never undoes it. Raises
        ``KeyError`` for a plan that is not stored and ``ValueError`` for a field that cannot be corrected.
        """
        records = self.assistant.store.documents()
        if doc_id not in records:
            raise KeyError(f"没有编号为 {doc_id} 的规划")
        write_correction(corrections_file(self.settings), doc_id, fields)
        source = str(records[doc_id].metadata.get("source_name", ""))
        path = self._source_file(source)
        if path is None:
            message = f"{source or doc_id}: the plan's file is in neither {self.settings.plans_dir} nor {self.settings.upload_dir}; the correction applies when it is ingested again"
            return IngestReport([FileResult(source or doc_id, doc_id, "failed", message=message)])
        # the plan's whole folder, not the file alone: an attachment keeps what it inherits from the notice that
        # lists it (qa.ingest.attachments); the folder's unchanged plans are skipped by their content hash
        report = self._ingestor().run([path.parent])
        report.results = [r for r in report.results if r.doc_id == doc_id or r.status not in ("unchanged", "skipped")]
        return report

    def _source_file(self, name: str) -> Path | None:
        """The file a stored plan was ingested from: by name in the upload folder or the sample folder."""
        if not name:
            return None
        for folder in (self.settings.upload_dir, self.settings.plans_dir):
            if (folder / name).is_file():
                return folder / name
            if folder.is_dir():
                found = sorted(p for p in folder.rglob(name) if p.is_file())
                if found:
                    return found[0]
        return None

    def title_of(self, doc_id: str) -> str:
        plan = self.assistant.searcher.plans.get(doc_id)
        return plan.short_title if plan else doc_id

    def plans(self) -> dict[str, PlanInfo]:
        """The stored plans by doc id (read afresh, so plans ingested by another process show up)."""
        return self.assistant.searcher.plans

    def clauses(self, doc_id: str) -> list[StoredChunk]:
        """The stored chunks of one plan in document order (the clause tree of the 知识库 tab)."""
        return self.assistant.searcher.chunks_of(doc_id)

    def status(self, doc_id: str) -> dict[str, object]:
        """One plan's state for the 知识库 tab: its row, and how many of its chunks are clauses and table rows."""
        row = next((r for r in self.rows() if r.doc_id == doc_id), None)
        if row is None:
            return {}
        kinds = [str(c.metadata.get("kind", "")) for c in self.clauses(doc_id)]
        return {"row": row, "table_rows": kinds.count("table_row"), "chunks": len(kinds)}

    def around(self, doc_id: str, path: str, neighbours: int = 3) -> tuple[list[StoredChunk], int]:
        """A clause in its plan (the 原文 view of a citation): the chunks from ``neighbours`` before the clause at
        ``path`` to ``neighbours`` after it, and the position of its first chunk among them (-1: not stored)."""
        chunks = self.clauses(doc_id)
        at = next((i for i, c in enumerate(chunks) if str(c.metadata.get("path", "")) == path), -1)
        if at < 0:
            return [], -1
        start = max(0, at - neighbours)
        last = at
        while last + 1 < len(chunks) and str(chunks[last + 1].metadata.get("path", "")) == path:  # its other parts
            last += 1
        return chunks[start : last + 1 + neighbours], at - start

    def original(self, doc_id: str) -> Path | None:
        """The file a stored plan was ingested from, when it is still in the sample or the upload folder."""
        record = self.assistant.store.documents().get(doc_id)
        return self._source_file(str(record.metadata.get("source_name", ""))) if record else None
