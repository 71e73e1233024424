"""The 问答 page: the chat, its filters, the actions under each answer and the ``ask`` API endpoint.

The conversation is one dict (:mod:`ui.chat`) kept in a ``gr.State`` and, so that a reload keeps it, in the browser's
own storage (``gr.BrowserState``); with a conversation store (:mod:`ui.conversations`) it is also saved on the server.
The buttons inside an answer are plain HTML: ``ui/assets/actions.js`` (run on load) copies in the browser and sends the
others as ``"<action>:<turn>:<nonce>"`` through the hidden ``#pq-action`` box and ``#pq-action-go`` button.
"""

# No `from __future__ import annotations`: gradio reads the callbacks' annotations at runtime (gr.Request).
from typing import TYPE_CHECKING, Any

from qa.library import Library
from qa.settings import Settings
from ui.chat import Chat, ChatUpdate, LimitExceeded, conversation, new_conversation, title_of
from ui.conversations import ConversationStore, owner_of
from ui.limits import client_key
from ui.render_kb import render_source_html

if TYPE_CHECKING:
    from qa.search.results import Filters
    from qa.service import Assistant

EXAMPLES = (
    "赣州市居民健康素养水平要提高到多少?",
    "泰州市家庭医生签约服务由哪个处室负责?",
    "各地对托育服务的目标分别是什么?",
    "贛州市今年新增托位數多少個?",
    "南京市2023年新增多少托位?",
)
PRIVATE: dict[str, Any] = {"api_visibility": "private"}  # UI events are not API endpoints


def filter_choices(library: Library) -> tuple[list[tuple[str, str]], list[str], list[str]]:
    """Choices of the plan, region and year filters from the stored plans."""
    plans = library.plans()
    plan_choices = sorted(((p.short_title, p.doc_id) for p in plans.values()), key=lambda c: c[1])
    regions = sorted({p.region for p in plans.values() if p.region})
    years = sorted({str(y) for p in plans.values() for y in p.years})
    return plan_choices, regions, years


def make_filters(plans: Any, regions: Any, years: Any) -> "Filters | None":
    from qa.search.results import Filters

    return Filters.of(plans or (), regions or (), [int(y) for y in (years or ())]) or None


_STORES: dict[str, ConversationStore] = {}


def conversation_store(settings: Settings) -> "ConversationStore | None":
    """The server's conversation store (one per file, shared by the staff and public apps), or None where nothing
    is kept on the server (the public demo unless ``public_conversations``)."""
    if settings.public and not settings.public_conversations:
        return None
    key = str(settings.conversations_path.resolve())
    if key not in _STORES:
        _STORES[key] = ConversationStore.for_settings(settings)
    return _STORES[key]


def saved_choices(store: "ConversationStore | None", owner: "str | None") -> list[tuple[str, str]]:
    import datetime as dt

    if store is None or owner is None:
        return []
    return [(f"{s.title} · {dt.datetime.fromtimestamp(s.updated).strftime('%m-%d %H:%M')} · {s.turns} 问", s.id) for s in store.list(owner)]


def download_copy(path: "Any") -> str:
    """A copy of a plan's original file in a temporary folder of its own (Gradio serves files from there), under the
    file's own name."""
    import shutil
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp(prefix="planqa-original-"))
    return str(shutil.copy2(path, folder / Path(path).name))


