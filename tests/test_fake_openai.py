"""The fake OpenAI server, exercised for real through the official ``openai`` and ``langchain_openai`` clients."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI

from tests.fake_openai import FakeOpenAI, split_content


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


def make_llm(server: FakeOpenAI, timeout: float = 2) -> ChatOpenAI:
    return ChatOpenAI(base_url=server.base_url, api_key="test-key", model="fake-model", max_retries=0, timeout=timeout)


def raw_post(server: FakeOpenAI, payload: dict[str, Any]) -> tuple[int, str, bytes]:
    """POST JSON with urllib; return (status, content type, body) without raising on HTTP errors."""
    request = urllib.request.Request(
        server.base_url + "/chat/completions",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", "Authorization": "Bearer raw"},
    )
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def test_base_url_and_context_manager_close() -> None:
    with FakeOpenAI() as fake:
        assert fake.base_url == f"http://127.0.0.1:{fake.port}/v1"
        port = fake.port
    fake.close()  # idempotent
    with socket.socket() as sock, pytest.raises(OSError):
        sock.settimeout(1)
        sock.connect(("127.0.0.1", port))


def test_invoke_returns_scripted_reply(server: FakeOpenAI) -> None:
    server.reply = "规划目标：新增托位300个。"
    message = make_llm(server).invoke("托位目标是多少？")
    assert message.content == "规划目标：新增托位300个。"
    assert message.response_metadata["finish_reason"] == "stop"
    assert message.usage_metadata is not None and message.usage_metadata["output_tokens"] > 0


def test_request_recorded_with_messages_and_bearer_key(server: FakeOpenAI) -> None:
    make_llm(server).invoke([SystemMessage("Answer with citations."), HumanMessage("What is the target?")])
    assert len(server.requests) == 1
    body = server.last_request
    assert body["model"] == "fake-model"
    assert body["messages"] == [
        {"role": "system", "content": "Answer with citations."},
        {"role": "user", "content": "What is the target?"},
    ]
    assert server.headers is not None
    assert server.headers["Authorization"] == "Bearer test-key"
    assert server.headers["authorization"] == "Bearer test-key"  # case-insensitive lookup


def test_callable_reply_can_echo_prompt(server: FakeOpenAI) -> None:
    server.reply = lambda request: "echo: " + request["messages"][-1]["content"]
    llm = make_llm(server)
    assert llm.invoke("first").content == "echo: first"
    assert llm.invoke("second").content == "echo: second"
    assert [r["messages"][-1]["content"] for r in server.requests] == ["first", "second"]


def test_stream_chunks_join_to_reply(server: FakeOpenAI) -> None:
    server.reply = "Streaming works across several pieces."
    chunks = list(make_llm(server).stream("go"))
    text = "".join(str(chunk.content) for chunk in chunks)
    assert text == "Streaming works across several pieces."
    assert sum(1 for chunk in chunks if chunk.content) == 3
    assert server.last_request["stream"] is True


def test_stream_with_usage_chunk(server: FakeOpenAI) -> None:
    server.reply = "one two three"
    chunks = list(make_llm(server).stream("count", stream_usage=True))
    assert "".join(str(c.content) for c in chunks) == "one two three"
    assert server.last_request["stream_options"] == {"include_usage": True}
    assert any(c.usage_metadata and c.usage_metadata["output_tokens"] == 3 for c in chunks)


def test_raw_stream_wire_format(server: FakeOpenAI) -> None:
    server.reply = "abcdef"
    status, content_type, body = raw_post(server, {"model": "m", "messages": [{"role": "user", "content": "x"}], "stream": True})
    assert status == 200 and content_type.startswith("text/event-stream")
    events = [block.removeprefix("data: ") for block in body.decode().split("\n\n") if block]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(event) for event in events[:-1]]
    assert all(chunk["object"] == "chat.completion.chunk" for chunk in chunks)
    assert "".join(chunk["choices"][0]["delta"].get("content") or "" for chunk in chunks) == "abcdef"
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_raw_completion_shape(server: FakeOpenAI) -> None:
    server.reply = "hi"
    status, content_type, body = raw_post(server, {"model": "gpt-x", "messages": [{"role": "user", "content": "x"}]})
    payload = json.loads(body)
    assert status == 200 and content_type == "application/json"
    assert payload["object"] == "chat.completion" and payload["model"] == "gpt-x"
    assert payload["id"].startswith("chatcmpl-") and isinstance(payload["created"], int)
    assert payload["choices"][0]["message"] == {"role": "assistant", "content": "hi", "refusal": None}
    assert payload["choices"][0]["finish_reason"] == "stop"
    assert set(payload["usage"]) == {"prompt_tokens", "completion_tokens", "total_tokens"}


def test_models_endpoint(server: FakeOpenAI) -> None:
    client = openai.OpenAI(base_url=server.base_url, api_key="test-key", max_retries=0, timeout=2)
    assert [model.id for model in client.models.list()] == ["fake-model"]
    assert server.headers is not None and server.headers["Authorization"] == "Bearer test-key"
    assert server.requests == []  # GETs carry no JSON body


def test_error500_raises_openai_error(server: FakeOpenAI) -> None:
    server.mode = "error500"
    with pytest.raises(openai.InternalServerError) as excinfo:
        make_llm(server).invoke("hi")
    assert excinfo.value.status_code == 500
    assert len(server.requests) == 1  # max_retries=0: no retry
    status, _, body = raw_post(server, {"messages": []})
    assert status == 500 and json.loads(body)["error"]["type"] == "server_error"


def test_error500_when_streaming(server: FakeOpenAI) -> None:
    server.mode = "error500"
    with pytest.raises(openai.InternalServerError):
        list(make_llm(server).stream("hi"))


def test_timeout_mode_raises_timeout_error(server: FakeOpenAI) -> None:
    server.mode = "timeout"
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        make_llm(server, timeout=0.3).invoke("hi")
    assert time.monotonic() - started < 2


def test_timeout_mode_answers_after_delay(server: FakeOpenAI) -> None:
    server.mode, server.delay, server.reply = "timeout", 0.2, "late"
    assert make_llm(server, timeout=2).invoke("hi").content == "late"


def test_close_does_not_wait_for_pending_delay() -> None:
    fake = FakeOpenAI(mode="timeout", delay=30)
    with pytest.raises(openai.APITimeoutError):
        make_llm(fake, timeout=0.2).invoke("hi")
    started = time.monotonic()
    fake.close()
    assert time.monotonic() - started < 2


def test_malformed_mode(server: FakeOpenAI) -> None:
    server.mode = "malformed"
    status, _, body = raw_post(server, {"messages": []})
    assert status == 200
    with pytest.raises(ValueError):
        json.loads(body)
    with pytest.raises(ValueError):  # the openai client's JSONDecodeError
        make_llm(server).invoke("hi")
    with pytest.raises(ValueError):
        list(make_llm(server).stream("hi"))


def test_empty_mode(server: FakeOpenAI) -> None:
    server.mode = "empty"
    assert make_llm(server).invoke("hi").content == ""
    assert "".join(str(c.content) for c in make_llm(server).stream("hi")) == ""


def test_unknown_mode_rejected(server: FakeOpenAI) -> None:
    with pytest.raises(ValueError):
        server.mode = "explode"  # type: ignore[assignment]


def test_unknown_path_and_bad_json(server: FakeOpenAI) -> None:
    request = urllib.request.Request(server.base_url + "/chat/completions", data=b"{not json", method="POST")
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(request, timeout=2)
    assert excinfo.value.code == 400
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(server.base_url + "/nope", timeout=2)
    assert excinfo.value.code == 404


def test_concurrent_requests_are_all_recorded(server: FakeOpenAI) -> None:
    from concurrent.futures import ThreadPoolExecutor

    server.reply = lambda request: request["messages"][-1]["content"].upper()
    llm = make_llm(server)
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda i: llm.invoke(f"q{i}").content, range(16)))
    assert answers == [f"Q{i}" for i in range(16)]
    assert sorted(r["messages"][-1]["content"] for r in server.requests) == sorted(f"q{i}" for i in range(16))


@pytest.mark.parametrize(("text", "parts"), [("", []), ("ab", ["a", "b"]), ("abcdefg", ["abc", "def", "g"])])
def test_split_content(text: str, parts: list[str]) -> None:
    assert split_content(text) == parts
