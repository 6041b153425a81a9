"""REST handlers: users, applications, gateway, channels, messages, guilds."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .messages import apply_edit, new_message, read_body, validate_message
from .models import BotApp, Channel, Message
from .rest import Ctx, RestApi, no_content
from .util import (
    ATTACH_FILES,
    MANAGE_MESSAGES,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    ApiError,
    json_response,
    unknown,
)
from .world import World


def need_bot(ctx: Ctx) -> BotApp:
    assert ctx.bot is not None
    return ctx.bot


def channel_for(ctx: Ctx, *, need: int = VIEW_CHANNEL) -> Channel:
    """The channel in the path, if the bot can see it (50001) and has ``need`` (50013)."""
    world, bot = ctx.world, need_bot(ctx)
    channel = world.channels.get(ctx.int_param("channel_id"))
    if channel is None:
        raise unknown("Channel", 10003)
    if channel.type == 1:
        if bot.user.id not in channel.recipient_ids:
            raise ApiError(403, 50001, "Missing Access")
        return channel
    perms = world.permissions_for(channel, bot.user.id)
    if not perms & VIEW_CHANNEL:
        raise ApiError(403, 50001, "Missing Access")
    if need & ~VIEW_CHANNEL and (perms & need) != need:
        raise ApiError(403, 50013, "Missing Permissions")
    return channel


def message_in(ctx: Ctx, channel: Channel) -> Message:
    message = ctx.world.messages.get(ctx.int_param("message_id"))
    if message is None or message.deleted or message.channel_id != channel.id:
        raise unknown("Message", 10008)
    return message


async def create_channel_message(
    world: World,
    api: RestApi,
    bot: BotApp,
    channel: Channel,
    body: dict[str, Any],
    files: dict[int, Any],
) -> Message:
    if files and channel.guild_id is not None:
        if not world.permissions_for(channel, bot.user.id) & ATTACH_FILES:
            raise ApiError(403, 50013, "Missing Permissions")
    if channel.type == 1:
        others = [world.users[u] for u in channel.recipient_ids if u != bot.user.id]
        if any(u.dms_closed or u.bot for u in others):
            raise ApiError(403, 50007, "Cannot send messages to this user")
    validate_message(body, files)
    if body.get("enforce_nonce") and body.get("nonce") is not None:
        existing = world.find_nonce(channel.id, bot.user.id, body["nonce"], api.nonce_window)
        if existing is not None:
            return existing
    message = new_message(world, channel, bot.user.id, body, files)
    world.store_message(message)
    await world.dispatch_message_create(message)
    return message


def register(api: RestApi) -> None:
    world = api.world

    async def users_me(ctx: Ctx) -> web.Response:
        bot = need_bot(ctx)
        return json_response(
            {
                **bot.user.payload(),
                "verified": True,
                "mfa_enabled": False,
                "email": None,
                "locale": "en-US",
            }
        )

    async def get_user(ctx: Ctx) -> web.Response:
        user = world.users.get(ctx.int_param("user_id"))
        if user is None:
            raise unknown("User", 10013)
        return json_response(user.payload())

    async def app_info(ctx: Ctx) -> web.Response:
        return json_response(need_bot(ctx).application_payload(world.owner))

    async def gateway(ctx: Ctx) -> web.Response:
        return json_response({"url": api.gateway.ws_base + "/"})

    async def gateway_bot(ctx: Ctx) -> web.Response:
        return json_response(
            {
                "url": api.gateway.ws_base + "/",
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 86400000,
                    "max_concurrency": 1,
                },
            }
        )

    async def create_dm(ctx: Ctx) -> web.Response:
        body, _ = await read_body(ctx.request)
        try:
            recipient = world.users[int(body.get("recipient_id", 0))]
        except (KeyError, ValueError):
            raise unknown("User", 10013) from None
        channel = world.dm_channel(need_bot(ctx).user.id, recipient.id)
        return json_response(channel.payload(world.users))

    async def get_channel(ctx: Ctx) -> web.Response:
        channel = channel_for(ctx)
        return json_response(channel.payload(world.users))

    async def post_message(ctx: Ctx) -> web.Response:
        channel = channel_for(ctx, need=VIEW_CHANNEL | SEND_MESSAGES)
        body, files = await read_body(ctx.request)
        message = await create_channel_message(world, api, need_bot(ctx), channel, body, files)
        return json_response(world.message_payload(message))

    async def get_message(ctx: Ctx) -> web.Response:
        channel = channel_for(ctx, need=VIEW_CHANNEL | READ_MESSAGE_HISTORY)
        return json_response(world.message_payload(message_in(ctx, channel)))

    async def list_messages(ctx: Ctx) -> web.Response:
        channel = channel_for(ctx, need=VIEW_CHANNEL | READ_MESSAGE_HISTORY)
        limit = min(int(ctx.query.get("limit", 50)), 100)
        msgs = [m for m in world.messages_in(channel.id) if not m.ephemeral]
        if "before" in ctx.query:
            msgs = [m for m in msgs if m.id < int(ctx.query["before"])]
        if "after" in ctx.query:
            msgs = [m for m in msgs if m.id > int(ctx.query["after"])][:limit]
        else:
            msgs = msgs[-limit:]
        return json_response([world.message_payload(m) for m in reversed(msgs)])

    async def edit_message(ctx: Ctx) -> web.Response:
        bot = need_bot(ctx)
        channel = channel_for(ctx)
        message = message_in(ctx, channel)
        body, files = await read_body(ctx.request)
        if message.author_id != bot.user.id:
            if set(body) - {"flags"}:
                raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        validate_message(body, files, partial=True)
        apply_edit(world, message, body, files)
        payload = world.message_payload(message)
        for target in world.bots_for_channel(channel):
            await world.dispatch(target, "MESSAGE_UPDATE", payload)
        return json_response(payload)

    async def delete_message(ctx: Ctx) -> web.Response:
        bot = need_bot(ctx)
        channel = channel_for(ctx)
        message = message_in(ctx, channel)
        if message.author_id != bot.user.id and (
            channel.guild_id is None
            or not world.permissions_for(channel, bot.user.id) & MANAGE_MESSAGES
        ):
            raise ApiError(403, 50013, "Missing Permissions")
        message.deleted = True
        world.changed()
        data: dict[str, Any] = {"id": str(message.id), "channel_id": str(channel.id)}
        if channel.guild_id is not None:
            data["guild_id"] = str(channel.guild_id)
        for target in world.bots_for_channel(channel):
            await world.dispatch(target, "MESSAGE_DELETE", data)
        return no_content()

    async def typing(ctx: Ctx) -> web.Response:
        channel_for(ctx, need=VIEW_CHANNEL | SEND_MESSAGES)
        return no_content()

    async def reaction(ctx: Ctx) -> web.Response:
        channel = channel_for(ctx, need=VIEW_CHANNEL | READ_MESSAGE_HISTORY)
        message_in(ctx, channel)
        return no_content()

    def guild_for(ctx: Ctx):
        guild = world.guilds.get(ctx.int_param("guild_id"))
        if guild is None:
            raise unknown("Guild", 10004)
        if need_bot(ctx).user.id not in guild.members:
            raise ApiError(403, 50001, "Missing Access")
        return guild

    async def get_guild(ctx: Ctx) -> web.Response:
        return json_response(world.guild_payload(guild_for(ctx)))

    async def guild_channels(ctx: Ctx) -> web.Response:
        guild = guild_for(ctx)
        return json_response([world.channels[c].payload() for c in guild.channel_ids])

    async def guild_roles(ctx: Ctx) -> web.Response:
        return json_response([r.payload() for r in guild_for(ctx).roles.values()])

    async def get_member(ctx: Ctx) -> web.Response:
        guild = guild_for(ctx)
        data = world.member_payload(guild, ctx.int_param("user_id"))
        if data is None:
            raise unknown("Member", 10007)
        return json_response(data)

    async def list_members(ctx: Ctx) -> web.Response:
        guild = guild_for(ctx)
        limit = int(ctx.query.get("limit", 1))
        members = [m.payload(world.users) for m in guild.members.values()]
        return json_response(members[:limit])

    api.add("GET", "/users/@me", users_me)
    api.add("GET", "/users/{user_id}", get_user)
    api.add("POST", "/users/@me/channels", create_dm)
    api.add("GET", "/oauth2/applications/@me", app_info)
    api.add("GET", "/applications/@me", app_info)
    api.add("GET", "/gateway", gateway, auth=False)
    api.add("GET", "/gateway/bot", gateway_bot)
    api.add("GET", "/channels/{channel_id}", get_channel)
    api.add("POST", "/channels/{channel_id}/messages", post_message)
    api.add("GET", "/channels/{channel_id}/messages", list_messages)
    api.add("GET", "/channels/{channel_id}/messages/{message_id}", get_message)
    api.add("PATCH", "/channels/{channel_id}/messages/{message_id}", edit_message)
    api.add("DELETE", "/channels/{channel_id}/messages/{message_id}", delete_message)
    api.add("POST", "/channels/{channel_id}/typing", typing)
    api.add("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me", reaction)
    api.add("GET", "/guilds/{guild_id}", get_guild)
    api.add("GET", "/guilds/{guild_id}/channels", guild_channels)
    api.add("GET", "/guilds/{guild_id}/roles", guild_roles)
    api.add("GET", "/guilds/{guild_id}/members", list_members)
    api.add("GET", "/guilds/{guild_id}/members/{user_id}", get_member)