def chat_page(gr: Any, demo: Any, assistant: "Assistant", library: Library, settings: Settings) -> list[Any]:
    """Build the chat into the current blocks; returns the three filter dropdowns (the 知识库 tab updates them)."""
    chat = Chat(assistant, settings)
    store = conversation_store(settings)
    plan_choices, region_choices, year_choices = filter_choices(library)
    conv_state = gr.State(new_conversation())
    saved = gr.BrowserState(None, storage_key="planqa-staff" if not settings.public else "planqa-public")

    with gr.Row(equal_height=False):
        with gr.Column(scale=4):
            chatbot = gr.Chatbot(
                label="对话", show_label=False, elem_id="pq-chat", height=None, min_height=320, max_height=640, render_markdown=False, latex_delimiters=[],
                sanitize_html=True, buttons=[], feedback_options=None, layout="panel", autoscroll=False,  # actions.js scrolls to the newest turn
                placeholder="就收录的卫生健康规划提问：每个回答都附上所依据的条款原文。",
            )
            with gr.Row():
                # No max_length: the browser would cut a pasted question silently; the chat refuses it visibly.
                question = gr.Textbox(
                    show_label=False, placeholder="输入问题，例如：赣州市居民健康素养水平要提高到多少？",
                    lines=1, scale=6, elem_id="pq-question", autofocus=True,
                )
                ask_button = gr.Button("提问", variant="primary", scale=1, min_width=80, elem_id="pq-ask")
            with gr.Row():
                new_button = gr.Button("新对话", size="sm", elem_id="pq-new")
            with gr.Accordion("原文", open=True, visible=False, elem_id="pq-source-box") as source_box:
                source_view = gr.HTML("", elem_id="pq-source")
                source_file = gr.File(label="原文件（工作人员版）", visible=False, interactive=False, elem_id="pq-source-file")
            action = gr.Textbox(visible="hidden", elem_id="pq-action")
            action_go = gr.Button("执行", visible="hidden", elem_id="pq-action-go")
            gr.Examples([[q] for q in EXAMPLES], inputs=[question], label="示例问题")
        with gr.Column(scale=1, min_width=240):
            gr.HTML('<div class="pq-sources-title">筛选（可选）</div>')
            plan_filter = gr.Dropdown(plan_choices, value=[], multiselect=True, label="规划", elem_id="pq-filter-plan")
            region_filter = gr.Dropdown(region_choices, value=[], multiselect=True, label="地区", elem_id="pq-filter-region")
            year_filter = gr.Dropdown(year_choices, value=[], multiselect=True, label="年份", elem_id="pq-filter-year")
            gr.HTML('<div class="pq-sources-title" style="margin-top:1em">评价回答</div>'
                    '<div class="pq-hint">在回答下方点“有用”或“有误”：这里的说明随那个回答一起保存。</div>')
            comment = gr.Textbox(label="补充说明（可选）", lines=2, max_length=2000, elem_id="pq-comment")
            feedback_status = gr.HTML("", elem_classes="pq-feedback-status", elem_id="pq-feedback-status")
            with gr.Accordion("历史对话", open=False, visible=store is not None, elem_id="pq-history"):
                saved_list = gr.Dropdown([], label="保存在服务器上的对话", value=None, elem_id="pq-history-pick")
                with gr.Row():
                    open_button = gr.Button("打开", size="sm", min_width=50, elem_id="pq-history-open")
                    delete_button = gr.Button("删除", size="sm", min_width=50, variant="stop", elem_id="pq-history-delete")
                new_title = gr.Textbox(label="新名称", max_length=60, elem_id="pq-history-title")
                rename_button = gr.Button("重命名", size="sm", elem_id="pq-history-rename")

    filters = [plan_filter, region_filter, year_filter]
    keep = gr.skip()

    def shown(update: ChatUpdate, clear_comment: bool = False, choices: Any = None) -> tuple:
        return (
            update.messages, update.conv, update.conv, keep if update.question is None else update.question,
            keep if update.status is None else update.status, "" if clear_comment else keep,
            keep if choices is None else gr.update(choices=choices, value=update.conv.get("id")),
        )

    # saved (the browser's storage) with each step, so a reload keeps it; the server's store when a turn is done
    outputs = [chatbot, conv_state, saved, question, feedback_status, comment, saved_list]

    def kept(update: ChatUpdate, request: Any) -> Any:
        """Save a finished turn on the server; the list's new choices (None: nothing kept)."""
        owner = owner_of(request, settings.public)
        if store is None or owner is None or not update.conv["answers"]:
            return None
        update.conv["id"] = store.save(owner, update.conv, title_of(update.conv))
        return saved_choices(store, owner)

    def finished(updates: Any, request: Any, clear: bool = False):  # type: ignore[no-untyped-def]
        last = None
        for update in updates:
            if last is not None:
                yield shown(last)
            last = update
        if last is not None:
            yield shown(last, clear_comment=clear and bool(last.status and "已记录" in last.status), choices=kept(last, request))

    def respond(text: str, conv: dict, plans: list, regions: list, years: list, request: gr.Request):  # type: ignore[no-untyped-def]
        yield from finished(chat.respond(text, conv, make_filters(plans, regions, years), client_key(request)), request)

    def act(name: str, note: str, conv: dict, plans: list, regions: list, years: list, request: gr.Request):  # type: ignore[no-untyped-def]
        if str(name).startswith("source:"):
            yield (*(keep,) * len(outputs), *show_source(name, conv))
            return
        for step in finished(chat.act(name, note, conv, make_filters(plans, regions, years), client_key(request)), request, clear=True):
            yield (*step, keep, keep, keep)

    def show_source(name: str, conv: Any) -> tuple:
        """A card's 原文: the cited clause among its neighbours in the plan; for staff, the original file."""
        _, turn, marker = (str(name).split(":") + ["", ""])[:3]
        answers = conversation(conv)["answers"]
        answer = answers[int(turn)]["answer"] if turn.isdigit() and int(turn) < len(answers) else {}
        cited = next((c for c in answer.get("citations", []) if str(c.get("marker")) == marker), None)
        if cited is None:
            return gr.update(visible=True), '<div class="pq-empty">这个来源已不在对话中。</div>', gr.update(visible=False, value=None)
        chunks, at = library.around(str(cited["doc_id"]), str(cited["path"]))
        original = None if settings.public else library.original(str(cited["doc_id"]))
        html = render_source_html(str(cited.get("title", "")), chunks, at, download=original is not None)
        return gr.update(visible=True), html, gr.update(visible=original is not None, value=download_copy(original) if original else None)

    chat_inputs = [question, conv_state, *filters]
    for event in (question.submit, ask_button.click):
        event(respond, chat_inputs, outputs, **PRIVATE)
    action_go.click(act, [action, comment, conv_state, *filters], [*outputs, source_box, source_view, source_file], **PRIVATE)

    def start_over():  # type: ignore[no-untyped-def]
        conv = new_conversation()  # a new conversation starts without the last one's filters
        return [], conv, "", "", "", conv, [], [], [], gr.update(value=None)

    reset_outputs = [chatbot, conv_state, question, feedback_status, comment, saved, *filters, saved_list]
    new_button.click(start_over, None, reset_outputs, **PRIVATE)
    chatbot.clear(start_over, None, reset_outputs, **PRIVATE)

    def restore(kept_here: Any, request: gr.Request):  # type: ignore[no-untyped-def]
        plans, regions, years = filter_choices(library)  # plans uploaded since the app was built
        conv = conversation(kept_here)
        listed = saved_choices(store, owner_of(request, settings.public))
        return (conv["messages"], conv, gr.update(choices=plans), gr.update(choices=regions), gr.update(choices=years),
                gr.update(choices=listed, value=conv.get("id") if any(conv.get("id") == c[1] for c in listed) else None))

    demo.load(restore, [saved], [chatbot, conv_state, *filters, saved_list], show_progress="hidden", **PRIVATE)

    def reopen(conv_id: Any, request: gr.Request):  # type: ignore[no-untyped-def]
        conv = store.get(owner_of(request, settings.public) or "", str(conv_id or "")) if store else None
        if conv is None:
            return keep, keep, keep, "<span>请先在列表中选择一个对话。</span>"
        conv = conversation(conv)
        return conv["messages"], conv, conv, "<span>已打开保存的对话。</span>"

    def rename(conv_id: Any, title: str, request: gr.Request):  # type: ignore[no-untyped-def]
        owner = owner_of(request, settings.public)
        done = bool(store and owner and store.rename(owner, str(conv_id or ""), title))
        status = "<span>已重命名。</span>" if done else "<span>请选择对话并填写新名称。</span>"
        return gr.update(choices=saved_choices(store, owner), value=conv_id if done else None), ("" if done else keep), status

    def forget(conv_id: Any, conv: dict, request: gr.Request):  # type: ignore[no-untyped-def]
        owner = owner_of(request, settings.public)
        done = bool(store and owner and store.delete(owner, str(conv_id or "")))
        current = conversation(conv)
        if done and current.get("id") == conv_id:
            current.pop("id")  # the open conversation stays on screen; saved again only if it goes on
        return gr.update(choices=saved_choices(store, owner), value=None), current, current, "<span>已删除。</span>" if done else "<span>请先选择对话。</span>"

    open_button.click(reopen, [saved_list], [chatbot, conv_state, saved, feedback_status], **PRIVATE)
    rename_button.click(rename, [saved_list, new_title], [saved_list, new_title, feedback_status], **PRIVATE)
    delete_button.click(forget, [saved_list, conv_state], [saved_list, conv_state, saved, feedback_status], **PRIVATE)

    # The API: POST /gradio_api/run/ask {"data": [question]} -> {"data": [Answer.as_dict()]}
    def ask(question: str, request: gr.Request) -> dict:
        """Answer one question: the answer text, its cited clauses, refusal flag, notices (Answer.as_dict())."""
        try:
            return chat.api_answer(question, client_key(request))
        except LimitExceeded as exc:
            raise gr.Error(str(exc)) from exc

    gr.api(ask, api_name="ask")
    return filters
