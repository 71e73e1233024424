"""Builders of small PDF, DOCX and HTML plans from known text, so tests know the clause paths to expect; tables
(merged cells included) in .docx and ruled in PDFs, so tests know the rows to expect.

PDFs are drawn with reportlab's built-in CJK font (STSong-Light, not embedded: nothing to install), lines hard
wrapped at a fixed width like a real PDF, with a running header and a page number on every page.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from docx.oxml import parse_xml

W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'

# A known plan, as typed (the .txt form): the clause paths every format must give.
TITLE = "江州市2023年卫生健康工作要点"
PREAMBLE = "为推进健康江州建设,根据省卫生健康委年度工作部署,结合我市实际,制定本要点。"
ITEM_1 = "全面推进紧密型县域医共体建设,县域内就诊率达到90%以上,基层医疗卫生机构诊疗量占比达到65%。(责任处室:体改处)"
ITEM_2 = "做实家庭医生签约服务,重点人群签约率达到75%以上,签约服务费按规定落实到位,提升群众获得感。(责任处室:基层处)"
ITEM_3 = "完善重大疫情监测预警体系,二级以上医疗机构传染病网络直报率保持100%,及时发现和处置各类突发公共卫生事件。"
ITEM_4 = "推进国家区域医疗中心建设,新增三级医院2家,市级临床重点专科达到40个,减少群众跨省就医。(责任处室:医政处)"
ITEM_5 = "加强护理服务体系建设,每千人口注册护士数达到3.8人,开展“互联网+护理服务”的医院达到30家以上。"
TYPED = [
    TITLE, PREAMBLE,
    "一、深化医药卫生体制改革", "(一)推进分级诊疗。", f"1.{ITEM_1}", f"2.{ITEM_2}", "(二)加强公共卫生。", f"3.{ITEM_3}",
    "二、提升医疗服务能力", f"4.{ITEM_4}", f"5.{ITEM_5}",
]
TYPED_PATHS = ["前言", "一、/(一)/1.", "一、/(一)/2.", "一、/(二)/3.", "二、/4.", "二、/5."]


# ---------------------------------------------------------------------------------------------- PDF


def wrap(paragraph: str, width: int) -> list[str]:
    """A paragraph cut into lines of ``width`` characters, as a PDF lays it out."""
    return [paragraph[i : i + width] for i in range(0, len(paragraph), width)] or [""]


def make_pdf(
    paragraphs: Sequence[str],
    width: int = 30,
    lines_per_page: int = 12,
    header: str | None = None,
    page_number: str | None = "— {n} —",
    password: str | None = None,
) -> bytes:
    """A PDF of ``paragraphs`` hard wrapped at ``width`` characters, ``lines_per_page`` body lines a page.

    ``header`` is drawn at the top of every page, ``page_number`` (with ``{n}``) at the bottom; ``password``
    encrypts the file (RC4, which pypdf opens without extra packages).
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    lines = [line for p in paragraphs for line in wrap(p, width)]
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pages = [lines[i : i + lines_per_page] for i in range(0, len(lines), lines_per_page)]
    for n, page in enumerate(pages, start=1):
        pdf.setFont("STSong-Light", 12)
        if header:
            pdf.drawString(72, 800, header)
        y = 770
        for line in page:
            pdf.drawString(72, y, line)
            y -= 20
        if page_number:
            pdf.drawString(280, 40, page_number.format(n=n))
        pdf.showPage()
    pdf.save()
    data = buffer.getvalue()
    if password is None:
        return data
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=password, owner_password=password + "-owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --------------------------------------------------------------------------------------------- DOCX

# A multi-level list as Chinese plans number them: 一、 / （一） / 1.
CHINESE_LIST = f"""
<w:abstractNum {W_NS} w:abstractNumId="90">
  <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/></w:lvl>
  <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="（%2）"/></w:lvl>
  <w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%3."/></w:lvl>
</w:abstractNum>
"""


