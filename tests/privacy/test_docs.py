"""The privacy page and the code say the same thing, and the token stays out of sight."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from bot.config import load_config
from tests.privacy.helpers import with_transport_features

PAGE = Path(__file__).resolve().parents[2] / "docs" / "privacy.md"
ROW = re.compile(r"^\| `([a-z_]+)` \| (.+?) \|$", re.MULTILINE)


def test_the_privacy_page_lists_what_every_feature_stores(coach) -> None:
    with_transport_features(coach)
    documented = dict(ROW.findall(PAGE.read_text(encoding="utf-8")))
    registered = {f.name: f.stores for f in coach.datarights.features()}
    missing = sorted(set(registered) - set(documented))
    assert not missing, f"add these to docs/privacy.md: {missing}"
    stale = sorted(set(documented) - set(registered))
    assert not stale, f"docs/privacy.md lists parts that no longer store anything: {stale}"
    for name, stores in registered.items():
        assert documented[name] == stores, f"docs/privacy.md and the code differ on {name}"


def test_the_token_is_never_shown(monkeypatch: pytest.MonkeyPatch,
                                  caplog: pytest.LogCaptureFixture) -> None:
    token = "MTAxOTk.secret-token-for-a-test"
    monkeypatch.setenv("COACHBOT_DISCORD_TOKEN", token)
    caplog.set_level(logging.DEBUG)
    config = load_config(None)
    assert config.discord_token == token
    assert token not in repr(config) and token not in str(config)
    assert token not in caplog.text
