"""The bodies of the HTTP API as pydantic models, so the OpenAPI schema at ``/docs`` shows them. Responses mirror
``Answer.as_dict()`` and ``Retrieved.as_dict()`` (the dicts the UI and the CLI use); they allow extra fields, so a
field the answerer adds later passes through instead of failing the response."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_HISTORY_TURNS = 8  # a conversation's earlier turns one question may carry (cost bound)
MAX_FILTER_VALUES = 20
MAX_K = 50
MAX_UPLOAD_FILES = 20  # files in one POST /api/v1/plans


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class Filters(BaseModel):
    """Restrict the search to plans (doc ids), regions (substring of a plan's region) and years it covers."""

    model_config = ConfigDict(extra="forbid")
    plans: list[str] = Field(default_factory=list, max_length=MAX_FILTER_VALUES)
    regions: list[str] = Field(default_factory=list, max_length=MAX_FILTER_VALUES)
    years: list[int] = Field(default_factory=list, max_length=MAX_FILTER_VALUES)


class Turn(BaseModel):
    question: str = Field(max_length=4000)
    answer: str = Field(default="", max_length=20_000)


class AskRequest(BaseModel):
    """One question, with the conversation so far (follow-ups such as 那泰州呢? are rewritten to stand alone)."""

    model_config = ConfigDict(extra="forbid")
    question: str = Field(description="the question; longer than max_question_chars is refused with 413")
    history: list[Turn] = Field(default_factory=list, max_length=MAX_HISTORY_TURNS)
    filters: Filters = Field(default_factory=Filters)
    stream: bool = Field(default=False, description="server-sent events: `delta` events with text pieces, then one `answer` event")


class Citation(_Out):
    marker: int
    doc_id: str
    title: str
    path: str | None = None
    path_label: str = ""
    label: str = ""
    quote: str = ""
    text: str = ""
    start: int | None = None
    end: int | None = None
    office: str = ""
    issuer: str = ""
    year: int = 0
    page: int = 0
    page_end: int = 0


class Retrieved(_Out):
    doc_id: str
    title: str
    path: str | None = None
    path_label: str = ""
    text: str = ""
    office: str = ""
    start: int | None = None
    end: int | None = None
    page: int | None = 0
    score: float = 0.0
    dense_rank: int | None = None
    dense_score: float = 0.0
    lexical_rank: int | None = None
    lexical_score: float = 0.0


class Answer(_Out):
    """``Answer.as_dict()``: the answer text with its ``[n]`` markers, the cited clauses, refusal, notices, timings."""

    question: str
    standalone_question: str = ""
    answer: str
    refused: bool
    answerer: str = ""
    confidence: float = 0.0
    citations: list[Citation] = Field(default_factory=list)
    related: list[Citation] = Field(default_factory=list)
    retrieved: list[Retrieved] = Field(default_factory=list)
    notices: list[str] = Field(default_factory=list)
    dropped: list[str] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict)


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str
    k: int = Field(default=10, ge=1, le=MAX_K)
    filters: Filters = Field(default_factory=Filters)


class SearchResponse(_Out):
    question: str
    filters: Filters
    uncovered: list[str] = Field(default_factory=list)
    hits: list[Retrieved]
    timings: dict[str, float] = Field(default_factory=dict)


class Plan(_Out):
    doc_id: str
    title: str
    region: str = ""
    year: int = 0
    clauses: int = 0
    chunks: int = 0
    source: str = ""
    issuer: str = ""


class FileResult(_Out):
    name: str
    doc_id: str
    status: str = Field(description="new | updated | repaired | unchanged | failed | skipped | pruned")
    clauses: int = 0
    chunks: int = 0
    message: str = ""


class IngestReport(_Out):
    results: list[FileResult]
    problems: list[str] = Field(default_factory=list, description="uploads refused before ingest (type, size, name clash)")
    seconds: float = 0.0


class Clause(_Out):
    chunk_id: str
    path: str | None = None
    path_label: str = ""
    headings: list[str] = Field(default_factory=list)
    office: str = ""
    text: str


class FeedbackAnswer(BaseModel):
    """The part of an ``answer`` (as /ask returned it) that feedback records."""

    question: str = Field(max_length=4000)
    answer: str = Field(max_length=20_000)
    refused: bool = False
    answerer: str = ""
    standalone_question: str = ""
    citations: list[dict[str, Any]] = Field(default_factory=list, max_length=50)


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    verdict: Literal["useful", "wrong"]
    comment: str = Field(default="", max_length=2000)
    answer: FeedbackAnswer


class Health(_Out):
    status: str
    plans: int
    answerer: str
    public: bool
    answering: int
    waiting: int


class Error(_Out):
    """Every error, of both APIs, in the OpenAI shape: ``{"error": {"message", "type", "code"}}``."""

    error: dict[str, Any]


# ------------------------------------------------------------------------------------------ OpenAI-compatible


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str = "text"
    text: str = ""


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None

    @property
    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(part.text for part in self.content if part.type == "text")
        return self.content or ""


class ChatCompletionRequest(BaseModel):
    """The OpenAI request; sampling options (temperature, max_tokens …) are accepted and ignored: answers are
    quoted from the plans, not sampled."""

    model_config = ConfigDict(extra="allow")
    model: str
    messages: list[ChatMessage] = Field(min_length=1, max_length=2 * MAX_HISTORY_TURNS + 4)
    stream: bool = False
