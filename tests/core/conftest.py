"""Shared by the core tests: a small conversation with branches, and a member talking
to the coach through the router (real YAML files, a real SQLite file)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.app import Coach
from bot.clock import FakeClock
from bot.config import Config
from bot.messages import AnswerRef, Inbound, Outbound, Speaker

ENERGY = """\
id: energy_audit
title: Energy audit
description: Notice what gives and takes your energy.
offer_goal: false
steps:
  - id: drainer
    type: text
    prompt: "What drained your energy most this week?"
  - id: level
    type: scale
    min: 1
    max: 10
    prompt: "How much did {drainer} drain you, from 1 to 10?"
    next:
      - if: "level >= 7"
        goto: big
      - else: small
  - id: big
    type: choice
    prompt: "What would help most?"
    options:
      - {value: rest, label: "Plan real rest"}
      - {value: ask, label: "Ask someone for help"}
    next: fits
  - id: small
    type: yes_no
    prompt: "Would you like to keep an eye on it anyway?"
    optional: true
  - id: fits
    type: reflect
    of: drainer
  - id: bye
    type: end
    prompt: "Thanks. You named {drainer}."
"""

SAM = Speaker("terminal", "sam", "Sam")


class Talk:
    def __init__(self, coach: Coach, speaker: Speaker = SAM) -> None:
        self.coach = coach
        self.speaker = speaker
        self.last: list[Outbound] = []

    async def __call__(self, text: str = "", answer: AnswerRef | None = None) -> str:
        self.last = await self.coach.handle(Inbound(self.speaker, text=text, answer=answer))
        return "\n".join(m.text for m in self.last)

    async def start(self, flow: str) -> str:
        return await self(f"/coach start {flow}")


@pytest.fixture
def flows_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "flows"
    directory.mkdir()
    (directory / "energy_audit.yaml").write_text(ENERGY)
    return directory


@pytest.fixture
async def energy(config: Config, clock: FakeClock, flows_dir: Path):
    coach = await Coach.open(replace(config, conversations_dir=str(flows_dir)), clock=clock,
                             seed=3)
    yield coach
    await coach.close()
