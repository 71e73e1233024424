"""One writer at a time per store: the writer lock that ingest, an upload, a re-index and a delete hold.

The lock is a record in the store itself (:meth:`~qa.store.ClauseStore.claim_writer`), so it works alike for an
embedded store and for a ``chroma run`` server shared by processes on several machines. Its card names the run
(``run_id``, tagged on every chunk the run writes), the process (pid, host, boot id), the command and when its lease
``expires``; a thread renews the lease every third of ``writer_lease_seconds`` while the run lasts.

A holder is *provably dead* when its lease has expired, or when it ran on this machine (same host and boot) and its
process is gone (a kill -9 is seen at once, no need to wait out the lease). Only then is its lock broken, and only
then are the chunks it left removed (the next holder's :meth:`~qa.store.ClauseStore.repair`). A second writer
waits up to ``writer_wait_seconds`` for a live holder, then is refused with :class:`~qa.store.StoreBusy` naming it.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from qa.store import ClauseStore, StoreBusy, StoreError

log = logging.getLogger(__name__)

POLL_SECONDS = 0.25


def _boot_id() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as file:
            return file.read().strip()
    except OSError:
        return ""


def _process_gone(pid: int) -> bool:
    """Whether no process ``pid`` runs here (a zombie, killed but not yet reaped by its parent, is gone too)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # someone else's process: alive
        return False
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as file:
            return file.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return False


def is_dead(card: dict[str, Any], now: float | None = None) -> bool:
    """Whether the holder of ``card`` is provably dead: lease expired, or its process on this machine is gone."""
    now = time.time() if now is None else now
    if float(card.get("expires", 0)) < now:
        return True
    here = card.get("host") == socket.gethostname() and card.get("boot", "") == _boot_id()
    return here and int(card.get("pid", 0)) > 0 and _process_gone(int(card["pid"]))


def describe(card: dict[str, Any]) -> str:
    started = time.strftime("%H:%M:%S", time.localtime(float(card.get("started", 0))))
    return (f"`planqa {card.get('command', '?')}` (pid {card.get('pid', '?')} on {card.get('host', '?')}, run {str(card.get('run_id', '?'))[:8]}, "
            f"since {started})")


@dataclass
class WriterLease:
    """The lock held by this run; :meth:`check` raises once another run has taken it (this one stalled past its lease)."""

    store: ClauseStore
    card: dict[str, Any]
    lease_seconds: float
    lost: str = ""
    _stop: threading.Event = field(default_factory=threading.Event)

    @property
    def run_id(self) -> str:
        return str(self.card["run_id"])

    def check(self) -> None:
        if self.lost:
            raise StoreError(self.lost)

    def _renew(self) -> None:
        while not self._stop.wait(self.lease_seconds / 3):
            try:
                if not self.store.renew_writer(self.run_id, time.time() + self.lease_seconds):
                    self.lost = (f"this run lost the store's writer lock (it stalled longer than its {self.lease_seconds:g} s lease and "
                                 "another writer took over); nothing more is written: run the ingest again")
                    return
            except Exception as exc:  # noqa: BLE001 - a store that does not answer now may answer at the next renewal
                log.warning("could not renew the writer lock: %s", exc)


def _card(command: str, lease_seconds: float) -> dict[str, Any]:
    now = time.time()
    return {"run_id": uuid.uuid4().hex, "pid": os.getpid(), "host": socket.gethostname(), "boot": _boot_id(),
            "command": command, "started": now, "expires": now + lease_seconds}


@contextmanager
def hold_writer(store: ClauseStore, command: str, wait_seconds: float, lease_seconds: float, where: str = "") -> Iterator[WriterLease]:
    """Hold the store's writer lock for the block: wait up to ``wait_seconds`` for a live holder (raising
    :class:`StoreBusy` naming it after that), break the lock of a dead one, renew the lease while the block runs."""
    card = _card(command, lease_seconds)
    deadline = time.monotonic() + max(0.0, wait_seconds)
    while True:
        card["expires"] = time.time() + lease_seconds
        holder = store.claim_writer(card)
        if holder.get("run_id") == card["run_id"]:
            break
        if is_dead(holder):
            log.warning("the writer lock of %s is stale (its process is gone or its lease expired); taking over", describe(holder))
            store.release_writer(str(holder.get("run_id")))
            continue
        if time.monotonic() >= deadline:
            waited = f"waited {wait_seconds:g} s; " if wait_seconds > 0 else ""
            store_named = f"the store {where}" if where else "the store"
            raise StoreBusy(
                f"{store_named} is being written by {describe(holder)}; {waited}only one writer at a time: try again when it has "
                "finished, or set PLANQA_WRITER_WAIT_SECONDS to wait for it"
            )
        time.sleep(min(POLL_SECONDS, max(0.01, deadline - time.monotonic())))
    lease = WriterLease(store, card, lease_seconds)
    renewer = threading.Thread(target=lease._renew, name="planqa-writer-lease", daemon=True)
    renewer.start()
    try:
        yield lease
    finally:
        lease._stop.set()
        renewer.join(timeout=5)
        try:
            store.release_writer(lease.run_id)
        except Exception as exc:  # noqa: BLE001 - an unreleased lock expires with its lease
            log.warning("could not release the writer lock (it expires in %g s): %s", lease_seconds, exc)
