"""The real server (``api.server``: the citizens' chat at /, the staff app at /staff) in headless Chromium (Debian's
/usr/bin/chromium, driven by Playwright; tests/browser.py), in staff and public mode on the sample store: citing,
escaping, the knowledge-base tab, public mode and its API. Issue 16's fixes: tests/test_browser_chat.py."""

from __future__ import annotations

from tests.browser import MARKS, ask, assistant, browser, open_page, screenshot, servers  # noqa: F401 - fixtures
from ui.render import DISCLAIMER

pytestmark = MARKS


def test_staff_chat_cites_escapes_and_has_knowledge_base(browser, servers) -> None:
    page, outside, dialogs = open_page(browser, servers["staff"])
    ask(page, "赣州市居民健康素养水平要提高到多少?", 0)
    card = page.locator("#pq-chat .pq-card").first
    assert "一、1." in card.inner_text() and "赣州市2023年卫生健康工作要点" in card.inner_text()
    assert "26%" in card.locator("mark").inner_text()
    marker = page.locator("#pq-chat a.pq-marker").first
    assert page.locator(marker.get_attribute("href")).count() == 1  # [1] links to its card
    assert page.get_by_role("tab", name="知识库").count() == 1
    screenshot(page, "staff")

    evil = "<img src=x onerror=alert(1)> 南京市2023年新增多少托位?"
    ask(page, evil, 1)
    assert page.locator("#pq-chat img").count() == 0
    assert evil in page.locator("#pq-chat .pq-question").last.inner_text()
    assert page.locator("#pq-chat .pq-refused").count() == 1 and "可能相关" in page.locator("#pq-chat .pq-refused").inner_text()
    assert not dialogs and not outside, (dialogs, outside)
    page.context.close()


def test_public_mode_has_chat_only_and_the_api_answers(browser, servers) -> None:
    import httpx

    page, outside, _ = open_page(browser, servers["public"])
    assert page.get_by_role("tab", name="知识库").count() == 0 and page.get_by_text("知识库").count() == 0
    assert page.get_by_text(DISCLAIMER).count() == 1
    ask(page, "泰州市家庭医生签约服务由哪个处室负责?", 0)
    assert "责任处室" in page.locator("#pq-chat .pq-card").first.inner_text()
    screenshot(page, "public")
    assert not outside, outside
    page.context.close()

    reply = httpx.post(servers["public"] + "gradio_api/run/ask", json={"data": ["赣州市居民健康素养水平要提高到多少?"]}, timeout=60)
    result = reply.json()["data"][0]
    assert result["citations"][0]["path_label"] == "一、1." and not result["refused"]
    from gradio_client import Client  # the README's Python example

    result = Client(servers["public"], verbose=False, download_files=False).predict("赣州市居民健康素养水平要提高到多少?", api_name="/ask")
    assert "26%以上" in result["answer"] and result["citations"][0]["label"] == "《赣州市2023年卫生健康工作要点》一、1."
    info = httpx.get(servers["public"] + "gradio_api/info", timeout=30).json()
    assert list(info["named_endpoints"]) == ["/ask"]  # UI events are not API endpoints
