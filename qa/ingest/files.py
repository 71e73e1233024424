"""Reading a plan's bytes from the file system: regular files only, bounded. A named pipe would block the read, a
device (``/dev/zero``, a link to it) never ends, a socket cannot be read: each is refused, named, before it is
opened, and checked again on the open file (it may be swapped in between). What is read is at most the size
limit, however the file grows while it is read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from qa.ingest.readtext import DocumentError

_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def read_plan_bytes(path: Path, max_bytes: int, limit_hint: str) -> bytes:
    """The bytes of the regular file at ``path`` (a link is followed and what it points at checked). Raises
    :class:`DocumentError` naming the file for a folder, a device, a pipe or socket, a broken or looping link, a
    file over ``max_bytes`` (``limit_hint``: how to raise the limit) or one that cannot be read."""
    try:
        _check(path, os.stat(path), max_bytes, limit_hint)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:  # ELOOP for a link loop, ENOENT for a broken link, EACCES, ENXIO for a socket
        raise DocumentError(f"{path}: cannot be read ({exc.strerror}); check the path, links and permissions") from exc
    with os.fdopen(fd, "rb") as file:
        _check(path, os.fstat(file.fileno()), max_bytes, limit_hint)
        try:
            data = file.read(max_bytes + 1)
        except OSError as exc:
            raise DocumentError(f"{path}: cannot be read ({exc.strerror}); check the file and permissions") from exc
    if len(data) > max_bytes:
        raise DocumentError(f"{path}: grew past the {max_bytes / 1048576:g} MB limit while it was read; {limit_hint}")
    return data


def _check(path: Path, status: os.stat_result, max_bytes: int, limit_hint: str) -> None:
    if stat.S_ISDIR(status.st_mode):
        raise DocumentError(f"{path}: is a folder, not a file; give the folder itself to ingest (it is read recursively)")
    if not stat.S_ISREG(status.st_mode):
        kind = next((name for test, name in _KINDS if test(status.st_mode)), "not a regular file")
        target = f" (a link to {os.path.realpath(path)})" if os.path.islink(path) else ""
        raise DocumentError(f"{path}{target}: {kind}, not a regular file; only files are read: save the plan as a file")
    if status.st_size > max_bytes:
        raise DocumentError(f"{path}: {status.st_size / 1048576:.1f} MB is over the {max_bytes / 1048576:g} MB limit; {limit_hint}")
