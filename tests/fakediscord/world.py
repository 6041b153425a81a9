"""The fake's in-memory world: users, bots, guilds, channels, messages, interactions.

Every mutation calls :meth:`World.changed`, which wakes anyone blocked in
:meth:`World.wait_for`; nothing in the fake sleeps to wait for state.
"""
# The public wait helpers take ``timeout=`` on purpose (tests read better with it).
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from .models import BotApp, Channel, Guild, InteractionRecord, Member, Message, Role, User
from .util import (
    ADMINISTRATOR,
    ALL_PERMISSIONS,
    DEFAULT_EVERYONE_PERMISSIONS,
    INTENT_DM_MESSAGES,
    INTENT_GUILD_MESSAGES,
    INTENT_GUILDS,
    SnowflakeGen,
    iso_now,
)

# (bot, event name, payload, required intent or 0) -> awaitable
Dispatcher = Callable[[BotApp, str, dict[str, Any], int], Awaitable[None]]


class World:
    def __init__(self) -> None:
        self.next_id = SnowflakeGen()
        self.users: dict[int, User] = {}
        self.bots: dict[str, BotApp] = {}  # token -> bot
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, Message] = {}
        self.channel_messages: dict[int, list[int]] = {}
        self.interactions: dict[int, InteractionRecord] = {}
        self.interactions_by_token: dict[str, InteractionRecord] = {}
        self.request_log: list[dict[str, Any]] = []
        self.base_url = ""
        self.owner = self.add_user("app-owner")
        self._changed = asyncio.Event()
        self._dispatcher: Dispatcher | None = None
        self._dm_cursor: dict[int, int] = {}

    # ----------------------------------------------------------------- waiting
    def changed(self) -> None:
        """Wake every waiter; called after each state change."""
        event = self._changed
        self._changed = asyncio.Event()
        event.set()

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Return the first truthy ``predicate()`` value, re-checked on each change."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._changed
            value = predicate()
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"condition not met within {timeout}s")
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                value = predicate()
                if value:
                    return value
                raise TimeoutError(f"condition not met within {timeout}s") from None

    # ---------------------------------------------------------------- dispatch
    def set_dispatcher(self, dispatcher: Dispatcher) -> None:
        self._dispatcher = dispatcher

    async def dispatch(
        self, bot: BotApp, event: str, data: dict[str, Any], intent: int = 0
    ) -> None:
        if self._dispatcher is not None:
            await self._dispatcher(bot, event, data, intent)

    def bots_in_guild(self, guild_id: int) -> list[BotApp]:
        guild = self.guilds.get(guild_id)
        if guild is None:
            return []
        return [b for b in self.bots.values() if b.user.id in guild.members]

    def bots_for_channel(self, channel: Channel) -> list[BotApp]:
        if channel.guild_id is not None:
            return self.bots_in_guild(channel.guild_id)
        return [b for b in self.bots.values() if b.user.id in channel.recipient_ids]

    # ------------------------------------------------------------------ people
    def add_user(self, username: str, *, global_name: str | None = None, bot: bool = False) -> User:
        user = User(id=self.next_id(), username=username, global_name=global_name, bot=bot)
        self.users[user.id] = user
        if hasattr(self, "_changed"):
            self.changed()
        return user

    def add_bot(
        self, username: str = "coachbot", token: str | None = None, flags: int = 0
    ) -> BotApp:
        user = self.add_user(username, bot=True)
        token = token or f"{user.id}.{secrets.token_urlsafe(18)}"
        bot = BotApp(user=user, token=token, flags=flags)
        self.bots[token] = bot
        self.changed()
        return bot

    def bot_by_app(self, application_id: int) -> BotApp | None:
        for bot in self.bots.values():
            if bot.application_id == application_id:
                return bot
        return None

    # ------------------------------------------------------------------ guilds
    def create_guild(self, name: str, owner: User | None = None) -> Guild:
        gid = self.next_id()
        owner = owner or self.owner
        guild = Guild(id=gid, name=name, owner_id=owner.id)
        guild.roles[gid] = Role(
            id=gid, guild_id=gid, name="@everyone", permissions=DEFAULT_EVERYONE_PERMISSIONS
        )
        self.guilds[gid] = guild
        guild.members[owner.id] = Member(user_id=owner.id, joined_at=iso_now())
        self.changed()
        return guild

    def create_channel(
        self,
        guild: Guild,
        name: str,
        *,
        type: int = 0,
        overwrites: Iterable[dict[str, Any]] = (),
        topic: str | None = None,
        parent_id: int | None = None,
    ) -> Channel:
        channel = Channel(
            id=self.next_id(),
            type=type,
            name=name,
            guild_id=guild.id,
            position=len(guild.channel_ids),
            topic=topic,
            parent_id=parent_id,
            overwrites=list(overwrites),
        )
        self.channels[channel.id] = channel
        guild.channel_ids.append(channel.id)
        self.changed()
        return channel

    def create_role(self, guild: Guild, name: str, permissions: int) -> Role:
        role = Role(
            id=self.next_id(),
            guild_id=guild.id,
            name=name,
            permissions=permissions,
            position=len(guild.roles),
        )
        guild.roles[role.id] = role
        self.changed()
        return role

    def guild_payload(self, guild: Guild) -> dict[str, Any]:
        return {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": str(guild.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": [r.payload() for r in guild.roles.values()],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "public_updates_channel_id": None,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "approximate_member_count": len(guild.members),
            "approximate_presence_count": 0,
        }

    def guild_create_payload(self, guild: Guild) -> dict[str, Any]:
        data = self.guild_payload(guild)
        data.update(
            {
                "unavailable": False,
                "large": False,
                "member_count": len(guild.members),
                "joined_at": iso_now(),
                "channels": [self.channels[c].payload() for c in guild.channel_ids],
                "members": [m.payload(self.users) for m in guild.members.values()],
                "threads": [],
                "voice_states": [],
                "presences": [],
                "stage_instances": [],
                "guild_scheduled_events": [],
                "soundboard_sounds": [],
            }
        )
        return data

    def member_payload(
        self, guild: Guild, user_id: int, *, with_permissions: int | None = None
    ) -> dict[str, Any] | None:
        member = guild.members.get(user_id)
        if member is None:
            return None
        data = member.payload(self.users)
        if with_permissions is not None:
            data["permissions"] = str(with_permissions)
        return data

    def guilds_of(self, bot: BotApp) -> list[Guild]:
        return [g for g in self.guilds.values() if bot.user.id in g.members]

    # ------------------------------------------------------------- permissions
    def permissions_for(self, channel: Channel, user_id: int) -> int:
        """Discord's permission algorithm: base role perms, then channel overwrites."""
        if channel.guild_id is None:
            return DEFAULT_EVERYONE_PERMISSIONS if user_id in channel.recipient_ids else 0
        guild = self.guilds[channel.guild_id]
        if user_id == guild.owner_id:
            return ALL_PERMISSIONS
        member = guild.members.get(user_id)
        if member is None:
            return 0
        perms = guild.roles[guild.id].permissions
        for rid in member.roles:
            role = guild.roles.get(rid)
            if role is not None:
                perms |= role.permissions
        if perms & ADMINISTRATOR:
            return ALL_PERMISSIONS
        by_id = {int(o["id"]): o for o in channel.overwrites}
        everyone = by_id.get(guild.id)
        if everyone is not None:
            perms = (perms & ~int(everyone.get("deny", 0))) | int(everyone.get("allow", 0))
        allow = deny = 0
        for rid in member.roles:
            o = by_id.get(rid)
            if o is not None:
                allow |= int(o.get("allow", 0))
                deny |= int(o.get("deny", 0))
        perms = (perms & ~deny) | allow
        o = by_id.get(user_id)
        if o is not None and o.get("type", 0) == 1:
            perms = (perms & ~int(o.get("deny", 0))) | int(o.get("allow", 0))
        return perms

    def guild_permissions(self, guild: Guild, user_id: int) -> int:
        if user_id == guild.owner_id:
            return ALL_PERMISSIONS
        member = guild.members.get(user_id)
        if member is None:
            return 0
        perms = guild.roles[guild.id].permissions
        for rid in member.roles:
            if rid in guild.roles:
                perms |= guild.roles[rid].permissions
        return ALL_PERMISSIONS if perms & ADMINISTRATOR else perms

    # -------------------------------------------------------------------- DMs
    def dm_channel(self, a: int, b: int) -> Channel:
        """The (single) DM channel between two users, created on first use."""
        for channel in self.channels.values():
            if channel.type == 1 and sorted(channel.recipient_ids) == sorted([a, b]):
                return channel
        channel = Channel(id=self.next_id(), type=1, recipient_ids=[a, b])
        self.channels[channel.id] = channel
        self.changed()
        return channel

    # --------------------------------------------------------------- messages
    def store_message(self, message: Message) -> Message:
        self.messages[message.id] = message
        self.channel_messages.setdefault(message.channel_id, []).append(message.id)
        channel = self.channels.get(message.channel_id)
        if channel is not None:
            channel.last_message_id = message.id
        self.changed()
        return message

    def messages_in(self, channel_id: int, *, include_deleted: bool = False) -> list[Message]:
        ids = self.channel_messages.get(channel_id, [])
        out = [self.messages[i] for i in ids]
        return out if include_deleted else [m for m in out if not m.deleted]

    def find_nonce(
        self, channel_id: int, author_id: int, nonce: Any, window: float
    ) -> Message | None:
        now = time.monotonic()
        for mid in reversed(self.channel_messages.get(channel_id, [])):
            m = self.messages[mid]
            if now - m.created_monotonic > window:
                break
            if m.author_id == author_id and m.nonce is not None and str(m.nonce) == str(nonce):
                return m
        return None

    def message_payload(self, message: Message, *, for_bot: BotApp | None = None) -> dict[str, Any]:
        member = None
        if message.guild_id is not None and message.webhook_id is None:
            guild = self.guilds.get(message.guild_id)
            if guild is not None and message.author_id in guild.members:
                member = guild.members[message.author_id].payload(self.users)
                member.pop("user", None)
        return message.payload(self.users, member=member)

    async def dispatch_message_create(self, message: Message) -> None:
        """MESSAGE_CREATE to every bot that can see the channel (intents honoured)."""
        channel = self.channels.get(message.channel_id)
        if channel is None or message.ephemeral:
            return
        intent = INTENT_DM_MESSAGES if channel.guild_id is None else INTENT_GUILD_MESSAGES
        for bot in self.bots_for_channel(channel):
            if channel.guild_id is not None:
                if not self.permissions_for(channel, bot.user.id) & (1 << 10):
                    continue
            data = self.message_payload(message, for_bot=bot)
            data["_fake_needs_content"] = (
                channel.guild_id is not None
                and message.author_id != bot.user.id
                and bot.user.id not in message.mention_ids
            )
            await self.dispatch(bot, "MESSAGE_CREATE", data, intent)

    async def dispatch_guild_create(self, bot: BotApp, guild: Guild) -> None:
        await self.dispatch(bot, "GUILD_CREATE", self.guild_create_payload(guild), INTENT_GUILDS)

    # ------------------------------------------------------------ request log
    def log_request(self, method: str, path: str, status: int, route: str) -> None:
        self.request_log.append(
            {"method": method, "path": path, "status": status, "route": route, "time": time.time()}
        )
        self.changed()
