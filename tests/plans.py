"""The sample plans (data/plans) and the fixture plans (tests/fixtures), each parsed once, and lookups into a parsed
plan, shared by the cleaning and parsing tests."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from qa.ingest.parsing import ParsedPlan, parse_plan

PLANS = Path(__file__).resolve().parent.parent / "data" / "plans"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@cache
def plan(name: str) -> tuple[str, ParsedPlan]:
    text = (PLANS / f"{name}.txt").read_text(encoding="utf-8")
    return text, parse_plan(text)


@cache
def fixture(name: str) -> tuple[str, ParsedPlan]:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    return text, parse_plan(text)


def paths(parsed: ParsedPlan) -> list[str]:
    return [c.path_key for c in parsed.clauses]


def clause(parsed: ParsedPlan, path: str):  # type: ignore[no-untyped-def]
    found = [c for c in parsed.clauses if c.path_key == path]
    assert len(found) == 1, f"{path}: {len(found)} clauses"
    return found[0]


def all_text(parsed: ParsedPlan) -> str:
    return "\n".join(c.text for c in parsed.clauses)
