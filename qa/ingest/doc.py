"""Old Word files (Word 97–2003 ``.doc``, and WPS ``.wps`` saved in the same format): read by Debian's ``antiword``.

antiword reads the whole text of a fast-saved ``.doc`` (catdoc loses and garbles parts of one), so it is the only
tool used. It runs as a subprocess on the file's bytes (given on stdin: no file is written) with a time limit, and
writes UTF-8 (``-m UTF-8.txt``) with one paragraph per line (``-w 0``). Without antiword installed the file is
skipped, with what to do: install antiword, or save the file as .docx.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import PurePath

from qa.ingest.readtext import DocumentError, ReadText

ANTIWORD = "antiword"
TIMEOUT_SECONDS = 60.0
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # every Word 97–2003 file is an OLE compound file


class ReaderMissing(DocumentError):
    """A file of a format whose reading tool is not installed: ingest skips it and says how to convert it."""


def read_doc(name: str, data: bytes, timeout: float = TIMEOUT_SECONDS) -> ReadText:
    """The text of an old Word file, one paragraph per line. Raises :class:`ReaderMissing` without antiword and
    :class:`DocumentError` for a file antiword cannot read."""
    suffix = PurePath(name).suffix.lower() or ".doc"
    if not data.startswith(_OLE_MAGIC):
        raise DocumentError(f"{name}: not a Word 97–2003 document (no OLE header); open it in Word or WPS and save it as .docx")
    exe = shutil.which(ANTIWORD)
    if exe is None:
        raise ReaderMissing(
            f"{name}: an old Word {suffix} file needs antiword to be read, and it is not installed; "
            "install antiword (apt-get install antiword), or save it as .docx"
        )
    try:
        done = subprocess.run(
            [exe, "-m", "UTF-8.txt", "-w", "0", "-"], input=data, capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise DocumentError(f"{name}: antiword did not finish in {timeout:g} s; save it as .docx") from exc
    except OSError as exc:
        raise DocumentError(f"{name}: antiword could not be run ({exc.strerror}); check the installation, or save it as .docx") from exc
    problem = done.stderr.decode("utf-8", "replace").strip().replace("\n", " ")
    if done.returncode != 0:
        if "encrypt" in problem.lower() or "password" in problem.lower():
            raise DocumentError(f"{name}: a password-protected Word file; remove the password in Word and save it as .docx")
        detail = re.sub(r"^-\s*", "", problem) or f"exit status {done.returncode}"
        raise DocumentError(f"{name}: antiword cannot read it ({detail}); open it in Word or WPS and save it as .docx")
    text = done.stdout.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    lines = [line.strip() for line in text.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
    if not text.strip():
        raise DocumentError(f"{name}: no text found in the Word file (a scan or images only?); export the text or run OCR")
    notes = (f"antiword: {problem}",) if problem else ()
    return ReadText(text + "\n", "doc", notes=notes)
