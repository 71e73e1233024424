"""The Gradio app: the chat (both modes) and, in staff mode, the 知识库 tab. ``planqa serve`` (or ``python app.py``)
mounts it in one ASGI server beside the HTTP API (:mod:`api.server`): the citizens' chat at ``/``, this staff app at
``/staff``.

The pages are built by :mod:`ui.chat_page` (问答) and :mod:`ui.kb_page` (知识库); their callbacks only call the
:class:`~qa.service.Assistant`, the :class:`~ui.chat.Chat` controller and the :class:`~qa.library.Library`; every
piece of HTML comes from :mod:`ui.render`. Gradio is imported lazily, after
``GRADIO_ANALYTICS_ENABLED=False`` is set, so importing this module costs nothing and nothing phones home.
"""

# No `from __future__ import annotations` here: gradio reads the callbacks' annotations at runtime (a
# ``gr.Request`` parameter is injected, the ``ask`` API needs real type hints).
import os
from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from qa.library import Library
from qa.settings import Settings
from ui.chat_page import chat_page, filter_choices, make_filters  # noqa: F401 - make_filters, filter_choices: used by tests
from ui.kb_page import knowledge_page
from ui.render import TITLE, header_html

if TYPE_CHECKING:
    import gradio as gr

    from qa.service import Assistant

CJK_FONTS = ["Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "system-ui", "sans-serif"]
MONO_FONTS = ["Noto Sans Mono CJK SC", "ui-monospace", "monospace"]


@cache
def asset(name: str) -> str:
    """The text of ``ui/assets/<name>`` (``style.css``: the app's CSS; ``actions.js``: the answers' buttons and
    scrolling to the newest turn, run on load)."""
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


def build_app(assistant: "Assistant", settings: Settings) -> "gr.Blocks":
    """The chat (both modes) and, in staff mode, the knowledge-base tab. Launch with :func:`serve`."""
    gr = _gradio()
    library = Library(assistant, settings)
    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        gr.HTML(header_html(settings, assistant.answerer_name))
        if settings.public:  # one page, no tab strip, nothing but the chat
            chat_page(gr, demo, assistant, library, settings)
        else:
            with gr.Tabs():
                with gr.Tab("问答", id="chat"):
                    filters = chat_page(gr, demo, assistant, library, settings)
                with gr.Tab("知识库", id="kb", elem_id="pq-kb-tab"):
                    knowledge_page(gr, demo, assistant, library, settings, filters)
    return demo


def mount_options(settings: Settings) -> dict[str, Any]:
    """How the app is shown, wherever it is served: theme, CSS, upload size limit, footer, errors kept private."""
    return {
        "theme": theme(),
        "css": asset("style.css"),
        "js": asset("actions.js"),
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
