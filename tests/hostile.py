"""A corpus of hostile ingest inputs, generated (no large file is committed), and a real ingest of it in a child
process: ``python -m tests.hostile FOLDER`` prints one JSON line per result. The tests run it with a generous
timeout, so a file that hangs ingest fails its test instead of hanging the suite.

Each generated file stands for a case of a red-team run (issue 15): devices and pipes where a plan is expected,
inputs that made a rule or reader quadratic, files that exhaust memory. ``write_corpus`` returns, for each, the
phrase its ``failed`` row must hold; ``good.txt`` beside them must still be ingested.
"""

from __future__ import annotations

import io
import json
import os
import socket
import sys
import zipfile
from pathlib import Path

from tests.formats import TYPED, make_docx, make_pdf

GOOD = "\n".join(TYPED) + "\n"
# A clause of realistic words: a line 7 characters a phrase.
PHRASE = "健康促进行动，"


def numbered_plan(items: int) -> str:
    """A plan of ``items`` numbered clauses under one heading."""
    return "一、目标任务\n" + "".join(f"{i}.推进第{i}项健康促进工作，完成年度任务。\n" for i in range(1, items + 1))


def nested_html(depth: int) -> str:
    """A page whose article sits under ``depth`` nested divs."""
    return "<html><body>" + "<div>" * depth + "<p>一、目标任务</p><p>1.推进健康促进工作。</p>" + "</div>" * depth + "</body></html>"


