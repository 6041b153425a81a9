"""A coachbot with the groups feature, connected to the shared fake Discord: one server with
an accountability channel, a moderator and three members, and a clock the tests move."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest_asyncio

from bot.app import Coach
from bot.clock import FakeClock
from bot.config import Config, DiscordConfig
from bot.nudges import nudger_of
from bot.nudges.service import TickResult
from bot.transports.discord.client import CoachBot
from tests.fakediscord import FakeDiscord
from tests.fakediscord.models import BotApp, Channel, Guild, Message, User
from tests.fakediscord.pytest_plugin import bot_identity, fake_discord, running  # noqa: F401

MANAGE_GUILD = 1 << 5
MONDAY_8AM = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)  # a Monday; the channel uses UTC
EPHEMERAL = 64


def shown(message: Message) -> str:
    """A message's text as Discord shows it (Markdown escapes removed)."""
    return re.sub(r"\\(.)", r"\1", message.content or "")


def buttons(message: Message) -> dict[str, str]:
    return {c["label"]: c["custom_id"] for row in message.components
            for c in row.get("components", []) if c.get("type") == 2}


@dataclass
class Env:
    fake: FakeDiscord
    identity: BotApp
    bot: CoachBot
    coach: Coach
    clock: FakeClock
    guild: Guild
    channel: Channel  # the accountability channel
    general: Channel
    moderator: User
    alice: User
    bob: User
    carol: User
    _seen: dict[int, int] = field(default_factory=dict)

    async def slash(self, user: User, name: str, options: dict[str, Any] | None = None, *,
                    channel: Channel | None = None, dm: bool = False) -> Any:
        where = None if dm else (channel or self.channel)
        return await self.fake.slash(user, name, options, bot=self.identity, channel=where)

    async def reply(self, handle: Any) -> Message:
        """The bot's answer to a deferred command or a press (its first follow-up)."""
        return await handle.wait_original(lambda m: bool(m.content or m.components))

    async def answer(self, user: User, name: str, options: dict[str, Any] | None = None, *,
                     channel: Channel | None = None, dm: bool = False) -> Message:
        return await self.reply(await self.slash(user, name, options, channel=channel, dm=dm))

    async def submit(self, user: User, name: str, form: dict[str, str],
                     options: dict[str, Any] | None = None, *, dm: bool = False) -> Message:
        """Run a command whose form opens as a modal, fill it in, return the answer."""
        handle = await self.slash(user, name, options, dm=dm)
        assert (await handle.response()).type == 9
        return await self.reply(await self.fake.submit_modal(user, handle, form))

    def dms(self, user: User) -> list[Message]:
        """Direct messages the bot sent on its own (not answers to the member's presses)."""
        return [m for m in self.fake.messages_to(user, self.identity)
                if not m.ephemeral and m.interaction_id is None]

    async def next_dm(self, user: User, wait: float = 5.0) -> Message:
        seen = self._seen.get(user.id, 0)

        def pick() -> Message | None:
            found = self.dms(user)
            return found[seen] if len(found) > seen else None

        message = await self.fake.wait_for(pick, wait)
        self._seen[user.id] = seen + 1
        return message

    def posts(self, channel: Channel | None = None) -> list[Message]:
        """What the bot posted in a channel that everyone can see."""
        return [m for m in self.fake.messages_in(channel or self.channel)
                if m.author_id == self.identity.user.id and not m.ephemeral]

    async def tick(self) -> TickResult:
        """One scheduler tick at the clock's time, then wait until its messages are out."""
        nudger = nudger_of(self.coach)
        result = await nudger.tick(self.clock.now())
        assert nudger.queue is not None
        await nudger.queue.join()
        return result

    async def setup_group(self, **options: Any) -> Message:
        values = {"channel": self.channel, "cadence": "weekly:mon", "time": "09:00",
                  "timezone": "UTC", **options}
        return await self.answer(self.moderator, "group setup", values)


@pytest_asyncio.fixture(loop_scope="session")
async def env(fake_discord: FakeDiscord, tmp_path: Path) -> AsyncIterator[Env]:  # noqa: F811
    from tests.fakediscord import point_discord_at
    point_discord_at(fake_discord.url)
    fake = fake_discord
    identity = fake.add_bot("coachbot")
    config = replace(Config(), database=str(tmp_path / "coach.sqlite3"),
                     data_dir=str(tmp_path / "data"),
                     discord=DiscordConfig(message_content=True, member_events=True))
    clock = FakeClock(MONDAY_8AM)
    coach = await Coach.open(config, clock=clock, seed=1)
    bot = CoachBot(coach, guild_ready_timeout=0)
    guild = await fake.add_guild("community", bots=[identity],
                                 channels=["general", "accountability"])
    general, channel = fake.text_channels(guild)
    moderator = fake.add_user("mo", global_name="Mo")
    alice = fake.add_user("alice", global_name="Alice")
    bob = fake.add_user("bob", global_name="Bob")
    carol = fake.add_user("carol", global_name="Carol")
    await fake.add_member(guild, moderator, permissions=MANAGE_GUILD)
    for user in (alice, bob, carol):
        await fake.add_member(guild, user)
    try:
        async with running(fake, bot, identity):
            nudger_of(coach).attach(bot.delivery)  # type: ignore[arg-type]
            yield Env(fake, identity, bot, coach, clock, guild, channel, general, moderator,
                      alice, bob, carol)
            queue = nudger_of(coach).queue
            if queue is not None:
                await queue.stop()
    finally:
        await coach.close()
