"""The chat's HTML (answers, cards, messages, the page's header) and the escaping every view uses; the knowledge-base
views are in :mod:`ui.render_kb`. Pure functions of answers, clauses, plans and reports. All plan and user text
goes through :func:`esc`, so nothing in a plan or a question can add markup, Markdown or a link. No gradio here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from qa.answer.answers import Answer, Citation
from qa.settings import Settings
from qa.text import CITATION_MARKER, split_after_ends

if TYPE_CHECKING:
    from qa.search.results import Filters

TITLE = "PlanQA 卫生健康规划问答"
DISCLAIMER = "回答仅摘录所收录的规划文件原文，不构成官方解释。"
# Gradio translates its own widgets (the upload box's 拖放文件至此处, 清空 …) into the browser's language, read from
# navigator.language when the page starts. The app is Chinese whatever that is: the server puts this at the head of
# each page's HTML (api.server.Edge), before Gradio's scripts, so Gradio's own zh-CN translations are chosen.
LOCALE_SCRIPT = (
    "<script>try{Object.defineProperty(navigator,'language',{get:()=>'zh-CN',configurable:true});"
    "Object.defineProperty(navigator,'languages',{get:()=>['zh-CN','zh'],configurable:true});}catch(e){}</script>"
)


# ------------------------------------------------------------------------------------------ escaping

# Markdown/LaTeX punctuation becomes a character reference too, so text stays text even in a Markdown renderer.
# One table, applied in one pass: escaping the HTML first and the '#' afterwards turned html.escape's &#x27; into
# &&#35;x27;, which the browser shows as the literal "&#x27;" (issue 16).
_INERT = {ord(ch): f"&#{ord(ch)};" for ch in "\\`*_[]{}()#+!|~$'"} | {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;", ord('"'): "&quot;"}
LOST_MARK = "〓"
LOST_TITLE = "此处有字符在编码转换中丢失，原文件里是别的字"
# What ingest counts as lost (qa.normalize.LOST_CHARACTERS), narrowed for display: one '?' only between two Chinese
# characters, so a question's own "多少?" quoted in an answer stays a question mark.
LOST_CHARACTERS = re.compile(r"(?<=[\u3400-\u9fff])\?(?=[\u3400-\u9fff])|(?<=[\u3400-\u9fff])\?{2,4}|\?{2,4}(?=[\u3400-\u9fff])")
_LOST = "\ue000"  # a private-use character: stands for a lost one while the text is cut up and escaped


def esc(text: Any) -> str:
    """Plan or user text made inert for HTML and Markdown components (line breaks kept as ``<br>``)."""
    escaped = str(text if text is not None else "").translate(_INERT)
    return escaped.replace("\r\n", "\n").replace("\n", "<br>")


def _mark_lost(text: str) -> str:
    """``text`` with each lost character ('?' inside Chinese words) replaced by :data:`_LOST` (same length)."""
    return LOST_CHARACTERS.sub(lambda m: _LOST * len(m.group(0)), text)


def _show_lost(escaped: str) -> str:
    return escaped.replace(_LOST, f'<span class="pq-lost" title="{LOST_TITLE}">{LOST_MARK}</span>')


def esc_plan(text: Any) -> str:
    """Plan text escaped like :func:`esc`, each character lost in an encoding round trip ('?' inside Chinese
    words, :data:`qa.normalize.LOST_CHARACTERS`) shown as a visible 〓 with a tooltip instead of as text."""
    return _show_lost(esc(_mark_lost(str(text if text is not None else ""))))


def _marker_id(turn: int, marker: int) -> str:
    return f"pq-{int(turn)}-{int(marker)}"


# ------------------------------------------------------------------------------------------ answers


def highlight_html(text: str, quote: str) -> str:
    """The clause ``text`` escaped, with the quoted evidence (or each of its sentences found in it) in ``<mark>``."""
    spans: list[tuple[int, int]] = []
    text, quote = _mark_lost(text), _mark_lost((quote or "").strip())
    if quote:
        pieces = [quote] if quote in text else [p.strip() for p in split_after_ends(quote) if len(p.strip()) >= 4]
        for piece in pieces:
            at = text.find(piece)
            if at >= 0:
                spans.append((at, at + len(piece)))
    out: list[str] = []
    pos = 0
    for start, end in sorted(spans):
        if start < pos:  # overlapping pieces: extend the previous highlight instead
            start = pos
        if start >= end:
            continue
        out.append(esc(text[pos:start]))
        out.append(f"<mark>{esc(text[start:end])}</mark>")
        pos = end
    out.append(esc(text[pos:]))
    return _show_lost("".join(out))


def render_card_html(citation: Citation, turn: int, related: bool = False) -> str:
    """One source card: plan title, clause path, issuer and year, the full clause (evidence marked), office."""
    meta = [esc(part) for part in (citation.issuer, f"{citation.year}年" if citation.year else "", citation.page_label) if part]
    if citation.office:
        meta.append(f"责任处室：{esc_plan(citation.office)}")
    body = esc_plan(citation.text) if related else highlight_html(citation.text, citation.quote)
    anchor = "" if related else f' id="{_marker_id(turn, citation.marker)}"'
    number = "" if related else f'<span class="pq-num">[{int(citation.marker)}]</span> '
    source = "" if related else f'<button type="button" class="pq-act pq-act-source pq-turn-{int(turn)} pq-cite-{int(citation.marker)}" title="在整份规划中查看这一条及前后条款">原文</button>'
    return (
        f'<div class="pq-card{" pq-card-related" if related else ""}"{anchor}>'
        f'<div class="pq-card-head">{number}<span class="pq-card-title">《{esc_plan(citation.title)}》</span>'
        f'<span class="pq-path">{esc_plan(citation.path_label)}</span>{source}</div>'
        + (f'<div class="pq-card-meta">{" · ".join(meta)}</div>' if meta else "")
        + f'<div class="pq-clause">{body}</div></div>'
    )


def render_answer_text_html(answer: Answer, turn: int) -> str:
    """The answer text escaped, each valid ``[n]`` a link to its source card."""
    valid = {c.marker for c in answer.citations}
    text = _mark_lost(answer.text)
    out: list[str] = []
    pos = 0
    for match in CITATION_MARKER.finditer(text):
        out.append(esc(text[pos : match.start()]))
        n = int(match.group(1))
        if n in valid:
            out.append(f'<a class="pq-marker" href="#{_marker_id(turn, n)}" title="来源 {n}">[{n}]</a>')
        else:
            out.append(esc(match.group(0)))
        pos = match.end()
    out.append(esc(text[pos:]))
    return _show_lost("".join(out))


def render_answer_html(answer: Answer, turn: int = 0, filter_note: str = "", actions: bool = False, regenerated: bool = False) -> str:
    """A whole answer for the chat: notices, the text with linked markers, the source (or 可能相关) cards, footer,
    and with ``actions`` the buttons acting on this answer (turn ``turn``) with the text 复制 copies.

    A refusal has its own style (class ``pq-refused``, a badge) and shows the nearest clauses as 可能相关.
    """
    kind = "pq-answer pq-refused" if answer.refused else "pq-answer"
    parts = [f'<div class="{kind}">']
    if answer.refused:
        parts.append('<div class="pq-badge">未找到依据</div>')
    if filter_note:
        parts.append(f'<div class="pq-notice pq-filter-note">{esc(filter_note)}</div>')
    for notice in answer.notices:
        parts.append(f'<div class="pq-notice">{esc(notice)}</div>')
    parts.append(f'<div class="pq-text">{render_answer_text_html(answer, turn)}</div>')
    if answer.citations and not answer.refused:
        cards = "".join(render_card_html(c, turn) for c in answer.citations)
        parts.append(f'<div class="pq-sources"><div class="pq-sources-title">来源</div>{cards}</div>')
    if answer.related:
        cards = "".join(render_card_html(c, turn, related=True) for c in answer.related)
        parts.append(f'<div class="pq-sources pq-related"><div class="pq-sources-title">可能相关</div>{cards}</div>')
    seconds = answer.timings.get("total_ms", 0) / 1000
    again = " · 已重新生成" if regenerated else ""
    parts.append(f'<div class="pq-foot">{esc(answerer_label(answer.answerer))} · {seconds:.1f} 秒{again}</div>')
    if actions:
        parts.append(render_actions_html(answer, turn))
    parts.append("</div>")
    return "".join(parts)


ACTION_LABELS = {"copy": "复制", "useful": "有用", "wrong": "有误", "regen": "重新生成"}


def render_actions_html(answer: Answer, turn: int) -> str:
    """The buttons under one answer (ui/assets/actions.js handles their clicks) and, hidden, what 复制 copies
    (line breaks kept as characters, so the clipboard gets them). The action and the turn are classes
    (``pq-act-wrong pq-turn-2``): Gradio's sanitizer drops ``data-`` attributes."""
    buttons = "".join(
        f'<button type="button" class="pq-act pq-act-{act} pq-turn-{int(turn)}">{label}</button>'
        for act, label in ACTION_LABELS.items()
    )
    plain = answer_plain_text(answer).translate(_INERT)
    return f'<div class="pq-actions">{buttons}</div><div class="pq-plain">{plain}</div>'


