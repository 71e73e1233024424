"""The layers hold: which part of PlanQA may import which (read from the code with ast, lazy imports included).

    edges:    cli.py, app.py, ingest.py (entry points)  ->  api/ (the server)  ->  ui/, eval/, bench/  ->  backends.py
    backends: vectorstore/ (Chroma, in memory)          ->  qa.store
    qa:       service, library  ->  answer  ->  search  ;  ingest  ;  core (store, text, normalize, settings, embeddings)

See docs/ARCHITECTURE.md. A failure names the importing file and what it imports.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOP = ("qa", "vectorstore", "ui", "api", "eval", "bench", "cli", "app", "ingest", "backends")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Project module -> the project modules it imports (``from a import b`` counts as ``a.b`` when that is a module)."""
    files = [p for top in TOP for p in ([ROOT / f"{top}.py"] if (ROOT / f"{top}.py").exists() else sorted((ROOT / top).rglob("*.py")))]
    modules = {_module_name(p): p for p in files}
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            else:
                continue
            for target in targets:
                if target.split(".")[0] in TOP or target.split(".")[0] == "chromadb":
                    graph[name].add(target)
    for name in modules:
        graph.setdefault(name, set())
    return graph


GRAPH = _imports()


def _offenders(importer_prefixes: tuple[str, ...], forbidden: tuple[str, ...], allowed: tuple[str, ...] = ()) -> list[str]:
    def under(name: str, prefixes: tuple[str, ...]) -> bool:
        return any(name == p or name.startswith(p + ".") for p in prefixes)

    return sorted(
        f"{src} imports {dst}" for src, dsts in GRAPH.items() if under(src, importer_prefixes)
        for dst in dsts if under(dst, forbidden) and not under(dst, allowed)
    )


def test_the_graph_sees_the_code() -> None:
    assert "qa.service" in GRAPH and "qa.answer.extractive" in GRAPH["qa.service"] | {d.rpartition(".")[0] for d in GRAPH["qa.service"]}
    assert any(d.startswith("chromadb") for d in GRAPH["vectorstore.connection"])  # the one module that opens Chroma


@pytest.mark.parametrize(
    ("importers", "forbidden", "allowed", "why"),
    [
        (("qa", "vectorstore"), ("ui", "api", "app", "eval", "cli", "bench", "ingest", "backends"), (), "the core and the backends never import an edge"),
        (("qa",), ("vectorstore", "chromadb"), (), "qa talks to a store only through the qa.store Protocol"),
        (("vectorstore",), ("qa",), ("qa.store",), "vectorstore needs nothing of PlanQA but the store Protocol (no qa.settings)"),
        (("qa", "vectorstore", "ui", "api", "eval", "bench", "backends"), ("cli", "app", "ingest"), (), "entry points are imported by nothing"),
        (("ui",), ("eval", "bench"), (), "the UI serves; it does not evaluate"),
        (("api",), ("eval", "bench"), (), "the server serves; it does not evaluate"),
        (("ui", "eval", "backends"), ("api",), (), "the server mounts the UI, never the reverse; eval and the wiring do not need it"),
        (("qa.ingest",), ("qa.search", "qa.answer", "qa.service", "qa.library"), (), "ingest does not depend on the later stages"),
        (("qa.search",), ("qa.answer", "qa.ingest", "qa.service", "qa.library"), (), "search does not depend on answering or ingest"),
        (("qa.answer",), ("qa.ingest", "qa.service", "qa.library"), (), "answering reads search results, not files"),
        (
            ("qa.store", "qa.text", "qa.normalize", "qa.settings", "qa.embeddings"),
            ("qa.ingest", "qa.search", "qa.answer", "qa.service", "qa.library"),
            (),
            "the core modules sit below every stage",
        ),
    ],
)
def test_no_layer_imports_upward(importers: tuple[str, ...], forbidden: tuple[str, ...], allowed: tuple[str, ...], why: str) -> None:
    assert _offenders(importers, forbidden, allowed) == [], why
    forbidden_outside = [] if "chromadb" not in forbidden else _offenders(tuple(t for t in TOP if t != "vectorstore"), ("chromadb",))
    assert forbidden_outside == [], "only vectorstore imports chromadb"


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle in ``graph`` (as a list of nodes), or []."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt in graph and not state.get(nxt):
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if not state.get(node):
            found = visit(node)
            if found:
                return found
    return []


def test_no_import_cycle_between_modules() -> None:
    modules = {src: {d for d in dsts if d in GRAPH and d != src} for src, dsts in GRAPH.items()}
    assert _cycle(modules) == []


def _unit(name: str) -> str:
    """The package a module belongs to, one level inside qa/ (qa.search, qa.answer …) and at the top elsewhere."""
    parts = name.split(".")
    return ".".join(parts[:2]) if parts[0] == "qa" and len(parts) > 1 else parts[0]


def test_no_import_cycle_between_packages() -> None:
    packages: dict[str, set[str]] = defaultdict(set)
    for src, dsts in GRAPH.items():
        for dst in dsts:
            if dst.split(".")[0] in TOP and _unit(dst) != _unit(src):
                packages[_unit(src)].add(_unit(dst))
    assert _cycle({k: set(v) for k, v in packages.items()}) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) == []
