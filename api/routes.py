"""PlanQA's HTTP API under ``/api/v1``: ask (JSON, or server-sent events with ``"stream": true``), search, the plan
list, feedback; and, for staff (absent in public mode), upload, delete, re-index and a plan's clause tree."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import StreamingResponse

from api import models
from api.context import Context, filters_of, history_of, log, sse
from api.guard import ApiError, Caller

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": models.Error, "description": why}
    for code, why in {401: "no or bad API key", 413: "question too long", 422: "malformed body", 429: "rate limit (Retry-After)",
                      503: "every answer slot busy (Retry-After)"}.items()
}
STAFF_ERRORS = {**ERRORS, 403: {"model": models.Error, "description": "a key that is not a staff key"}}


def context(request: Request) -> Context:
    return request.app.state.planqa


def caller(request: Request) -> Caller:
    return context(request).guard.caller(request)


def staff(request: Request) -> Caller:
    return context(request).guard.staff(request)


Anyone = Annotated[Caller, Depends(caller)]
Staff = Annotated[Caller, Depends(staff)]
Files = Annotated[list[UploadFile], File(description="plan files (.txt .md .pdf .docx .html .doc …)")]


def router(public: bool) -> APIRouter:
    """The routes; in public mode the staff ones are not registered at all (404, not 403)."""
    api = APIRouter(prefix="/api/v1", tags=["planqa"], responses=ERRORS)

    @api.post("/ask", response_model=models.Answer, responses={200: {"content": {"text/event-stream": {}}}})
    def ask(body: models.AskRequest, request: Request, who: Anyone) -> Any:
        """Answer a question with cited clauses, or refuse. ``"stream": true``: ``delta`` events ``{"text"}``, then
        one ``answer`` event with the same object as the JSON reply (an ``error`` event if answering fails)."""
        ctx = context(request)
        question = ctx.check_question(body.question, who, len(body.history))
        history, filters = history_of(body.history), filters_of(body.filters)
        if not body.stream:
            return ctx.ask(who, question, history, filters)
        pieces = ctx.ask_stream(who, question, history, filters)

        def events() -> Any:
            try:
                for piece in pieces:
                    yield sse("delta", {"text": piece}) if isinstance(piece, str) else sse("answer", piece)
            except Exception as exc:  # noqa: BLE001 - the status line is sent; the stream says what happened
                log.exception("streaming an answer to %r failed", question)
                yield sse("error", {"error": {"message": f"answering failed ({type(exc).__name__})", "type": "server_error"}})

        return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @api.post("/search", response_model=models.SearchResponse)
    def search(body: models.SearchRequest, request: Request, who: Anyone) -> Any:
        """Ranked clauses with the fused score and each leg's rank and score."""
        ctx = context(request)
        question = ctx.check_question(body.question, who)
        result = ctx.search(who, question, body.k, filters_of(body.filters))
        f = result.filters
        return {"question": question, "filters": {"plans": sorted(f.doc_ids), "regions": sorted(f.regions), "years": sorted(f.years)},
                "uncovered": result.uncovered, "hits": [h.as_dict() for h in result.hits], "timings": result.timings}

    @api.get("/plans", response_model=list[models.Plan])
    def plans(request: Request, who: Anyone) -> Any:
        """The stored plans (clauses and chunks counted, the file each came from)."""
        context(request).guard.charge(who)
        return [vars(row) for row in context(request).library.rows()]

    @api.post("/feedback", status_code=201)
    def feedback(body: models.FeedbackRequest, request: Request, who: Anyone) -> dict[str, str]:
        """Record useful / wrong on an answer (appended to ``feedback_path``, like the chat's buttons)."""
        from ui.feedback import record_feedback

        ctx = context(request)
        ctx.guard.charge(who)
        try:
            record_feedback(ctx.settings.feedback_path, body.answer.model_dump(), body.verdict, body.comment)
        except OSError as exc:
            logging.getLogger("planqa.api").error("cannot write feedback to %s: %s", ctx.settings.feedback_path, exc)
            raise ApiError(503, "feedback cannot be saved right now", "server_error", "feedback_unavailable") from exc
        return {"status": "recorded"}

    if not public:
        _staff_routes(api)
    return api


def _report(report: Any, problems: list[str] | None = None) -> dict[str, Any]:
    results = [{"name": r.name, "doc_id": r.doc_id, "status": r.status, "clauses": r.clauses, "chunks": r.chunks, "message": r.message}
               for r in report.results]
    return {"results": results, "problems": problems or [], "seconds": round(report.seconds, 2)}


def _staff_routes(api: APIRouter) -> None:
    staff_only = {"responses": STAFF_ERRORS, "tags": ["staff"]}

    @api.post("/plans", response_model=models.IngestReport, **staff_only)
    def upload(request: Request, files: Files, who: Staff) -> Any:
        """Upload plans in any accepted format and ingest them (checked as the 知识库 tab checks them)."""
        ctx = context(request)
        if len(files) > models.MAX_UPLOAD_FILES:
            raise ApiError(413, f"{len(files)} files: at most {models.MAX_UPLOAD_FILES} per upload; send them in batches", code="too_many_files")
        with tempfile.TemporaryDirectory(prefix="planqa-upload-") as tmp:
            saved = []
            for number, upload in enumerate(files):
                path = Path(tmp) / f"{number}.upload"
                with path.open("wb") as out:
                    while chunk := upload.file.read(1 << 20):
                        out.write(chunk)
                saved.append((upload.filename or "plan", path))
            with ctx.writes:
                report, problems = ctx.library.upload(saved)
        return _report(report, problems)

    @api.post("/plans/reindex", response_model=models.IngestReport, **staff_only)
    def reindex(request: Request, who: Staff) -> Any:
        """Re-read the sample folder and the upload folder (unchanged plans skipped by content hash)."""
        ctx = context(request)
        with ctx.writes:
            return _report(ctx.library.reindex())

    @api.delete("/plans/{doc_id}", **staff_only)
    def delete(doc_id: str, request: Request, who: Staff) -> dict[str, str]:
        """Delete a stored plan (and its uploaded file)."""
        ctx = context(request)
        if doc_id not in ctx.assistant.store.documents():
            raise ApiError(404, f"no stored plan {doc_id!r}", code="plan_not_found")
        with ctx.writes:
            return {"status": "deleted", "message": ctx.library.delete(doc_id)}

    @api.get("/plans/{doc_id}/clauses", response_model=list[models.Clause], **staff_only)
    def clauses(doc_id: str, request: Request, who: Staff) -> Any:
        """A plan's stored clauses in document order, as parsed (the clause tree)."""
        ctx = context(request)
        if doc_id not in ctx.assistant.store.documents():
            raise ApiError(404, f"no stored plan {doc_id!r}", code="plan_not_found")
        return [
            {"chunk_id": c.chunk_id, "path": c.metadata.get("path"), "path_label": str(c.metadata.get("path_label", "")),
             "headings": [h for h in str(c.metadata.get("headings", "")).split("\n") if h], "office": str(c.metadata.get("office", "")),
             "text": c.text}
            for c in ctx.library.clauses(doc_id)
        ]
