"""The Gradio app: the chat (both modes) and, in staff mode, the 知识库 tab. ``planqa serve`` (or ``python app.py``)
mounts it in one ASGI server beside the HTTP API (:mod:`api.server`): the citizens' chat at ``/``, this staff app at
``/staff``.

Callbacks only call the :class:`~qa.service.Assistant`, the :class:`~ui.chat.Chat` controller and the
:class:`~qa.library.Library`; every piece of HTML comes from :mod:`ui.render`. Gradio is imported lazily, after
``GRADIO_ANALYTICS_ENABLED=False`` is set, so importing this module costs nothing and nothing phones home.
"""

# No `from __future__ import annotations` here: gradio reads the callbacks' annotations at runtime (a
# ``gr.Request`` parameter is injected, the ``ask`` API needs real type hints).
import os
from collections.abc import Mapping, Sequence
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.library import UPLOAD_SUFFIXES, Library
from qa.settings import Settings
from qa.store import StoreError
from ui.chat import KEEP, Chat, ChatUpdate, LimitExceeded
from ui.limits import client_key
from ui.render import TITLE, esc, header_html, render_clause_tree_html, render_hits_html, render_plans_html, render_report_html

if TYPE_CHECKING:
    import gradio as gr

    from qa.search.results import Filters
    from qa.service import Assistant

