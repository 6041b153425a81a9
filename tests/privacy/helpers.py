"""Shared pieces for the privacy, fault and property tests: a small real conversation, a way
to talk to the coach through the router, and a look at the raw database file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.app import Coach
from bot.clock import FakeClock
from bot.config import Config
from bot.messages import AnswerRef, CommandCall, Inbound, Outbound, Speaker

# Each question is one line starting with "Qn:", so a reader of the terminal's output knows
# exactly which question it is on.
DIARY = """\
id: diary
title: Diary
description: A short look back at the day.
steps:
  - id: win
    type: text
    prompt: "Q1: What went well today?"
  - id: energy
    type: scale
    min: 1
    max: 10
    prompt: "Q2: How was your energy, from 1 to 10?"
  - id: lesson
    type: text
    prompt: "Q3: What did you learn?"
  - id: again
    type: yes_no
    prompt: "Q4: Would you do it again?"
  - id: next_step
    type: text
    prompt: "Q5: What is one small next step?"
"""

# A marker no prompt, lexicon or schema contains; short enough for the language setting.
MARKER = "Qzx7Vw3Kq9"


def write_flows(directory: Path, *, with_bundled: bool = False) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "diary.yaml").write_text(DIARY, encoding="utf-8")
    if with_bundled:
        root = Path(__file__).resolve().parents[2] / "conversations"
        for path in root.glob("*.yaml"):
            (directory / path.name).write_text(path.read_text(encoding="utf-8"),
                                               encoding="utf-8")
    return directory


@asynccontextmanager
async def open_coach(config: Config, clock: FakeClock, flows: Path, **changes: Any
                     ) -> AsyncIterator[Coach]:
    coach = await Coach.open(replace(config, conversations_dir=str(flows), **changes),
                             clock=clock, seed=1)
    try:
        yield coach
    finally:
        await coach.close()


class Talk:
    """One member talking to the coach through the router, as a transport would."""

    def __init__(self, coach: Coach, user: str = "sam", name: str = "Sam", *,
                 platform: str = "terminal") -> None:
        self.coach = coach
        self.speaker = Speaker(platform, user, name)
        self.last: list[Outbound] = []

    async def send(self, text: str = "", *, answer: AnswerRef | None = None,
                   command: CommandCall | None = None, **inbound: Any) -> list[Outbound]:
        self.last = await self.coach.handle(Inbound(self.speaker, text=text, answer=answer,
                                                    command=command, **inbound))
        return self.last

    async def __call__(self, text: str = "", **kwargs: Any) -> str:
        return "\n".join(m.text for m in await self.send(text, **kwargs))

    async def member_id(self) -> int:
        member = await self.coach.members.find(self.speaker.platform, self.speaker.user_id)
        assert member is not None
        return member.id

    async def session(self) -> Any:
        return await self.coach.engine.sessions.resumable(await self.member_id(),
                                                          include_crisis=True)


async def finish_diary(talk: Talk, words: str, *, goal: bool = False) -> str:
    """Go through the diary conversation; optionally turn it into a goal with `words`."""
    await talk("/coach start diary")
    for answer in (f"I helped a friend {words}", "7", f"patience {words}", "yes",
                   f"call my sister {words}"):
        await talk(answer)
    if goal:
        await talk("yes")
        await talk(f"Walk more {words}")
        return await talk(f"If it is 8am, then I will walk {words}")
    return await talk("no")


def raw_database_bytes(path: str | Path) -> bytes:
    """The database file and its write-ahead log, byte for byte, as the disk holds them."""
    data = b""
    for suffix in ("", "-wal", "-journal"):
        file = Path(f"{path}{suffix}")
        if file.exists():
            data += file.read_bytes()
    return data


async def table_dump(coach: Coach, *, skip: tuple[str, ...] = ()) -> dict[str, list[tuple]]:
    """Every row of every table, to show that nothing changed."""
    names = [r[0] for r in await coach.db.fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    dump = {}
    for name in names:
        if name in skip:
            continue
        rows = await coach.db.fetchall(f'SELECT * FROM "{name}" ORDER BY rowid')
        dump[name] = [tuple(r) for r in rows]
    return dump


def with_transport_features(coach: Coach) -> Coach:
    """Add the data features a transport registers when it runs (the Discord transport's
    servers table), so checks see what a Discord deployment holds."""
    from types import SimpleNamespace

    from bot.transports.discord.moderation import register_data_rights
    register_data_rights(SimpleNamespace(coach=coach))  # it reads only `.coach`
    return coach
