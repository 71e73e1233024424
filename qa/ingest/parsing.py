"""Plan text -> front matter + numbered clauses. Pure: text in, data out, no I/O.

The pipeline is line based so every clause keeps its character span in the source text:

1. :func:`~qa.ingest.cleaning.source_lines` splits the text into repaired lines with spans and drops the noise,
   lifting the 索引号/发布机构 metadata table out of the body (:mod:`qa.ingest.cleaning`).
2. :func:`~qa.ingest.cleaning.join_wrapped` rejoins lines that a PDF or a web page broke in mid-sentence.
3. :func:`parse_plan` reads the numbering markers (:mod:`qa.ingest.markers`: 一、 / (一) / 1. / (1) / ① / 第X章 /
   第X条 / ——X工程) into a tree, checking that each number follows the last of its kind so that "2020 年," or
   "按照第三条规定" never open a clause, and emits one :class:`Clause` per leaf (plus a preamble and the own
   text of sections that have it).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace

from qa.ingest.annex_lists import ANNEX_MENTION, is_name_line, names_list_at
from qa.ingest.cleaning import Paragraph, ends_mid_sentence, join_wrapped, source_lines
from qa.ingest.markers import Marker, lead_phrase, part_label, read_marker
from qa.normalize import search_form, unify_radicals
from qa.text import chinese_numeral

PARSER_VERSION = "9"  # bump when cleaning or parsing changes clause text: stored plans re-ingest (9: numbers past 9,999 and 第一千…条)
PREAMBLE_PATH = "前言"

# ------------------------------------------------------------------------------------------- clauses


@dataclass(frozen=True)
class Clause:
    """One citable unit of a plan: a leaf clause, a section's own text, or the preamble.

    ``path`` holds the markers as written from the top (``("一、", "(一)", "2.")``); ``headings`` the titles
    of the enclosing sections (``("一、抓实抓细新阶段新冠疫情防控工作", "(一)持续强化监测预警")``); ``text`` is
    the display text, ``search_text`` its normalised form; ``start``/``end`` its span in the source text.
    """

    path: tuple[str, ...]
    headings: tuple[str, ...]
    text: str
    start: int
    end: int
    lead: str = ""
    office: str = ""
    kind: str = "clause"  # clause | section | preamble | paragraph

    @property
    def path_label(self) -> str:
        """Citation form: ``一、(一)2.``; the preamble is ``前言``."""
        return "".join(self.path)

    @property
    def path_key(self) -> str:
        """Stable slash-joined form stored with the chunk: ``一、/(一)/2.``."""
        return "/".join(self.path)

    @property
    def search_text(self) -> str:
        return search_form(self.text)

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(f"{self.path_key}\n{self.text}".encode()).hexdigest()


@dataclass
class ParsedPlan:
    """What the parser makes of one document's text."""

    title: str
    metadata: dict[str, str]
    clauses: list[Clause]
    front_matter: str = ""
    warnings: list[str] = field(default_factory=list)


_OFFICE = re.compile(r"[(（]\s*(?:责任处室|責任處室|责任单位|責任單位|牵头处室|牽頭處室|牵头单位|牽頭單位)\s*[:：]\s*([^()（）]+)[)）]")
# The other way plans name who is responsible: a bracket closing the clause with the bodies that lead or share the
# work, "（省卫生健康委牵头，省教育厅配合）", "（省教育厅、省卫生健康委按职责分工负责）". The office is what the
# bracket says, less its last 负责 (an answer says 由…负责).
_RESPONSIBLE = re.compile(
    r"[(（]([^()（）]{0,120}?(?:委|厅|局|部|办|院|会|中心|政府|单位|团省委|团市委)[^()（）]{0,80}?(?:牵头|配合|负责))[)）][。；;]?\s*$"
)
_TITLE = re.compile(r"(要点|要點|计划|計劃|方案|规划|規劃|意见|意見|纲要|綱要|办法|辦法)\s*(?:[(（][^()（）]{2,20}[)）])?$")
_COVER_TITLE = re.compile(r"^关于|^關於|的通知$")
_DATE_LINE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$")
_ISSUER_LINE = re.compile(r"(委员会|委員會|卫生健康局|衛生健康局|卫健委|衛健委|人民政府|办公室|辦公室|办公厅|辦公廳)$")
_DOC_NUMBER = re.compile(r"^\S{1,12}〔\d{4}〕\d{1,4}号$")


@dataclass
class _Node:
    marker: Marker | None
    paragraphs: list[Paragraph]
    children: list[_Node] = field(default_factory=list)
    child_styles: set[str] = field(default_factory=set)  # the marker styles among children, kept as they are added
    parent: _Node | None = None
    cited: bool = False  # a dash part line that is a level of its clauses' paths (——社会：)