def make_docx(items: Sequence[tuple[str, int | None] | tuple[str, str] | GridTable], table: Sequence[Sequence[str]] = ()) -> bytes:
    """A .docx of paragraphs. Each item is ``(text, level)``: level 0-2 numbers the paragraph with Word's
    automatic Chinese list (一、 / （一） / 1.), None leaves it plain, the string ``"List Number"`` uses that
    built-in style (decimal numbering from the style); or a :class:`GridTable`, put there in the body.
    ``table`` rows (plain cells) go after the paragraphs.
    """
    import docx

    document = docx.Document()
    numbering = document.part.numbering_part.element
    numbering.insert(0, parse_xml(CHINESE_LIST))  # abstractNum definitions come before the num elements
    numbering.append(parse_xml(f'<w:num {W_NS} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))
    for item in items:
        if isinstance(item, GridTable):
            document.element.body.insert(len(document.element.body) - 1, parse_xml(docx_table_xml(item)))  # before sectPr
            continue
        text, level = item
        if level == "List Number":
            document.add_paragraph(text, style="List Number")
            continue
        paragraph = document.add_paragraph(text)
        if isinstance(level, int):
            num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
            num_pr.get_or_add_numId().val = 90
            num_pr.get_or_add_ilvl().val = level
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for row, cells in zip(grid.rows, table, strict=True):
            for cell, text in zip(row.cells, cells, strict=True):
                cell.text = text
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------- HTML


def make_gov_page(title: str, paragraphs: Sequence[str], charset: str = "utf-8", index_no: str = "11360700MB1234567X/2023-00012") -> bytes:
    """A government article page as such sites are built: menus, breadcrumbs, a disclosure table, the article
    in ``div#zoom``, a share bar, related links and a footer. Encoded in ``charset`` and declared in a meta tag."""
    body = "\n".join(f"<p style=\"text-indent:2em\">{p}</p>" for p in paragraphs)
    page = f"""<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">
<meta name="ArticleTitle" content="{title}"><title>{title}_江州市卫生健康委员会</title>
<style>.nav {{ color: red }}</style><script>var x = "一、不是条款";</script></head>
<body>
<div class="header"><div class="logo">江州市卫生健康委员会</div></div>
<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li><li><a href="/xwzx/">新闻中心</a></li></ul></div>
<div class="main">
  <div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; 规划计划</div>
  <div class="article">
    <table class="xxgk"><tr><td>索引号：</td><td>{index_no}</td><td>发布机构：</td><td>江州市卫生健康委员会</td></tr>
    <tr><td>成文日期：</td><td>2023-03-01</td><td>主题分类：</td><td>卫生、体育</td></tr></table>
    <h1>{title}</h1>
    <div class="info">发布时间：2023-03-02 浏览次数：<span id="count">1024</span></div>
    <div id="zoom"><div class="TRS_Editor">
{body}
    </div></div>
    <div class="bdsharebuttonbox">分享到：<a class="bds_weixin">微信</a></div>
  </div>
  <div class="related"><h3>相关文章</h3><ul><li><a href="/a.html">一、关于印发某某方案的通知</a></li></ul></div>
</div>
<div class="footer">主办单位：江州市卫生健康委员会 ICP备12345678号 <a href="/sitemap">网站地图</a></div>
</body></html>"""
    return page.encode(charset)


# -------------------------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class Merged:
    """A table cell for the builders that spans ``cols`` columns and ``rows`` rows from where it is written."""

    text: str
    cols: int = 1
    rows: int = 1


# A table as its reader sees it: rows of grid positions, each a cell's text, a Merged cell at its first position,
# or None where a merged cell from above or from the left covers it.
Grid = Sequence[Sequence["str | Merged | None"]]


@dataclass(frozen=True)
class GridTable:
    """A table among a .docx's paragraphs (``make_docx`` items); ``header_rows`` are marked Word repeat-header rows."""

    rows: Grid
    header_rows: int = 0


def _origins(grid: Grid) -> dict[tuple[int, int], tuple[int, int, Merged]]:
    """Grid position -> (row, column) of the cell covering it, and the cell."""
    cover: dict[tuple[int, int], tuple[int, int, Merged]] = {}
    for r, row in enumerate(grid):
        for c, cell in enumerate(row):
            if cell is None:
                continue
            merged = cell if isinstance(cell, Merged) else Merged(cell)
            for rr in range(r, r + merged.rows):
                for cc in range(c, c + merged.cols):
                    cover[(rr, cc)] = (r, c, merged)
    return cover


def docx_table_xml(table: GridTable) -> str:
    """A ``w:tbl`` for ``table``: ``w:gridSpan`` for a cell across columns, ``w:vMerge`` for one down rows."""
    from xml.sax.saxutils import escape

    cover = _origins(table.rows)
    columns = max(len(row) for row in table.rows)
    rows = []
    for r in range(len(table.rows)):
        cells, c = [], 0
        while c < columns:
            origin = cover.get((r, c))
            if origin is None:
                cells.append("<w:tc><w:p/></w:tc>")
                c += 1
                continue
            r0, c0, merged = origin
            props = f'<w:gridSpan w:val="{merged.cols}"/>' if merged.cols > 1 else ""
            if merged.rows > 1:
                props += '<w:vMerge w:val="restart"/>' if r0 == r else "<w:vMerge/>"
            paragraphs = "".join(f"<w:p><w:r><w:t>{escape(line)}</w:t></w:r></w:p>" for line in merged.text.split("\n")) if r0 == r else "<w:p/>"
            cells.append(f"<w:tc><w:tcPr>{props}</w:tcPr>{paragraphs}</w:tc>")
            c = c0 + merged.cols
        header = "<w:trPr><w:tblHeader/></w:trPr>" if r < table.header_rows else ""
        rows.append(f"<w:tr>{header}{''.join(cells)}</w:tr>")
    grid = "".join('<w:gridCol w:w="1500"/>' for _ in range(columns))
    return f"<w:tbl {W_NS}><w:tblPr><w:tblStyle w:val=\"TableGrid\"/></w:tblPr><w:tblGrid>{grid}</w:tblGrid>{''.join(rows)}</w:tbl>"


def make_table_pdf(
    before: Sequence[str],
    table: Grid,
    after: Sequence[str] = (),
    widths: Sequence[int] | None = None,
    rows_per_page: int = 40,
    header_rows: int = 1,
    frame_only: Sequence[tuple[int, int]] = (),
) -> bytes:
    """A PDF with the paragraphs ``before`` (one line each), a ruled ``table`` (rows 20 pt high, every cell boxed,
    merged cells as one box; ``widths`` in characters of 12 pt), then ``after``. A table longer than
    ``rows_per_page`` goes on over pages with its ``header_rows`` repeated, the way Word prints it.
    ``frame_only`` lists grid positions whose box is drawn without its bottom rule (a table that misses a rule)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    columns = max(len(row) for row in table)
    widths = list(widths or [8] * columns)
    xs = [72]
    for w in widths:
        xs.append(xs[-1] + w * 12 + 8)
    cover = _origins(table)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    y = 780

    def line(text: str) -> None:
        nonlocal y
        if y < 60:
            pdf.showPage()
            y = 780
        pdf.setFont("STSong-Light", 12)
        pdf.drawString(72, y, text)
        y -= 20

    def draw_row(r: int, top: float) -> None:
        pdf.setFont("STSong-Light", 12)
        for c in range(columns):
            origin = cover.get((r, c))
            if origin is None or origin[:2] != (r, c):
                continue
            merged = origin[2]
            x0, x1, bottom = xs[c], xs[c + merged.cols], top - 20 * merged.rows
            pdf.line(x0, top, x1, top)
            pdf.line(x0, top, x0, bottom)
            pdf.line(x1, top, x1, bottom)
            if (r, c) not in frame_only:
                pdf.line(x0, bottom, x1, bottom)
            for k, text in enumerate(merged.text.split("\n")):
                pdf.drawString(x0 + 4, top - 14 - 12 * k, text)

    for text in before:
        line(text)
    header = list(range(header_rows))
    body = list(range(header_rows, len(table)))
    top = y + 6
    on_page = 0
    for r in header:
        draw_row(r, top)
        top -= 20
    for r in body:
        if on_page == rows_per_page:
            pdf.showPage()
            top = 786
            on_page = 0
            for h in header:
                draw_row(h, top)
                top -= 20
        draw_row(r, top)
        top -= 20
        on_page += 1
    y = top - 20
    for text in after:
        line(text)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