EXAMPLES = (
    "赣州市居民健康素养水平要提高到多少?",
    "泰州市家庭医生签约服务由哪个处室负责?",
    "各地对托育服务的目标分别是什么?",
    "贛州市今年新增托位數多少個?",
    "南京市2023年新增多少托位?",
)
CJK_FONTS = ["Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "system-ui", "sans-serif"]
MONO_FONTS = ["Noto Sans Mono CJK SC", "ui-monospace", "monospace"]


@cache
def asset(name: str) -> str:
    """The text of ``ui/assets/<name>`` (``style.css``: the app's CSS; ``copy.js``: what 复制回答 runs)."""
    return files("ui").joinpath("assets", name).read_text(encoding="utf-8")


def _gradio() -> Any:
    """Import gradio with analytics off (no version check or telemetry request)."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    import gradio

    return gradio


def theme() -> Any:
    """System CJK fonts (the default themes fetch Google Fonts, which an offline browser cannot reach)."""
    gr = _gradio()
    return gr.themes.Soft(primary_hue="teal", neutral_hue="slate", font=CJK_FONTS, font_mono=MONO_FONTS)


def filter_choices(library: Library) -> tuple[list[tuple[str, str]], list[str], list[str]]:
    """Choices of the plan, region and year filters from the stored plans."""
    plans = library.plans()
    plan_choices = sorted(((p.short_title, p.doc_id) for p in plans.values()), key=lambda c: c[1])
    regions = sorted({p.region for p in plans.values() if p.region})
    years = sorted({str(y) for p in plans.values() for y in p.years})
    return plan_choices, regions, years


def make_filters(plans: Sequence[str] | None, regions: Sequence[str] | None, years: Sequence[str] | None) -> "Filters | None":
    from qa.search.results import Filters

    return Filters.of(plans or (), regions or (), [int(y) for y in (years or ())]) or None


def build_app(assistant: "Assistant", settings: Settings) -> "gr.Blocks":
    """The chat (both modes) and, in staff mode, the knowledge-base tab. Launch with :func:`serve`."""
    gr = _gradio()
    library = Library(assistant, settings)
    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        gr.HTML(header_html(settings, assistant.answerer_name))
        if settings.public:  # one page, no tab strip, nothing but the chat
            _chat_page(gr, demo, assistant, library, settings)
        else:
            with gr.Tabs():
                with gr.Tab("问答", id="chat"):
                    filters = _chat_page(gr, demo, assistant, library, settings)
                with gr.Tab("知识库", id="kb", elem_id="pq-kb-tab"):
                    _knowledge_page(gr, assistant, library, settings, filters)
    return demo


def _chat_page(gr: Any, demo: Any, assistant: "Assistant", library: Library, settings: Settings) -> list[Any]:
    """The chat, its filters and feedback, and the ``ask`` API endpoint; returns the three filter dropdowns."""
    chat = Chat(assistant, settings)
    private: dict[str, Any] = {"api_visibility": "private"}  # UI events are not API endpoints
    plan_choices, region_choices, year_choices = filter_choices(library)
    messages_state = gr.State([])  # the chat as rendered: [{"role", "content"}]
    history_state = gr.State([])  # [(question, answer text)] for follow-up questions
    last_answer = gr.State(None)  # Answer.as_dict() of the latest answer, for feedback
    feedback_given = gr.State(False)

    with gr.Row(equal_height=False):
        with gr.Column(scale=4):
            chatbot = gr.Chatbot(
                label="对话", show_label=False, elem_id="pq-chat", height=None, min_height=320, max_height=640, render_markdown=False, latex_delimiters=[],
                sanitize_html=True, buttons=[], feedback_options=None, layout="panel",
                placeholder="就收录的卫生健康规划提问：每个回答都附上所依据的条款原文。",
            )
            with gr.Row():
                question = gr.Textbox(
                    show_label=False, placeholder="输入问题，例如：赣州市居民健康素养水平要提高到多少？",
                    max_length=settings.max_question_chars, lines=1, scale=6, elem_id="pq-question", autofocus=True,
                )
                ask_button = gr.Button("提问", variant="primary", scale=1, min_width=80, elem_id="pq-ask")
            with gr.Row():
                new_button = gr.Button("新对话", size="sm", elem_id="pq-new")
                copy_button = gr.Button("复制回答", size="sm", elem_id="pq-copy")
            plain_answer = gr.Textbox(visible="hidden", elem_id="pq-plain")
            gr.Examples([[q] for q in EXAMPLES], inputs=[question], label="示例问题")
        with gr.Column(scale=1, min_width=240):
            gr.HTML('<div class="pq-sources-title">筛选（可选）</div>')
            plan_filter = gr.Dropdown(plan_choices, value=[], multiselect=True, label="规划", elem_id="pq-filter-plan")
            region_filter = gr.Dropdown(region_choices, value=[], multiselect=True, label="地区")
            year_filter = gr.Dropdown(year_choices, value=[], multiselect=True, label="年份")
            gr.HTML('<div class="pq-sources-title" style="margin-top:1em">评价最新回答</div>')
            comment = gr.Textbox(label="补充说明（可选）", lines=2, max_length=2000)
            with gr.Row():
                useful_button = gr.Button("有用", size="sm", min_width=60, elem_id="pq-useful")
                wrong_button = gr.Button("有误", size="sm", min_width=60, elem_id="pq-wrong")
            feedback_status = gr.HTML("", elem_classes="pq-feedback-status")

    def outputs(update: ChatUpdate) -> tuple:
        keep = gr.skip()
        return (
            update.messages, update.messages, keep if update.question is None else update.question, update.history,
            keep if update.answer is KEEP else update.answer, keep if update.plain is None else update.plain,
            keep if update.status is None else update.status, keep if update.given is None else update.given,
        )

    def respond(text: str, messages: list, history: list, plans: list, regions: list, years: list, request: gr.Request):  # type: ignore[no-untyped-def]
        for update in chat.respond(text, messages, history, make_filters(plans, regions, years), client_key(request)):
            yield outputs(update)

    chat_inputs = [question, messages_state, history_state, plan_filter, region_filter, year_filter]
    chat_outputs = [chatbot, messages_state, question, history_state, last_answer, plain_answer, feedback_status, feedback_given]
    question.submit(respond, chat_inputs, chat_outputs, **private)
    ask_button.click(respond, chat_inputs, chat_outputs, **private)

    def new_conversation():  # type: ignore[no-untyped-def]
        return [], [], "", [], None, "", "", False, ""

    reset_outputs = [chatbot, messages_state, question, history_state, last_answer, plain_answer, feedback_status, feedback_given, comment]
    new_button.click(new_conversation, None, reset_outputs, **private)
    chatbot.clear(new_conversation, None, reset_outputs, **private)
    copy_button.click(None, [plain_answer], None, js=asset("copy.js"), **private)

    def useful(note: str, answer: dict | None, given: bool, request: gr.Request):  # type: ignore[no-untyped-def]
        return chat.feedback("useful", note, answer, given, client_key(request))

    def wrong(note: str, answer: dict | None, given: bool, request: gr.Request):  # type: ignore[no-untyped-def]
        return chat.feedback("wrong", note, answer, given, client_key(request))

    useful_button.click(useful, [comment, last_answer, feedback_given], [feedback_status, comment, feedback_given], **private)
    wrong_button.click(wrong, [comment, last_answer, feedback_given], [feedback_status, comment, feedback_given], **private)

    filters = [plan_filter, region_filter, year_filter]

    def refresh_filters():  # type: ignore[no-untyped-def]
        return tuple(gr.update(choices=c) for c in filter_choices(library))

    demo.load(refresh_filters, None, filters, show_progress="hidden", **private)  # plans uploaded since the app was built

    # The API: POST /gradio_api/run/ask {"data": [question]} -> {"data": [Answer.as_dict()]}
    def ask(question: str, request: gr.Request) -> dict:
        """Answer one question: the answer text, its cited clauses, refusal flag, notices (Answer.as_dict())."""
        try:
            return chat.api_answer(question, client_key(request))
        except LimitExceeded as exc:
            raise gr.Error(str(exc)) from exc

    gr.api(ask, api_name="ask")
    return filters


def _knowledge_page(gr: Any, assistant: "Assistant", library: Library, settings: Settings, filters: list[Any]) -> None:
    """Staff only: the plan list, upload, re-index, delete, clause tree and 命中测试."""
    plan_choices, _, _ = filter_choices(library)
    private: dict[str, Any] = {"api_visibility": "private"}
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
    kb_status = gr.HTML("")
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
    with gr.Accordion("条款树", open=True):
        tree = gr.HTML('<div class="pq-empty">选择规划后点“查看条款树”。</div>')

    views = [plans_table, plan_pick, *filters]

    def refreshed() -> tuple:
        plans, regions, years = filter_choices(library)
        return (render_plans_html(library.rows()), gr.update(choices=plans), gr.update(choices=plans), gr.update(choices=regions), gr.update(choices=years))

    def store_notice(exc: StoreError) -> str:  # the store is damaged, locked, full, read-only or being written: said plainly
        return f'<div class="pq-notice">知识库暂不能写入：{esc(str(exc))}</div>'

    def do_upload(files: list | None):  # type: ignore[no-untyped-def]
        if not files:
            return ('<div class="pq-empty">请先选择文件。</div>', *refreshed())
        try:
            report, problems = library.upload([(_original_name(f), Path(_file_path(f))) for f in files])
        except StoreError as exc:
            return (store_notice(exc), *refreshed())
        return (render_report_html(report, problems), *refreshed())

    def do_reindex():  # type: ignore[no-untyped-def]
        try:
            return (render_report_html(library.reindex()), *refreshed())
        except StoreError as exc:
            return (store_notice(exc), *refreshed())

    def do_delete(doc_id: str | None, confirmed: bool):  # type: ignore[no-untyped-def]
        if not doc_id:
            message = '<div class="pq-empty">请先选择规划。</div>'
        elif not confirmed:
            message = '<div class="pq-notice">请勾选“确认删除所选规划”后再删除。</div>'
        else:
            try:
                message = f"<div>{esc(library.delete(doc_id))}</div>"
            except StoreError as exc:
                message = store_notice(exc)
        return (message, False, *refreshed())

    def do_view(doc_id: str | None):  # type: ignore[no-untyped-def]
        if not doc_id:
            return '<div class="pq-empty">请先选择规划。</div>'
        return render_clause_tree_html(library.title_of(doc_id), library.clauses(doc_id))

    def do_pick(doc_id: str | None):  # type: ignore[no-untyped-def]
        meta = library.metadata(doc_id) if doc_id else {"title": "", "issuer": "", "region": "", "years": ""}
        return meta["title"], meta["issuer"], meta["region"], meta["years"]

    def do_correct(doc_id: str | None, title: str, issuer: str, region: str, years: str):  # type: ignore[no-untyped-def]
        if not doc_id:
            return ('<div class="pq-empty">请先选择规划。</div>', *refreshed())
        try:
            report = library.correct(doc_id, title=title.strip() or None, issuer=issuer.strip() or None, region=region.strip() or None, years=years.strip() or None)
        except StoreError as exc:
            return (store_notice(exc), *refreshed())
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
    plan_pick.change(do_pick, [plan_pick], [meta_title, meta_issuer, meta_region, meta_years], **private)
    meta_button.click(do_correct, [plan_pick, meta_title, meta_issuer, meta_region, meta_years], [kb_status, *views], **one_at_a_time)
    probe_inputs = [probe, probe_k, *filters]
    probe_button.click(do_probe, probe_inputs, [hits], **private)
    probe.submit(do_probe, probe_inputs, [hits], **private)


def _file_path(f: Any) -> str:
    return str(getattr(f, "path", None) or getattr(f, "name", None) or f)


def _original_name(f: Any) -> str:
    """The name the user's file had (Gradio keeps it as the temp file's name; ``orig_name`` when given)."""
    return str(getattr(f, "orig_name", None) or Path(_file_path(f)).name)


def mount_options(settings: Settings) -> dict[str, Any]:
    """How the app is shown, wherever it is served: theme, CSS, upload size limit, footer, errors kept private."""
    return {
        "theme": theme(),
        "css": asset("style.css"),
        "max_file_size": int(settings.max_file_mb * 1024 * 1024),
        "footer_links": ["api"],
        "show_error": False,
    }


def queue(demo: "gr.Blocks", settings: Settings) -> "gr.Blocks":
    """Gradio's queue for ``demo``: ``max_concurrency`` events at a time (the server's answer gate bounds the total)."""
    return demo.queue(default_concurrency_limit=max(1, settings.max_concurrency), max_size=max(16, settings.max_concurrency * 16))


def serve(demo: "gr.Blocks", settings: Settings, users: Mapping[str, str] | None = None, **launch: Any) -> Any:
    """Launch ``demo`` alone with Gradio's own server (tests and experiments; ``planqa serve`` runs
    :func:`api.server.run`, which mounts the app beside the HTTP API)."""
    from ui.auth import authenticator

    queue(demo, settings)
    options: dict[str, Any] = {"server_name": settings.app_host, "server_port": settings.app_port, **mount_options(settings)}
    if users and not settings.public:
        options["auth"] = authenticator(users)
        options["auth_message"] = "PlanQA 工作人员登录"
    options.update(launch)
    return demo.launch(**options)