def parse_plan(text: str) -> ParsedPlan:
    """Parse a plan's full text into front matter, preamble and numbered clauses."""
    src = source_lines(text)
    paragraphs = join_wrapped(src.lines)
    warnings = list(src.warnings)
    metadata = dict(src.metadata)
    dashless = any(p.text.startswith("——") for p in paragraphs)
    markers = [read_marker(p.text, dashless_headings=dashless) for p in paragraphs]

    # Front matter ends at the title line, or at the first paragraph that is prose, whichever comes first. An
    # attachment heading (附件2) before the title opens the body: the title and what follows are the attachment's.
    first_marker = next((i for i, p in enumerate(paragraphs) if (m := read_marker(p.text)) and m.style != "annex"), len(paragraphs))
    title, body_start = "", 0
    for i, p in enumerate(paragraphs[:first_marker]):
        probe = unify_radicals(p.text)  # "实施⽅案" from a PDF text layer ends in 方案
        if _TITLE.search(probe) and not _COVER_TITLE.search(probe) and not ANNEX_MENTION.match(probe) and len(p.text) <= 60:
            title, body_start = p.text, i + 1
    front_end = max(body_start - 1, 0)
    annexes = [i for i, m in enumerate(markers[: body_start or first_marker]) if m and m.style == "annex" and names_list_at(paragraphs, i) is None]
    if annexes:
        body_start = front_end = annexes[-1]
    front = paragraphs[:front_end]
    for p in front:
        probe = unify_radicals(p.text)
        if m := _DATE_LINE.match(probe):
            metadata.setdefault("日期", f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}")
        elif _DOC_NUMBER.match(probe):
            metadata.setdefault("文号", p.text)
        elif _ISSUER_LINE.search(probe) and len(p.text) <= 20:
            metadata.setdefault("发布机构", p.text)

    root = _Node(None, [])
    stack: list[_Node] = [root]
    last_number: dict[str, int] = {}
    names_next = 0  # in a notice's list of attachment names ("附件：1.xxx" / "2.xxx"): the next number in it
    for index in range(body_start, len(paragraphs)):
        p, marker = paragraphs[index], markers[index]
        if names_next:
            if marker is not None and marker.style == "num_dot" and marker.number == names_next and is_name_line(marker.rest):
                names_next += 1
                stack[-1].paragraphs.append(p)
                continue
            names_next = 0
        if (following := names_list_at(paragraphs, index)) is not None:
            names_next = following
            stack[-1].paragraphs.append(p)
            continue
        if marker is not None and stack[-1].marker is not None and stack[-1].marker.style == "box":
            if _closes_box(marker, stack):
                stack.pop()
            else:
                marker = None  # a 专栏 box's own lines (its 1. 2. 3. items) are its text
        if marker is not None:
            accepted, note = _fits_sequence(marker, stack, last_number)
            if accepted:
                if note:
                    warnings.append(f"numbering {note} at {marker.label} (offset {p.start})")
                if marker.style == "annex":  # an attachment is a top-level unit whose numbering starts afresh
                    del stack[1:]
                    last_number.clear()
                elif marker.style == "box":  # a box stands under the heading it is in, not inside the item before it
                    while len(stack) > 1 and not stack[-1].children and _has_body(stack[-1]) and marker.style not in _styles(stack):
                        stack.pop()
                if marker.style in _styles(stack):  # a sibling (or an ancestor's sibling): close to it
                    while stack[-1].marker is not None and stack[-1].marker.style != marker.style:
                        stack.pop()
                    stack.pop()
                node = _Node(marker, [p], parent=stack[-1])
                stack[-1].children.append(node)
                stack[-1].child_styles.add(marker.style)
                stack.append(node)
                if marker.style not in ("dash", "annex", "box"):
                    last_number[marker.style] = marker.number
                continue
            node = stack[-1]
            if node.paragraphs and ends_mid_sentence(node.paragraphs[-1].text):
                # A wrapped line that only looks numbered ("…依照本办法" / "第三条规定的程序…") continues the
                # sentence it breaks; join_wrapped could not tell without the numbering sequence.
                prev = node.paragraphs[-1]
                node.paragraphs[-1] = Paragraph(prev.text + p.text, prev.start, p.end)
                if len(node.paragraphs) == 1 and node.marker is not None:
                    node.marker = replace(node.marker, rest=node.marker.rest + p.text)
                continue
        node = stack[-1]
        if node.marker is not None and node.marker.style == "annex" and _is_title_line_of(node, p):
            node.marker = replace(node.marker, rest=node.marker.rest + p.text)
        if (article := _article_of_item(node)) is not None:
            # A paragraph after an article's finished item is the article's next paragraph (款); whether it is a
            # level of the paths (when it carries its own (一) list) is decided when the article is emitted.
            while stack[-1] is not article:
                stack.pop()
            number = len(article.paragraphs) + sum(1 for c in article.children if c.marker and c.marker.style == "paragraph") + 1
            kuan = _Node(Marker("paragraph", number, f"第{chinese_numeral(number)}款", p.text), [p], parent=article)
            article.children.append(kuan)
            article.child_styles.add("paragraph")
            stack.append(kuan)
            continue
        node.paragraphs.append(p)

    clauses = list(_emit(root, (), ()))
    if not any(c.kind != "preamble" for c in clauses) and clauses:
        warnings.append("no clause numbering recognised: ingested paragraph by paragraph")
        clauses = [
            Clause((f"¶{i}",), (), p.text, p.start, p.end, kind="paragraph")
            for i, p in enumerate(root.paragraphs, start=1)
        ]
    return ParsedPlan(
        title=title,
        metadata=metadata,
        clauses=clauses,
        front_matter="\n".join(p.text for p in front),
        warnings=warnings,
    )


