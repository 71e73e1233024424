"""The server's conversation store (ui/conversations.py): per owner, rename, delete, retention; and whose they are."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from ui.conversations import BROWSER_COOKIE, ConversationStore, owner_of


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def conv(question: str) -> dict:
    return {"messages": [{"role": "user", "content": question}], "history": [[question, "答"]], "answers": [{"index": 1, "answer": {}, "given": False}]}


def test_conversations_are_kept_per_owner_renamed_deleted_and_expire(tmp_path: Path) -> None:
    clock = Clock()
    store = ConversationStore(tmp_path / "var" / "c.sqlite", retention_days=1, clock=clock)
    assert store.list("user:ann") == [] and store.get("user:ann", "x") is None and not (tmp_path / "var").exists()  # nothing written yet
    first = store.save("user:ann", conv("赣州?"), "赣州?")
    clock.now += 10
    second = store.save("user:ann", conv("泰州?"), "泰州?")
    assert [s.id for s in store.list("user:ann")] == [second, first] and store.list("user:bob") == []
    assert store.get("user:bob", first) is None and store.get("user:ann", first)["history"][0][0] == "赣州?"
    assert store.save("user:bob", {**conv("x"), "id": first}, "x") != first  # another owner's id is not taken over
    assert store.rename("user:ann", first, "  赣州的  问题 ") and store.list("user:ann")[1].title == "赣州的 问题"
    assert not store.rename("user:bob", first, "偷改") and not store.rename("user:ann", first, "   ")
    clock.now += 10
    assert store.save("user:ann", {**conv("赣州? 续"), "id": first}, "ignored") == first  # an update keeps its title
    assert store.list("user:ann")[0].title == "赣州的 问题"
    assert store.delete("user:ann", second) and not store.delete("user:ann", second)
    clock.now += 2 * 86400  # past the retention: the next save prunes what was not touched
    store.save("user:cat", conv("新"), "新")
    assert store.list("user:ann") == [] and len(store.list("user:cat")) == 1
    store.close()
    assert len(ConversationStore(tmp_path / "var" / "c.sqlite").list("user:cat")) == 1  # on disk


def test_owner_is_the_staff_login_or_the_browser_cookie() -> None:
    assert owner_of(SimpleNamespace(username="ann", cookies={}), public=False) == "user:ann"
    assert owner_of(SimpleNamespace(username=None, cookies={}), public=False) == "staff"
    assert owner_of(SimpleNamespace(username=None, cookies={BROWSER_COOKIE: "a" * 32}), public=True) == "browser:" + "a" * 32
    assert owner_of(SimpleNamespace(username=None, cookies={BROWSER_COOKIE: "../x"}), public=True) is None
    assert owner_of(SimpleNamespace(username=None, cookies={}), public=True) is None
