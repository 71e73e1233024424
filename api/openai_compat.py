"""An OpenAI-compatible API under ``/v1``: ``/v1/models`` (one model, ``planqa``) and ``/v1/chat/completions``
(streaming and not), so the official ``openai`` client and LangChain's ``ChatOpenAI`` work unchanged.

The message is the answer text with its ``[n]`` markers and, under it, the sources (``[1] 《title》 path``); the
structured citations (path, quote, full clause …) come in an extra ``citations`` field of the completion (of the
last chunk when streaming), so nothing is lost to a client that reads only the text or only the fields. A stream
cannot take back what it sent: when the grounding check (or the fallback to the extractive answer) leaves the final
answer different from the streamed text, the final answer follows under 核对后的回答：.
"""

from __future__ import annotations

import time
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from api import models
from api.context import Context, log
from api.guard import ApiError, Caller
from api.routes import ERRORS, caller, context

MODEL = "planqa"
SOURCES_HEADING = "来源："
CHECKED_HEADING = "核对后的回答："  # streamed text cannot be taken back: a changed final answer follows under this


def sources_text(answer: dict[str, Any]) -> str:
    """The sources under the answer text: ``\\n\\n来源：\\n[1] 《title》 path …``; empty without citations."""
    lines = [f"[{c['marker']}] {c['label']}" for c in answer.get("citations", [])]
    return f"\n\n{SOURCES_HEADING}\n" + "\n".join(lines) if lines else ""


def conversation(messages: list[models.ChatMessage]) -> tuple[str, list[Any]]:
    """The question (the last user message) and the earlier turns as (question, answer) pairs; system messages are
    ignored (the answerer's rules are fixed)."""
    from qa.service import Turn

    if messages[-1].role != "user" or not messages[-1].text.strip():
        raise ApiError(422, "the last message must be a user message with the question", code="no_question")
    turns: list[Any] = []
    for message in messages[:-1]:
        if message.role == "user":
            turns.append(Turn(message.text))
        elif message.role == "assistant" and turns and not turns[-1].answer:
            turns[-1].answer = message.text
    return messages[-1].text, turns[-models.MAX_HISTORY_TURNS :]


def router() -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["openai"], responses=ERRORS)

    @api.get("/models")
    def list_models(request: Request, who: Annotated[Caller, Depends(caller)]) -> dict[str, Any]:
        """The one model: ``planqa``."""
        return {"object": "list", "data": [{"id": MODEL, "object": "model", "created": 0, "owned_by": "planqa"}]}

    @api.post("/chat/completions")
    def chat_completions(body: models.ChatCompletionRequest, request: Request, who: Annotated[Caller, Depends(caller)]) -> Any:
        """A chat completion: the answer with its sources, and ``citations``; ``"stream": true`` for chunks."""
        if body.model != MODEL:
            raise ApiError(404, f"model {body.model!r} does not exist; use {MODEL!r} (GET /v1/models)", code="model_not_found")
        ctx = context(request)
        text, history = conversation(body.messages)
        question = ctx.check_question(text, who, len(history))
        reply = {"id": f"chatcmpl-{uuid.uuid4().hex}", "created": int(time.time()), "model": MODEL}
        if body.stream:
            return StreamingResponse(_chunks(ctx, who, question, history, reply), media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        answer = ctx.ask(who, question, history)
        content = answer["answer"] + sources_text(answer)
        return {
            **reply, "object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop", "logprobs": None}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            "citations": answer["citations"], "refused": answer["refused"],
        }

    return api


def _chunks(ctx: Context, who: Caller, question: str, history: list[Any], reply: dict[str, Any]) -> Any:
    """``data: {chunk}`` lines: the role, the text pieces, the sources, a last chunk with ``finish_reason`` and the
    citations, then ``data: [DONE]``."""
    import json

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        body = {**reply, "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}], **extra}
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    pieces = ctx.ask_stream(who, question, history)  # takes the slot now: a full queue is a 503, not a broken stream

    def frames() -> Any:
        yield chunk({"role": "assistant", "content": ""})
        streamed = ""
        try:
            for piece in pieces:
                if isinstance(piece, str):
                    streamed += piece
                    yield chunk({"content": piece})
                else:
                    if piece["answer"] != streamed:  # the grounding check (or a fallback) changed what was streamed
                        yield chunk({"content": f"\n\n{CHECKED_HEADING}\n{piece['answer']}"})
                    sources = sources_text(piece)
                    if sources:
                        yield chunk({"content": sources})
                    yield chunk({}, "stop", citations=piece["citations"], refused=piece["refused"])
        except Exception as exc:  # noqa: BLE001 - headers are sent; say so in the stream the OpenAI way
            log.exception("streaming a chat completion for %r failed", question)
            yield f"data: {json.dumps({'error': {'message': f'answering failed ({type(exc).__name__})', 'type': 'server_error'}})}\n\n"
        yield "data: [DONE]\n\n"

    return frames()