def _is_title_line_of(node: _Node, p: Paragraph) -> bool:
    """An attachment's title lines (one or two, right under 附件N) are its heading."""
    lines = [q.text for q in node.paragraphs[1:]] + [p.text]
    return len(lines) <= 2 and all(is_name_line(line, 40) for line in lines)


def _article_of_item(node: _Node) -> _Node | None:
    """The article whose finished (一) item ``node`` is (its text ends a sentence), if it is one."""
    parent = node.parent
    if node.marker is None or node.marker.style != "cn_paren" or node.children or parent is None or parent.marker is None:
        return None
    if parent.marker.style == "paragraph":
        parent = parent.parent
    if parent is None or parent.marker is None or parent.marker.style != "article":
        return None
    return parent if node.paragraphs[-1].text.endswith(("。", "；", ";")) else None


def _article_paragraphs(node: _Node, children: list[_Node]) -> list[_Node]:
    """An article's children with its paragraphs (款) sorted out: a paragraph that carries its own (一) list is a
    level (第一百零四条/第二款/(一)), and then the items before it are the first list's (第一款/(一)); any other
    paragraph after an item continues the text before it, as it reads (its items, if numbered on, the article's)."""
    out: list[_Node] = []
    for child in children:
        if child.marker is None or child.marker.style != "paragraph":
            out.append(child)
            continue
        first = next((g.marker.number for g in child.children if g.marker is not None), 0)
        if first == 1:
            out.append(child)
            continue
        target = out[-1] if out else node
        while target.children:
            target = target.children[-1]
        target.paragraphs.extend(child.paragraphs)
        for grandchild in child.children:
            grandchild.parent = node
            out.append(grandchild)
    lists = [i for i, c in enumerate(out) if c.marker is not None and c.marker.style == "paragraph"]
    if not lists or not any(c.marker is not None and c.marker.style == "cn_paren" for c in out[: lists[0]]):
        return out
    number = max(len(node.paragraphs), 1)
    lead = _Node(Marker("paragraph", number, f"第{chinese_numeral(number)}款", ""), [], parent=node)
    lead.children = out[: lists[0]]
    for item in lead.children:
        item.parent = lead
    return [lead, *out[lists[0] :]]


def _has_body(node: _Node) -> bool:
    """A unit with text of its own (a run-in item, or a heading with paragraphs under it)."""
    return node.marker is not None and (len(node.paragraphs) > 1 or not _is_title(node.marker.rest))


def _closes_box(marker: Marker, stack: list[_Node]) -> bool:
    """Whether ``marker`` ends the 专栏 box on top of ``stack``: a heading of a level above, another box, or a sibling
    of the units before the box (the section's next (三))."""
    if marker.style in ("part", "chapter", "section", "article", "annex", "box") or marker.style in _styles(stack):
        return True
    parent = stack[-1].parent
    return parent is not None and marker.style in parent.child_styles  # a set: a plan of many boxes stays linear


def _styles(stack: list[_Node]) -> list[str]:
    return [n.marker.style for n in stack[1:] if n.marker]


