"""The Gradio app: `python app.py` (staff mode, login when users are configured) or `python app.py --public`.

Callbacks only call the :class:`~qa.service.Assistant` (and, in the knowledge-base tab, the ingestor and the
store); every piece of HTML is built by the pure ``render_*`` functions below, which escape all plan and user
text. Gradio is imported lazily, after ``GRADIO_ANALYTICS_ENABLED=False`` is set, so importing this module for
its render functions costs nothing and nothing phones home.
"""

import html
import logging
import math
import os
import re
import shutil
import sys
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.answer.answers import Answer, Citation
from qa.settings import Settings
from qa.text import CITATION_MARKER, split_after_ends
from ui.auth import RateLimiter

if TYPE_CHECKING:
    import gradio as gr

    from qa.ingest.pipeline import IngestReport
    from qa.search.hybrid import Filters, SearchResult
    from qa.service import Assistant
    from qa.store import StoredChunk

log = logging.getLogger("planqa.app")

TITLE = "PlanQA 卫生健康规划问答"
DISCLAIMER = "回答仅摘录所收录的规划文件原文，不构成官方解释。"
EXAMPLES = (
    "赣州市居民健康素养水平要提高到多少?",
    "泰州市家庭医生签约服务由哪个处室负责?",
    "各地对托育服务的目标分别是什么?",
    "贛州市今年新增托位數多少個?",
    "南京市2023年新增多少托位?",
)
# Every format ingest reads (qa.ingest.readers); checked again on the server, whatever the browser's picker allowed.
UPLOAD_SUFFIXES = (".txt", ".md", ".pdf", ".docx", ".html", ".htm")
MAX_FILENAME_CHARS = 80
CJK_FONTS = ["Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "system-ui", "sans-serif"]
MONO_FONTS = ["Noto Sans Mono CJK SC", "ui-monospace", "monospace"]


# ------------------------------------------------------------------------------------------ escaping

# Markdown/LaTeX punctuation becomes a character reference too, so text stays text even in a Markdown renderer.
_MARKDOWN_CHARS = {ord(ch): f"&#{ord(ch)};" for ch in "\\`*_[]{}()#+!|~$"}


def esc(text: Any) -> str:
    """Plan or user text made inert for HTML and Markdown components (line breaks kept as ``<br>``)."""
    escaped = html.escape(str(text if text is not None else ""), quote=True).translate(_MARKDOWN_CHARS)
    return escaped.replace("\r\n", "\n").replace("\n", "<br>")


def _marker_id(turn: int, marker: int) -> str:
    return f"pq-{int(turn)}-{int(marker)}"


# ------------------------------------------------------------------------------------------ answers



def highlight_html(text: str, quote: str) -> str:
    """The clause ``text`` escaped, with the quoted evidence (or each of its sentences found in it) in ``<mark>``."""
    spans: list[tuple[int, int]] = []
    quote = (quote or "").strip()
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
    return "".join(out)


def render_card_html(citation: Citation, turn: int, related: bool = False) -> str:
    """One source card: plan title, clause path, issuer and year, the full clause (evidence marked), office."""
    meta = [esc(part) for part in (citation.issuer, f"{citation.year}年" if citation.year else "", citation.page_label) if part]
    if citation.office:
        meta.append(f"责任处室：{esc(citation.office)}")
    body = esc(citation.text) if related else highlight_html(citation.text, citation.quote)
    anchor = "" if related else f' id="{_marker_id(turn, citation.marker)}"'
    number = "" if related else f'<span class="pq-num">[{int(citation.marker)}]</span> '
    return (
        f'<div class="pq-card{" pq-card-related" if related else ""}"{anchor}>'
        f'<div class="pq-card-head">{number}<span class="pq-card-title">《{esc(citation.title)}》</span>'
        f'<span class="pq-path">{esc(citation.path_label)}</span></div>'
        + (f'<div class="pq-card-meta">{" · ".join(meta)}</div>' if meta else "")
        + f'<div class="pq-clause">{body}</div></div>'
    )


def render_answer_text_html(answer: Answer, turn: int) -> str:
    """The answer text escaped, each valid ``[n]`` a link to its source card."""
    valid = {c.marker for c in answer.citations}
    out: list[str] = []
    pos = 0
    for match in CITATION_MARKER.finditer(answer.text):
        out.append(esc(answer.text[pos : match.start()]))
        n = int(match.group(1))
        if n in valid:
            out.append(f'<a class="pq-marker" href="#{_marker_id(turn, n)}" title="来源 {n}">[{n}]</a>')
        else:
            out.append(esc(match.group(0)))
        pos = match.end()
    out.append(esc(answer.text[pos:]))
    return "".join(out)


def render_answer_html(answer: Answer, turn: int = 0) -> str:
    """A whole answer for the chat: notices, the text with linked markers, the source (or 可能相关) cards, footer.

    A refusal has its own style (class ``pq-refused``, a badge) and shows the nearest clauses as 可能相关.
    """
    kind = "pq-answer pq-refused" if answer.refused else "pq-answer"
    parts = [f'<div class="{kind}">']
    if answer.refused:
        parts.append('<div class="pq-badge">未找到依据</div>')
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
    parts.append(f'<div class="pq-foot">{esc(answerer_label(answer.answerer))} · {seconds:.1f} 秒</div>')
    parts.append("</div>")
    return "".join(parts)


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


# ------------------------------------------------------------------------------------------ knowledge base views


@dataclass(frozen=True)
class PlanRow:
    doc_id: str
    title: str
    region: str
    year: int
    clauses: int
    chunks: int
    source: str
    issuer: str = ""


def render_plans_html(rows: Sequence[PlanRow]) -> str:
    if not rows:
        return '<div class="pq-empty">知识库为空：上传规划文件，或在命令行运行 <code>planqa ingest</code>。</div>'
    head = "<tr><th>规划</th><th>编号</th><th>地区</th><th>年份</th><th>条款</th><th>文件</th></tr>"
    body = "".join(
        f"<tr><td>{esc(r.title)}</td><td><code>{esc(r.doc_id)}</code></td><td>{esc(r.region)}</td>"
        f"<td>{esc(r.year or '')}</td><td>{r.clauses}</td><td>{esc(r.source)}</td></tr>"
        for r in rows
    )
    total = sum(r.clauses for r in rows)
    return f'<table class="pq-table"><thead>{head}</thead><tbody>{body}</tbody></table><div class="pq-foot">{len(rows)} 份规划，{total} 条条款</div>'


def render_clause_tree_html(title: str, chunks: Sequence["StoredChunk"]) -> str:
    """A plan's clauses in order: heading lines when the chain changes, then path, text and office per clause."""
    if not chunks:
        return '<div class="pq-empty">没有条款。</div>'
    parts = [f'<div class="pq-tree"><div class="pq-tree-title">《{esc(title)}》 {len(chunks)} 个片段</div>']
    last: list[str] = []
    for chunk in chunks:
        m = chunk.metadata
        headings = [h for h in str(m.get("headings", "")).split("\n") if h]
        for depth, heading in enumerate(headings):
            if last[: depth + 1] != headings[: depth + 1]:
                parts.append(f'<div class="pq-tree-heading" style="margin-left:{depth * 1.2:.1f}em">{esc(heading)}</div>')
        last = headings
        part = f' <span class="pq-part">第{int(m.get("part", 1))}/{int(m.get("parts", 1))}段</span>' if int(m.get("parts", 1) or 1) > 1 else ""
        office = f'<div class="pq-card-meta">责任处室：{esc(m.get("office"))}</div>' if m.get("office") else ""
        parts.append(
            f'<div class="pq-tree-clause" style="margin-left:{len(headings) * 1.2:.1f}em">'
            f'<span class="pq-path">{esc(m.get("path_label", ""))}</span>{part}'
            f'<div class="pq-clause">{esc(chunk.text)}</div>{office}</div>'
        )
    parts.append("</div>")
    return "".join(parts)


def render_hits_html(result: "SearchResult") -> str:
    """命中测试: ranked clauses with the fused (RRF) score and each leg's rank and score."""
    notes = []
    if result.filters:
        f = result.filters
        described = "；".join(x for x in (
            "规划 " + "、".join(sorted(f.doc_ids)) if f.doc_ids else "",
            "地区 " + "、".join(sorted(f.regions)) if f.regions else "",
            "年份 " + "、".join(str(y) for y in sorted(f.years)) if f.years else "",
        ) if x)
        notes.append(f"筛选：{esc(described)}")
    if result.uncovered:
        notes.append(f"没有规划覆盖：{esc('、'.join(result.uncovered))}")
    notes.append(f"检索文本：{esc(result.search_text)}")
    notes.append(f"{result.timings.get('total_ms', 0):.0f} ms")
    head = '<div class="pq-foot">' + " · ".join(notes) + "</div>"
    if not result.hits:
        return head + '<div class="pq-empty">没有命中。</div>'
    rows = "".join(
        f"<tr><td>{rank}</td><td>{hit.score:.4f}</td>"
        f"<td>{'#' + str(hit.dense_rank) if hit.dense_rank else '–'} <small>{hit.dense_score:.3f}</small></td>"
        f"<td>{'#' + str(hit.lexical_rank) if hit.lexical_rank else '–'} <small>{hit.lexical_score:.2f}</small></td>"
        f'<td><div class="pq-card-title">《{esc(hit.title)}》<span class="pq-path">{esc(hit.path_label)}</span></div>'
        f'<div class="pq-clause">{esc(hit.text)}</div></td></tr>'
        for rank, hit in enumerate(result.hits, start=1)
    )
    return (
        head + '<table class="pq-table pq-hits"><thead><tr><th>#</th><th>融合分</th><th>向量</th><th>词项</th><th>条款</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


def render_report_html(report: "IngestReport", notes: Sequence[str] = ()) -> str:
    """An ingest report (upload or re-index) as a table, plus upload problems."""
    status = {"new": "新增", "updated": "已更新", "unchanged": "未变", "failed": "失败", "pruned": "已移除"}
    parts = [f'<div class="pq-notice">{esc(n)}</div>' for n in notes]
    if report.results:
        rows = "".join(
            f'<tr class="pq-{esc(r.status)}"><td>{esc(r.name)}</td><td>{esc(status.get(r.status, r.status))}</td>'
            f"<td>{r.clauses}</td><td>{r.chunks}</td><td>{esc(r.message)}</td></tr>"
            for r in report.results
        )
        parts.append(
            '<table class="pq-table"><thead><tr><th>文件</th><th>结果</th><th>条款</th><th>片段</th><th>说明</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>"
        )
    parts.append(f'<div class="pq-foot">{len(report.results)} 个文件，用时 {report.seconds:.1f} 秒</div>')
    return "".join(parts)


# ------------------------------------------------------------------------------------------ uploads

_UNSAFE = re.compile(r"[^\w.\-]+")


def safe_filename(name: str) -> str:
    """A plain file name for an upload: no folders, no ``..``, no control/invisible/bidi characters, ≤ 80 chars.

    Letters of any script are kept (中文 names stay readable); everything else becomes ``_``; the suffix is
    lower-cased; an empty stem becomes ``plan``.
    """
    name = unicodedata.normalize("NFKC", str(name))
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] not in {"C"} and unicodedata.category(ch) not in {"Zl", "Zp"})
    name = re.split(r"[\\/]", name)[-1].strip()
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    stem = _UNSAFE.sub("_", stem).replace(".", "_")
    stem = re.sub(r"_+", "_", stem).strip("._-") or "plan"
    suffix = _UNSAFE.sub("", suffix).lower()[:10]
    return stem[:MAX_FILENAME_CHARS] + (f".{suffix}" if suffix else "")


