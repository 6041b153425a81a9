"""A coachbot connected to the shared fake Discord, with a small conversation and a few
test-only registry commands (a form, a confirmation, a long answer)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest_asyncio

from bot.app import Coach
from bot.clock import FakeClock
from bot.commands import CommandContext, FormField, Param
from bot.config import Config, DiscordConfig
from bot.messages import Outbound
from bot.transports.discord.client import CoachBot
from tests.fakediscord import FakeDiscord
from tests.fakediscord.messages import new_message
from tests.fakediscord.models import BotApp, Guild, Message, User
from tests.fakediscord.pytest_plugin import bot_identity, fake_discord, running  # noqa: F401

MANAGE_GUILD = 1 << 5

CHECKIN = """\
id: checkin
title: Quick check-in
description: A short look at your week.
steps:
  - id: arriving
    type: choice
    prompt: "How are you arriving today?"
    options:
      - {value: calm, label: "Calm"}
      - {value: busy, label: "Busy"}
  - id: win
    type: text
    prompt: "What went well this week?"
  - id: mirror
    type: reflect
    of: win
  - id: energy
    type: scale
    min: 1
    max: 10
    prompt: "How much energy do you have for next week, from 1 to 10?"
"""

LONG_LINE = "This is a line of a long answer that goes on for a while, like a list. "


async def _form_echo(ctx: CommandContext) -> list[Outbound]:
    return [Outbound(f"Saved your note. What: {ctx.form['what']}. "
                     f"Why: {ctx.form.get('why') or '(none)'}. Tag: {ctx.args.get('tag')}.")]


async def _long(ctx: CommandContext) -> list[Outbound]:
    lines = [f"{i:02d}. {LONG_LINE}" for i in range(1, 34)]
    return [Outbound("\n".join(lines))]


async def _forget(ctx: CommandContext) -> list[Outbound]:
    return [Outbound("Forgotten, as you asked.")]


def add_test_commands(coach: Coach) -> None:
    add = coach.registry.command
    add("testnote", summary="Write a note in a form",
        params=(Param("tag", "A tag for the note", required=False),),
        form=(FormField("what", "What happened?"),
              FormField("why", "Why does it matter?", required=False, long=True)))(_form_echo)
    add("testlong", summary="A long answer")(_long)
    add("testforget", summary="Forget something (asks first)",
        confirm="This forgets something.")(_forget)


async def replies(handle: Any, count: int = 1) -> list[Any]:
    """What the bot answered to a deferred command: its first message replaces the
    "thinking..." one (the original response), the others follow it."""
    first = await handle.wait_original(lambda m: bool(m.content or m.components
                                                      or m.attachments))
    rest = await handle.wait_followups(count - 1) if count > 1 else []
    return [first, *rest]


@dataclass
class Env:
    fake: FakeDiscord
    identity: BotApp
    bot: CoachBot
    coach: Coach
    guild: Guild
    member: User
    moderator: User
    flows: Path
    _seen: dict[int, int] = field(default_factory=dict)

    def dm_channel(self, user: User) -> Any:
        return self.fake.dm_channel(user, self.identity)

    async def next_dm(self, user: User, wait: float = 5.0) -> Message:
        """The bot's next message in the DM that the member sees in the history (private
        answers to a press are only shown once, so they are not part of it)."""
        seen = self._seen.get(user.id, 0)

        def pick() -> Message | None:
            found = [m for m in self.fake.messages_to(user, self.identity) if not m.ephemeral]
            return found[seen] if len(found) > seen else None

        message = await self.fake.wait_for(pick, wait)
        self._seen[user.id] = seen + 1
        return message

    async def dm(self, user: User, text: str) -> Message:
        """The user writes to the bot; returns the bot's next message to them."""
        await self.fake.send_dm(user, text, bot=self.identity)
        return await self.next_dm(user)

    async def slash(self, user: User, name: str, options: dict[str, Any] | None = None, *,
                    guild: bool = False) -> Any:
        return await self.fake.slash(user, name, options, bot=self.identity,
                                     guild=self.guild if guild else None)

    async def answer(self, user: User, name: str, options: dict[str, Any] | None = None, *,
                     guild: bool = False) -> Any:
        """A slash command answered with one message: that message."""
        [found] = await replies(await self.slash(user, name, options, guild=guild))
        return found

    async def slash_with_file(self, user: User, name: str, filename: str, data: bytes,
                              options: dict[str, Any] | None = None) -> Any:
        """A slash command in the server with a file attached to its `file` option."""
        fake = self.fake
        channel = fake.text_channels(self.guild)[0]
        holder = new_message(fake.world, channel, user.id, {"content": ""},
                             {0: (filename, data)})
        fake.world.store_message(holder)
        attachment = holder.attachments[0]
        values = {**(options or {}), "file": str(attachment.id)}
        payload = fake.factory.command_data(self.identity, name, values, self.guild.id)
        payload.setdefault("resolved", {}).setdefault("attachments", {})[
            str(attachment.id)] = attachment.payload()
        record = fake.factory.create(self.identity, 2, user, channel, payload)
        return await fake._fire(self.identity, record)


def write_flows(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "checkin.yaml").write_text(CHECKIN, encoding="utf-8")
    return directory


@pytest_asyncio.fixture(loop_scope="session")
async def env(fake_discord: FakeDiscord, tmp_path: Path) -> AsyncIterator[Env]:  # noqa: F811
    from tests.fakediscord import point_discord_at
    point_discord_at(fake_discord.url)
    fake = fake_discord
    identity = fake.add_bot("coachbot")
    flows = write_flows(tmp_path / "conversations")
    config = replace(Config(), database=str(tmp_path / "coach.sqlite3"),
                     conversations_dir=str(flows), data_dir=str(tmp_path / "data"),
                     discord=DiscordConfig(moderator_role="Coach team"))
    coach = await Coach.open(config, clock=FakeClock(), seed=1)
    add_test_commands(coach)
    bot = CoachBot(coach, answer_mentions=True, guild_ready_timeout=0)
    guild = await fake.add_guild("community", bots=[identity])
    member = fake.add_user("alice", global_name="Alice")
    moderator = fake.add_user("mo", global_name="Mo")
    await fake.add_member(guild, member)
    await fake.add_member(guild, moderator, permissions=MANAGE_GUILD)
    try:
        async with running(fake, bot, identity):
            yield Env(fake, identity, bot, coach, guild, member, moderator, flows)
    finally:
        await coach.close()
