"""The groups feature's shared parts: accountability channels as stored, the ports a transport
plugs in, and how the feature sends messages (always through the one paced delivery queue).

Communities: on Discord a server (guild id); the terminal chat is one local community (`""`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.delivery import DeliveryResult
from bot.goals.progress import week_start
from bot.messages import Outbound
from bot.nudges.schedule import Cadence, Plan, hhmm, parse_hhmm

if TYPE_CHECKING:
    from bot.app import Coach
    from bot.commands import CommandContext
    from bot.groups.prompts import GroupWording
    from bot.members import Member
    from bot.nudges.queue import DeliveryQueue

log = logging.getLogger(__name__)

TERMINAL_COMMUNITY = ""
SUMMARY_AT = (6, time(18, 0))  # Sunday 18:00, channel time
REMINDER_AT = (4, time(18, 0))  # Friday 18:00, channel time


@dataclass(frozen=True, slots=True)
class ChannelCheck:
    """What a transport found when asked whether the bot can use a channel."""

    found: bool
    name: str = ""
    missing: tuple[str, ...] = ()  # permission names, in the platform's words
    can_read_messages: bool = False  # the platform lets the bot read ordinary messages


# (guild id, channel id, wants to read messages) -> what the transport found
ChannelChecker = Callable[[str, str, bool], Awaitable[ChannelCheck]]


@dataclass(frozen=True, slots=True)
class Group:
    id: int
    platform: str
    guild_id: str
    channel_id: str
    name: str
    cadence: Cadence
    at: time
    zone: str
    prompt_key: str
    summary: bool
    read_messages: bool

    @property
    def label(self) -> str:
        return f"#{self.name}" if self.name else f"group {self.id}"

    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    def prompt_plan(self) -> Plan:
        return Plan(self.cadence, self.at, self.tz())

    def plan(self, kind: str) -> Plan:
        if kind == "prompt":
            return self.prompt_plan()
        day, at = SUMMARY_AT if kind == "summary" else REMINDER_AT
        return Plan(Cadence("weekly", (day,)), at, self.tz())

    def week_of(self, when: datetime) -> str:
        """The Monday (channel time) of the week `when` falls in, as YYYY-MM-DD."""
        return week_start(when.astimezone(self.tz()).date()).isoformat()

    def describe(self) -> str:
        text = (f"{self.label}: check-in prompts {self.cadence.words()} at {hhmm(self.at)} "
                f"({self.zone} time), prompt \"{self.prompt_key}\", weekly summary "
                f"{'on' if self.summary else 'off'}")
        if self.read_messages:
            text += ", crisis check on ordinary messages on"
        return text + "."

    @classmethod
    def from_row(cls, row: Any) -> Group:
        at = parse_hhmm(row["local_time"])
        assert at is not None
        return cls(row["id"], row["platform"], row["guild_id"], row["channel_id"], row["name"],
                   Cadence.stored(row["cadence"], row["days"]), at, row["zone"],
                   row["prompt_key"], bool(row["summary"]), bool(row["read_messages"]))


class Groups:
    """One per coach: the wording, the transport's ports and the send helpers."""

    def __init__(self, coach: Coach, wording: GroupWording) -> None:
        self.coach = coach
        self.db = coach.db
        self.wording = wording
        self.channel_check: ChannelChecker | None = None  # set by a transport with channels

    # -- reading ---------------------------------------------------------------------------

    async def group(self, group_id: int) -> Group | None:
        row = await self.db.fetchone("SELECT * FROM group_channels WHERE id = ?", (group_id,))
        return Group.from_row(row) if row else None

    async def group_in(self, platform: str, channel_id: str | None) -> Group | None:
        if channel_id is None:
            return None
        row = await self.db.fetchone("SELECT * FROM group_channels WHERE platform = ? AND"
                                     " channel_id = ?", (platform, channel_id))
        return Group.from_row(row) if row else None

    async def groups_of_guild(self, platform: str, guild_id: str) -> list[Group]:
        rows = await self.db.fetchall("SELECT * FROM group_channels WHERE platform = ? AND"
                                      " guild_id = ? ORDER BY id", (platform, guild_id))
        return [Group.from_row(r) for r in rows]

    async def joined(self, member_id: int) -> list[Group]:
        rows = await self.db.fetchall(
            "SELECT g.* FROM group_channels g JOIN group_members m ON m.group_id = g.id"
            " WHERE m.member_id = ? ORDER BY g.id", (member_id,))
        return [Group.from_row(r) for r in rows]

    async def is_member(self, group_id: int, member_id: int) -> bool:
        return await self.db.fetchval("SELECT 1 FROM group_members WHERE group_id = ? AND"
                                      " member_id = ?", (group_id, member_id)) is not None

    async def communities(self, ctx: CommandContext) -> list[str]:
        """Where a command acts: this server; the terminal's one community; from a DM, the
        servers the member has used the bot in."""
        inbound = ctx.inbound
        if inbound.guild_id is not None:
            return [inbound.guild_id]
        if ctx.member.platform == "terminal":
            return [TERMINAL_COMMUNITY]
        rows = await self.db.fetchall("SELECT guild_id FROM member_servers WHERE member_id = ?"
                                      " ORDER BY last_seen_at DESC", (ctx.member.id,))
        return [r["guild_id"] for r in rows]

    # -- sending (always through the one paced delivery queue) -----------------------------

    def queue(self) -> DeliveryQueue | None:
        nudger = getattr(self.coach, "nudger", None)
        if nudger is None:
            return None
        if nudger.queue is None and self.coach.delivery is not None:
            nudger.attach(self.coach.delivery)
        return nudger.queue

    async def tell(self, member: Member, messages: Sequence[Outbound]) -> DeliveryResult:
        """A private message to a member (an introduction, a partner's nudge, a goodbye)."""
        queue = self.queue()
        if queue is None:
            return DeliveryResult.FAILED
        return await queue.send(member, messages)

    def tell_later(self, member: Member, messages: Sequence[Outbound]) -> None:
        """The same, without waiting for the result (kind notes after a change)."""
        from bot.nudges.queue import Job
        queue = self.queue()
        if queue is not None:
            queue.submit(Job(member, messages, None))
            queue.start()

    async def post(self, channel_id: str, messages: Sequence[Outbound]
                   ) -> tuple[DeliveryResult, list[str]]:
        """Post in a channel; returns the result and the ids of the messages posted."""
        queue = self.queue()
        if queue is None:
            return DeliveryResult.FAILED, []
        ids: list[str] = []
        result = await queue.post(channel_id, messages, sent_ids=ids)
        return result, ids

    async def member_by_id(self, member_id: int) -> Member | None:
        return await self.coach.members.get(member_id)


def groups_of(coach: Coach) -> Groups:
    found = getattr(coach, "groups", None)
    if found is None:
        raise RuntimeError("the groups feature is not registered")
    return found
