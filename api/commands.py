"""The command-line side of the API, for ``cli``: ``planqa keys``, ``planqa ingest --server`` and how the API's
body forms print (an answer is ``Answer.as_dict()``, a search the ``/api/v1/search`` reply), which ``planqa ask``
and ``planqa search`` print whether they asked a server or the store itself."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from qa.settings import Settings


def keys(settings: Settings, command: str, role: str = "", label: str = "", key_id: str = "") -> int:
    """``planqa keys create|list|revoke``: the server's API keys in ``api_keys_path``."""
    from api.keys import KeyStore

    store = KeyStore(settings.api_keys_path)
    if command == "create":
        record, secret = store.create(role, label)
        print(secret)
        print(f"id {record.id}, role {record.role}; stored hashed in {store.path}: this is the only time the key is shown", file=sys.stderr)
    elif command == "list":
        for k in store.all():
            print(f"{k.id}  {k.role:<6}  {k.created}  {'revoked ' + k.revoked if k.revoked else 'active'}  {k.label}".rstrip())
    else:
        record = store.revoke(key_id)
        print(f"revoked {record.id} ({record.role}) at {record.revoked}")
    return 0


def ingest(settings: Settings, paths: list[Path], prune: bool = False, replace: bool = False) -> int:
    """Upload the files through the server at ``server_url`` (it keeps them in its upload folder and ingests them)."""
    from api.client import ServerClient
    from qa.ingest.pipeline import discover
    from qa.ingest.report import printable

    if prune or replace:
        print(f"planqa ingest: {'--prune' if prune else '--replace'} works on the store itself, not through --server; delete a plan at /staff "
              "or with DELETE /api/v1/plans/ID, then upload", file=sys.stderr)
        return 2
    files, problems = discover(paths)
    for problem in problems:
        print(f"{printable(problem.name)}: {problem.status}: {printable(problem.message)}", file=sys.stderr)
    report = ServerClient(settings.server_url, settings.api_key).upload(files)
    for line in upload_lines(report):
        print(line)
    print(f"server {settings.server_url}: {len(report['results'])} files in {report['seconds']:.1f} s")
    failed = report["problems"] or any(r["status"] == "failed" for r in report["results"]) or any(p.status == "failed" for p in problems)
    return 1 if failed else 0


def upload_lines(report: dict[str, Any]) -> list[str]:
    """One line per file of a server's upload report; names and messages with control characters escaped
    (:func:`qa.ingest.report.printable`), as the local ingest table prints them."""
    from qa.ingest.report import printable

    lines = [f"{row['status']:<9} {printable(row['name'])}  {printable(row['doc_id'])}  {row['clauses']} clauses  {printable(row['message'])}".rstrip()
             for row in report["results"]]
    return lines + [f"refused   {printable(str(problem))}" for problem in report["problems"]]


def print_answer(answer: dict[str, Any]) -> None:
    """The answer, its notices, the cited clauses and what the grounding check dropped, for a reader."""
    print(answer["answer"])
    for notice in answer["notices"]:
        print(f"! {notice}")
    if answer["citations"]:
        print()
        for c in answer["citations"]:
            office = f"  〔责任处室：{c['office']}〕" if c["office"] else ""
            print(f"[{c['marker']}] {c['label']}{office}")
            print(f"    {c['text'].replace(chr(10), ' ')}")
    if answer["dropped"]:
        print("\ndropped by the grounding check:")
        for part in answer["dropped"]:
            print(f"  - {part}")
    print(f"\n({answer['answerer']}, {answer['timings'].get('total_ms', 0):.0f} ms)")


def print_hits(payload: dict[str, Any]) -> None:
    """Ranked clauses with the fused score and each leg's rank and score, for a reader."""
    if payload["uncovered"]:
        print(f"note: no stored plan covers {', '.join(payload['uncovered'])}")
    if any(payload["filters"].values()):
        print(f"filters: {payload['filters']}")
    for rank, hit in enumerate(payload["hits"], start=1):
        text = hit["text"].replace("\n", " ")
        print(f"{rank:>2}. {hit['score']:.4f}  《{hit['title']}》{hit['path_label']}  (dense #{hit['dense_rank'] or '-'} {hit['dense_score']:.3f}, "
              f"lexical #{hit['lexical_rank'] or '-'} {hit['lexical_score']:.2f})")
        print(f"    {text[:120]}{'…' if len(text) > 120 else ''}")
    print(f"({payload['timings'].get('total_ms', 0):.0f} ms)")