def padded_docx(padding: int) -> bytes:
    """A valid .docx whose document.xml ends in an XML comment of ``padding`` spaces (it packs ~1000 times)."""
    source = zipfile.ZipFile(io.BytesIO(make_docx([(line, None) for line in TYPED])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "word/document.xml":
                data += b"<!--" + b" " * padding + b"-->"
            target.writestr(info.filename, data)
    return out.getvalue()


def write_corpus(folder: Path) -> dict[str, str]:
    """Write the hostile files (and ``good.txt``) into ``folder``; returns file name -> what its failed row says."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "good.txt").write_text(GOOD, encoding="utf-8")
    expected = {}
    for name, target in (("zero.txt", "/dev/zero"), ("urandom.md", "/dev/urandom")):
        (folder / name).symlink_to(target)
        expected[name] = "a character device, not a regular file"
    os.mkfifo(folder / "p.txt")
    expected["p.txt"] = "a named pipe (FIFO), not a regular file"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(folder / "s.txt"))  # closed at once; the socket file stays
    server.close()
    expected["s.txt"] = "a socket, not a regular file"
    (folder / "brackets.md").write_text("一、目标\n" + "[" * 100_000, encoding="utf-8")
    expected["brackets.md"] = "has 100,005 characters (the limit is 10,000)"
    (folder / "bold.md").write_text("一、目标\n" + "**a " * 40_000, encoding="utf-8")
    expected["bold.md"] = "a line of 160,000 characters (the limit is 100,000)"
    (folder / "oneline.txt").write_text("一、目标" + PHRASE * (5_000_000 // 21), encoding="utf-8")
    expected["oneline.txt"] = "a line of 1,666,669 characters"
    (folder / "nested.html").write_text(nested_html(100_000), encoding="utf-8")
    expected["nested.html"] = "100,004 HTML elements (the limit is 100,000)"
    (folder / "deep.html").write_text(nested_html(5_000), encoding="utf-8")
    expected["deep.html"] = "HTML elements nested more than 200 deep"
    (folder / "longclause.txt").write_text("一、目标\n1.推进" + PHRASE * (100_000 // 7) + "\n2.完成。\n", encoding="utf-8")
    expected["longclause.txt"] = "clause 一、1. has 99,999 characters (the limit is 10,000)"
    (folder / "many.txt").write_text(numbered_plan(5_000), encoding="utf-8")
    expected["many.txt"] = "5,000 clauses (the limit is 3,000)"
    (folder / "bomb.docx").write_bytes(padded_docx(40 * 1024 * 1024))
    expected["bomb.docx"] = "unpacks to 41 MB (the limit is 32 MB)"
    (folder / "packed.docx").write_bytes(padded_docx(4 * 1024 * 1024))
    expected["packed.docx"] = "times its packed size (the limit is 200; a zip bomb?)"
    (folder / "locked.pdf").write_bytes(encrypted_pdf("user-secret"))
    expected["locked.pdf"] = "encrypted PDF (needs a password)"
    (folder / "pdf-bytes.txt").write_bytes(make_pdf(TYPED))
    expected["pdf-bytes.txt"] = "binary content, the bytes of a PDF, not text; give it the extension .pdf"
    (folder / "blank.txt").write_text("\u200b\u2060\ufeff。。，，！\n——……\n" * 50, encoding="utf-8")
    expected["blank.txt"] = "no Chinese or Latin words in the text"
    (folder / "sjis.txt").write_bytes(JAPANESE.encode("shift_jis"))
    expected["sjis.txt"] = "Japanese (cp932) text, not Chinese"
    (folder / "euckr.txt").write_bytes(KOREAN.encode("euc_kr"))
    expected["euckr.txt"] = "Korean (cp949) text, not Chinese"
    (folder / os.fsdecode(b"\xb8\xd3\xd6\xdd.txt")).write_text(GOOD, encoding="utf-8")  # a GBK name
    expected[os.fsdecode(b"\xb8\xd3\xd6\xdd.txt")] = "the file name is not UTF-8 text"
    return expected


# Files among the hostile ones that are plans, and must land: an AES PDF that needs no password, a PDF padded with
# zeros after %%EOF, a name with ANSI escapes and a bidi override.
LANDING = {"aes.pdf": 6, "padded.pdf": 6, "\x1b[2J\x1b[31mred.txt": 6, "evil\u202etxt.md": 6}


def write_landing(folder: Path) -> None:
    """The plans of :data:`LANDING` (clause counts), written beside the hostile files."""
    (folder / "aes.pdf").write_bytes(encrypted_pdf(""))
    (folder / "padded.pdf").write_bytes(make_pdf(TYPED) + b"\0" * 4096)
    (folder / "\x1b[2J\x1b[31mred.txt").write_text(GOOD, encoding="utf-8")
    (folder / "evil\u202etxt.md").write_text(GOOD, encoding="utf-8")


def costly_pdf(pages: int, shows: int) -> bytes:
    """A small valid PDF whose every page is one content stream of ``shows`` tiny text-show operators (Flate-packed,
    about 1 KB a page): seconds of pypdf's text extraction per page, for the PDF time budget."""
    import zlib

    stream = zlib.compress(("BT /F1 1 Tf " + "(x) Tj 1 0 Td " * shows + "ET").encode("ascii"), 9)
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"", b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               b"<< /Length %d /Filter /FlateDecode >>stream\n" % len(stream) + stream + b"\nendstream"]
    kids = []
    for _ in range(pages):
        kids.append(len(objects) + 1)
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>")
    objects[1] = b"<< /Type /Pages /Count %d /Kids [%s] >>" % (pages, b" ".join(b"%d 0 R" % k for k in kids))
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def encrypted_pdf(user: str) -> bytes:
    """The typed plan as an AES-256 PDF with an owner password and ``user`` as the user password ("" for none)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(TYPED))))
    writer.encrypt(user_password=user, owner_password="owner-secret", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


JAPANESE = "健康増進計画について、市民の皆様の健康づくりを支援するため、次のとおり取り組みます。一、目標　すべての市民が健やかに暮らせるまちを目指します。\n" * 8
KOREAN = "건강 증진 계획에 대하여 시민 여러분의 건강을 지원하기 위해 다음과 같이 추진합니다. 一、목표 모든 시민이 건강하게 살 수 있는 도시를 지향합니다.\n" * 8


def main(folder: str) -> int:
    """Ingest ``folder`` into an in-memory store with a fake embedder; one JSON line per result."""
    from qa.ingest.pipeline import Ingestor
    from qa.settings import Settings
    from tests.test_ingestion import CountingEmbeddings
    from vectorstore import InMemoryClauseStore

    settings = Settings.load({"store_path": Path(folder).parent / "store"}, env={})
    embeddings = CountingEmbeddings()
    report = Ingestor(settings, InMemoryClauseStore(embeddings.model_id), embeddings).run([Path(folder)])
    for r in report.results:
        print(json.dumps({"name": r.name, "status": r.status, "clauses": r.clauses, "message": r.message}))  # ASCII: names may not be UTF-8
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
