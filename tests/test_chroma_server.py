"""The clause store on a real `chroma run` server (HttpClient): ingest, search, the server going away and back."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from backends import open_store
from qa.ingest.pipeline import Ingestor
from qa.search.hybrid import HybridSearcher
from qa.settings import Settings
from qa.store import StoreError
from tests.test_ingestion import PLAN_A, PLAN_B, CountingEmbeddings

pytestmark = pytest.mark.server

CHROMA = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ChromaServer:
    """`chroma run` on a loopback port with its own data dir; stopped by PID."""

    def __init__(self, data: Path, port: int) -> None:
        self.data, self.port = data, port
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [CHROMA, "run", "--path", str(self.data), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"chroma run exited with {self.process.returncode}") from None
                time.sleep(0.2)
        raise RuntimeError("chroma run did not start listening within 30 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


@pytest.fixture
def server(tmp_path: Path):
    if not Path(CHROMA).exists():
        pytest.skip("the chroma CLI (ships with chromadb) is not installed")
    srv = ChromaServer(tmp_path / "chroma-data", free_port())
    srv.start()
    yield srv
    srv.stop()


def http_settings(server: ChromaServer) -> Settings:
    return Settings.load({"chroma_mode": "http", "chroma_host": "127.0.0.1", "chroma_port": server.port}, env={})


@pytest.fixture
def plans(tmp_path: Path) -> Path:
    folder = tmp_path / "plans"
    folder.mkdir()
    (folder / "city-2024.txt").write_text(PLAN_A, encoding="utf-8")
    (folder / "county-2024.txt").write_text(PLAN_B, encoding="utf-8")
    return folder


def test_ingest_and_search_through_a_chroma_server(server, plans):
    settings, emb = http_settings(server), CountingEmbeddings()
    store = open_store(settings, emb.model_id)
    report = Ingestor(settings, store, emb).run([plans])
    assert [r.status for r in report.results] == ["new", "new"]
    searcher = HybridSearcher(open_store(settings, emb.model_id), emb)  # a second "app process"
    result = searcher.search("新增托位", k=3)
    assert (result.hits[0].doc_id, result.hits[0].path_label) == ("city-2024", "二、3.")
    assert result.hits[0].lexical_rank == 1
    # Another process changes the store: the lexical index follows on the next search.
    (plans / "county-2024.txt").write_text(PLAN_B + "(三)新增托位1200个。\n", encoding="utf-8")
    Ingestor(settings, store, emb).run([plans])
    texts = [h.text for h in searcher.search("新增托位1200个", k=3).hits]
    assert "(三)新增托位1200个。" in texts


def test_server_going_away_gives_a_clear_error_and_the_next_call_reconnects(server, plans):
    settings, emb = http_settings(server), CountingEmbeddings()
    store = open_store(settings, emb.model_id)
    Ingestor(settings, store, emb).run([plans])
    server.stop()
    with pytest.raises(StoreError, match="did not answer|unavailable|cannot reach"):
        store.documents()
    server.start()  # same data dir, same port
    assert set(store.documents()) == {"city-2024", "county-2024"}


def test_unreachable_server_is_reported_with_what_to_do():
    settings = Settings.load({"chroma_mode": "http", "chroma_host": "127.0.0.1", "chroma_port": free_port()}, env={})
    with pytest.raises(StoreError, match="chroma run"):
        open_store(settings, "fake-16").documents()


def test_the_app_answers_over_a_chroma_server_and_follows_its_changes(server, plans, tmp_path):
    """The Gradio app in http mode: its /ask API answers from the server's store, and sees another process's ingest."""
    import httpx

    from qa.service import Assistant
    from ui.blocks import build_app, serve

    settings = http_settings(server).replace(
        public=True, app_port=free_port(), feedback_path=tmp_path / "feedback.jsonl", upload_dir=tmp_path / "uploads"
    )
    emb = CountingEmbeddings()
    writer = open_store(settings, emb.model_id)
    Ingestor(settings, writer, emb).run([plans])
    demo = build_app(Assistant(settings, open_store(settings, emb.model_id), emb), settings)
    serve(demo, settings, prevent_thread_lock=True, quiet=True)
    url = f"http://127.0.0.1:{settings.app_port}/gradio_api/run/ask"
    try:
        result = httpx.post(url, json={"data": ["新增托位多少个?"]}, timeout=60).json()["data"][0]
        top = result["retrieved"][0]
        assert (top["doc_id"], top["path_label"]) == ("city-2024", "二、3.")
        (plans / "county-2024.txt").write_text(PLAN_B + "(三)新增托位1200个。\n", encoding="utf-8")
        Ingestor(settings, writer, emb).run([plans])
        result = httpx.post(url, json={"data": ["新增托位1200个"]}, timeout=60).json()["data"][0]
        assert "(三)新增托位1200个。" in [hit["text"] for hit in result["retrieved"][:3]]
    finally:
        demo.close()
