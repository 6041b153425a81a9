"""Shared test set-up: hypothesis profiles, a real SQLite file per test, an injected clock."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from bot.clock import FakeClock
from bot.config import Config

settings.register_profile("ci", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return replace(Config(), database=str(tmp_path / "coach.sqlite3"),
                   conversations_dir=str(ROOT / "conversations"),
                   data_dir=str(tmp_path / "data"))


@pytest.fixture
async def coach(config: Config, clock: FakeClock) -> AsyncIterator[object]:
    from bot.app import Coach
    coach = await Coach.open(config, clock=clock, seed=1)
    try:
        yield coach
    finally:
        await coach.close()
