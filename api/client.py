"""The client side of ``planqa ingest|ask|search --server URL``: the same commands through a running
``planqa serve`` instead of opening the store (which that server owns)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

UPLOAD_BATCH = 10  # files per upload request (the server takes up to 20)


class ServerError(RuntimeError):
    """The server refused or failed a call; the message carries its status and error message."""


class ServerClient:
    def __init__(self, url: str, key: str = "", timeout: float = 600.0) -> None:
        import httpx

        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.url = url.rstrip("/")
        self.http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def ask(self, question: str, filters: dict[str, list[Any]] | None = None) -> dict[str, Any]:
        return self._call("POST", "/api/v1/ask", json={"question": question, "filters": filters or {}})

    def search(self, question: str, k: int = 10, filters: dict[str, list[Any]] | None = None) -> dict[str, Any]:
        return self._call("POST", "/api/v1/search", json={"question": question, "k": k, "filters": filters or {}})

    def upload(self, paths: Sequence[Path]) -> dict[str, Any]:
        """Upload ``paths`` in batches; one report of every batch (results, problems, seconds)."""
        total: dict[str, Any] = {"results": [], "problems": [], "seconds": 0.0}
        for start in range(0, len(paths), UPLOAD_BATCH):
            batch = paths[start : start + UPLOAD_BATCH]
            handles = [p.open("rb") for p in batch]
            try:
                report = self._call("POST", "/api/v1/plans", files=[("files", (p.name, h)) for p, h in zip(batch, handles, strict=True)])
            finally:
                for handle in handles:
                    handle.close()
            total["results"] += report["results"]
            total["problems"] += report["problems"]
            total["seconds"] += report["seconds"]
        return total

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        import httpx

        try:
            reply = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ServerError(f"cannot reach the server at {self.url} ({exc}); is `planqa serve` running there?") from exc
        if reply.status_code >= 400:
            try:
                message = reply.json()["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = reply.text[:200]
            hint = {401: " (pass --api-key or PLANQA_API_KEY)", 403: " (this needs a staff key)"}.get(reply.status_code, "")
            raise ServerError(f"{self.url}{path}: HTTP {reply.status_code}: {message}{hint}")
        return reply.json()