class UploadError(ValueError):
    """An uploaded file is refused; the message names it and says why."""


def check_upload(original_name: str, size: int, max_mb: float) -> str:
    """The safe name of an acceptable upload, or :class:`UploadError` (wrong type, too large, empty)."""
    name = safe_filename(original_name)
    if Path(name).suffix not in UPLOAD_SUFFIXES:
        raise UploadError(f"{original_name}: 只接受 {' / '.join(UPLOAD_SUFFIXES)} 文件")
    if size > max_mb * 1024 * 1024:
        raise UploadError(f"{original_name}: {size / 1048576:.1f} MB 超过 {max_mb:g} MB 上限")
    if size == 0:
        raise UploadError(f"{original_name}: 空文件")
    return name


# ------------------------------------------------------------------------------------------ limits


@dataclass
class Limits:
    """Question length cap (both modes) and, in public mode, a per-client rate limit."""

    max_chars: int
    limiter: RateLimiter | None = None

    @classmethod
    def for_settings(cls, settings: Settings) -> "Limits":
        limiter = RateLimiter(settings.rate_limit_per_minute) if settings.public and settings.rate_limit_per_minute > 0 else None
        return cls(settings.max_question_chars, limiter)

    def check(self, question: str, client: str) -> str | None:
        """None when the question may be answered, else the message to show."""
        length = len(question.strip())
        if length > self.max_chars:
            return f"问题过长：最多 {self.max_chars} 字（当前 {length} 字），请精简后再问。"
        if self.limiter is not None:
            wait = self.limiter.hit(client)
            if wait:
                return f"提问过于频繁：每分钟最多 {self.limiter.limit} 个问题，请 {math.ceil(wait)} 秒后再试。"
        return None


