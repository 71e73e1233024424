"""Government web pages (.html/.htm): the article body without the site's furniture (menus, breadcrumbs, share
bars, footers), its title first and the information-disclosure table kept as ``key | value`` rows.
BeautifulSoup is imported when a page is read.
"""

from __future__ import annotations

import re

from qa.ingest.encoding import BOMS, decode_text, unix_newlines
from qa.ingest.limits import limits
from qa.ingest.readtext import TABLE_CELL_SEPARATOR, DocumentError, ReadText

_HTML_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "form", "button", "select", "input", "nav", "header", "footer", "aside", "svg", "img")
# id/class words of page furniture on government sites (menus, breadcrumbs, share bars, footers …).
_FURNITURE = re.compile(
    r"^(?:nav|navbar|menu|header|head|footer|foot|bottom|breadcrumbs?|crumbs?|position|location|sidebar|side|share|"
    r"bdsharebuttonbox|copyright|banner|toolbar|tools|search|login|related|relevant|links|friendlink|qrcode|ewm|print|close)$",
    re.IGNORECASE,
)
_BLOCK_TAGS = frozenset({
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "table", "tbody", "thead", "tr",
    "section", "article", "main", "blockquote", "pre", "dd", "dt", "dl", "center", "hr",
})
# Keys whose table rows are kept at the top of the text (the cleaner's own list says which rows it lifts into metadata).
_METADATA_KEYS = ("索引号", "发布机构", "公开方式", "组配分类", "成文日期", "发文字号", "主题分类", "发布日期", "文号")
_CJK = re.compile(r"[\u3400-\u9fff]")


def read_html(name: str, data: bytes) -> ReadText:
    """A government web page: the article body (navigation, headers, footers, share bars dropped).

    The page title (``<meta name="ArticleTitle">``, the article's ``<h1>``, or ``<title>``) comes first and the
    information-disclosure table (索引号, 发布机构, 成文日期…) is kept as ``key | value`` rows, which the cleaner
    lifts into document metadata.
    """
    text, charset = _decode_html(name, data)
    budget = limits()
    elements = len(_ELEMENT.findall(text))
    if elements > budget.max_html_elements:
        raise DocumentError(
            f"{name}: {elements:,} HTML elements (the limit is {budget.max_html_elements:,}); "
            "save the article itself, or copy its text into a .txt file"
        )
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "lxml")
    if _depth(soup, budget.max_html_depth) > budget.max_html_depth:
        raise DocumentError(
            f"{name}: HTML elements nested more than {budget.max_html_depth} deep; no article page nests so deep: "
            "save the article itself, or copy its text into a .txt file"
        )
    title = _html_title(soup)
    metadata = [row for row in (_row_text(tr) for tr in soup.find_all("tr")) if any(k in row for k in _METADATA_KEYS)]
    for tag in soup.find_all(list(_DROP_TAGS)):
        tag.decompose()
    for tag in soup.find_all(_is_furniture):
        tag.decompose()
    body = _article(soup.body or soup)
    lines = [line for line in (re.sub(r"[ \t]+", " ", piece).strip() for piece in _block_text(body).split("\n")) if line]
    if title and not any(title == line or title in line[: len(title) + 4] for line in lines[:5]):
        lines.insert(0, title)
    lines[0:0] = [row for row in metadata if row not in lines]
    if not any(_CJK.search(line) or re.search(r"\w{3}", line) for line in lines):
        raise DocumentError(f"{name}: no article text found in the page; save the article itself, or copy its text into a .txt file")
    return ReadText("\n".join(lines), f"html:{charset}")


_ELEMENT = re.compile(r"<[A-Za-z]")


def _depth(soup, limit: int) -> int:  # type: ignore[no-untyped-def]
    """How deep the page's elements nest (the walk stops past ``limit``); iterative, so any depth can be measured."""
    from bs4 import Tag

    deepest = 0
    stack = [(soup, 0)]
    while stack:
        tag, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > limit:
            break
        stack.extend((child, depth + 1) for child in tag.contents if isinstance(child, Tag))
    return deepest


def _decode_html(name: str, data: bytes) -> tuple[str, str]:
    """Bytes of a page -> text: a BOM, then the page's own ``<meta charset>``, then the text-file detection."""
    if not data.startswith(tuple(bom for bom, _ in BOMS)) and (m := _HTML_CHARSET.search(data[:4096])):
        charset = m.group(1).decode("ascii").lower()
        codec = "gb18030" if charset in {"gb2312", "gbk", "gb18030", "x-gbk"} else charset
        try:
            return unix_newlines(data.decode(codec)), charset
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong or unknown declaration: detect instead
    return decode_text(data, name)


