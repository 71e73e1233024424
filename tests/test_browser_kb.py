"""The 知识库 tab in a real browser (tests/browser.py): uploads file by file with each result, a plan's status,
editing its inferred metadata, deleting it, and the staff's view of the chat's feedback exported as gold-set JSONL
that eval/check_gold.py accepts."""

from __future__ import annotations

import json

from tests.browser import MARKS, ask, assistant, browser, open_page, servers  # noqa: F401 - fixtures
from tests.test_browser_chat import GANZHOU, LOST_PLAN, pick

pytestmark = MARKS


def test_upload_status_metadata_and_delete(browser, servers, assistant, tmp_path) -> None:
    from playwright.sync_api import expect

    page, _, _ = open_page(browser, servers["staff"])
    page.get_by_role("tab", name="知识库").click()
    good = tmp_path / "shiyan-2024.txt"
    good.write_text(LOST_PLAN, encoding="utf-8")
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"no pdf here " * 30)
    page.set_input_files("#pq-kb-tab input[type=file]", [str(good), str(bad)])
    page.get_by_role("button", name="上传并入库").click()
    page.wait_for_selector("#pq-kb-status .pq-notice:has-text('broken.pdf：不是')")  # the last file's result: every file reported
    assert page.locator("#pq-kb-status :text('正在入库')").count() == 0
    status = page.locator("#pq-kb-status").inner_text()
    assert "shiyan-2024.txt" in status and "新增" in status and "broken.pdf：不是 PDF 文件" in status
    assert "not a PDF" not in status and "encoding round trip" not in status

    pick(page, "pq-plan-pick", "试验县")
    page.wait_for_selector("#pq-plan-status :text('条条款')")
    plan = page.locator("#pq-plan-status").inner_text()
    assert "shiyan-2024" in plan and "最近入库" in plan and "编码转换中丢失" in plan  # the notes, in Chinese

    page.get_by_text("更正元数据（重新入库后仍然有效）").click()
    title = page.locator("#pq-meta-title textarea, #pq-meta-title input")
    # the field mounts when the accordion opens, holding what the pick filled in: typing before that is overwritten
    expect(title).to_have_value("试验县2024年托育服务工作要点")
    title.fill("试验县2024年托育服务工作要点（更正）")
    expect(title).to_have_value("试验县2024年托育服务工作要点（更正）")
    page.click("#pq-meta-save")
    page.wait_for_selector("#pq-kb-status :text('元数据已更正')")
    assert assistant.store.documents()["shiyan-2024"].metadata["title"] == "试验县2024年托育服务工作要点（更正）"  # re-ingested with it

    page.get_by_label("确认删除所选规划").check()
    page.get_by_role("button", name="删除规划").click()
    page.wait_for_selector("#pq-kb-status :text('已删除 shiyan-2024')")
    assert page.locator("#pq-kb-tab table code:text('shiyan-2024')").count() == 0  # gone from the plan list
    page.context.close()


def test_feedback_view_and_gold_export(browser, servers, tmp_path) -> None:
    from eval.check_gold import check, load_gold, load_plans

    page, _, _ = open_page(browser, servers["staff"])
    ask(page, GANZHOU, 0)
    page.fill("#pq-comment textarea", "准确")
    page.locator("#pq-chat .pq-answer").last.locator(".pq-act-useful").click()
    page.wait_for_selector("#pq-feedback-status:has-text('已记录')")
    page.get_by_role("tab", name="知识库").click()
    page.get_by_text("用户反馈").click()
    page.click("#pq-feedback-refresh")
    page.wait_for_selector(f"#pq-feedback-table :text('{GANZHOU}')")
    assert "有用" in page.locator("#pq-feedback-table").inner_text() and "准确" in page.locator("#pq-feedback-table").inner_text()
    page.click("#pq-feedback-export")
    link = page.locator("#pq-gold-file a[href*='gold_from_feedback.jsonl']")
    link.wait_for()
    exported = tmp_path / "gold.jsonl"
    exported.write_text(page.request.get(link.get_attribute("href")).text(), encoding="utf-8")
    items = load_gold(exported)
    assert any(i.question == GANZHOU and i.category == "number" for i in items)
    assert check(items, load_plans()) == []
    assert json.loads(exported.read_text(encoding="utf-8").splitlines()[0])["id"].startswith("fb-")
    page.context.close()
