"""The one server of ``planqa serve`` on loopback (real uvicorn, real HTTP, the real routes and the Gradio apps mounted),
over an in-memory store with a fake embedder: every route of /api/v1 with its status codes, keys (401 vs 403), rate
limits (429 + Retry-After, weighted by cost), the bounded answer queue (503), SSE framing, public mode without any
upload route, X-Forwarded-For believed only from trusted proxies, and the staff login's back-off."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from qa.settings import Settings
from tests.test_ingestion import PLAN_A, PLAN_B, CountingEmbeddings

QUESTION = "新增托位多少个?"
UPLOADED_QUESTION = "儿童疫苗接种率保持多少?"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Running:
    """A server in a thread of this process: its base URL, settings, app (for its context) and API keys."""

    def __init__(self, base: Path, users: dict[str, str] | None = None, **overrides: Any) -> None:
        import uvicorn

        from api.keys import KeyStore
        from api.server import create_app, uvicorn_config
        from qa.ingest.pipeline import Ingestor
        from qa.service import Assistant
        from vectorstore import InMemoryClauseStore

        plans = base / "plans"
        plans.mkdir(parents=True)
        (plans / "city-2024.txt").write_text(PLAN_A, encoding="utf-8")
        self.settings = Settings.load({
            "store_path": base / "store", "plans_dir": plans, "upload_dir": base / "uploads", "feedback_path": base / "feedback.jsonl",
            "api_keys_path": base / "keys.json", "tiktoken_cache_dir": base / "tiktoken", "corrections_path": str(base / "corrections.toml"),
            "app_port": free_port(), **overrides,
        }, env={})
        embeddings = CountingEmbeddings()
        store = InMemoryClauseStore(embeddings.model_id)
        Ingestor(self.settings, store, embeddings).run([plans])
        keys = KeyStore(self.settings.api_keys_path)
        self.staff_key = keys.create("staff", "test")[1]
        self.public_key = keys.create("public", "test")[1]
        self.app = create_app(Assistant(self.settings, store, embeddings), self.settings, users or {})
        self.server = uvicorn.Server(uvicorn_config(self.app, self.settings))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        while not self.server.started:
            time.sleep(0.02)
        self.url = f"http://127.0.0.1:{self.settings.app_port}"
        self.http = httpx.Client(base_url=self.url, timeout=60)

    @property
    def context(self) -> Any:
        return self.app.state.planqa

    def headers(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}

    def stop(self) -> None:
        self.http.close()
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="module")
def staff(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    running = Running(tmp_path_factory.mktemp("staff"), api_rate_limit_per_minute=0)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def public(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    running = Running(tmp_path_factory.mktemp("public"), public=True, api_rate_limit_per_minute=0)
    yield running
    running.stop()


def events(text: str) -> list[tuple[str, Any]]:
    """Server-sent events as (event, data): each frame is ``event:`` and ``data:`` lines ended by a blank line."""
    frames = [f for f in text.split("\n\n") if f.strip()]
    parsed = []
    for frame in frames:
        fields = dict(line.split(": ", 1) for line in frame.split("\n"))
        assert set(fields) == {"event", "data"}, frame
        parsed.append((fields["event"], json.loads(fields["data"])))
    assert text.endswith("\n\n")
    return parsed


# ------------------------------------------------------------------------------------------ answering


def test_health_docs_and_schema(staff: Running) -> None:
    health = staff.http.get("/healthz").json()
    assert health["status"] == "ok" and health["plans"] == 1 and health["public"] is False
    docs = staff.http.get("/docs").text
    assert "/docs-assets/swagger-ui-bundle.js" in docs and "cdn." not in docs  # no outside connection, the reader's browser included
    assert staff.http.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    schema = staff.http.get("/openapi.json").json()
    assert {"/api/v1/ask", "/api/v1/search", "/api/v1/plans", "/api/v1/feedback", "/api/v1/plans/{doc_id}/clauses", "/v1/chat/completions",
            "/v1/models", "/healthz"} <= set(schema["paths"])
    assert {"Answer", "Citation", "AskRequest"} <= set(schema["components"]["schemas"])


def test_ask_answers_with_citations(staff: Running) -> None:
    reply = staff.http.post("/api/v1/ask", json={"question": QUESTION})
    assert reply.status_code == 200
    answer = reply.json()
    assert "300" in answer["answer"] and "[1]" in answer["answer"] and not answer["refused"]
    assert answer["citations"][0]["doc_id"] == "city-2024" and answer["citations"][0]["label"].startswith("《2024年某市卫生健康工作要点》")
    follow = staff.http.post("/api/v1/ask", json={"question": "那发热门诊呢?", "history": [{"question": QUESTION, "answer": answer["answer"]}],
                                                  "filters": {"plans": ["city-2024"]}})
    assert follow.status_code == 200 and follow.json()["question"] == "那发热门诊呢?"


def test_ask_streams_server_sent_events(staff: Running) -> None:
    reply = staff.http.post("/api/v1/ask", json={"question": QUESTION, "stream": True})
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/event-stream")
    parsed = events(reply.text)
    assert [e for e, _ in parsed[:-1]] == ["delta"] * (len(parsed) - 1) and parsed[-1][0] == "answer"
    final = parsed[-1][1]
    assert "".join(d["text"] for _, d in parsed[:-1]) == final["answer"] and final["citations"][0]["doc_id"] == "city-2024"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"question": "托" * 501}, 413),
        ({"question": "   "}, 422),
        ({}, 422),
        ({"question": QUESTION, "unknown": 1}, 422),
        ({"question": 3}, 422),
        ({"question": QUESTION, "history": [{"question": "q"}] * 9}, 422),
        ({"question": QUESTION, "filters": {"years": ["soon"]}}, 422),
        ({"question": QUESTION, "stream": "maybe"}, 422),
        ([QUESTION], 422),
        (None, 422),
    ],
)
def test_a_clients_mistake_is_a_4xx_with_a_message(staff: Running, body: Any, status: int) -> None:
    reply = staff.http.post("/api/v1/ask", content=b"{not json" if body is None else json.dumps(body), headers={"Content-Type": "application/json"})
    assert reply.status_code == status
    assert reply.json()["error"]["message"]


def test_bodies_without_length_or_too_large_are_refused(staff: Running) -> None:
    assert staff.http.post("/api/v1/search", content=iter([b'{"question": "x"}'])).status_code == 411  # chunked: no Content-Length
    assert staff.http.post("/api/v1/ask", content=b" " * (2 << 20)).status_code == 413
    assert staff.http.post("/api/v1/search", json={"question": QUESTION, "k": 51}).status_code == 422
    assert staff.http.get("/api/v1/nothing").status_code == 404
    wrong = staff.http.get("/api/v1/ask")
    assert wrong.status_code == 405 and wrong.headers["allow"] == "POST"


def test_search_and_plans(staff: Running) -> None:
    result = staff.http.post("/api/v1/search", json={"question": QUESTION, "k": 2}).json()
    assert len(result["hits"]) == 2 and result["hits"][0]["path"] == "二、/3." and result["hits"][0]["score"] > 0
    assert [p["doc_id"] for p in staff.http.get("/api/v1/plans").json()] == ["city-2024"]


def test_feedback_is_recorded(staff: Running) -> None:
    answer = staff.http.post("/api/v1/ask", json={"question": QUESTION}).json()
    reply = staff.http.post("/api/v1/feedback", json={"verdict": "wrong", "comment": "数字不对", "answer": answer})
    assert reply.status_code == 201
    line = json.loads(staff.settings.feedback_path.read_text(encoding="utf-8").splitlines()[-1])
    assert line["verdict"] == "wrong" and line["comment"] == "数字不对" and line["citations"][0]["doc_id"] == "city-2024"
    assert staff.http.post("/api/v1/feedback", json={"verdict": "meh", "answer": answer}).status_code == 422


# ------------------------------------------------------------------------------------------ staff routes and keys


def test_staff_routes_need_a_staff_key(staff: Running) -> None:
    for method, path in (("POST", "/api/v1/plans/reindex"), ("GET", "/api/v1/plans/city-2024/clauses"), ("DELETE", "/api/v1/plans/nope")):
        assert staff.http.request(method, path).status_code == 401
        assert staff.http.request(method, path).headers["www-authenticate"] == "Bearer"
        assert staff.http.request(method, path, headers=staff.headers(staff.public_key)).status_code == 403
    assert staff.http.get("/api/v1/plans", headers=staff.headers("pq_not-a-key")).status_code == 401
    assert staff.http.get("/api/v1/plans", headers={"Authorization": "Basic abc"}).status_code == 401
    assert staff.http.get("/api/v1/plans", headers=staff.headers("sk-anything")).status_code == 200  # an OpenAI client's dummy key: no key
    many = [("files", (f"p{i}.txt", b"x")) for i in range(21)]
    assert staff.http.post("/api/v1/plans", headers=staff.headers(staff.staff_key), files=many).json()["error"]["code"] == "too_many_files"


def test_staff_upload_is_answered_from_by_the_public_chat_of_the_same_server(staff: Running) -> None:
    key = staff.headers(staff.staff_key)
    reply = staff.http.post("/api/v1/plans", headers=key, files=[("files", ("county-2024.txt", PLAN_B.encode("gb18030"))),
                                                                  ("files", ("notes.xlsx", b"PK\x03\x04"))])
    assert reply.status_code == 200, reply.text
    report = reply.json()
    assert [(r["doc_id"], r["status"]) for r in report["results"]] == [("county-2024", "new")] and "notes.xlsx" in report["problems"][0]
    answer = staff.http.post("/api/v1/ask", json={"question": UPLOADED_QUESTION}).json()
    assert "95%" in answer["answer"] and answer["citations"][0]["doc_id"] == "county-2024"
    chat = staff.http.post("/gradio_api/run/ask", json={"data": [UPLOADED_QUESTION]}).json()["data"][0]  # the citizens' chat at /
    assert chat["citations"][0]["doc_id"] == "county-2024"
    tree = staff.http.get("/api/v1/plans/county-2024/clauses", headers=key).json()
    assert [c["path"] for c in tree] == ["一、/(一)", "一、/(二)"] and tree[0]["headings"] == ["一、公共卫生"]
    assert staff.http.post("/api/v1/plans/reindex", headers=key).json()["results"]
    assert staff.http.delete("/api/v1/plans/county-2024", headers=key).json()["status"] == "deleted"
    assert staff.http.delete("/api/v1/plans/county-2024", headers=key).status_code == 404
    assert staff.http.get("/api/v1/plans/county-2024/clauses", headers=key).status_code == 404


def test_revoked_and_required_keys(tmp_path: Path) -> None:
    from api.keys import KeyStore

    running = Running(tmp_path, api_require_key=True)
    try:
        assert running.http.post("/api/v1/ask", json={"question": QUESTION}).status_code == 401
        assert running.http.get("/v1/models", headers=running.headers("sk-anything")).status_code == 401
        assert running.http.post("/api/v1/ask", json={"question": QUESTION}, headers=running.headers(running.public_key)).status_code == 200
        keys = KeyStore(running.settings.api_keys_path)
        public_id = next(k.id for k in keys.all() if k.role == "public")
        keys.revoke(public_id)  # the running server reads the changed file
        assert running.http.post("/api/v1/ask", json={"question": QUESTION}, headers=running.headers(running.public_key)).status_code == 401
        assert running.http.get("/healthz").status_code == 200
    finally:
        running.stop()


def test_keys_are_stored_hashed(tmp_path: Path) -> None:
    from api.keys import KeyStore

    keys = KeyStore(tmp_path / "keys.json")
    record, secret = keys.create("staff", "ci")
    text = (tmp_path / "keys.json").read_text(encoding="utf-8")
    assert secret not in text and record.sha256 in text and (tmp_path / "keys.json").stat().st_mode & 0o077 == 0
    assert keys.verify(secret) == record and keys.verify(secret + "x") is None
    with pytest.raises(ValueError, match="role"):
        keys.create("admin")
    with pytest.raises(ValueError, match="no API key"):
        keys.revoke("nope")


# ------------------------------------------------------------------------------------------ public mode


def test_public_mode_has_no_upload_route_of_any_kind(public: Running) -> None:
    key = public.headers(public.staff_key)  # even a staff key finds nothing to call
    files = [("files", ("county-2024.txt", PLAN_B.encode("gb18030")))]
    upload = public.http.post("/api/v1/plans", headers=key, files=files)
    assert upload.status_code == 405 and upload.headers["allow"] == "GET"  # the list is there, the upload is not
    assert public.http.post("/api/v1/plans/reindex", headers=key).status_code == 404
    assert public.http.delete("/api/v1/plans/city-2024", headers=key).status_code == 404
    for path in ("/gradio_api/upload", "/gradio_api/upload/", "//gradio_api/upload", "/staff/gradio_api/upload", "/gradio_api/upload_progress"):
        assert public.http.post(path, files=files).status_code in (404, 405), path
    assert "/api/v1/plans/{doc_id}/clauses" not in public.http.get("/openapi.json").json()["paths"]
    assert public.http.get("/staff/config").status_code == 404 or "知识库" not in public.http.get("/staff/config").text
    assert public.http.post("/api/v1/ask", json={"question": QUESTION}).json()["citations"][0]["doc_id"] == "city-2024"
    assert not list(Path(public.settings.upload_dir).glob("*"))


def test_staff_mode_refuses_uploads_to_the_public_chat(staff: Running) -> None:
    assert staff.http.post("/gradio_api/upload", files=[("files", ("a.txt", b"x"))]).status_code == 404
    assert staff.http.get("/staff/config").status_code == 200  # the staff app is mounted (no logins configured here)
    moved = staff.http.get("/staff")
    assert moved.status_code == 308 and moved.headers["location"] == "/staff/"


def test_keys_command_creates_lists_and_revokes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from api.keys import KeyStore
    from cli import main

    path = tmp_path / "keys.json"
    assert main(["keys", "--keys-file", str(path), "create", "--role", "public", "--label", "website"]) == 0
    secret = capsys.readouterr().out.strip()
    record = KeyStore(path).verify(secret)
    assert secret.startswith("pq_") and record is not None and record.role == "public" and record.label == "website"
    assert main(["keys", "--keys-file", str(path), "list"]) == 0
    listed = capsys.readouterr().out
    assert record.id in listed and "active" in listed and secret not in listed
    assert main(["keys", "--keys-file", str(path), "revoke", record.id]) == 0
    assert KeyStore(path).verify(secret) is None
    assert main(["keys", "--keys-file", str(path), "revoke", "nope"]) == 2
    assert "no API key" in capsys.readouterr().err


def test_a_store_being_written_or_unusable_is_a_clear_409_or_503_never_a_500(staff: Running, monkeypatch: pytest.MonkeyPatch) -> None:
    from qa.store import StoreError

    store = staff.context.assistant.store
    card = {"run_id": "elsewhere-run", "pid": 1, "host": "elsewhere", "command": "ingest", "started": time.time(), "expires": time.time() + 60}
    store.claim_writer(card)  # an ingest on another machine writes the store
    try:
        busy = staff.http.post("/api/v1/plans/reindex", headers=staff.headers(staff.staff_key))
        assert busy.status_code == 409 and "being written by `planqa ingest`" in busy.json()["error"]["message"]
        assert busy.json()["error"]["code"] == "store_busy" and busy.headers["Retry-After"]
    finally:
        store.release_writer("elsewhere-run")

    def damaged(*args: Any, **kwargs: Any) -> None:
        raise StoreError("the store /srv/store is damaged (database disk image is malformed); restore the store from a backup")

    monkeypatch.setattr(store, "query", damaged)
    failed = staff.http.post("/api/v1/search", json={"question": QUESTION, "k": 2})
    assert failed.status_code == 503 and "/srv/store is damaged" in failed.json()["error"]["message"], failed.text
