"""Who may use the app and how it starts (ui.auth, ``planqa serve``): password hashes, the users list, the start-up
check that refuses an open staff app on the network, and the serve flags."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.settings import Settings
from ui.auth import (
    AuthError,
    authenticator,
    hash_password,
    load_users,
    load_users_file,
    parse_users,
    startup_check,
    verify_password,
)

# ------------------------------------------------------------------------------------------ logins


def test_pbkdf2_hash_and_verify() -> None:
    stored = hash_password("s3cret", iterations=1000)
    algorithm, iterations, salt, digest = stored.split("$")
    assert algorithm == "pbkdf2_sha256" and iterations == "1000" and len(salt) == 32 and len(digest) == 64
    assert verify_password("s3cret", stored) and not verify_password("s3cret ", stored) and not verify_password("", stored)
    assert hash_password("s3cret", iterations=1000) != stored  # salted
    assert not verify_password("s3cret", "pbkdf2_sha256$x$y$z") and not verify_password("s3cret", "s3cret")


def test_sha256_hex_is_accepted() -> None:
    import hashlib

    assert verify_password("pw", hashlib.sha256(b"pw").hexdigest()) and not verify_password("PW", hashlib.sha256(b"pw").hexdigest())


def test_users_from_env_string_and_files(tmp_path: Path) -> None:
    pbkdf2 = hash_password("a", iterations=1000)
    users = parse_users(f"alice:{pbkdf2}, bob:{'0' * 64}")
    assert set(users) == {"alice", "bob"}
    with pytest.raises(AuthError, match="never the password"):
        parse_users("carol:plaintext")
    with pytest.raises(AuthError, match="name:hash"):
        parse_users("carol")
    toml = tmp_path / "users.toml"
    toml.write_text(f'[users]\ndave = "{pbkdf2}"\n', encoding="utf-8")
    js = tmp_path / "users.json"
    js.write_text(json.dumps({"erin": pbkdf2}), encoding="utf-8")
    assert load_users_file(toml) == {"dave": pbkdf2} and load_users_file(js) == {"erin": pbkdf2}
    merged = load_users(Settings(users=f"alice:{pbkdf2}", users_file=str(toml)))
    assert set(merged) == {"alice", "dave"}
    bad = tmp_path / "bad.toml"
    bad.write_text("users = 3", encoding="utf-8")
    with pytest.raises(AuthError, match="expected a table"):
        load_users_file(bad)


def test_authenticator_checks_name_and_password() -> None:
    check = authenticator({"alice": hash_password("pw", iterations=1000)})
    assert check("alice", "pw") and not check("alice", "nope") and not check("mallory", "pw")


def test_staff_mode_refuses_a_network_address_without_users() -> None:
    with pytest.raises(AuthError, match="without users"):
        startup_check(Settings(app_host="0.0.0.0"), {})
    assert startup_check(Settings(app_host="0.0.0.0"), {"alice": "0" * 64}) == []
    assert startup_check(Settings(app_host="0.0.0.0", public=True), {}) == []
    warning = startup_check(Settings(app_host="127.0.0.1"), {})
    assert len(warning) == 1 and "without login" in warning[0]


def test_serve_command_refuses_to_start_open_on_the_network(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from cli import main

    for key in ("PLANQA_USERS", "PLANQA_USERS_FILE", "PLANQA_PUBLIC"):
        monkeypatch.delenv(key, raising=False)
    assert main(["serve", "--host", "0.0.0.0", "--port", "7999"]) == 2
    assert "without users" in capsys.readouterr().err


def test_hash_command(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import io

    from ui import auth

    monkeypatch.setattr("sys.stdin", io.StringIO("hunter2\n"))
    assert auth.main(["hash", "--user", "alice", "--iterations", "1000"]) == 0
    line = capsys.readouterr().out.strip()
    assert parse_users(line) and verify_password("hunter2", parse_users(line)["alice"])


def test_serve_flags_map_to_settings() -> None:
    from cli import build_parser

    args = build_parser().parse_args(["serve", "--public", "--host", "0.0.0.0", "--port", "8000"])
    assert (args.public, args.app_host, args.app_port) == (True, "0.0.0.0", 8000)
    assert build_parser().parse_args(["serve"]).public is None  # absent: env/config decide
