"""Staff corrections of plan metadata (``corrections.toml`` beside the store, or ``corrections_path``; keyed by doc id):
read and merged over a plan's catalog entry at every ingest, written by the knowledge base."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

from qa.ingest.metadata_years import parse_years
from qa.ingest.readtext import DocumentError
from qa.settings import Settings

CORRECTIONS_NAME = "corrections.toml"
# What a staff correction may set (qa.library.Library.correct); the rest of a plan's metadata is read as before.
CORRECTABLE = ("title", "short_title", "issuer", "region", "years", "year", "date", "kind")


def corrections_file(settings: Settings) -> Path:
    """Where staff corrections are kept: ``corrections_path``, or ``corrections.toml`` beside the store directory."""
    return Path(settings.corrections_path) if str(settings.corrections_path) else settings.store_path.parent / CORRECTIONS_NAME


def load_corrections(path: Path) -> dict[str, dict]:
    """Staff corrections by doc id ({} when there is no file). Raises DocumentError for a file that is not TOML."""
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise DocumentError(f"{path}: staff corrections cannot be read ({exc}); fix the file or remove it") from exc


def merge_entry(entry: dict | None, correction: dict) -> dict | None:
    """The catalog entry with a correction over it; corrected years set the year too (their first)."""
    if not correction:
        return entry
    merged = {**(entry or {}), **correction}
    if "years" in correction:
        years = parse_years(correction["years"])
        merged["years"] = list(years)
        if "year" not in correction:
            merged["year"] = years[0] if years else 0
    return merged


def write_correction(path: Path, doc_id: str, fields: dict) -> dict:
    """Set (a value) or clear (``None``) corrected fields of ``doc_id`` in the corrections file; returns its new
    correction. Written whole to a temporary file and renamed, so a reader never sees half a file."""
    unknown = sorted(set(fields) - set(CORRECTABLE))
    if unknown:
        raise ValueError(f"cannot correct {', '.join(unknown)}; correctable: {', '.join(CORRECTABLE)}")
    corrections = load_corrections(path)
    entry = dict(corrections.get(doc_id, {}))
    for key, value in fields.items():
        if value is None:
            entry.pop(key, None)
        elif key == "years":
            entry[key] = list(parse_years(value))
        elif key == "year":
            entry[key] = int(value)
        else:
            entry[key] = str(value).strip()
    if entry:
        corrections[doc_id] = entry
    else:
        corrections.pop(doc_id, None)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_text(_toml(corrections), encoding="utf-8")
    os.replace(partial, path)
    return entry


def _toml(corrections: dict[str, dict]) -> str:
    """The corrections as TOML (strings, integers and lists of integers are all they hold)."""
    out = ["# Staff corrections of plan metadata, by doc id: merged over catalog.toml and what ingest infers from the text.",
           "# Written by the knowledge base (qa.library.Library.correct); edit with care."]
    for doc_id in sorted(corrections):
        out.append(f"\n[{json.dumps(doc_id, ensure_ascii=False)}]")
        for key in CORRECTABLE:
            if key in corrections[doc_id]:
                value = corrections[doc_id][key]
                text = json.dumps(value, ensure_ascii=False) if not isinstance(value, list) else "[" + ", ".join(str(int(v)) for v in value) + "]"
                out.append(f"{key} = {text}")
    return "\n".join(out) + "\n"
