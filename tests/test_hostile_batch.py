"""``planqa ask --batch`` on hostile input (issue 15): one bad line costs only its own output line. Lines split at
``\\n`` only (U+2028, U+2029 and U+0085 inside JSON strings stay), each decoded on its own, errors in plain words.
A fake assistant answers, so these test the batch reading, not the answers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from cli import _batch


@dataclass
class FakeAnswer:
    text: str

    def as_dict(self, retrieved_limit: int = 10) -> dict:
        return {"answer": self.text, "refused": False, "citations": [], "retrieved": []}


class EchoAssistant:
    """Answers a question with itself and the turns before it; fails on a question holding 爆."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def ask(self, question: str, history=(), filters=None) -> FakeAnswer:  # type: ignore[no-untyped-def]
        self.asked.append(question)
        if "爆" in question:
            raise RuntimeError("the embedder went away")
        return FakeAnswer(" / ".join([*(t.question for t in history), question]))


def run(tmp_path: Path, data: bytes, capsys) -> tuple[int, list[dict], EchoAssistant]:  # type: ignore[no-untyped-def]
    path = tmp_path / "q.jsonl"
    path.write_bytes(data)
    assistant = EchoAssistant()
    status = _batch(assistant, path, None)
    out = capsys.readouterr()
    assert not out.err  # no traceback, nothing but the JSON lines
    return status, [json.loads(line) for line in out.out.split("\n") if line], assistant


def test_separators_inside_json_strings_do_not_split_a_line(tmp_path: Path, capsys) -> None:
    questions = ["赣州\u2028托位", "泰州\u2029签约", "任城\u0085疫苗", "龙岗\x0b\x0c\x1c\x1d\x1e托育"]
    data = "".join(json.dumps({"id": i, "question": q}, ensure_ascii=False) + "\r\n" for i, q in enumerate(questions)).encode()
    status, lines, assistant = run(tmp_path, data, capsys)
    assert status == 0 and assistant.asked == questions
    assert [(line["id"], line["answer"]) for line in lines] == list(enumerate(questions))


BAD = [  # (line, what its error says, the id it keeps)
    (b'{"id": "s", "question": "\\ud800"}', "\\ud800, half of a UTF-16 surrogate pair, which is no character", "s"),
    (b'{"id": "\\udfff", "question": "a"}', "\\udfff, half of a UTF-16 surrogate pair", None),
    (b'{"id": "g", "question": "\xb8\xd3\xd6\xdd"}', "not UTF-8 text (byte 0xb8 at byte 26); save the file as UTF-8", None),
    (b"not json", "not JSON (Expecting value at column 1)", None),
    (b'{"id": "t", "question": "a"', "not JSON (Expecting ',' delimiter at column 28)", None),
    (b'["a", "b"]', "a JSON list, not an object", None),
    (b'"question"', "a JSON string, not an object", None),
    (b'{"id": "n"}', 'no "question" (nor "turns")', "n"),
    (b'{"id": "q", "question": 42}', "a question must be text, not a JSON number", "q"),
    (b'{"id": "e", "question": "  "}', "a question is empty", "e"),
    (b'{"id": "l", "turns": "a"}', '"turns" must be a list of {"question": …} objects', "l"),
    (b'{"id": "m", "turns": [["a"]]}', '"turns" must be a list of {"question": …} objects', "m"),
    (b'{"id": "x", "question": "\xe7\x88\x86"}', "the question could not be answered: the embedder went away", "x"),
]


@pytest.mark.parametrize(("line", "error", "id"), BAD, ids=range(len(BAD)))
def test_a_bad_line_is_its_own_error_line_between_good_ones(tmp_path: Path, capsys, line: bytes, error: str, id: str | None) -> None:
    data = b'{"id": "before", "question": "a"}\n' + line + b'\n\n{"id": "after", "turns": [{"question": "b"}, {"question": "c"}]}\n'
    status, lines, _ = run(tmp_path, data, capsys)
    assert status == 1 and [line.get("answer") for line in lines] == ["a", None, "b / c"]
    bad = lines[1]
    assert bad["line"] == 2 and bad["id"] == id and bad["error"].startswith(f"{tmp_path / 'q.jsonl'}:2: ") and error in bad["error"]


def test_a_bom_and_windows_line_ends_are_read(tmp_path: Path, capsys) -> None:
    status, lines, _ = run(tmp_path, b'\xef\xbb\xbf{"id": 1, "question": "a"}\r\n{"id": 2, "question": "b"}', capsys)
    assert status == 0 and [(line["id"], line["answer"]) for line in lines] == [(1, "a"), (2, "b")]