def _fits_sequence(marker: Marker, stack: list[_Node], last_number: dict[str, int]) -> tuple[bool, str]:
    """Accept a marker when its number follows the last of its style (or restarts at 1 under a new parent).

    Returns (accepted, note); the note names a tolerated irregularity (a jump of up to 3, a repeat).
    """
    if marker.style in ("dash", "annex", "box", "paragraph"):
        return True, ""
    styles = _styles(stack)
    if marker.style in styles:
        expected = next(n.marker.number for n in reversed(stack[1:]) if n.marker and n.marker.style == marker.style) + 1
    else:
        expected = last_number.get(marker.style, 0) + 1
        if marker.number == 1:
            return True, ""
    if marker.number == expected:
        return True, ""
    if expected < marker.number <= expected + 3 and marker.style in styles:
        return True, f"jumps from {expected - 1} to {marker.number}"
    if marker.number == expected - 1 and marker.style in styles:
        return True, f"repeats {marker.number}"
    return False, ""


def _emit(node: _Node, path: tuple[str, ...], headings: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """Yield the clauses under ``node``: leaves, sections with their own body text, the preamble."""
    children = _fold_dash_lines(node)
    if node.marker is not None and node.marker.style == "article":
        children = _article_paragraphs(node, children)
    if node.marker is None:  # the root: its paragraphs are the preamble
        if node.paragraphs:
            yield _clause(node.paragraphs, path or (PREAMBLE_PATH,), headings, kind="preamble")
        child_path = path
    else:
        own_path = path + (node.marker.label,)
        # An article's words are its text, never a title: the lead-in of its (一)(二) items is the article's own text.
        own_is_body = len(node.paragraphs) > 1 or not _is_title(node.marker.rest) or node.marker.style == "article"
        if not children or own_is_body:
            kind = "clause" if not children else "section"
            yield _clause(node.paragraphs, own_path, headings, kind=kind, lead=lead_phrase(node.marker.rest, 30))
        # A dash sub-heading (——乡村能力提升工程) titles its clauses but is not part of their citation; a part line
        # (——社会：) whose items restart at 1 is: without it 1. 2. would repeat under the same section.
        child_path = path if node.marker.style == "dash" and not node.cited else own_path
        # A heading that is no clause of its own is kept whole in the chain, so none of its words are lost.
        headings = headings + (_heading(node, whole=not (not children or own_is_body)),)
    _mark_cited_parts(children)
    for child in children:
        yield from _emit(child, child_path, headings)


def _fold_dash_lines(node: _Node) -> list[_Node]:
    """``node``'s children, with dash lines that have nothing numbered under them and come before its numbered
    units (the ——普及健康知识。… lines of a 基本路径) folded into its own text: they are bullets, not units."""
    children = list(node.children)
    while children and children[0].marker is not None and children[0].marker.style == "dash" and not children[0].children:
        if node.marker is None and not node.paragraphs:
            break  # at the top of a plan with no preamble they stay units of their own
        node.paragraphs.extend(children.pop(0).paragraphs)
    return children


def _mark_cited_parts(children: list[_Node]) -> None:
    """Dash part lines (——个人和家庭： / ——社会：) among ``children`` are path levels when the items under each start
    again at 1; when the numbering runs on from part to part the numbers alone are unique and the parts are not."""
    parts = [c for c in children if c.marker is not None and c.marker.style == "dash" and part_label(c.marker.rest)]
    firsts = [next((g.marker.number for g in c.children if g.marker is not None and g.marker.number), 0) for c in parts]
    restart = all(n == 1 for n in firsts if n)
    for c in parts:
        c.cited = restart and bool(c.children)


def _clause(paragraphs: list[Paragraph], path, headings, kind: str, lead: str = "") -> Clause:  # type: ignore[no-untyped-def]
    text = "\n".join(p.text for p in paragraphs)
    offices = [m.group(1).strip() for m in _OFFICE.finditer(text)]
    if not offices and (closing := _RESPONSIBLE.search(text)):
        offices = [re.sub(r"负责$", "", closing.group(1).strip())]
    return Clause(
        path=path,
        headings=headings,
        text=text,
        start=paragraphs[0].start,
        end=paragraphs[-1].end,
        lead=lead,
        office="、".join(dict.fromkeys(offices)),
        kind=kind,
    )


def _is_title(rest: str) -> bool:
    """A heading without body: short, no sentence inside (``大力实施健康赣州建设筑基行动``)."""
    core = rest.rstrip("。")
    return len(core) <= 40 and not re.search(r"[。；;]", core)


def _heading(node: _Node, whole: bool = False) -> str:
    """The section's title in the heading chain: its lead phrase, or (``whole``) all of its text but a final 。."""
    assert node.marker is not None
    label = "" if node.marker.style == "dash" else node.marker.label
    if whole:
        return label + node.marker.rest.strip().removesuffix("。")
    return label + (lead_phrase(node.marker.rest, 40) or node.marker.rest[:40])
