"""The one settings object: precedence defaults < config file < PLANQA_* env < flags, types, errors, docs."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.settings import Settings, settings_table


@pytest.mark.parametrize(
    ("config", "env", "flags", "top_k"),
    [
        ("", {}, {}, 10),
        ("top_k = 5\n", {}, {}, 5),
        ("top_k = 5\n", {"PLANQA_TOP_K": "6"}, {}, 6),
        ("top_k = 5\n", {"PLANQA_TOP_K": "6"}, {"top_k": 7}, 7),
        ("", {"PLANQA_TOP_K": "6"}, {"top_k": None}, 6),  # an unset flag does not override
    ],
)
def test_precedence(tmp_path: Path, config: str, env: dict, flags: dict, top_k: int) -> None:
    path = tmp_path / "planqa.toml"
    path.write_text(config, encoding="utf-8")
    assert Settings.load(flags, env=env, config_file=path).top_k == top_k


def test_env_values_are_typed_and_config_file_can_come_from_env(tmp_path: Path) -> None:
    path = tmp_path / "planqa.toml"
    path.write_text('store_path = "/data/store"\n', encoding="utf-8")
    settings = Settings.load(env={"PLANQA_CONFIG": str(path), "PLANQA_PUBLIC": "yes", "PLANQA_LLM_TIMEOUT": "2.5"})
    assert settings.store_path == Path("/data/store") and settings.public is True and settings.llm_timeout == 2.5


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PLANQA_TOP_K": "many"}, "PLANQA_TOP_K"),
        ({"PLANQA_PUBLIC": "maybe"}, "expected true/false"),
    ],
)
def test_bad_values_name_the_setting(env: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Settings.load(env=env)


def test_unknown_config_keys_and_bad_files_are_errors(tmp_path: Path) -> None:
    path = tmp_path / "planqa.toml"
    path.write_text("topk = 3\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown setting"):
        Settings.load(env={}, config_file=path)
    path.write_text("top_k = [\n", encoding="utf-8")
    with pytest.raises(ValueError, match="config file"):
        Settings.load(env={}, config_file=path)


def test_readme_lists_every_setting_as_documented() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert settings_table() in readme, "README's settings table is stale: paste qa.settings.settings_table()"