def render_question_html(question: str) -> str:
    return f'<div class="pq-question">{esc(question)}</div>'


def render_streaming_html(text: str) -> str:
    """The text streamed so far (replaced by :func:`render_answer_html` when the answer is final)."""
    body = esc(text) if text else "正在检索条款…"
    return f'<div class="pq-answer pq-streaming"><div class="pq-text">{body}</div></div>'


def render_message_html(message: str, kind: str = "limit") -> str:
    """A system message in the chat: ``limit`` (rate, length) or ``error``."""
    return f'<div class="pq-answer pq-{esc(kind)}"><div class="pq-text">{esc(message)}</div></div>'


def answer_plain_text(answer: Answer) -> str:
    """What 复制回答 copies: the answer, its sources as ``[n] 《title》path``, and any notice."""
    parts = [answer.text]
    if answer.citations and not answer.refused:
        parts.append("来源：\n" + answer.sources_block())
    parts.extend(answer.notices)
    return "\n\n".join(p for p in parts if p)


def answerer_label(name: str) -> str:
    if name.startswith("llm:"):
        return f"大模型 {name[4:]}"
    return "抽取式（原文摘录）"


# ------------------------------------------------------------------------------------------ filters


def describe_filters(filters: Filters, titles: Mapping[str, str] | None = None) -> str:
    """A filter in words: 规划 《title》…；地区 …；年份 … (a plan by its title when ``titles`` has it)."""
    titles = titles or {}
    plans = "、".join(f"《{titles[d]}》" if d in titles else d for d in sorted(filters.doc_ids))
    return "；".join(x for x in (
        f"规划 {plans}" if filters.doc_ids else "",
        "地区 " + "、".join(sorted(filters.regions)) if filters.regions else "",
        "年份 " + "、".join(str(y) for y in sorted(filters.years)) if filters.years else "",
    ) if x)


# ------------------------------------------------------------------------------------------ the page


def header_html(settings: Settings, answerer: str) -> str:
    mode = "公众版" if settings.public else "工作人员版"
    parts = [
        '<div id="pq-header">',
        f"<h1>{esc(TITLE)}</h1>",
        f'<div class="pq-sub">{esc(mode)} · 回答方式：{esc(answerer_label(answerer))} · 每个回答都注明所依据的条款</div>',
    ]
    if settings.public:
        parts.append(f'<div class="pq-disclaimer">{esc(DISCLAIMER)}</div>')
    parts.append("</div>")
    return "".join(parts)