def client_key(request: Any) -> str:
    """The client's address (``gr.Request``); behind a proxy, configure it to pass the real address."""
    client = getattr(request, "client", None)
    return str(getattr(client, "host", "") or "unknown")


# ------------------------------------------------------------------------------------------ knowledge base


class KnowledgeBase:
    """What the knowledge-base tab does: list, upload and ingest, re-index, delete, inspect. No UI here."""

    def __init__(self, assistant: "Assistant", settings: Settings) -> None:
        self.assistant = assistant
        self.settings = settings

    def rows(self) -> list[PlanRow]:
        records = self.assistant.store.documents()
        rows = [
            PlanRow(
                doc_id, str(r.metadata.get("short_title") or r.metadata.get("title") or doc_id), str(r.metadata.get("region", "")),
                int(r.metadata.get("year", 0) or 0), int(r.metadata.get("clauses", 0) or 0), int(r.metadata.get("chunks", 0) or 0),
                str(r.metadata.get("source_name", "")), str(r.metadata.get("issuer", "")),
            )
            for doc_id, r in records.items()
        ]
        return sorted(rows, key=lambda r: (r.region, r.year, r.doc_id))

    def _ingestor(self) -> Any:
        from qa.ingest.pipeline import Ingestor

        return Ingestor(self.settings, self.assistant.store, self.assistant.embeddings)

    def upload(self, files: Iterable[tuple[str, Path]]) -> tuple["IngestReport", list[str]]:
        """Save each ``(original name, temp path)`` under a safe name in ``upload_dir`` and ingest the saved ones."""
        from qa.ingest.documents import DocumentError, build_document
        from qa.ingest.pipeline import IngestReport

        problems: list[str] = []
        saved: list[Path] = []
        known = self.assistant.store.documents()
        target_dir = self.settings.upload_dir
        for original, temp in files:
            try:
                name = check_upload(original, temp.stat().st_size, self.settings.max_file_mb)
                dest = target_dir / name
                if Path(name).stem in known and not dest.exists():
                    raise UploadError(f"{original}: 已有编号为 {Path(name).stem} 的规划（来自 {known[Path(name).stem].metadata.get('source_name', '?')}）；请改名或先删除")
                # Read it before it is kept: a file ingest cannot read must not replace the stored plan's file
                # (the store would keep the old version, but every re-index would fail on the new file).
                build_document(name, temp.read_bytes(), doc_id=Path(name).stem)
                target_dir.mkdir(parents=True, exist_ok=True)
                partial = dest.with_name(dest.name + ".part")  # not a plan suffix: re-index never reads a half copy
                shutil.copyfile(temp, partial)
                os.replace(partial, dest)
                saved.append(dest)
            except (UploadError, DocumentError) as exc:
                problems.append(str(exc))
            except OSError as exc:
                problems.append(f"{original}: 无法保存（{exc.strerror}）")
        report = self._ingestor().run(saved) if saved else IngestReport()
        return report, problems

    def reindex(self) -> "IngestReport":
        """Re-read the sample folder and the upload folder; unchanged plans are skipped by content hash."""
        folders = [p for p in (self.settings.plans_dir, self.settings.upload_dir) if p.is_dir()]
        return self._ingestor().run(folders)

    def delete(self, doc_id: str) -> str:
        records = self.assistant.store.documents()
        if doc_id not in records:
            return f"没有编号为 {doc_id} 的规划。"
        source = str(records[doc_id].metadata.get("source_name", ""))
        self.assistant.store.delete_document(doc_id)
        uploaded = self.settings.upload_dir / safe_filename(source) if source else None
        if uploaded is not None and uploaded.is_file() and uploaded.name == source:
            uploaded.unlink()
            return f"已删除 {doc_id}（及上传的文件 {source}）。"
        return f"已删除 {doc_id}。它的文件不在上传目录中：重新索引会把它重新入库，要永久删除请移走该文件。"

    def title_of(self, doc_id: str) -> str:
        plan = self.assistant.searcher.plans.get(doc_id)
        return plan.short_title if plan else doc_id


