"""Configuration: defaults, file errors with line numbers, environment precedence."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import DEFAULT_DATABASE, ConfigError, load_config


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("COACHBOT_CONFIG", "COACHBOT_DATABASE", "COACHBOT_DISCORD_TOKEN",
                 "COACHBOT_DISCORD_API_BASE", "COACHBOT_DISCORD_GATEWAY_URL",
                 "COACHBOT_LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)


def test_no_file_means_defaults_everywhere() -> None:
    config = load_config()
    assert config.database == DEFAULT_DATABASE
    assert config.discord_token is None
    assert config.nudges.rate_per_second == 40
    assert config.privacy.retention_days == 180


def test_the_example_config_is_valid_and_commented() -> None:
    example = Path(__file__).resolve().parents[2] / "config.example.yaml"
    config = load_config(example)
    assert config.source == str(example)
    assert example.read_text().count("#") > 20


def test_unknown_key_and_bad_value_name_file_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("database: my.db\nnudges:\n  rate_per_secnd: 3\n"
                    "safety:\n  pause_hours: lots\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    lines = str(caught.value).splitlines()
    assert lines[0] == (f"{path}:3:3: unknown key 'rate_per_secnd' in the 'nudges' section "
                        "(did you mean 'rate_per_second'?)")
    assert lines[1].startswith(f"{path}:5:16: safety.pause_hours should be a whole number")


def test_database_precedence_flag_then_env_then_file(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("database: from-file.db\n")
    assert load_config(path).database == "from-file.db"
    monkeypatch.setenv("COACHBOT_DATABASE", "from-env.db")
    assert load_config(path).database == "from-env.db"
    assert load_config(path, db_override="from-flag.db").database == "from-flag.db"
    monkeypatch.setenv("COACHBOT_DATABASE", "")  # empty counts as unset
    assert load_config(path).database == "from-file.db"


def test_token_comes_from_env_or_a_file_never_the_config(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("file-token\n")
    path = tmp_path / "config.yaml"
    path.write_text(f"discord:\n  token_file: {token_file}\n")
    assert load_config(path).discord_token == "file-token"
    monkeypatch.setenv("COACHBOT_DISCORD_TOKEN", "env-token")
    assert load_config(path).discord_token == "env-token"
    assert "env-token" not in repr(load_config(path))
    bad = tmp_path / "bad.yaml"
    bad.write_text("discord:\n  token: abc\n")
    with pytest.raises(ConfigError, match="unknown key 'token'"):
        load_config(bad)


def test_yaml_surprises_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("safety:\n  community_default_country: no\n")  # Norway, read as false
    with pytest.raises(ConfigError, match='put it in quotes: "no"'):
        load_config(path)
