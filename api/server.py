"""The one ASGI server of ``planqa serve``: FastAPI with the HTTP API (``/api/v1``), the OpenAI-compatible API
(``/v1``), ``/healthz`` and the OpenAPI docs (``/docs``), and the Gradio apps mounted beside them: the citizens'
chat at ``/`` and, unless ``public``, the staff app at ``/staff`` behind its login. One process owns the store, so
a plan uploaded by staff is answered from in the public chat at once.

Every answering path (both chats, Gradio's ``/run/ask``, both APIs) holds a slot of one :class:`~ui.limits.AnswerGate`.
No upload route is reachable but the staff app's: Gradio's ``/gradio_api/upload`` of the public chat is refused
here, and in public mode there is no staff app and no upload route in the API.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount

from api import models, openai_compat, routes
from api.context import Context
from api.guard import ApiError, Guard
from api.keys import KeyStore
from qa.library import Library
from qa.settings import Settings
from qa.store import StoreBusy, StoreError
from ui.auth import CLIENT_ADDRESS, LoginGuard, async_authenticator
from ui.conversations import BROWSER_COOKIE
from ui.limits import AnswerGate, Busy, GatedAssistant, limit_status
from ui.render import LOCALE_SCRIPT

log = logging.getLogger("planqa.server")
STAFF_PATH = "/staff"
MAX_BODY_BYTES = 1 << 20  # JSON bodies of both APIs; uploads may be max_file_mb per file
_UPLOADS = re.compile(r"^/gradio_api/upload(_progress)?/?$")  # the public chat's Gradio upload routes (it has no file input)
_BODY_PATHS = ("/api/", "/v1/")
_PAGES = ("/", STAFF_PATH + "/")  # the Gradio apps' pages (their HTML gets LOCALE_SCRIPT)
_GRADIO_ASK = re.compile(r"^(/staff)?/gradio_api/(run|api)/ask/?$")  # Gradio's own API of the chat's ask


def error(status: int, message: str, kind: str = "invalid_request_error", code: str = "", headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(ApiError(status, message, kind, code).body(), status_code=status, headers=headers)


class Edge:
    """Pure ASGI middleware in front of everything: the client's address for the login guard, the public chat's
    Gradio upload routes refused (404), and API bodies bounded (413 over the cap, 411 without a length)."""

    def __init__(self, app: Any, upload_cap: int, browser_cookie: bool = False) -> None:
        self.app = app
        self.upload_cap = upload_cap
        self.browser_cookie = browser_cookie  # public_conversations: a browser's conversations are kept by its cookie

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        CLIENT_ADDRESS.set(str((scope.get("client") or ("unknown",))[0]))
        path = re.sub(r"/{2,}", "/", scope.get("path", ""))
        if _UPLOADS.match(path):
            return await error(404, "not found", code="not_found")(scope, receive, send)
        if _GRADIO_ASK.match(path) and scope.get("method") == "POST":
            return await self._gradio_ask(scope, receive, send)
        if path in _PAGES and scope.get("method") == "GET":
            return await self._chinese_page(scope, receive, send)
        if path.startswith(_BODY_PATHS) and scope.get("method") in ("POST", "PUT", "PATCH"):
            headers = dict(scope.get("headers") or [])
            length = headers.get(b"content-length")
            cap = self.upload_cap if path.rstrip("/") == "/api/v1/plans" else MAX_BODY_BYTES
            if length is None:
                return await error(411, "send the body with a Content-Length", code="length_required")(scope, receive, send)
            if not length.isdigit() or int(length) > cap:
                return await error(413, f"body too large: at most {cap} bytes here", code="body_too_large")(scope, receive, send)
        return await self.app(scope, receive, send)


    async def _held(self, scope: dict[str, Any], receive: Any, send: Any, finish: Any) -> None:
        """Run the app with the response held (uncompressed, to be read) until its body is whole, then
        ``await finish(start message, body, send)``."""
        headers = [(k, v) for k, v in scope.get("headers") or [] if k != b"accept-encoding"]
        start: dict[str, Any] = {}
        body = bytearray()

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
                if not message.get("more_body", False):
                    await finish(start, bytes(body), send)
            else:
                await send(message)

        await self.app({**scope, "headers": headers}, receive, capture)

    async def _gradio_ask(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Gradio answers every failure of ``/run/ask`` with HTTP 500; a question refused by the chat's limits gets
        the API's status instead (413, or 429 with Retry-After). The reply is small JSON: it is held, then sent."""
        await self._held(scope, receive, send, self._send_mapped)

    async def _chinese_page(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """A Gradio page with :data:`ui.render.LOCALE_SCRIPT` at the head of its HTML: Gradio picks the language of its
        own widgets (上传, 清空 …) from the browser's, and the app is Chinese whatever the browser's language is. With
        ``public_conversations`` a browser without one gets its ``planqa_browser`` cookie here."""
        cookie = b""
        if self.browser_cookie and f"{BROWSER_COOKIE}=".encode() not in dict(scope.get("headers") or []).get(b"cookie", b""):
            cookie = f"{BROWSER_COOKIE}={uuid.uuid4().hex}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax".encode()

        async def finish(start: dict[str, Any], page: bytes, send: Any) -> None:
            kind = dict(start.get("headers", [])).get(b"content-type", b"")
            if kind.startswith(b"text/html") and b"<head>" in page:
                page = page.replace(b"<head>", b"<head>" + LOCALE_SCRIPT.encode(), 1)
            out = [(k, v) for k, v in start.get("headers", []) if k != b"content-length"] + [(b"content-length", str(len(page)).encode())]
            out += [(b"set-cookie", cookie)] if cookie else []
            await send({**start, "headers": out})
            await send({"type": "http.response.body", "body": page})

        await self._held(scope, receive, send, finish)

    @staticmethod
    async def _send_mapped(start: dict[str, Any], body: bytes, send: Any) -> None:
        status, headers = start.get("status", 500), list(start.get("headers", []))
        if status == 500:
            try:
                message = str(json.loads(body).get("error") or "")
            except (ValueError, AttributeError):
                message = ""
            mapped = limit_status(message)
            if mapped:
                status = mapped[0]
                headers += [(b"retry-after", str(mapped[1]).encode())] if mapped[1] else []
        await send({**start, "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def create_app(assistant: Any, settings: Settings, users: dict[str, str] | None = None) -> FastAPI:
    """The server's ASGI app on ``assistant`` (a :class:`~qa.service.Assistant`): API routes, health, docs, and
    the Gradio apps mounted (staff at /staff unless ``settings.public``; the citizens' chat at /)."""
    import gradio as gr

    from ui.blocks import build_app, mount_options, queue

    gate = AnswerGate(settings.max_concurrency, settings.max_queue)
    gated = GatedAssistant(assistant, gate)
    guard = Guard(settings, KeyStore(settings.api_keys_path))
    app = FastAPI(title="PlanQA", version="1", docs_url=None, redoc_url=None, openapi_url="/openapi.json",
                  description="Cited answers from Chinese government plans. Errors are `{\"error\": {\"message\", \"type\", \"code\"}}`.")
    app.state.planqa = Context(settings, assistant, gate, guard, Library(gated, settings))
    _handlers(app)

    @app.get("/healthz", response_model=models.Health, tags=["planqa"])
    def healthz() -> dict[str, Any]:
        """Alive, and what it serves: plans stored, the answerer, answers being made and waiting."""
        return {"status": "ok", "plans": len(assistant.store.documents()), "answerer": assistant.answerer_name, "public": settings.public,
                "answering": gate.active, "waiting": gate.waiting}

    _docs(app)
    app.include_router(routes.router(settings.public))
    app.include_router(openai_compat.router())

    @app.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    @app.api_route("/v1/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    def unknown(request: Request, rest: str) -> JSONResponse:  # not the Gradio app's business: the API's own 404 or 405
        allowed = [m for m in ("GET", "POST", "PUT", "PATCH", "DELETE") if any(
            not isinstance(r, Mount) and getattr(r, "endpoint", None) is not unknown and r.matches({**request.scope, "method": m})[0] == Match.FULL
            for r in app.router.routes)]
        if allowed:
            return error(405, f"{request.method} is not allowed here; use {', '.join(allowed)}", code="method_not_allowed", headers={"Allow": ", ".join(allowed)})
        return error(404, "no such API route; see /docs", code="not_found")

    options = mount_options(settings)
    if not settings.public:
        login = {"auth": async_authenticator(users, LoginGuard()), "auth_message": "PlanQA 工作人员登录"} if users else {}
        staff_demo = queue(build_app(gated, settings), settings)
        gr.mount_gradio_app(app, staff_demo, path=STAFF_PATH, ssr_mode=False, server_name=settings.app_host, server_port=settings.app_port,
                            **options, **login)
        guard.staff_session = _staff_session(app, bool(users))

        @app.get(STAFF_PATH, include_in_schema=False)
        def staff_page() -> RedirectResponse:  # /staff is the mount's /staff/, not the citizens' chat's 404
            return RedirectResponse(STAFF_PATH + "/", status_code=308)
    public_demo = queue(build_app(gated, settings.replace(public=True)), settings)
    gr.mount_gradio_app(app, public_demo, path="/", ssr_mode=False, server_name=settings.app_host, server_port=settings.app_port, **options)
    upload_cap = int(settings.max_file_mb * 1024 * 1024) * models.MAX_UPLOAD_FILES + (1 << 20)
    app.add_middleware(Edge, upload_cap=upload_cap, browser_cookie=settings.public_conversations)
    return app


def _docs(app: FastAPI) -> None:
    """Swagger UI at /docs from the files of the ``swagger-ui-bundle`` package: FastAPI's default page loads them
    from a CDN, and PlanQA makes no outside connection, the reader's browser included."""
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.staticfiles import StaticFiles
    from swagger_ui_bundle import swagger_ui_path

    app.mount("/docs-assets", StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> Any:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="PlanQA API", swagger_js_url="/docs-assets/swagger-ui-bundle.js",
                                   swagger_css_url="/docs-assets/swagger-ui.css", swagger_favicon_url="/docs-assets/favicon-32x32.png")


def _staff_session(app: FastAPI, logins: bool) -> Any:
    """``request -> bool``: the request carries a live login cookie of the staff app (never True without logins)."""
    mounted = next(r.app for r in app.routes if getattr(r, "path", None) == STAFF_PATH)

    def check(request: Request) -> bool:
        if not logins:
            return False
        cookie = getattr(mounted, "cookie_id", "")
        token = request.cookies.get(f"access-token-{cookie}") or request.cookies.get(f"access-token-unsecure-{cookie}")
        return bool(token) and getattr(mounted, "tokens", {}).get(token) is not None

    return check


def _handlers(app: FastAPI) -> None:
    """Every error of the API in one shape; a client's mistake is a 4xx, only the server's own fault a 500."""

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(Busy)
    async def busy(request: Request, exc: Busy) -> JSONResponse:
        return error(503, "every answer slot is busy and the queue is full; retry later", "server_busy", "busy",
                     {"Retry-After": str(int(exc.retry_after))})

    @app.exception_handler(StoreError)
    async def store_error(request: Request, exc: StoreError) -> JSONResponse:
        # the store's fault, said plainly (damaged, locked, full, read-only, another writer): never a 500 with a traceback
        log.error("%s %s: %s", request.method, request.url.path, exc)
        if isinstance(exc, StoreBusy):
            return error(409, str(exc), "store_busy", "store_busy", {"Retry-After": "30"})
        return error(503, str(exc), "store_unavailable", "store_unavailable", {"Retry-After": "30"})

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = jsonable_encoder([{k: e.get(k) for k in ("loc", "msg", "type")} for e in exc.errors()])
        first = details[0] if details else {"loc": [], "msg": "invalid body"}
        where = ".".join(str(p) for p in first.get("loc", []) if p != "body")
        body = ApiError(422, f"{where or 'body'}: {first.get('msg')}", code="invalid_body").body()
        body["error"]["details"] = details
        return JSONResponse(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error(exc.status_code, str(exc.detail), code="http_error", headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def fault(request: Request, exc: Exception) -> JSONResponse:
        log.exception("%s %s failed", request.method, request.url.path)
        return error(500, f"internal error ({type(exc).__name__}); the server log has the details", "server_error", "internal_error")


def uvicorn_config(app: Any, settings: Settings) -> Any:
    """uvicorn on ``app_host:app_port``; ``X-Forwarded-For`` believed only from ``trusted_proxies`` (uvicorn's own
    default trusts it from 127.0.0.1, so any local process could pose as any address)."""
    import uvicorn

    proxies = [p.strip() for p in settings.trusted_proxies.split(",") if p.strip()]
    return uvicorn.Config(app, host=settings.app_host, port=settings.app_port, proxy_headers=bool(proxies),
                          forwarded_allow_ips=proxies or [], log_level="warning", timeout_graceful_shutdown=5)


def run(settings: Settings) -> int:
    """Check the logins, claim the store, load the assistant, serve until stopped (Ctrl-C)."""
    import os

    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before anything imports gradio: no version check, no telemetry
    import uvicorn

    from backends import build_assistant, lock_store
    from ui.auth import load_users, startup_check

    users = {} if settings.public else load_users(settings)
    for warning in startup_check(settings, users):
        print(warning, file=sys.stderr)
    url = f"http://{settings.app_host}:{settings.app_port}"
    lock = lock_store(settings, "serve", url=url)
    assistant = build_assistant(settings)
    plans = assistant.store.documents()
    if not plans:
        print(f"note: the store at {settings.store_path} holds no plans yet; run `planqa ingest --server {url}` or upload at /staff", file=sys.stderr)
    mode = "public (citizens' chat only)" if settings.public else f"staff UI at {url}{STAFF_PATH} ({'login required' if users else 'no login'})"
    print(f"PlanQA on {url}: chat at /, API at /api/v1 and /v1, docs at /docs; {mode}; answerer {assistant.answerer_name}, {len(plans)} plans",
          file=sys.stderr)
    try:
        uvicorn.Server(uvicorn_config(create_app(assistant, settings, users), settings)).run()
    finally:
        if lock is not None:
            lock.release()
    return 0
