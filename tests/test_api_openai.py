"""The OpenAI-compatible API on a real server on loopback, through the official ``openai`` client and LangChain's
``ChatOpenAI`` unchanged: the answer text with its [n] markers and sources, the structured citations in the extra
``citations`` field, with and without streaming."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.test_api import QUESTION, Running


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    running = Running(tmp_path_factory.mktemp("openai"), api_rate_limit_per_minute=0)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def client(server: Running):  # type: ignore[no-untyped-def]
    from openai import OpenAI

    return OpenAI(base_url=server.url + "/v1", api_key=server.public_key, max_retries=0)


def test_models_lists_planqa(client) -> None:  # type: ignore[no-untyped-def]
    assert [m.id for m in client.models.list()] == ["planqa"]


def test_chat_completion_carries_markers_sources_and_citations(client) -> None:  # type: ignore[no-untyped-def]
    completion = client.chat.completions.create(model="planqa", messages=[{"role": "system", "content": "你是助手"}, {"role": "user", "content": QUESTION}])
    content = completion.choices[0].message.content
    assert "300" in content and "[1]" in content
    assert "来源：\n[1] 《2024年某市卫生健康工作要点》二、3." in content
    citations = completion.model_extra["citations"]
    assert citations[0]["doc_id"] == "city-2024" and citations[0]["path"] == "二、/3." and citations[0]["quote"]
    assert completion.choices[0].finish_reason == "stop" and completion.model == "planqa"


def test_streaming_gives_the_same_text_and_citations_at_the_end(client) -> None:  # type: ignore[no-untyped-def]
    whole = client.chat.completions.create(model="planqa", messages=[{"role": "user", "content": QUESTION}]).choices[0].message.content
    chunks = list(client.chat.completions.create(model="planqa", messages=[{"role": "user", "content": QUESTION}], stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == whole
    assert chunks[-1].choices[0].finish_reason == "stop" and chunks[-1].model_extra["citations"][0]["doc_id"] == "city-2024"
    assert all(c.choices[0].finish_reason is None for c in chunks[:-1])


def test_a_conversation_is_followed(client) -> None:  # type: ignore[no-untyped-def]
    first = client.chat.completions.create(model="planqa", messages=[{"role": "user", "content": QUESTION}]).choices[0].message.content
    follow = client.chat.completions.create(model="planqa", messages=[
        {"role": "user", "content": QUESTION}, {"role": "assistant", "content": first}, {"role": "user", "content": "那发热门诊呢?"},
    ])
    assert follow.choices[0].message.content


def test_errors_are_openai_errors(client) -> None:  # type: ignore[no-untyped-def]
    import openai

    with pytest.raises(openai.NotFoundError, match="model"):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": QUESTION}])
    with pytest.raises(openai.APIStatusError) as too_long:
        client.chat.completions.create(model="planqa", messages=[{"role": "user", "content": "托" * 501}])
    assert too_long.value.status_code == 413
    with pytest.raises(openai.UnprocessableEntityError):
        client.chat.completions.create(model="planqa", messages=[{"role": "assistant", "content": "hi"}])


def test_langchain_chat_openai_works_unchanged(server: Running) -> None:
    from langchain_openai import ChatOpenAI

    chat = ChatOpenAI(model="planqa", base_url=server.url + "/v1", api_key="unused", max_retries=0)  # no key needed here
    reply = chat.invoke(QUESTION)
    assert "[1]" in reply.content and "来源：" in reply.content
    streamed = "".join(str(chunk.content) for chunk in chat.stream(QUESTION))
    assert streamed == reply.content


def test_a_streamed_answer_the_check_replaced_is_followed_by_the_checked_one(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from openai import OpenAI

    from qa.answer.tokens import install_bpe_files
    from tests.fake_openai import FakeOpenAI

    install_bpe_files(tmp_path / "tiktoken")
    with FakeOpenAI(reply="托位的事情我不太清楚，大概很多吧。") as llm:  # no [n]: the grounding check rejects it
        running = Running(tmp_path / "server", llm_base_url=llm.base_url, llm_model="fake-model", tiktoken_cache_dir=tmp_path / "tiktoken",
                          api_rate_limit_per_minute=0)
        try:
            client = OpenAI(base_url=running.url + "/v1", api_key="unused", max_retries=0)
            chunks = list(client.chat.completions.create(model="planqa", messages=[{"role": "user", "content": QUESTION}], stream=True))
            text = "".join(c.choices[0].delta.content or "" for c in chunks)
            streamed, _, checked = text.partition("\n\n核对后的回答：\n")
            assert "大概很多吧" in streamed and "300" in checked and "[1]" in checked and "大概很多吧" not in checked
            assert chunks[-1].model_extra["citations"][0]["doc_id"] == "city-2024"
        finally:
            running.stop()
