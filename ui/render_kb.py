"""The 知识库 views' HTML (plan list and status, clause tree, a citation's 原文, 命中测试, ingest reports, feedback): pure
functions; all plan and user text goes through :func:`ui.render.esc` or :func:`ui.render.esc_plan`. No gradio here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ui.render import describe_filters, esc, esc_plan

if TYPE_CHECKING:
    from qa.ingest.pipeline import IngestReport
    from qa.library import PlanRow
    from qa.search.results import SearchResult
    from qa.store import StoredChunk


def _when(seconds: float) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(seconds).strftime("%Y-%m-%d %H:%M") if seconds else ""


def render_plans_html(rows: Sequence[PlanRow]) -> str:
    if not rows:
        return '<div class="pq-empty">知识库为空：上传规划文件，或在命令行运行 <code>planqa ingest</code>。</div>'
    head = "<tr><th>规划</th><th>编号</th><th>地区</th><th>年份</th><th>条款</th><th>文件</th><th>最近入库</th><th>入库说明</th></tr>"
    body = "".join(
        f"<tr><td>{esc(r.title)}</td><td><code>{esc(r.doc_id)}</code></td><td>{esc(r.region)}</td>"
        f"<td>{esc(r.year or '')}</td><td>{r.clauses}</td><td>{esc(r.source)}</td><td>{_when(r.committed)}</td>"
        f"<td>{render_ingest_message_html(r.notes.rstrip('; '), r.source) if r.notes else ''}</td></tr>"
        for r in rows
    )
    total = sum(r.clauses for r in rows)
    return f'<table class="pq-table"><thead>{head}</thead><tbody>{body}</tbody></table><div class="pq-foot">{len(rows)} 份规划，{total} 条条款</div>'


def render_status_html(status: Mapping[str, Any]) -> str:
    """One picked plan's state: clauses, chunks, table rows, when it was last ingested, what ingest noticed."""
    if not status:
        return '<div class="pq-empty">选择规划后显示它的状态。</div>'
    row = status["row"]
    facts = [f"{row.clauses} 条条款", f"{status['chunks']} 个片段", f"{status['table_rows']} 行表格数据", f"最近入库 {_when(row.committed)}"]
    notes = render_ingest_message_html(row.notes.rstrip("; "), row.source) if row.notes else "无"
    return (f'<div class="pq-status"><div class="pq-card-title">《{esc(row.title)}》 <code>{esc(row.doc_id)}</code></div>'
            f'<div class="pq-card-meta">{esc(" · ".join(facts))} · 文件 {esc(row.source)}</div><div class="pq-clause">入库说明：{notes}</div></div>')


def render_feedback_html(records: Sequence[Mapping[str, Any]], limit: int = 100) -> str:
    """The staff's view of the chat's feedback, newest first: time, verdict, question, answer, comment."""
    if not records:
        return '<div class="pq-empty">还没有用户反馈。</div>'
    verdicts = {"useful": "有用", "wrong": "有误"}
    rows = "".join(
        f'<tr class="pq-{esc(r.get("verdict", ""))}"><td>{esc(str(r.get("timestamp", ""))[:16].replace("T", " "))}</td>'
        f'<td>{esc(verdicts.get(str(r.get("verdict")), r.get("verdict", "")))}</td><td>{esc(r.get("question", ""))}</td>'
        f'<td>{esc_plan(r.get("answer", ""))}</td><td>{esc(r.get("comment", ""))}</td></tr>'
        for r in list(reversed(records))[:limit]
    )
    useful = sum(1 for r in records if r.get("verdict") == "useful")
    return ('<table class="pq-table pq-feedback"><thead><tr><th>时间</th><th>评价</th><th>问题</th><th>回答</th><th>说明</th></tr></thead>'
            f'<tbody>{rows}</tbody></table><div class="pq-foot">{len(records)} 条反馈（有用 {useful}，有误 {len(records) - useful}）</div>')


