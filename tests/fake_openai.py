"""A small, real, fake OpenAI-compatible HTTP server for tests (stdlib only).

Usage::

    with FakeOpenAI() as server:
        server.reply = "你好"                       # or a callable: lambda request_json: "..."
        llm = ChatOpenAI(base_url=server.base_url, api_key="test-key", model="fake-model")
        assert llm.invoke("hi").content == "你好"
        assert server.requests[-1]["messages"][-1]["content"] == "hi"
        assert server.headers["Authorization"] == "Bearer test-key"

Endpoints: ``POST /v1/chat/completions`` (JSON or ``"stream": true`` server-sent events) and ``GET /v1/models``.
``server.mode`` scripts failures of the chat endpoint: "ok", "error500", "timeout", "malformed", "empty".
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from http.client import HTTPMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal, get_args

Mode = Literal["ok", "error500", "timeout", "malformed", "empty"]
Reply = str | Callable[[dict[str, Any]], str]

MODES: tuple[str, ...] = get_args(Mode)
MALFORMED_BODY = b"<html>this is not JSON</html>"


def split_content(text: str, parts: int = 3) -> list[str]:
    """Split ``text`` into at most ``parts`` non-empty consecutive pieces (none for an empty string)."""
    if not text:
        return []
    size = -(-len(text) // max(1, parts))  # ceiling division
    return [text[i : i + size] for i in range(0, len(text), size)]


def _word_count(value: Any) -> int:
    """A crude, deterministic token count: whitespace-separated words (or characters for CJK runs)."""
    if isinstance(value, str):
        return sum(1 if word.isascii() else len(word) for word in value.split())
    if isinstance(value, list):  # content parts: [{"type": "text", "text": ...}, ...]
        return sum(_word_count(part.get("text", "")) for part in value if isinstance(part, dict))
    return 0


class _Handler(BaseHTTPRequestHandler):
    """Request handler; all state lives on the owning :class:`FakeOpenAI` (``self.server.fake``)."""

    protocol_version = "HTTP/1.1"
    server: _Server

    # -- plumbing -----------------------------------------------------------------------------------------------
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature fixed by the base class
        """Keep test output quiet."""

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        self.close_connection = True

    def _send_json(self, status: int, payload: dict[str, Any]) -> None:
        self._send(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"))

    def _send_error_json(self, status: int, message: str, type_: str, code: str | None = None) -> None:
        self._send_json(status, {"error": {"message": message, "type": type_, "param": None, "code": code}})

    def _write_chunk(self, data: bytes) -> None:
        """Write one HTTP/1.1 chunked-transfer chunk and flush it to the client."""
        self.wfile.write(f"{len(data):x}\r\n".encode("ascii") + data + b"\r\n")
        self.wfile.flush()

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    # -- routes -------------------------------------------------------------------------------------------------
    def do_GET(self) -> None:
        """``GET /v1/models``: list the server's model."""
        fake = self.server.fake
        fake._record(None, self.headers)
        if self.path.rstrip("/") != "/v1/models":
            self._send_error_json(404, f"Unknown path {self.path}", "invalid_request_error", "not_found")
            return
        created = int(fake.started_at)
        self._send_json(
            200, {"object": "list", "data": [{"id": fake.model, "object": "model", "created": created, "owned_by": "fake-openai"}]}
        )

    def do_POST(self) -> None:
        """``POST /v1/chat/completions``: answer according to ``server.mode`` and ``server.reply``."""
        fake = self.server.fake
        raw = self._read_body()
        try:
            request = json.loads(raw or b"{}")
        except ValueError:
            fake._record(None, self.headers)
            self._send_error_json(400, "Request body is not valid JSON", "invalid_request_error")
            return
        fake._record(request if isinstance(request, dict) else {"_body": request}, self.headers)
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send_error_json(404, f"Unknown path {self.path}", "invalid_request_error", "not_found")
            return
        if not isinstance(request, dict):
            self._send_error_json(400, "Request body must be a JSON object", "invalid_request_error")
            return

        mode = fake.mode
        if mode == "timeout" and fake._closing.wait(fake.delay):
            return  # the server is shutting down: give up quietly
        if mode == "error500":
            self._send_error_json(500, "The fake server had an error while processing your request.", "server_error")
            return
        if mode == "malformed":
            if request.get("stream"):
                self._send(200, b"data: " + MALFORMED_BODY + b"\n\n", "text/event-stream")
            else:
                self._send(200, MALFORMED_BODY)
            return

        content = "" if mode == "empty" else fake._render_reply(request)
        model = str(request.get("model") or fake.model)
        usage = fake._usage(request, content)
        if request.get("stream"):
            include_usage = bool((request.get("stream_options") or {}).get("include_usage"))
            self._stream(model, content, usage if include_usage else None)
        else:
            self._send_json(200, fake._completion(model, content, usage))

    def _stream(self, model: str, content: str, usage: dict[str, int] | None) -> None:
        """Send ``chat.completion.chunk`` events (role, content pieces, finish, optional usage) then ``[DONE]``."""
        fake = self.server.fake
        completion_id, created = fake._new_id(), int(time.time())

        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
            return {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model, "choices": [choice]}

        events: list[dict[str, Any]] = [chunk({"role": "assistant", "content": ""})]
        events += [chunk({"content": piece}) for piece in split_content(content, fake.stream_parts)]
        events.append(chunk({}, "stop"))
        if usage is not None:
            events.append({**chunk({}), "choices": [], "usage": usage})

        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        for event in events:
            self._write_chunk(b"data: " + json.dumps(event, ensure_ascii=False).encode("utf-8") + b"\n\n")
        self._write_chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def handle_one_request(self) -> None:
        """Ignore clients that hang up mid-request (e.g. after their own timeout)."""
        try:
            super().handle_one_request()
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    """A threading HTTP server that knows its :class:`FakeOpenAI`."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, fake: FakeOpenAI) -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", 0), _Handler)


class FakeOpenAI:
    """A fake OpenAI-compatible server on ``127.0.0.1`` (free port), serving from a daemon thread.

    Attributes scripting behaviour (may be changed at any time):
        reply: the assistant text, or ``callable(request_json) -> str``.
        mode: "ok" | "error500" | "timeout" | "malformed" | "empty".
        delay: seconds to wait in "timeout" mode before answering normally (default 5).
        model: the model listed by ``/v1/models`` and used when a request names none.
        stream_parts: how many content pieces a streamed reply is split into.

    Attributes recording traffic:
        requests: parsed JSON bodies of every POST, in arrival order.
        headers: the headers of the last request (case-insensitive ``HTTPMessage``), or None.
    """

    def __init__(self, reply: Reply = "Hello from FakeOpenAI.", *, mode: Mode = "ok", delay: float = 5.0, model: str = "fake-model") -> None:
        self.reply: Reply = reply
        self.mode = mode
        self.delay = delay
        self.model = model
        self.stream_parts = 3
        self.requests: list[dict[str, Any]] = []
        self.headers: HTTPMessage | None = None
        self.started_at = time.time()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._server = _Server(self)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="FakeOpenAI", daemon=True)
        self._thread.start()

    # -- public API ---------------------------------------------------------------------------------------------
    @property
    def mode(self) -> Mode:
        """How the chat endpoint behaves; setting an unknown mode raises ``ValueError``."""
        return self._mode

    @mode.setter
    def mode(self, value: Mode) -> None:
        if value not in MODES:
            raise ValueError(f"unknown mode {value!r}; expected one of {MODES}")
        self._mode: Mode = value

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """The OpenAI-style base URL, e.g. ``http://127.0.0.1:PORT/v1``."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def last_request(self) -> dict[str, Any]:
        """The most recent recorded JSON body (``IndexError`` if none)."""
        with self._lock:
            return self.requests[-1]

    def close(self) -> None:
        """Stop serving and release the port; idempotent. Pending "timeout" waits end immediately."""
        if self._closing.is_set():
            return
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAI:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"FakeOpenAI(base_url={self.base_url!r}, mode={self.mode!r}, requests={len(self.requests)})"

    # -- helpers used by the handler ----------------------------------------------------------------------------
    def _record(self, body: dict[str, Any] | None, headers: HTTPMessage) -> None:
        with self._lock:
            if body is not None:
                self.requests.append(body)
            self.headers = headers

    def _render_reply(self, request: dict[str, Any]) -> str:
        reply = self.reply
        return str(reply(request)) if callable(reply) else str(reply)

    @staticmethod
    def _new_id() -> str:
        return f"chatcmpl-{uuid.uuid4().hex[:24]}"

    @staticmethod
    def _usage(request: dict[str, Any], content: str) -> dict[str, int]:
        messages = request.get("messages") or []
        prompt = sum(_word_count(m.get("content")) for m in messages if isinstance(m, dict))
        completion = _word_count(content)
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}

    def _completion(self, model: str, content: str, usage: dict[str, int]) -> dict[str, Any]:
        return {
            "id": self._new_id(),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": None},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": usage,
            "system_fingerprint": "fp_fake",
        }