# ------------------------------------------------------------------------------------------ the chat


class LimitExceeded(Exception):
    """A question over the length cap or the rate limit; the message is shown to the user."""


KEEP: Any = object()  # ChatUpdate.answer: leave the stored answer as it is


@dataclass
class ChatUpdate:
    """What one step of a chat turn changes; ``None`` (``KEEP`` for ``answer``) leaves a value as it is."""

    messages: list[dict[str, str]]
    history: list[tuple[str, str]]
    question: str | None = None  # the input box
    answer: Any = KEEP  # Answer.as_dict() of the finished answer (None: no answer to give feedback on)
    plain: str | None = None  # what 复制回答 copies
    status: str | None = None  # the feedback line
    given: bool | None = None  # feedback already given for the current answer


class Chat:
    """The chat's behaviour without gradio: limits, streaming through ``Assistant.ask_stream``, rendering, feedback."""

    def __init__(self, assistant: "Assistant", settings: Settings) -> None:
        self.assistant = assistant
        self.settings = settings
        self.limits = Limits.for_settings(settings)
        limit = settings.rate_limit_per_minute
        self.feedback_limiter = RateLimiter(limit) if settings.public and limit > 0 else None

    def respond(
        self, text: str, messages: Sequence[dict[str, str]], history: Sequence[Sequence[str]], filters: "Filters | None", client: str
    ) -> Iterator[ChatUpdate]:
        """Stream one turn: the question and a placeholder, the streamed text, then the final rendered answer."""
        from qa.service import Turn

        text = (text or "").strip()
        messages = list(messages or [])
        history = [(str(q), str(a)) for q, a in (history or [])]
        if not text:
            yield ChatUpdate(list(messages), history)
            return
        problem = self.limits.check(text, client)
        if problem:
            cap = self.settings.max_question_chars
            shown = text[:cap] + ("…" if len(text) > cap else "")
            messages += [{"role": "user", "content": render_question_html(shown)}, {"role": "assistant", "content": render_message_html(problem, "limit")}]
            yield ChatUpdate(list(messages), history, question=text)
            return
        turn = len(history)
        messages += [{"role": "user", "content": render_question_html(text)}, {"role": "assistant", "content": render_streaming_html("")}]
        yield ChatUpdate(list(messages), history, question="", status="", given=False)
        streamed = ""
        answer: Answer | None = None
        try:
            for piece in self.assistant.ask_stream(text, [Turn(q, a) for q, a in history], filters):
                if isinstance(piece, Answer):
                    answer = piece
                else:
                    streamed += piece
                    messages[-1] = {"role": "assistant", "content": render_streaming_html(streamed)}
                    yield ChatUpdate(list(messages), history)
            if answer is None:
                raise RuntimeError("the assistant returned no answer")
        except Exception as exc:  # noqa: BLE001 - the chat shows the failure instead of a broken bubble
            log.exception("answering %r failed", text)
            messages[-1] = {"role": "assistant", "content": render_message_html(f"出错了，请稍后再试（{type(exc).__name__}）。", "error")}
            yield ChatUpdate(list(messages), history, answer=None, plain="")
            return
        messages[-1] = {"role": "assistant", "content": render_answer_html(answer, turn)}
        history = [*history, (text, answer.text)]
        yield ChatUpdate(list(messages), history, answer=answer.as_dict(), plain=answer_plain_text(answer))

    def feedback(self, verdict: str, note: str, answer: Mapping[str, Any] | None, given: bool, client: str) -> tuple[str, str, bool]:
        """Record a verdict on the latest answer: (status line HTML, comment box, feedback given)."""
        from ui.feedback import record_feedback

        if not answer:
            return "<span>还没有可评价的回答。</span>", note, given
        if given:
            return "<span>已收到对这个回答的反馈，谢谢。</span>", note, given
        if self.feedback_limiter is not None and self.feedback_limiter.hit(client):
            return "<span>反馈过于频繁，请稍后再试。</span>", note, given
        try:
            record_feedback(self.settings.feedback_path, answer, verdict, note)
        except OSError as exc:
            log.error("cannot write feedback to %s: %s", self.settings.feedback_path, exc)
            return "<span>反馈暂时无法保存。</span>", note, given
        return "<span>已记录反馈，谢谢！</span>", "", True

    def api_answer(self, question: str, client: str) -> dict[str, Any]:
        """The JSON API: ``Answer.as_dict()`` for one question; :class:`LimitExceeded` over a limit."""
        question = str(question or "")
        problem = self.limits.check(question, client)
        if problem:
            raise LimitExceeded(problem)
        return self.assistant.ask(question).as_dict()


