"""The 知识库 tab's Chinese for the ingest core's English messages (ui/messages.py, ui/assets/ingest_messages_zh.toml),
and the escaping and lost-character marking of ui/render.py that issue 16 found wrong."""

from __future__ import annotations

import pytest

from ui.messages import translate
from ui.render import LOST_MARK, esc, esc_plan, highlight_html
from ui.render_kb import render_report_html

# Messages as the core writes them (qa/ingest/): each must come out Chinese, with no English prose left.
CORE_MESSAGES = [
    "bad_scan.pdf: not a PDF (no %PDF header); check the file, or give it the extension of its real format",
    "a.pdf: truncated PDF (no end-of-file marker); download or copy the complete file again",
    "a.pdf: encrypted PDF (needs a password); decrypt it or export the text",
    "a.pdf: 2,345 pages (the limit is 2,000); split the PDF into files of its parts",
    "a.pdf: corrupt PDF (PdfReadError: EOF marker not found); open and save it again, or export the text",
    "a.pdf: the PDF has no text layer (a scan?); run OCR on it or export the text",
    "text of page(s) 3, 4 read with PDFium (pypdf's had replacement characters or little Chinese)",
    "no catalog entry: metadata inferred from the text; could not infer issuer, date",
    "date and years from the notice 关于印发工作要点的通知 that lists it as 附件1",
    "3 place(s) where characters were lost in an encoding round trip ('??' in words); kept as is",
    "table of contents (12 lines) left out of the clauses",
    "no clause numbering recognised: ingested paragraph by paragraph",
    "numbering jumps at 三、 (offset 1200)",
    "a.txt: the file is empty; nothing to ingest",
    "a.txt: binary content, the bytes of a ZIP archive, not text; save it as the format it really is",
    "a.txt: Japanese (cp932) text, not Chinese; PlanQA reads Chinese plans (convert a translation to UTF-8 text)",
    "a.docx: corrupt or truncated .docx (BadZipFile: File is not a zip file); open and save it again in Word",
    "a.doc: not a Word 97–2003 document (no OLE header); open it in Word or WPS and save it as .docx",
    "a.html: no article text found in the page; save the article itself, or copy its text into a .txt file",
    "/x/a.xyz: unsupported file type .xyz; accepted: .doc, .docx, .pdf, .txt",
    "/x/a.pdf: 25.0 MB is over the 20 MB limit; raise max_file_mb or split the file",
    "staff correction: title, issuer",
    "a.txt: the plan's file is in neither data/plans nor var/uploads; the correction applies when it is ingested again",
    "1 clause(s) address the reader instead of stating policy, never quoted in answers: 一、2. (instruction/markup)",
    "the store /srv/store is being written by `planqa ingest` (pid 4242 on host1, run 1a2b3c4d, since 2026-12-02 03:00:00); "
    "waited 5 s; only one writer at a time: try again when it has finished, or set PLANQA_WRITER_WAIT_SECONDS to wait for it",
    "3 of its 12 chunks were stored (an interrupted write): written again",
    "the disk holding the store /srv/store is full (1.0 MB free; writing 40 chunks needs about 0.3 MB and 64 MB are kept free so that "
    "the store stays readable (PLANQA_STORE_MIN_FREE_MB)): free space on it and try again; the plans committed before are kept "
    "(what could not be written is written by the next ingest)",
    "the store /srv/store is read-only: it can be searched, not written; to ingest, make it writable (its folder and chroma.sqlite3) "
    "or ingest into another store with --store",
    "the store /srv/store is locked by another program (its database /srv/store/chroma.sqlite3 stayed locked for 5 s): close the "
    "program that holds it (an sqlite3 shell, a backup or sync tool, another Chroma) and try again; PLANQA_STORE_BUSY_SECONDS sets the wait",
    "the store /srv/store is damaged (/srv/store/chroma.sqlite3 is not an SQLite database); restore the store from a backup, or move "
    "the folder aside and run `planqa ingest` to build it again",
    "a.pdf: reading its text took more than 60 s (the limit; stopped at page 41 of 108); its pages are unusually costly to read: "
    "export the text (or save the PDF again from its source) and ingest that",
]


@pytest.mark.parametrize("message", CORE_MESSAGES)
def test_core_messages_come_out_in_chinese(message: str) -> None:
    shown = translate(message)
    assert not shown.original, shown
    assert not any(word in shown.text for word in ("the ", " not ", " of ", "check", "inferred")), shown.text


def test_the_file_name_is_kept_once_and_an_unknown_message_keeps_its_original() -> None:
    assert translate("/tmp/up/bad_scan.pdf: not a PDF (no %PDF header); check the file, or give it the extension of its real format",
                     "bad_scan.pdf").text.startswith("不是 PDF 文件")
    assert translate("bad_scan.pdf: not a PDF (no %PDF header); check the file, or give it the extension of its real format").text.startswith("bad_scan.pdf：")
    unknown = translate("x.pdf: something new went wrong")
    assert "暂无中文" in unknown.text and unknown.original == "x.pdf: something new went wrong"
    assert "未能推断 发布机构、日期" in translate(CORE_MESSAGES[7]).text


def test_report_html_has_no_english_and_no_double_escaping() -> None:
    from qa.ingest.pipeline import FileResult, IngestReport

    report = IngestReport([FileResult("a.txt", "a", "new", clauses=3, message=CORE_MESSAGES[9] + "; " + CORE_MESSAGES[7])])
    html = render_report_html(report, [CORE_MESSAGES[0]])
    assert "&#x27;" not in html and "&&#35;" not in html and "kept as is" not in html and "not a PDF" not in html
    assert "编码转换中丢失" in html and "新增" in html


def test_escaping_is_one_pass() -> None:
    assert esc("('??' in words)") == "&#40;&#39;??&#39; in words&#41;"  # the browser shows ('??' in words), not &#x27;
    assert esc('<a href="x">&</a>') == "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"


def test_lost_characters_are_a_visible_marker_with_a_tooltip() -> None:
    html = esc_plan("重點??瓢l展")
    assert html.count(LOST_MARK) == 2 and "??" not in html and 'title="此处有字符在编码转换中丢失' in html
    assert LOST_MARK not in esc_plan("南京市2023年新增多少托位?") and esc_plan("重?瓢").count(LOST_MARK) == 1  # only inside words
    marked = highlight_html("一、重點??瓢l展托育服务。", "重點??瓢l展托育服务。")
    assert "<mark>" in marked and marked.count(LOST_MARK) == 2 and "??" not in marked