def render_clause_tree_html(title: str, chunks: Sequence[StoredChunk]) -> str:
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
            f'<div class="pq-clause">{esc_plan(chunk.text)}</div>{office}</div>'
        )
    parts.append("</div>")
    return "".join(parts)


def render_source_html(title: str, chunks: Sequence[StoredChunk], at: int, download: bool = False) -> str:
    """The 原文 view of a citation: its clause (marked) with the clauses before and after it in the plan."""
    if at < 0:
        return '<div class="pq-empty">这一条已不在知识库中（规划可能已删除或重新入库）。</div>'
    path = chunks[at].metadata.get("path", "")
    parts = [f'<div class="pq-source-view"><div class="pq-tree-title">《{esc_plan(title)}》 原文（前后各 {at} 条）</div>']
    for chunk in chunks:
        m = chunk.metadata
        here = m.get("path", "") == path
        headings = " › ".join(h for h in str(m.get("headings", "")).split("\n") if h)
        parts.append(
            f'<div class="pq-tree-clause{" pq-here" if here else ""}">'
            + (f'<div class="pq-card-meta">{esc_plan(headings)}</div>' if headings else "")
            + f'<span class="pq-path">{esc_plan(m.get("path_label", ""))}</span><div class="pq-clause">{esc_plan(chunk.text)}</div></div>'
        )
    if download:
        parts.append('<div class="pq-foot">原文件可在下方下载。</div>')
    parts.append("</div>")
    return "".join(parts)


def render_hits_html(result: SearchResult) -> str:
    """命中测试: ranked clauses with the fused (RRF) score and each leg's rank and score."""
    notes = []
    if result.filters:
        notes.append(f"筛选：{esc(describe_filters(result.filters))}")
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
        f'<div class="pq-clause">{esc_plan(hit.text)}</div></td></tr>'
        for rank, hit in enumerate(result.hits, start=1)
    )
    return (
        head + '<table class="pq-table pq-hits"><thead><tr><th>#</th><th>融合分</th><th>向量</th><th>词项</th><th>条款</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


def render_ingest_message_html(message: str, name: str = "") -> str:
    """An ingest message in Chinese (:func:`ui.messages.translate`); one without a translation keeps its English
    original in a fold-out."""
    from ui.messages import translate

    shown = translate(message, name)
    if not shown.original:
        return esc(shown.text)
    return f'{esc(shown.text)}<details class="pq-original"><summary>原文</summary>{esc(shown.original)}</details>'


def render_store_notice_html(error: Exception) -> str:
    """The store is damaged, locked, full, read-only or being written by another ingest: said plainly, nothing lost."""
    return f'<div class="pq-notice">知识库暂不能写入：{render_ingest_message_html(str(error))}</div>'


def render_report_html(report: IngestReport, notes: Sequence[str] = ()) -> str:
    """An ingest report (upload or re-index) as a table, plus upload problems; messages in Chinese."""
    status = {"new": "新增", "updated": "已更新", "repaired": "已修复", "unchanged": "未变", "failed": "失败", "pruned": "已移除", "skipped": "跳过"}
    parts = [f'<div class="pq-notice">{render_ingest_message_html(n)}</div>' for n in notes]
    if report.results:
        rows = "".join(
            f'<tr class="pq-{esc(r.status)}"><td>{esc(r.name)}</td><td>{esc(status.get(r.status, r.status))}</td>'
            f"<td>{r.clauses}</td><td>{r.chunks}</td><td>{render_ingest_message_html(r.message, r.name)}</td></tr>"
            for r in report.results
        )
        parts.append(
            '<table class="pq-table"><thead><tr><th>文件</th><th>结果</th><th>条款</th><th>片段</th><th>说明</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>"
        )
    parts.append(f'<div class="pq-foot">{len(report.results)} 个文件，用时 {report.seconds:.1f} 秒</div>')
    return "".join(parts)