# Where a page title's site name begins; tried only where a run of spaces begins ((?<!\s)), so it is linear.
_SITE_NAME = re.compile(r"(?<!\s)\s*(?:[_|｜]|\s-\s|——)\s*")


def _html_title(soup) -> str:  # type: ignore[no-untyped-def]
    meta = soup.find("meta", attrs={"name": re.compile(r"^(ArticleTitle|title)$", re.IGNORECASE)})
    if meta and meta.get("content", "").strip():
        return str(meta["content"]).strip()
    for tag in (soup.find("h1"), soup.title):
        if tag and tag.get_text(strip=True):
            # "<title>赣州市2023年卫生健康工作要点_赣州市人民政府</title>": the site name goes
            return _SITE_NAME.split(tag.get_text(" ", strip=True))[0]
    return ""


def _is_furniture(tag) -> bool:  # type: ignore[no-untyped-def]
    if tag.name in {"html", "body"}:
        return False
    words = [tag.get("id") or ""] + list(tag.get("class") or [])
    return any(_FURNITURE.match(part) for word in words for part in re.split(r"[-_\s]+", str(word)) if part)


def _text_weight(tag) -> int:  # type: ignore[no-untyped-def]
    """Characters of text in ``tag`` outside links (menus are mostly links; an article mostly not)."""
    return _text_weights(tag)[id(tag)]


def _text_weights(root) -> dict[int, int]:  # type: ignore[no-untyped-def]
    """:func:`_text_weight` of ``root`` and of every tag under it (by ``id``), in one pass from the leaves up: the
    text of a tag (non-space characters of its strings) less that of the links under it, each link counted as
    often as it is nested (as ``find_all("a")`` counts)."""
    from bs4 import CData, NavigableString, Tag

    total: dict[int, int] = {}
    links: dict[int, int] = {}
    stack = [(root, False)]
    while stack:
        tag, done = stack.pop()
        if not done:
            stack.append((tag, True))
            stack.extend((child, False) for child in tag.contents if isinstance(child, Tag))
            continue
        text = linked = 0
        for child in tag.contents:
            if isinstance(child, Tag):
                text += total[id(child)]
                linked += links[id(child)] + (total[id(child)] if child.name == "a" else 0)
            elif type(child) in (NavigableString, CData):
                text += len(child) - sum(1 for ch in child if ch.isspace())
        total[id(tag)], links[id(tag)] = text, linked
    return {key: total[key] - links[key] for key in total}


def _article(tag):  # type: ignore[no-untyped-def]
    """Descend from ``tag`` into the child holding most of its text while one child holds nearly all of it."""
    weights = _text_weights(tag)  # once: weighing each level again would be quadratic in the nesting
    while True:
        weight = weights[id(tag)]
        children = [c for c in tag.find_all(recursive=False) if c.name not in {"p", "span", "a", "strong", "b", "em", "font"}]
        best = max(children, key=lambda c: weights[id(c)], default=None)
        if best is None or weight == 0 or weights[id(best)] < 0.8 * weight:
            return tag
        tag = best


_KEY_VALUE = re.compile(r"^(" + "|".join(_METADATA_KEYS) + r")\s*[:：]\s*(.*)$")


def _row_text(tr) -> str:  # type: ignore[no-untyped-def]
    """A table row as ``cell | cell``; ``索引号：123`` cells become ``索引号 | 123`` (the cleaner reads key/value pairs)."""
    cells: list[str] = []
    for td in tr.find_all(["td", "th"], recursive=False):
        cell = re.sub(r"\s+", " ", td.get_text(" ", strip=True))
        if m := _KEY_VALUE.match(cell):
            cells.extend([m[1], m[2]] if m[2] else [m[1]])
        else:
            cells.append(cell.rstrip(":："))
    return TABLE_CELL_SEPARATOR.join(cells)


def _block_text(tag) -> str:  # type: ignore[no-untyped-def]
    """Text of ``tag`` with a line break around each block element; inline tags (strong, span, a) stay inline."""
    from bs4 import NavigableString, Tag
    from bs4.element import Comment

    out: list[str] = []

    def walk(node) -> None:  # type: ignore[no-untyped-def]
        for child in node.children:
            if isinstance(child, Comment):
                continue
            if isinstance(child, NavigableString):
                out.append(re.sub(r"\s+", " ", str(child)))
            elif isinstance(child, Tag):
                if child.name == "tr":
                    out.append("\n" + _row_text(child) + "\n")
                    continue
                block = child.name in _BLOCK_TAGS
                if block:
                    out.append("\n")
                walk(child)
                if block:
                    out.append("\n")

    walk(tag)
    return "".join(out)

