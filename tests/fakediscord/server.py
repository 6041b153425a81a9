"""``FakeDiscord``: the server (gateway + REST + control) and its in-process test API."""
# The public wait helpers take ``timeout=`` on purpose (tests read better with it).
# ruff: noqa: ASYNC109

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from typing import Any

from aiohttp import web

from . import control, routes_core, routes_interactions
from .gateway import RESUME_PATH, Gateway
from .interactions import InteractionFactory, InteractionHandle
from .messages import new_message
from .models import BotApp, Channel, Guild, InteractionRecord, Member, Message, Role, User
from .ratelimit import Injection, RateLimiter
from .rest import RestApi
from .util import INTENT_GUILD_MEMBERS, INTENT_GUILDS, iso_now
from .world import World

log = logging.getLogger("fakediscord")

Target = User | BotApp | Role | int


def _id(obj: Any) -> int:
    if isinstance(obj, BotApp):
        return obj.user.id
    return int(getattr(obj, "id", obj))


class FakeDiscord:
    """A Discord API + gateway on 127.0.0.1 that an unmodified discord.py talks to."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        global_limit: int = 50,
        heartbeat_interval: int = 41250,
        bot_name: str = "coachbot",
        token: str | None = None,
    ) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the fake only listens on loopback")
        self.host = host
        self.port = port
        self.world = World()
        self.gateway = Gateway(self.world, heartbeat_interval=heartbeat_interval)
        self.limiter = RateLimiter(global_limit=global_limit)
        self.rest = RestApi(self.world, self.gateway, self.limiter)
        routes_core.register(self.rest)
        routes_interactions.register(self.rest)
        self.factory = InteractionFactory(self.world)
        self.bot: BotApp = self.world.add_bot(bot_name, token=token)
        self._runner: web.AppRunner | None = None
        self._cursors: dict[tuple[str, int], int] = {}

    # ---------------------------------------------------------------- server
    async def start(self) -> FakeDiscord:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/", self.gateway.handle)
        app.router.add_get(RESUME_PATH, self.gateway.handle)
        control.install(app, self)
        self.rest.install(app)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.world.base_url = self.url
        self.gateway.ws_base = f"ws://{self.host}:{self.port}"
        return self

    async def stop(self) -> None:
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/"

    # -------------------------------------------------------------- counters
    @property
    def token(self) -> str:
        return self.bot.token

    @property
    def count_429(self) -> int:
        return self.limiter.count_429

    @property
    def identify_count(self) -> int:
        return self.gateway.identify_count

    @property
    def resume_count(self) -> int:
        return self.gateway.resume_count

    @property
    def request_log(self) -> list[dict[str, Any]]:
        return self.world.request_log

    def requests(self, method: str | None = None, route: str | None = None) -> list[dict[str, Any]]:
        return [
            r
            for r in self.world.request_log
            if (method is None or r["method"] == method) and (route is None or r["route"] == route)
        ]

    def set_global_limit(self, per_second: int) -> None:
        self.limiter.global_limit = per_second

    def inject_failure(
        self,
        method: str,
        pattern: str,
        *,
        status: int = 500,
        times: int = 1,
        retry_after: float = 0.05,
    ) -> Injection:
        """Answer the next ``times`` matching requests with ``status`` (5xx or 429).

        ``pattern`` is a glob on the path after ``/api/v10`` (``/channels/*/messages``)
        or a route template (``/channels/{channel_id}/messages``).
        """
        return self.limiter.inject(method, pattern, status, times, retry_after)

    def clear_injections(self) -> None:
        self.limiter.injections.clear()

    # ---------------------------------------------------------------- waiting
    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        return await self.world.wait_for(predicate, timeout)

    # ----------------------------------------------------------------- world
    def add_user(self, name: str, *, global_name: str | None = None) -> User:
        return self.world.add_user(name, global_name=global_name)

    def add_bot(
        self, name: str = "coachbot", *, token: str | None = None, flags: int = 0
    ) -> BotApp:
        return self.world.add_bot(name, token=token, flags=flags)

    def _bot(self, bot: BotApp | None) -> BotApp:
        return bot or self.bot

    async def add_guild(
        self,
        name: str = "guild",
        *,
        bots: Iterable[BotApp] | None = None,
        owner: User | None = None,
        channels: Iterable[str] = ("general",),
    ) -> Guild:
        guild = self.world.create_guild(name, owner)
        for channel in channels:
            self.world.create_channel(guild, channel)
        for bot in list(bots) if bots is not None else [self.bot]:
            guild.members[bot.user.id] = Member(user_id=bot.user.id, joined_at=iso_now())
            await self.world.dispatch_guild_create(bot, guild)
        self.world.changed()
        return guild

    def text_channels(self, guild: Guild) -> list[Channel]:
        return [
            self.world.channels[c] for c in guild.channel_ids if self.world.channels[c].type == 0
        ]

    @staticmethod
    def overwrite(target: Target, *, allow: int = 0, deny: int = 0) -> dict[str, Any]:
        """A permission overwrite for a role (or @everyone via the guild id) or a member."""
        kind = 0 if isinstance(target, (Role, Guild)) else 1
        return {"id": _id(target), "type": kind, "allow": allow, "deny": deny}

    async def add_channel(
        self,
        guild: Guild,
        name: str,
        *,
        type: int = 0,
        overwrites: Iterable[dict[str, Any]] = (),
        topic: str | None = None,
    ) -> Channel:
        channel = self.world.create_channel(
            guild, name, type=type, overwrites=overwrites, topic=topic
        )
        for bot in self.world.bots_in_guild(guild.id):
            await self.world.dispatch(bot, "CHANNEL_CREATE", channel.payload(), INTENT_GUILDS)
        return channel

    async def add_role(self, guild: Guild, name: str, permissions: int) -> Role:
        role = self.world.create_role(guild, name, permissions)
        for bot in self.world.bots_in_guild(guild.id):
            await self.world.dispatch(
                bot,
                "GUILD_ROLE_CREATE",
                {"guild_id": str(guild.id), "role": role.payload()},
                INTENT_GUILDS,
            )
        return role

    async def add_member(
        self,
        guild: Guild,
        user: User | BotApp,
        *,
        roles: Iterable[Role] = (),
        permissions: int | None = None,
        nick: str | None = None,
    ) -> Member:
        user_obj = user.user if isinstance(user, BotApp) else user
        role_ids = [r.id for r in roles]
        if permissions is not None:
            role = await self.add_role(guild, f"{user_obj.username}-perms", permissions)
            role_ids.append(role.id)
        member = Member(user_id=user_obj.id, roles=role_ids, nick=nick, joined_at=iso_now())
        guild.members[user_obj.id] = member
        self.world.changed()
        if isinstance(user, BotApp):
            await self.world.dispatch_guild_create(user, guild)
        payload = member.payload(self.world.users)
        payload["guild_id"] = str(guild.id)
        for bot in self.world.bots_in_guild(guild.id):
            if bot.user.id != user_obj.id:
                await self.world.dispatch(bot, "GUILD_MEMBER_ADD", payload, INTENT_GUILD_MEMBERS)
        return member

    async def member_leave(self, guild: Guild, user: User | BotApp) -> None:
        user_obj = user.user if isinstance(user, BotApp) else user
        guild.members.pop(user_obj.id, None)
        self.world.changed()
        data = {"guild_id": str(guild.id), "user": user_obj.payload()}
        for bot in self.world.bots_in_guild(guild.id):
            await self.world.dispatch(bot, "GUILD_MEMBER_REMOVE", data, INTENT_GUILD_MEMBERS)
        if isinstance(user, BotApp):
            await self.world.dispatch(user, "GUILD_DELETE", {"id": str(guild.id)}, INTENT_GUILDS)

    async def remove_guild(self, guild: Guild) -> None:
        """Delete a guild; its bots get GUILD_DELETE."""
        bots = self.world.bots_in_guild(guild.id)
        self.world.guilds.pop(guild.id, None)
        self.world.changed()
        for bot in bots:
            await self.world.dispatch(bot, "GUILD_DELETE", {"id": str(guild.id)}, INTENT_GUILDS)

    def close_dms(self, user: User, closed: bool = True) -> None:
        """Bots sending to this user's DM channel get 403 / 50007 from now on."""
        user.dms_closed = closed
        self.world.changed()

    # -------------------------------------------------------------- messages
    def dm_channel(self, user: User, bot: BotApp | None = None) -> Channel:
        return self.world.dm_channel(user.id, self._bot(bot).user.id)

    async def send_dm(
        self, user: User, text: str, *, bot: BotApp | None = None, **fields: Any
    ) -> Message:
        """The user writes ``text`` to the bot in their DM channel (MESSAGE_CREATE)."""
        channel = self.dm_channel(user, bot)
        return await self._user_message(user, channel, text, fields)

    async def send_channel_message(
        self, user: User, channel: Channel, text: str, **fields: Any
    ) -> Message:
        return await self._user_message(user, channel, text, fields)

    async def _user_message(
        self, user: User, channel: Channel, text: str, fields: Mapping[str, Any]
    ) -> Message:
        body = {"content": text, **fields}
        message = new_message(self.world, channel, user.id, body, {})
        self.world.store_message(message)
        await self.world.dispatch_message_create(message)
        return message

    def messages_in(self, channel: Channel | int) -> list[Message]:
        return self.world.messages_in(_id(channel))

    def messages_to(self, user: User, bot: BotApp | None = None) -> list[Message]:
        """Messages a bot sent into its DM channel with ``user``."""
        bot = self._bot(bot)
        channel = self.dm_channel(user, bot)
        return [m for m in self.world.messages_in(channel.id) if m.author_id == bot.user.id]

    async def next_message_to(
        self, user: User, timeout: float = 5.0, bot: BotApp | None = None
    ) -> Message:
        """The next DM from the bot to ``user`` not yet returned by this method."""
        key = (f"dm:{self._bot(bot).user.id}", user.id)

        def pick() -> Message | None:
            seen = self._cursors.get(key, 0)
            msgs = self.messages_to(user, bot)
            return msgs[seen] if len(msgs) > seen else None

        message = await self.wait_for(pick, timeout)
        self._cursors[key] = self._cursors.get(key, 0) + 1
        return message

    async def next_message_in(
        self, channel: Channel, timeout: float = 5.0, author: User | BotApp | None = None
    ) -> Message:
        """The next message in ``channel`` (optionally by ``author``) not yet returned."""
        author_id = None if author is None else _id(author)
        key = (f"ch:{author_id}", channel.id)

        def pick() -> Message | None:
            msgs = [
                m
                for m in self.world.messages_in(channel.id)
                if author_id is None or m.author_id == author_id
            ]
            seen = self._cursors.get(key, 0)
            return msgs[seen] if len(msgs) > seen else None

        message = await self.wait_for(pick, timeout)
        self._cursors[key] = self._cursors.get(key, 0) + 1
        return message

    # ---------------------------------------------------------- interactions
    def _where(
        self, user: User, guild: Guild | None, channel: Channel | None, bot: BotApp
    ) -> Channel:
        if channel is not None:
            return channel
        if guild is not None:
            return self.text_channels(guild)[0]
        return self.dm_channel(user, bot)

    async def _fire(self, bot: BotApp, record: InteractionRecord) -> InteractionHandle:
        await self.world.dispatch(bot, "INTERACTION_CREATE", record.payload)
        return InteractionHandle(self, record)

    async def slash(
        self,
        user: User,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        guild: Guild | None = None,
        channel: Channel | None = None,
        bot: BotApp | None = None,
    ) -> InteractionHandle:
        """Invoke ``/name`` (``name`` may be a path: ``"coach plan show"``)."""
        bot = self._bot(bot)
        where = self._where(user, guild, channel, bot)
        data = self.factory.command_data(bot, name, options, where.guild_id)
        record = self.factory.create(bot, 2, user, where, data)
        return await self._fire(bot, record)

    async def autocomplete(
        self,
        user: User,
        name: str,
        options: Mapping[str, Any],
        focused: str,
        *,
        guild: Guild | None = None,
        channel: Channel | None = None,
        bot: BotApp | None = None,
    ) -> InteractionHandle:
        bot = self._bot(bot)
        where = self._where(user, guild, channel, bot)
        data = self.factory.command_data(bot, name, options, where.guild_id, focused=focused)
        record = self.factory.create(bot, 4, user, where, data)
        return await self._fire(bot, record)

    def _message_bot(self, message: Message) -> BotApp:
        bot = self.world.bot_by_app(message.application_id or message.author_id)
        if bot is None:
            raise LookupError("that message was not sent by a bot of this fake")
        return bot

    async def press(self, user: User, message: Message, custom_id: str) -> InteractionHandle:
        """Click the button ``custom_id`` on ``message``."""
        return await self._component(user, message, custom_id, None)

    async def select(
        self, user: User, message: Message, custom_id: str, values: Iterable[Any]
    ) -> InteractionHandle:
        return await self._component(user, message, custom_id, [str(v) for v in values])

    async def _component(
        self, user: User, message: Message, custom_id: str, values: list[str] | None
    ) -> InteractionHandle:
        bot = self._message_bot(message)
        message = self.world.messages[message.id]
        data = self.factory.component_data(message, custom_id, values)
        channel = self.world.channels[message.channel_id]
        record = self.factory.create(bot, 3, user, channel, data, message=message)
        return await self._fire(bot, record)

    async def submit_modal(
        self,
        user: User,
        opened_by: InteractionHandle,
        values: Mapping[str, Any],
        custom_id: str | None = None,
    ) -> InteractionHandle:
        """Fill in and submit the modal the bot answered ``opened_by`` with."""
        response = opened_by.record.response
        if response is None or response["type"] != 9:
            raise ValueError("that interaction was not answered with a modal")
        modal = response["data"]
        if custom_id is not None and custom_id != modal["custom_id"]:
            raise LookupError(f"open modal is {modal['custom_id']!r}, not {custom_id!r}")
        bot = self.world.bot_by_app(opened_by.record.application_id)
        assert bot is not None
        data = self.factory.modal_data(modal, values)
        channel = self.world.channels[opened_by.record.channel_id]
        source = self.world.messages.get(opened_by.record.message_id or 0)
        record = self.factory.create(bot, 5, user, channel, data, message=source)
        return await self._fire(bot, record)

    def interaction(self, interaction_id: int) -> InteractionHandle:
        return InteractionHandle(self, self.world.interactions[interaction_id])

    def commands(
        self, bot: BotApp | None = None, guild: Guild | None = None
    ) -> list[dict[str, Any]]:
        bot = self._bot(bot)
        return bot.guild_commands.get(guild.id, []) if guild else bot.global_commands

    # ---------------------------------------------------------------- gateway
    async def drop_gateway(self, bot: BotApp | None = None, code: int | None = 4000) -> int:
        """Close the bot's gateway connection(s); ``code=None`` aborts the TCP stream."""
        return await self.gateway.drop(bot, code)

    async def request_reconnect(self, bot: BotApp | None = None) -> None:
        await self.gateway.send_reconnect(bot)

    async def invalidate_session(self, bot: BotApp | None = None, resumable: bool = False) -> None:
        await self.gateway.invalidate(bot, resumable)

    @contextlib.asynccontextmanager
    async def gateway_paused(self) -> AsyncIterator[None]:
        """New gateway connections wait (before HELLO) until the block exits."""
        self.gateway.accepting.clear()
        try:
            yield
        finally:
            self.gateway.accepting.set()

    def connected(self, bot: BotApp | None = None) -> bool:
        return any(
            s.conn is not None and not s.conn.closed
            for s in self.gateway.live_sessions(self._bot(bot))
        )

    async def wait_connected(self, bot: BotApp | None = None, timeout: float = 5.0) -> None:
        await self.wait_for(lambda: self.connected(bot), timeout)
