"""How much the server lets one caller do, on a real server on loopback: rate limits per key or address with
429 + Retry-After, weighted by a question's cost; X-Forwarded-For believed only from configured proxies; one bounded
queue for every answering path (Gradio's /run/ask included) answering 503 + Retry-After when full; the staff login's
check off the event loop, with back-off per account and per address."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from tests.test_api import QUESTION, Running
from ui.auth import LoginGuard, async_authenticator, hash_password
from ui.limits import AnswerGate, Busy, question_cost


def test_rate_limit_per_address_is_429_with_retry_after_and_staff_keys_are_free(tmp_path: Path) -> None:
    running = Running(tmp_path, api_rate_limit_per_minute=3)
    try:
        codes = [running.http.post("/api/v1/ask", json={"question": QUESTION}).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = running.http.post("/api/v1/search", json={"question": QUESTION})
        assert limited.status_code == 429 and 1 <= int(limited.headers["retry-after"]) <= 60
        assert limited.json()["error"]["type"] == "rate_limit_error"
        # a spoofed X-Forwarded-For from a peer that is not a configured proxy changes nothing
        assert running.http.post("/api/v1/ask", json={"question": QUESTION}, headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 429
        # a key is its own bucket; a staff key is not limited
        assert running.http.post("/api/v1/ask", json={"question": QUESTION}, headers=running.headers(running.public_key)).status_code == 200
        assert all(running.http.post("/api/v1/ask", json={"question": QUESTION}, headers=running.headers(running.staff_key)).status_code == 200
                   for _ in range(5))
    finally:
        running.stop()


def test_a_long_question_costs_more_of_the_limit(tmp_path: Path) -> None:
    assert question_cost("托" * 10) == 1 and question_cost("托" * 101) == 2 and question_cost("托" * 450) == 5
    assert question_cost("那泰州呢?", history_turns=2) == 2
    running = Running(tmp_path, api_rate_limit_per_minute=6)
    try:
        long = "赣州市" + "托育服务" * 110  # 443 characters: costs 5 of 6
        assert running.http.post("/api/v1/ask", json={"question": long}).status_code == 200
        assert running.http.post("/api/v1/ask", json={"question": long}).status_code == 429
        assert running.http.post("/api/v1/ask", json={"question": QUESTION}).status_code == 200  # the one unit left
    finally:
        running.stop()


def test_forwarded_for_is_believed_only_from_trusted_proxies(tmp_path: Path) -> None:
    running = Running(tmp_path, api_rate_limit_per_minute=1, trusted_proxies="127.0.0.1")
    try:
        for client in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):  # the proxy names three clients: three buckets
            assert running.http.post("/api/v1/ask", json={"question": QUESTION}, headers={"X-Forwarded-For": client}).status_code == 200
        assert running.http.post("/api/v1/ask", json={"question": QUESTION}, headers={"X-Forwarded-For": "198.51.100.1"}).status_code == 429
    finally:
        running.stop()


def test_the_answer_gate_bounds_work_and_waiting() -> None:
    gate = AnswerGate(slots=1, max_waiting=1, wait_seconds=0.05)
    gate.acquire()
    with pytest.raises(Busy):  # waits its turn, then gives up
        gate.acquire()
    gate.max_waiting = 0
    with pytest.raises(Busy):  # no room to wait at all
        gate.acquire()
    gate.release()
    with gate.slot():
        assert gate.active == 1
    assert gate.active == 0 and gate.waiting == 0


def test_every_answering_path_goes_through_one_bounded_queue(tmp_path: Path) -> None:
    running = Running(tmp_path, max_concurrency=1, max_queue=0, api_rate_limit_per_minute=0)
    gate = running.context.gate
    try:
        gate.acquire()  # the one slot is busy and nobody may wait
        try:
            for path, body in (("/api/v1/ask", {"question": QUESTION}), ("/api/v1/ask", {"question": QUESTION, "stream": True}),
                               ("/api/v1/search", {"question": QUESTION}),
                               ("/v1/chat/completions", {"model": "planqa", "messages": [{"role": "user", "content": QUESTION}]}),
                               ("/v1/chat/completions", {"model": "planqa", "stream": True, "messages": [{"role": "user", "content": QUESTION}]})):
                reply = running.http.post(path, json=body)
                assert reply.status_code == 503 and reply.headers["retry-after"], (path, body)
            chat = running.http.post("/gradio_api/run/ask", json={"data": [QUESTION]})  # Gradio's own API: the same gate
            assert chat.status_code == 200 and chat.json()["data"][0]["refused"] and "服务繁忙" in chat.json()["data"][0]["answer"]
        finally:
            gate.release()
        assert running.http.post("/api/v1/ask", json={"question": QUESTION}).status_code == 200
        assert running.http.post("/gradio_api/run/ask", json={"data": [QUESTION]}).json()["data"][0]["citations"]
        assert running.http.get("/healthz").json()["answering"] == 0
    finally:
        running.stop()


# ------------------------------------------------------------------------------------------ staff login


def test_login_guard_backs_off_per_account_and_per_address() -> None:
    now = [0.0]
    guard = LoginGuard(free=3, base=1.0, max_delay=60.0, clock=lambda: now[0])
    for _ in range(3):
        assert guard.wait("alice", "10.0.0.1") == 0
        guard.failed("alice", "10.0.0.1")
    assert guard.wait("alice", "10.0.0.1") == 1.0
    assert guard.wait("alice", "10.0.0.2") == 1.0  # the account, from anywhere
    assert guard.wait("bob", "10.0.0.1") == 1.0  # the address, for any account
    assert guard.wait("bob", "10.0.0.2") == 0
    now[0] = 1.0
    guard.failed("alice", "10.0.0.1")
    assert guard.wait("alice", "10.0.0.9") == 2.0  # doubles with each failure
    for _ in range(20):
        guard.failed("alice", "10.0.0.1")
    assert guard.wait("alice", "10.0.0.9") == 60.0  # capped
    guard.succeeded("alice", "10.0.0.1")
    assert guard.wait("alice", "10.0.0.1") == 0


def test_the_password_check_runs_off_the_event_loop() -> None:
    users = {"alice": hash_password("right", iterations=1000)}
    login = async_authenticator(users, LoginGuard())
    threads: list[str] = []

    def check_thread() -> None:
        threads.append(threading.current_thread().name)

    async def main() -> tuple[bool, bool]:
        loop_thread = threading.current_thread().name
        import ui.auth

        original = ui.auth.verify_password

        def spy(password: str, stored: str) -> bool:
            check_thread()
            return original(password, stored)

        ui.auth.verify_password = spy
        try:
            results = await login("alice", "right"), await login("alice", "wrong")
        finally:
            ui.auth.verify_password = original
        assert threads and all(name != loop_thread for name in threads)
        return results

    assert asyncio.run(main()) == (True, False)


def test_staff_login_is_throttled_with_429_after_failures(tmp_path: Path) -> None:
    users = {"alice": hash_password("right", iterations=1000)}
    running = Running(tmp_path, users=users)
    try:
        for _ in range(3):
            assert running.http.post("/staff/login", data={"username": "alice", "password": "wrong"}).status_code == 400
        throttled = running.http.post("/staff/login", data={"username": "alice", "password": "right"})  # refused unchecked
        assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) >= 1
        assert running.http.post("/staff/login", data={"username": "bob", "password": "x"}).status_code == 429  # same address
        assert running.http.post("/api/v1/plans/reindex").status_code == 401
    finally:
        running.stop()


def test_a_staff_login_opens_the_staff_api(tmp_path: Path) -> None:
    users = {"alice": hash_password("right", iterations=1000)}
    running = Running(tmp_path, users=users)
    try:
        assert running.http.get("/staff/config").status_code == 401  # the staff app is behind its login
        assert running.http.post("/staff/login", data={"username": "alice", "password": "right"}).status_code == 200
        assert running.http.get("/staff/config").status_code == 200
        assert running.http.get("/api/v1/plans/city-2024/clauses").status_code == 200  # the login cookie is staff
    finally:
        running.stop()


def test_one_caller_cannot_take_every_answer_slot(tmp_path: Path) -> None:
    from api.guard import Caller

    running = Running(tmp_path, max_concurrency=2, api_rate_limit_per_minute=0)  # two slots: one per caller
    try:
        with running.context.slot(Caller("anonymous", "127.0.0.1")):  # this address has a question being answered
            busy = running.http.post("/api/v1/ask", json={"question": QUESTION})
            assert busy.status_code == 429 and busy.json()["error"]["code"] == "too_many_at_once" and busy.headers["retry-after"] == "1"
            assert running.http.post("/api/v1/ask", json={"question": QUESTION}, headers=running.headers(running.public_key)).status_code == 200
        assert running.http.post("/api/v1/ask", json={"question": QUESTION}).status_code == 200
    finally:
        running.stop()


def test_the_time_an_answer_holds_its_slot_is_charged_to_the_caller(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import itertools
    import types

    import api.context

    running = Running(tmp_path, api_rate_limit_per_minute=8)
    try:
        ticks = itertools.count(0.0, 5.5)  # every answer seems to hold its slot 5.5 s: 5 more units each
        monkeypatch.setattr(api.context, "time", types.SimpleNamespace(monotonic=lambda: next(ticks)))
        assert running.http.post("/api/v1/ask", json={"question": QUESTION}).status_code == 200  # 1 + 5 of 8
        assert running.http.post("/api/v1/ask", json={"question": QUESTION}).status_code == 200  # 7 + the 1 left
        assert running.http.post("/api/v1/ask", json={"question": QUESTION}).status_code == 429
        assert running.http.post("/api/v1/ask", json={"question": QUESTION}, headers=running.headers(running.staff_key)).status_code == 200
    finally:
        running.stop()


def test_the_chats_rate_limit_weighs_long_questions_too() -> None:
    from qa.settings import Settings
    from ui.auth import RateLimiter
    from ui.limits import Limits

    now = [0.0]
    limiter = RateLimiter(5, window=60, clock=lambda: now[0])
    assert limiter.hit("a", cost=4) == 0 and limiter.hit("a", cost=2) == 60.0 and limiter.hit("a") == 0  # 4 + 1 fit, 4 + 2 do not
    assert limiter.hit("b", cost=50) == 0 and limiter.hit("b") == 60.0  # more than the limit: alone, it goes through
    limits = Limits.for_settings(Settings(public=True, rate_limit_per_minute=5, max_question_chars=500))
    assert limits.check("托" * 450, "1.2.3.4") is None  # 5 units
    assert "每分钟最多 5 个问题" in (limits.check("托", "1.2.3.4") or "")


def test_a_busy_server_tells_the_chat_so_instead_of_failing() -> None:
    from qa.answer.answers import Answer
    from ui.limits import GatedAssistant

    class Slow:
        answerer_name = "extractive"

        def ask_stream(self, question: str, *args, **kwargs):  # type: ignore[no-untyped-def]
            yield "答"
            yield Answer(question, "答")

    gate = AnswerGate(slots=1, max_waiting=0)
    gated = GatedAssistant(Slow(), gate)
    stream = gated.ask_stream("问")
    assert next(stream) == "答" and gate.active == 1  # a slot held while the stream runs
    *pieces, busy = list(gated.ask_stream("又问"))
    assert busy.refused and "服务繁忙" in busy.text and pieces == [busy.text]
    assert isinstance(list(stream)[-1], Answer) and gate.active == 0


def test_other_requests_are_served_while_passwords_are_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The red-team run froze every request while logins hashed on the event loop: here /healthz answers while two
    slow logins (real PBKDF2, 1.5M rounds) are being checked (an order of events, not a time limit)."""
    import httpx

    import ui.auth

    users = {"alice": hash_password("right", iterations=1_500_000), "bob": hash_password("right", iterations=1_500_000)}
    checking = threading.Event()
    original = ui.auth.verify_password

    def verify(password: str, stored: str) -> bool:
        checking.set()
        return original(password, stored)

    monkeypatch.setattr(ui.auth, "verify_password", verify)
    running = Running(tmp_path, users=users)
    done: list[str] = []
    try:
        def login(name: str) -> None:
            with httpx.Client(base_url=running.url, timeout=120) as client:
                client.post("/staff/login", data={"username": name, "password": "wrong"})
            done.append(name)

        threads = [threading.Thread(target=login, args=(name,)) for name in ("alice", "bob")]
        for t in threads:
            t.start()
        assert checking.wait(60)  # a password is being hashed now
        health = running.http.get("/healthz")
        done.append("healthz")
        for t in threads:
            t.join(120)
        assert health.status_code == 200 and done[0] == "healthz", done
    finally:
        running.stop()


def test_gradios_ask_of_the_chat_answers_its_limits_with_413_and_429(tmp_path: Path) -> None:
    running = Running(tmp_path, rate_limit_per_minute=1)  # the citizens' chat at / is rate-limited like public mode
    try:
        too_long = running.http.post("/gradio_api/run/ask", json={"data": ["托" * 501]})
        assert too_long.status_code == 413 and "问题过长" in too_long.json()["error"]  # Gradio itself says 500
        assert running.http.post("/gradio_api/run/ask", json={"data": [QUESTION]}).status_code == 200
        limited = running.http.post("/gradio_api/run/ask", json={"data": [QUESTION]}, headers={"Accept-Encoding": "br, gzip"})
        assert limited.status_code == 429 and 1 <= int(limited.headers["retry-after"]) <= 60 and "提问过于频繁" in limited.json()["error"]
    finally:
        running.stop()
