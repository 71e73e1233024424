"""The 知识库 tab (staff only): the plan list and each plan's status, upload (file by file, each result shown as it
comes), re-index, delete, metadata corrections, the clause tree, 命中测试, and the chat's feedback with its export
as gold-set JSONL. Callbacks call only the :class:`~qa.library.Library` and the assistant's search.
"""

# No `from __future__ import annotations`: gradio reads the callbacks' annotations at runtime.
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.library import UPLOAD_SUFFIXES, Library
from qa.settings import Settings
from qa.store import StoreError
from ui.chat_page import PRIVATE, filter_choices, make_filters
from ui.feedback import gold_jsonl, read_feedback
from ui.render import esc
from ui.render_kb import (
    render_clause_tree_html,
    render_feedback_html,
    render_hits_html,
    render_plans_html,
    render_report_html,
    render_status_html,
    render_store_notice_html,
)

if TYPE_CHECKING:
    from qa.service import Assistant


def knowledge_page(gr: Any, demo: Any, assistant: "Assistant", library: Library, settings: Settings, filters: list[Any]) -> None:
    """Staff only: the plan list, upload, re-index, delete, clause tree and 命中测试."""
    plan_choices, _, _ = filter_choices(library)
    private = PRIVATE
    plans_table = gr.HTML(render_plans_html(library.rows()))
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            uploads = gr.File(
                label=f"上传规划（{' / '.join(UPLOAD_SUFFIXES)}，每个不超过 {settings.max_file_mb:g} MB）",
                file_count="multiple", file_types=list(UPLOAD_SUFFIXES), type="filepath", height=140,
            )
            with gr.Row():
                upload_button = gr.Button("上传并入库", variant="primary")
                reindex_button = gr.Button("重新索引")
        with gr.Column(scale=2, min_width=240):
            plan_pick = gr.Dropdown(plan_choices, label="规划", value=None, elem_id="pq-plan-pick")
            with gr.Row():
                view_button = gr.Button("查看条款树", elem_id="pq-view")
                delete_button = gr.Button("删除规划", variant="stop")
            confirm = gr.Checkbox(label="确认删除所选规划", value=False)
    kb_status = gr.HTML("", elem_id="pq-kb-status")
    plan_status = gr.HTML(render_status_html({}), elem_id="pq-plan-status")
    with gr.Accordion("更正元数据（重新入库后仍然有效）", open=False):
        with gr.Row():
            meta_title = gr.Textbox(label="标题", scale=3, elem_id="pq-meta-title")
            meta_issuer = gr.Textbox(label="发布机构", scale=2, elem_id="pq-meta-issuer")
            meta_region = gr.Textbox(label="地区", scale=2, elem_id="pq-meta-region")
            meta_years = gr.Textbox(label="年份（如 2019-2030）", scale=1, elem_id="pq-meta-years")
        meta_button = gr.Button("保存更正并重新入库", elem_id="pq-meta-save")
    with gr.Accordion("命中测试", open=True):
        with gr.Row():
            probe = gr.Textbox(label="检索问题", scale=5, max_length=settings.max_question_chars, elem_id="pq-probe")
            probe_k = gr.Slider(1, 30, value=10, step=1, label="返回条数", scale=2)
            probe_button = gr.Button("检索", scale=1, elem_id="pq-probe-go")
        hits = gr.HTML("")
    with gr.Accordion("用户反馈", open=False, elem_id="pq-feedback-view"):
        feedback_table = gr.HTML("", elem_id="pq-feedback-table")
        with gr.Row():
            feedback_refresh = gr.Button("刷新反馈", size="sm", elem_id="pq-feedback-refresh")
            export_button = gr.Button("导出为金标准 JSONL（有用的回答）", size="sm", elem_id="pq-feedback-export")
        export_file = gr.File(label="金标准候选（eval/gold.jsonl 的格式，可用 eval/check_gold.py 检查）", visible=False, interactive=False, elem_id="pq-gold-file")
    with gr.Accordion("条款树", open=True):
        tree = gr.HTML('<div class="pq-empty">选择规划后点“查看条款树”。</div>')

    views = [plans_table, plan_pick, *filters]

    def refreshed() -> tuple:
        plans, regions, years = filter_choices(library)
        return (render_plans_html(library.rows()), gr.update(choices=plans), gr.update(choices=plans), gr.update(choices=regions), gr.update(choices=years))

    def do_upload(files: list | None):  # type: ignore[no-untyped-def]
        """One file at a time, so the table shows each file's result as soon as it is in (upload progress per file)."""
        if not files:
            yield ('<div class="pq-empty">请先选择文件。</div>', *refreshed())
            return
        from qa.ingest.pipeline import IngestReport

        total, problems = IngestReport(), []
        for number, f in enumerate(files, start=1):
            pending = f'<div class="pq-notice">正在入库 {number}/{len(files)}：{esc(_original_name(f))}</div>'
            yield (pending + render_report_html(total, problems), *(gr.skip(),) * 5)
            try:
                report, trouble = library.upload([(_original_name(f), Path(_file_path(f)))])
            except StoreError as exc:  # the store cannot be written now: the files not yet in stay out, said so
                yield (render_store_notice_html(exc) + render_report_html(total, problems), *refreshed())
                return
            total.results += report.results
            total.seconds += report.seconds
            problems += trouble
        yield (render_report_html(total, problems), *refreshed())

    def do_reindex():  # type: ignore[no-untyped-def]
        try:
            return (render_report_html(library.reindex()), *refreshed())
        except StoreError as exc:
            return (render_store_notice_html(exc), *refreshed())

    def do_delete(doc_id: str | None, confirmed: bool):  # type: ignore[no-untyped-def]
        if not doc_id:
            message = '<div class="pq-empty">请先选择规划。</div>'
        elif not confirmed:
            message = '<div class="pq-notice">请勾选“确认删除所选规划”后再删除。</div>'
        else:
            try:
                message = f"<div>{esc(library.delete(doc_id))}</div>"
            except StoreError as exc:
                message = render_store_notice_html(exc)
        return (message, False, *refreshed())

    def do_view(doc_id: str | None):  # type: ignore[no-untyped-def]
        if not doc_id:
            return '<div class="pq-empty">请先选择规划。</div>'
        return render_clause_tree_html(library.title_of(doc_id), library.clauses(doc_id))

    def do_pick(doc_id: str | None):  # type: ignore[no-untyped-def]
        meta = library.metadata(doc_id) if doc_id else {"title": "", "issuer": "", "region": "", "years": ""}
        return meta["title"], meta["issuer"], meta["region"], meta["years"], render_status_html(library.status(doc_id) if doc_id else {})

    def show_feedback():  # type: ignore[no-untyped-def]
        return render_feedback_html(read_feedback(settings.feedback_path))

    def export_gold():  # type: ignore[no-untyped-def]
        import tempfile

        text = gold_jsonl(read_feedback(settings.feedback_path))
        if not text:
            return gr.update(visible=False, value=None), '<div class="pq-empty">还没有“有用”的反馈可导出。</div>'
        folder = Path(tempfile.mkdtemp(prefix="planqa-gold-"))
        (folder / "gold_from_feedback.jsonl").write_text(text, encoding="utf-8")
        return gr.update(visible=True, value=str(folder / "gold_from_feedback.jsonl")), show_feedback()

    def do_correct(doc_id: str | None, title: str, issuer: str, region: str, years: str):  # type: ignore[no-untyped-def]
        if not doc_id:
            return ('<div class="pq-empty">请先选择规划。</div>', *refreshed())
        try:
            report = library.correct(doc_id, title=title.strip() or None, issuer=issuer.strip() or None, region=region.strip() or None, years=years.strip() or None)
        except StoreError as exc:
            return (render_store_notice_html(exc), *refreshed())
        except (KeyError, ValueError) as exc:
            return (f'<div class="pq-notice">{esc(str(exc).strip(chr(39)))}</div>', *refreshed())
        return (render_report_html(report, ["元数据已更正：之后每次入库都会沿用。"]), *refreshed())

    def do_probe(text: str, k: float, plans: list, regions: list, years: list):  # type: ignore[no-untyped-def]
        if not (text or "").strip():
            return '<div class="pq-empty">请输入检索问题。</div>'
        return render_hits_html(assistant.search(text, k=int(k), filters=make_filters(plans, regions, years)))

    one_at_a_time = {"concurrency_limit": 1, "concurrency_id": "knowledge-base", **private}
    upload_button.click(do_upload, [uploads], [kb_status, *views], **one_at_a_time)
    reindex_button.click(do_reindex, None, [kb_status, *views], **one_at_a_time)
    delete_button.click(do_delete, [plan_pick, confirm], [kb_status, confirm, *views], **one_at_a_time)
    view_button.click(do_view, [plan_pick], [tree], **private)
    plan_pick.change(do_pick, [plan_pick], [meta_title, meta_issuer, meta_region, meta_years, plan_status], **private)
    feedback_refresh.click(show_feedback, None, [feedback_table], **private)
    export_button.click(export_gold, None, [export_file, feedback_table], **private)
    meta_button.click(do_correct, [plan_pick, meta_title, meta_issuer, meta_region, meta_years], [kb_status, *views], **one_at_a_time)
    probe_inputs = [probe, probe_k, *filters]
    probe_button.click(do_probe, probe_inputs, [hits], **private)
    probe.submit(do_probe, probe_inputs, [hits], **private)

    def fresh():  # type: ignore[no-untyped-def]
        return refreshed()[:2]

    # The list and the picker as the store is now, at every page load (they were built when the server started).
    demo.load(fresh, None, [plans_table, plan_pick], show_progress="hidden", **private)
    demo.load(show_feedback, None, [feedback_table], show_progress="hidden", **private)


def _file_path(f: Any) -> str:
    return str(getattr(f, "path", None) or getattr(f, "name", None) or f)


def _original_name(f: Any) -> str:
    """The name the user's file had (Gradio keeps it as the temp file's name; ``orig_name`` when given)."""
    return str(getattr(f, "orig_name", None) or Path(_file_path(f)).name)