# ------------------------------------------------------------------------------------------ the Blocks

CSS = """
.gradio-container { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", system-ui, sans-serif; }
#pq-header h1 { font-size: 1.5em; margin: 0 0 .2em 0; }
#pq-header .pq-sub { color: var(--body-text-color-subdued); font-size: .92em; }
#pq-header .pq-disclaimer { margin-top: .4em; padding: .35em .7em; border-left: 3px solid #b45309; background: #fffbeb; color: #78350f; border-radius: 4px; font-size: .9em; }
.pq-answer { line-height: 1.7; }
.pq-text { font-size: 1.02em; }
.pq-marker { text-decoration: none; font-weight: 600; color: #0f766e; padding: 0 1px; }
.pq-refused { border-left: 4px solid #d97706; padding-left: .7em; }
.pq-refused .pq-text { color: #92400e; }
.pq-badge { display: inline-block; font-size: .78em; font-weight: 600; color: #92400e; background: #fef3c7; border: 1px solid #fcd34d; border-radius: 999px; padding: 0 .6em; margin-bottom: .35em; }
.pq-notice { font-size: .88em; color: #7c2d12; background: #ffedd5; border: 1px solid #fdba74; border-radius: 6px; padding: .3em .6em; margin-bottom: .5em; }
.pq-limit .pq-text, .pq-error .pq-text { color: #991b1b; }
.pq-sources { margin-top: .7em; }
.pq-sources-title { font-size: .8em; font-weight: 600; letter-spacing: .08em; color: var(--body-text-color-subdued); margin-bottom: .3em; }
.pq-card { border: 1px solid var(--border-color-primary); border-left: 3px solid #14b8a6; border-radius: 6px; padding: .45em .7em; margin: .4em 0; background: var(--background-fill-secondary); scroll-margin-top: 1em; }
.pq-card:target { box-shadow: 0 0 0 2px #14b8a6; }
.pq-card-related { border-left-color: #f59e0b; }
.pq-card-head { font-size: .92em; }
.pq-num { font-weight: 700; color: #0f766e; }
.pq-card-title { font-weight: 600; }
.pq-path { font-family: "Noto Sans Mono CJK SC", ui-monospace, monospace; font-size: .9em; background: var(--background-fill-primary); border: 1px solid var(--border-color-primary); border-radius: 4px; padding: 0 .35em; margin-left: .3em; }
.pq-card-meta { font-size: .8em; color: var(--body-text-color-subdued); margin: .1em 0 .25em 0; }
.pq-clause { font-size: .88em; max-height: 14em; overflow-y: auto; }
.pq-clause mark { background: #fde68a; color: inherit; padding: 0 1px; border-radius: 2px; }
.pq-foot { font-size: .75em; color: var(--body-text-color-subdued); margin-top: .5em; }
.pq-streaming .pq-text { color: var(--body-text-color-subdued); }
.pq-table { width: 100%; border-collapse: collapse; font-size: .88em; }
.pq-table th, .pq-table td { border: none !important; border-bottom: 1px solid var(--border-color-primary) !important; padding: .3em .5em; text-align: left; vertical-align: top; }
.pq-table { border: none !important; }
.pq-table th { font-weight: 600; color: var(--body-text-color-subdued); }
.pq-table tr.pq-failed td { color: #991b1b; }
.pq-hits td .pq-clause { max-height: 7em; }
.pq-tree-heading { font-weight: 600; margin-top: .6em; }
.pq-tree-clause { margin: .3em 0 .5em 0; }
.pq-tree-title { font-weight: 600; font-size: 1.05em; margin-bottom: .3em; }
.pq-empty { color: var(--body-text-color-subdued); padding: .5em 0; }
.pq-feedback-status { font-size: .85em; color: var(--body-text-color-subdued); min-height: 1.2em; }
"""

