"""Two real ingest processes on one store, embedded and on a `chroma run` server, and a writer killed with SIGKILL
while it holds the store's writer lock: no plan loses chunks, the second writer waits or is refused with a message,
and the lock of the killed one is broken at once (its process is gone). Slow: real processes, bounded by timeouts."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.test_chroma_server import ChromaServer
from tests.test_chroma_server import server as chroma_server  # noqa: F401  (the `chroma run` fixture, by this name here)
from tests.test_faults import assert_consistent, worker, write_plans

pytestmark = pytest.mark.slow


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen(worker(*args), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def until(process: subprocess.Popen, prefix: str) -> list[str]:
    """Lines of ``process`` up to the first starting with ``prefix`` (the process goes on)."""
    lines: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line.strip())
        if line.startswith(prefix):
            return lines
    raise AssertionError(f"the worker ended before {prefix!r}: {lines}; {process.stderr.read() if process.stderr else ''}")


def finish(process: subprocess.Popen, timeout: float = 300) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def check(*store: str) -> dict:
    import json

    out = subprocess.run(worker("--check", *store), cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    return json.loads(out.stdout)


def whole(view: dict, expected: dict[str, tuple[str, int]]) -> None:
    assert {d: (p["hash"], p["visible"]) for d, p in view["plans"].items()} == expected
    assert_consistent(view, {d: {h} for d, (h, _) in expected.items()})
    assert view["total"] == sum(n for _, n in expected.values())  # no leftovers either


def two_writers(tmp_path: Path, store: list[str]) -> None:
    """A slow ingest of three 400-clause plans; a second ingest of other plans started while it writes, once refused
    at once and once waiting: every plan of both lands whole."""
    first_plans, second_plans = tmp_path / "first", tmp_path / "second"
    expected = write_plans(first_plans, plans=3, items=400, version="甲")
    for n, data in enumerate(write_plans(second_plans, plans=2, items=30, version="乙").items()):
        (second_plans / f"plan-{n:02d}.txt").rename(second_plans / f"other-{n:02d}.txt")
        expected[f"other-{n:02d}"] = data[1]
    first = start(*store, str(first_plans), "0.01")
    try:
        until(first, "start 2 ")  # holds the lock, has written a plan
        refused = subprocess.run(worker(*store, str(second_plans)), cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert refused.returncode != 0
        assert "`planqa ingest`" in refused.stderr and "PLANQA_WRITER_WAIT_SECONDS" in refused.stderr, refused.stderr[-2000:]
        waiting = start("--wait", "240", *store, str(second_plans))
        code, out, err = finish(first)
        assert code == 0, err[-2000:]
        code, out, err = finish(waiting)
        assert code == 0, err[-2000:]
        assert "repaired -" in out  # nothing of the first run was taken for a leftover
    finally:
        for process in (first,):
            if process.poll() is None:
                process.kill()
                process.wait(30)
    whole(check(*store), expected)


def test_two_ingest_processes_on_one_embedded_store(tmp_path: Path) -> None:
    two_writers(tmp_path, [str(tmp_path / "store")])


def killed_holder(tmp_path: Path, store: list[str]) -> None:
    """A writer killed -9 mid-write: the next one takes its lock at once (no lease to wait out), removes the
    half-written version and completes."""
    folder = tmp_path / "plans"
    write_plans(folder, plans=2, items=300, version="旧")
    code, _, err = finish(start(*store, str(folder)))
    assert code == 0, err[-2000:]
    expected = write_plans(folder, plans=2, items=340, version="新")
    holder = start(*store, str(folder), "0.01")
    try:
        until(holder, "start 1 ")
        until(holder, "batch")  # embedding the first changed plan: it holds the lock
        for _ in range(20):
            until(holder, "batch")
        holder.send_signal(signal.SIGKILL)
    finally:
        holder.wait(30)
    assert holder.returncode == -signal.SIGKILL
    code, out, err = finish(start(*store, str(folder)), timeout=300)  # no --wait: a dead holder's lock does not block
    assert code == 0, err[-2000:]
    whole(check(*store), expected)


def test_a_writer_killed_while_holding_the_embedded_store_does_not_block_the_next(tmp_path: Path) -> None:
    killed_holder(tmp_path, [str(tmp_path / "store")])


@pytest.mark.server
def test_two_ingest_processes_on_one_chroma_server(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    server: ChromaServer = request.getfixturevalue("chroma_server")
    two_writers(tmp_path, ["--http", str(server.port), str(tmp_path / "unused")])


@pytest.mark.server
def test_a_writer_killed_while_holding_a_chroma_server_store_does_not_block_the_next(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    server: ChromaServer = request.getfixturevalue("chroma_server")
    killed_holder(tmp_path, ["--http", str(server.port), str(tmp_path / "unused")])
