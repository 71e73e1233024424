"""What every benchmark result records about the machine it ran on, and small shared helpers.

The benchmark machine's cores are shared with other work, so each result carries the load average at its
start and end; :func:`wait_for_quiet` holds a run until the 1-minute load average is low enough.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def ram_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return 0.0


def loadavg() -> list[float]:
    """The 1, 5 and 15-minute load averages."""
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict[str, Any]:
    """CPU model, cores, RAM, Python, and the thread settings that change the embedder's speed."""
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "ram_gb": ram_gb(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS", ""),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", ""),
    }


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory of a process (default: this one) now, in MB (VmRSS); 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def free_port() -> int:
    """A free TCP port on loopback (for a server the benchmark starts)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop_process(process: subprocess.Popen) -> None:
    """SIGTERM a server the benchmark started, then SIGKILL if it has not exited within 15 s."""
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


class PublicServer:
    """``planqa serve --public`` in a subprocess on a free loopback port, over ``store``, its files in ``workdir``
    and the chat's rate limit off (every simulated user comes from 127.0.0.1); ``env`` adds settings. ``url`` has
    no trailing slash; ``ready_path`` is what ``wait_ready`` polls."""

    def __init__(self, store: Path, workdir: Path, env: dict[str, str] | None = None, ready_path: str = "/healthz") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ready_path = ready_path
        environ = {k: v for k, v in os.environ.items() if not k.startswith("PLANQA_")}
        environ.update({
            "PLANQA_STORE_PATH": str(store), "PLANQA_APP_HOST": "127.0.0.1", "PLANQA_APP_PORT": str(self.port),
            "PLANQA_PUBLIC": "true", "PLANQA_RATE_LIMIT_PER_MINUTE": "0",
            "PLANQA_FEEDBACK_PATH": str(workdir / "feedback.jsonl"), "PLANQA_UPLOAD_DIR": str(workdir / "uploads"),
            "PLANQA_TIKTOKEN_CACHE_DIR": str(ROOT / "bench" / ".cache" / "tiktoken"), "GRADIO_ANALYTICS_ENABLED": "False",
            **(env or {}),
        })
        self.log = (workdir / "server.log").open("w", encoding="utf-8")
        self.process = subprocess.Popen([sys.executable, "-m", "cli", "serve"], cwd=ROOT, env=environ, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout_s: float = 180) -> None:
        import httpx

        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"planqa serve exited with {self.process.returncode}; see {self.log.name}")
            try:
                if httpx.get(self.url + self.ready_path, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"planqa serve did not answer {self.url}{self.ready_path} within {timeout_s:.0f} s; see {self.log.name}")

    def rss_mb(self) -> float:
        return rss_mb(self.process.pid)

    def stop(self) -> None:
        stop_process(self.process)
        self.log.close()


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values``, linear interpolation; 0 for no values."""
    if not values:
        return 0.0
    if len(values) == 1:
        return float(values[0])
    return float(statistics.quantiles(values, n=100, method="inclusive")[max(0, min(98, round(q) - 1))])


def summary_ms(values: Sequence[float]) -> dict[str, float]:
    """p50, p95, mean and max of latencies given in ms."""
    return {
        "p50_ms": round(percentile(values, 50), 1),
        "p95_ms": round(percentile(values, 95), 1),
        "mean_ms": round(statistics.fmean(values), 1) if values else 0.0,
        "max_ms": round(max(values), 1) if values else 0.0,
        "n": len(values),
    }


def wait_for_quiet(max_load: float, timeout_s: float, poll_s: float = 15.0) -> dict[str, Any]:
    """Wait until the 1-minute load average is below ``max_load`` (0 = do not wait) or ``timeout_s`` passes.

    Returns what happened, for the result file: the load seen, seconds waited, and whether it was quiet.
    """
    started = time.monotonic()
    while max_load > 0 and os.getloadavg()[0] >= max_load and time.monotonic() - started < timeout_s:
        print(f"load average {os.getloadavg()[0]:.2f} >= {max_load}: waiting (up to {timeout_s:.0f} s)", file=sys.stderr)
        time.sleep(poll_s)
    load = loadavg()
    return {"load_at_start": load, "waited_s": round(time.monotonic() - started), "quiet": max_load <= 0 or load[0] < max_load}


def write_result(path: Path, result: dict[str, Any]) -> Path:
    """Write ``result`` as pretty UTF-8 JSON at ``path`` (folders created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