COPY_JS = """
(text) => {
  if (!text) { return; }
  const done = () => {
    const b = document.querySelector('#pq-copy');
    if (b) { const t = b.textContent; b.textContent = '已复制'; setTimeout(() => { b.textContent = t; }, 1500); }
  };
  if (navigator.clipboard && window.isSecureContext) { navigator.clipboard.writeText(text).then(done); return; }
  const area = document.createElement('textarea');
  area.value = text; area.style.position = 'fixed'; area.style.opacity = '0';
  document.body.appendChild(area); area.select();
  try { document.execCommand('copy'); done(); } finally { area.remove(); }
}
"""


def _gradio() -> Any:
    """Import gradio with analytics off (no version check or telemetry request)."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    import gradio

    return gradio


def theme() -> Any:
    """System CJK fonts (the default themes fetch Google Fonts, which an offline browser cannot reach)."""
    gr = _gradio()
    return gr.themes.Soft(primary_hue="teal", neutral_hue="slate", font=CJK_FONTS, font_mono=MONO_FONTS)


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


def filter_choices(assistant: "Assistant") -> tuple[list[tuple[str, str]], list[str], list[str]]:
    """Choices of the plan, region and year filters from the stored plans."""
    plans = assistant.searcher.plans
    plan_choices = sorted(((p.short_title, p.doc_id) for p in plans.values()), key=lambda c: c[1])
    regions = sorted({p.region for p in plans.values() if p.region})
    years = sorted({str(y) for p in plans.values() for y in p.years})
    return plan_choices, regions, years


def make_filters(plans: Sequence[str] | None, regions: Sequence[str] | None, years: Sequence[str] | None) -> "Filters | None":
    from qa.search.hybrid import Filters

    return Filters.of(plans or (), regions or (), [int(y) for y in (years or ())]) or None


def build_app(assistant: "Assistant", settings: Settings) -> "gr.Blocks":
    """The chat (both modes) and, in staff mode, the knowledge-base tab. Launch with :func:`serve`."""
    gr = _gradio()
    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        gr.HTML(header_html(settings, assistant.answerer_name))
        if settings.public:  # one page, no tab strip, nothing but the chat
            _chat_page(gr, demo, assistant, settings)
        else:
            with gr.Tabs():
                with gr.Tab("问答", id="chat"):
                    filters = _chat_page(gr, demo, assistant, settings)
                with gr.Tab("知识库", id="kb", elem_id="pq-kb-tab"):
                    _knowledge_page(gr, assistant, settings, filters)
    return demo


def _chat_page(gr: Any, demo: Any, assistant: "Assistant", settings: Settings) -> list[Any]:
    """The chat, its filters and feedback, and the ``ask`` API endpoint; returns the three filter dropdowns."""
    chat = Chat(assistant, settings)
    private: dict[str, Any] = {"api_visibility": "private"}  # UI events are not API endpoints
    plan_choices, region_choices, year_choices = filter_choices(assistant)
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
    copy_button.click(None, [plain_answer], None, js=COPY_JS, **private)

    def useful(note: str, answer: dict | None, given: bool, request: gr.Request):  # type: ignore[no-untyped-def]
        return chat.feedback("useful", note, answer, given, client_key(request))

    def wrong(note: str, answer: dict | None, given: bool, request: gr.Request):  # type: ignore[no-untyped-def]
        return chat.feedback("wrong", note, answer, given, client_key(request))

    useful_button.click(useful, [comment, last_answer, feedback_given], [feedback_status, comment, feedback_given], **private)
    wrong_button.click(wrong, [comment, last_answer, feedback_given], [feedback_status, comment, feedback_given], **private)

    filters = [plan_filter, region_filter, year_filter]

    def refresh_filters():  # type: ignore[no-untyped-def]
        return tuple(gr.update(choices=c) for c in filter_choices(assistant))

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


def _knowledge_page(gr: Any, assistant: "Assistant", settings: Settings, filters: list[Any]) -> None:
    """Staff only: the plan list, upload, re-index, delete, clause tree and 命中测试."""
    kb = KnowledgeBase(assistant, settings)
    plan_choices, _, _ = filter_choices(assistant)
    private: dict[str, Any] = {"api_visibility": "private"}
    plans_table = gr.HTML(render_plans_html(kb.rows()))
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
        plans, regions, years = filter_choices(assistant)
        return (render_plans_html(kb.rows()), gr.update(choices=plans), gr.update(choices=plans), gr.update(choices=regions), gr.update(choices=years))

    def do_upload(files: list | None):  # type: ignore[no-untyped-def]
        if not files:
            return ('<div class="pq-empty">请先选择文件。</div>', *refreshed())
        report, problems = kb.upload([(_original_name(f), Path(_file_path(f))) for f in files])
        return (render_report_html(report, problems), *refreshed())

    def do_reindex():  # type: ignore[no-untyped-def]
        return (render_report_html(kb.reindex()), *refreshed())

    def do_delete(doc_id: str | None, confirmed: bool):  # type: ignore[no-untyped-def]
        if not doc_id:
            message = '<div class="pq-empty">请先选择规划。</div>'
        elif not confirmed:
            message = '<div class="pq-notice">请勾选“确认删除所选规划”后再删除。</div>'
        else:
            message = f"<div>{esc(kb.delete(doc_id))}</div>"
        return (message, False, *refreshed())

    def do_view(doc_id: str | None):  # type: ignore[no-untyped-def]
        if not doc_id:
            return '<div class="pq-empty">请先选择规划。</div>'
        return render_clause_tree_html(kb.title_of(doc_id), assistant.searcher.chunks_of(doc_id))

    def do_probe(text: str, k: float, plans: list, regions: list, years: list):  # type: ignore[no-untyped-def]
        if not (text or "").strip():
            return '<div class="pq-empty">请输入检索问题。</div>'
        return render_hits_html(assistant.search(text, k=int(k), filters=make_filters(plans, regions, years)))

    one_at_a_time = {"concurrency_limit": 1, "concurrency_id": "knowledge-base", **private}
    upload_button.click(do_upload, [uploads], [kb_status, *views], **one_at_a_time)
    reindex_button.click(do_reindex, None, [kb_status, *views], **one_at_a_time)
    delete_button.click(do_delete, [plan_pick, confirm], [kb_status, confirm, *views], **one_at_a_time)
    view_button.click(do_view, [plan_pick], [tree], **private)
    probe_inputs = [probe, probe_k, *filters]
    probe_button.click(do_probe, probe_inputs, [hits], **private)
    probe.submit(do_probe, probe_inputs, [hits], **private)


def _file_path(f: Any) -> str:
    return str(getattr(f, "path", None) or getattr(f, "name", None) or f)


def _original_name(f: Any) -> str:
    """The name the user's file had (Gradio keeps it as the temp file's name; ``orig_name`` when given)."""
    return str(getattr(f, "orig_name", None) or Path(_file_path(f)).name)


def serve(demo: "gr.Blocks", settings: Settings, users: Mapping[str, str] | None = None, **launch: Any) -> Any:
    """Queue (concurrency limit) and launch ``demo`` with the app's theme, CSS, login and upload size limit."""
    from ui.auth import authenticator

    demo.queue(default_concurrency_limit=max(1, settings.max_concurrency), max_size=max(16, settings.max_concurrency * 16))
    options: dict[str, Any] = {
        "server_name": settings.app_host,
        "server_port": settings.app_port,
        "theme": theme(),
        "css": CSS,
        "max_file_size": int(settings.max_file_mb * 1024 * 1024),
        "footer_links": ["api"],
        "show_error": False,
    }
    if users and not settings.public:
        options["auth"] = authenticator(users)
        options["auth_message"] = "PlanQA 工作人员登录"
    options.update(launch)
    return demo.launch(**options)


def run(settings: Settings) -> int:
    """Check the login set-up, load the assistant, build and serve the app (blocks until stopped)."""
    from ui.auth import load_users, startup_check

    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before anything imports gradio: no version check, no telemetry
    users = {} if settings.public else load_users(settings)
    for warning in startup_check(settings, users):
        print(warning, file=sys.stderr)
    from backends import build_assistant

    assistant = build_assistant(settings)
    if not assistant.searcher.plans:
        print(f"note: the store at {settings.store_path} holds no plans yet; run `planqa ingest` (or upload in the 知识库 tab)", file=sys.stderr)
    mode = "public (citizens' demo)" if settings.public else f"staff ({'login required' if users else 'no login'})"
    print(f"PlanQA {mode}, answerer {assistant.answerer_name}, {len(assistant.searcher.plans)} plans", file=sys.stderr)
    serve(build_app(assistant, settings), settings, users)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python app.py [flags]`` is ``planqa serve [flags]``."""
    from cli import main as cli_main

    return cli_main(["serve", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
