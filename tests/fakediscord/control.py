"""``/_fake/...`` JSON endpoints: the in-process API over HTTP, for a fake run as its own
process (see ``python -m tests.fakediscord``). Objects are referred to by id."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .interactions import InteractionHandle
from .models import BotApp, Message
from .util import json_response

if TYPE_CHECKING:
    from .server import FakeDiscord

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def message_record(fake: FakeDiscord, message: Message) -> dict[str, Any]:
    """A message as the fake saw it (the wire payload plus what the bot asked for)."""
    data = fake.world.message_payload(message)
    data.pop("nonce", None)
    data.update(
        nonce=message.nonce,
        enforce_nonce=message.enforce_nonce,
        allowed_mentions=message.allowed_mentions,
        ephemeral=message.ephemeral,
        deleted=message.deleted,
        interaction_id=str(message.interaction_id) if message.interaction_id else None,
    )
    for att, out in zip(message.attachments, data["attachments"], strict=True):
        out["description"] = att.description
    return data


def interaction_record(handle: InteractionHandle) -> dict[str, Any]:
    rec = handle.record
    original = handle.original()
    return {
        "id": str(rec.id),
        "token": rec.token,
        "type": rec.type,
        "response": rec.response,
        "original": None if original is None else message_record(handle._fake, original),
        "followups": [message_record(handle._fake, m) for m in handle.followups],
    }


def install(app: web.Application, fake: FakeDiscord) -> None:
    world = fake.world

    def user(ref: Any):
        return world.users[int(ref)]

    def bot(ref: Any) -> BotApp | None:
        if ref in (None, ""):
            return None
        found = world.bot_by_app(int(ref))
        if found is None:
            raise KeyError(ref)
        return found

    def wrap(fn: Callable[[dict[str, Any], web.Request], Awaitable[Any]]) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            body: dict[str, Any] = {}
            if request.can_read_body:
                raw = await request.read()
                body = json.loads(raw) if raw else {}
            body.update({k: v for k, v in request.query.items() if k not in body})
            try:
                result = await fn(body, request)
            except TimeoutError:
                return json_response({"error": "timeout"}, status=408)
            except (KeyError, LookupError, ValueError) as exc:
                return json_response({"error": f"{type(exc).__name__}: {exc}"}, status=400)
            if isinstance(result, web.StreamResponse):
                return result
            return json_response(result)

        return handler

    def bot_info(b: BotApp) -> dict[str, Any]:
        return {"token": b.token, "application_id": str(b.application_id), "user": b.user.payload()}

    async def state(body, request):
        return {
            "url": fake.url,
            "api_base": fake.api_base,
            "gateway_url": fake.gateway_url,
            "bot": bot_info(fake.bot),
            "identify_count": fake.identify_count,
            "resume_count": fake.resume_count,
            "count_429": fake.count_429,
            "count_global_429": fake.limiter.count_global_429,
            "connected": {str(b.application_id): fake.connected(b) for b in world.bots.values()},
        }

    async def add_user(body, request):
        return world.add_user(body["name"], global_name=body.get("global_name")).payload()

    async def add_bot(body, request):
        return bot_info(fake.add_bot(body.get("name", "coachbot")))

    async def add_guild(body, request):
        bots = [bot(b) for b in body["bots"]] if "bots" in body else None
        guild = await fake.add_guild(
            body.get("name", "guild"), bots=bots, channels=body.get("channels", ["general"])
        )
        return world.guild_create_payload(guild)

    async def add_channel(body, request):
        guild = world.guilds[int(body["guild_id"])]
        channel = await fake.add_channel(
            guild,
            body["name"],
            type=int(body.get("type", 0)),
            overwrites=body.get("overwrites", []),
        )
        return channel.payload()

    async def add_member(body, request):
        guild = world.guilds[int(body["guild_id"])]
        target = bot(body["bot_id"]) if body.get("bot_id") else user(body["user_id"])
        roles = [guild.roles[int(r)] for r in body.get("roles", [])]
        perms = body.get("permissions")
        member = await fake.add_member(
            guild, target, roles=roles, permissions=None if perms is None else int(perms)
        )
        return member.payload(world.users)

    async def member_leave(body, request):
        guild = world.guilds[int(body["guild_id"])]
        target = bot(body["bot_id"]) if body.get("bot_id") else user(body["user_id"])
        await fake.member_leave(guild, target)
        return {"ok": True}

    async def close_dms(body, request):
        fake.close_dms(user(body["user_id"]), bool(body.get("closed", True)))
        return {"ok": True}

    async def send_dm(body, request):
        msg = await fake.send_dm(
            user(body["user_id"]), body["content"], bot=bot(body.get("bot_id"))
        )
        return message_record(fake, msg)

    async def channel_message(body, request):
        channel = world.channels[int(body["channel_id"])]
        msg = await fake.send_channel_message(user(body["user_id"]), channel, body["content"])
        return message_record(fake, msg)

    async def channel_messages(body, request):
        cid = int(request.match_info["channel_id"])
        return [message_record(fake, m) for m in world.messages_in(cid)]

    async def next_message_to(body, request):
        msg = await fake.next_message_to(
            user(body["user_id"]),
            timeout=float(body.get("timeout", 5)),
            bot=bot(body.get("bot_id")),
        )
        return message_record(fake, msg)

    def where(body):
        guild = world.guilds[int(body["guild_id"])] if body.get("guild_id") else None
        channel = world.channels[int(body["channel_id"])] if body.get("channel_id") else None
        return guild, channel

    async def slash(body, request):
        guild, channel = where(body)
        handle = await fake.slash(
            user(body["user_id"]),
            body["name"],
            body.get("options"),
            guild=guild,
            channel=channel,
            bot=bot(body.get("bot_id")),
        )
        return interaction_record(handle)

    async def autocomplete(body, request):
        guild, channel = where(body)
        handle = await fake.autocomplete(
            user(body["user_id"]),
            body["name"],
            body.get("options", {}),
            body["focused"],
            guild=guild,
            channel=channel,
            bot=bot(body.get("bot_id")),
        )
        return interaction_record(handle)

    async def press(body, request):
        msg = world.messages[int(body["message_id"])]
        if "values" in body:
            handle = await fake.select(
                user(body["user_id"]), msg, body["custom_id"], body["values"]
            )
        else:
            handle = await fake.press(user(body["user_id"]), msg, body["custom_id"])
        return interaction_record(handle)

    async def submit_modal(body, request):
        opened = fake.interaction(int(body["interaction_id"]))
        handle = await fake.submit_modal(
            user(body["user_id"]), opened, body.get("values", {}), custom_id=body.get("custom_id")
        )
        return interaction_record(handle)

    async def get_interaction(body, request):
        handle = fake.interaction(int(request.match_info["interaction_id"]))
        wait = float(body.get("wait", 0) or 0)
        if wait:
            await handle.response(timeout=wait)
        return interaction_record(handle)

    async def drop_gateway(body, request):
        code = body.get("code", 4000)
        dropped = await fake.drop_gateway(
            bot(body.get("bot_id")), None if code in (None, "abrupt") else int(code)
        )
        return {"dropped": dropped}

    async def wait_connected(body, request):
        await fake.wait_connected(bot(body.get("bot_id")), float(body.get("timeout", 5)))
        return {"ok": True}

    async def config(body, request):
        if "global_limit" in body:
            fake.limiter.global_limit = int(body["global_limit"])
        if "route_limit" in body:
            fake.limiter.route_limit = int(body["route_limit"])
        if "callback_deadline" in body:
            fake.rest.callback_deadline = float(body["callback_deadline"])
        if body.get("reset_counters"):
            fake.limiter.reset_counters()
        return {
            "global_limit": fake.limiter.global_limit,
            "route_limit": fake.limiter.route_limit,
            "callback_deadline": fake.rest.callback_deadline,
        }

    async def inject(body, request):
        fake.inject_failure(
            body.get("method", "*"),
            body["pattern"],
            status=int(body.get("status", 500)),
            times=int(body.get("times", 1)),
            retry_after=float(body.get("retry_after", 0.05)),
        )
        return {"ok": True}

    async def requests_log(body, request):
        return fake.requests(body.get("method"), body.get("route"))

    async def commands(body, request):
        guild = world.guilds[int(body["guild_id"])] if body.get("guild_id") else None
        return fake.commands(bot(body.get("bot_id")), guild)

    async def attachment(request: web.Request) -> web.StreamResponse:
        aid = int(request.match_info["attachment_id"])
        for mid in world.channel_messages.get(int(request.match_info["channel_id"]), []):
            for att in world.messages[mid].attachments:
                if att.id == aid:
                    return web.Response(
                        body=att.data, content_type=att.content_type or "application/octet-stream"
                    )
        return web.Response(status=404)

    routes = [
        ("GET", "/_fake/state", state),
        ("POST", "/_fake/users", add_user),
        ("POST", "/_fake/bots", add_bot),
        ("POST", "/_fake/guilds", add_guild),
        ("POST", "/_fake/channels", add_channel),
        ("POST", "/_fake/members", add_member),
        ("POST", "/_fake/member_leave", member_leave),
        ("POST", "/_fake/close_dms", close_dms),
        ("POST", "/_fake/dm", send_dm),
        ("POST", "/_fake/channel_message", channel_message),
        ("GET", "/_fake/channels/{channel_id}/messages", channel_messages),
        ("POST", "/_fake/next_message_to", next_message_to),
        ("POST", "/_fake/slash", slash),
        ("POST", "/_fake/autocomplete", autocomplete),
        ("POST", "/_fake/press", press),
        ("POST", "/_fake/submit_modal", submit_modal),
        ("GET", "/_fake/interactions/{interaction_id}", get_interaction),
        ("POST", "/_fake/drop_gateway", drop_gateway),
        ("POST", "/_fake/wait_connected", wait_connected),
        ("POST", "/_fake/config", config),
        ("POST", "/_fake/inject", inject),
        ("GET", "/_fake/requests", requests_log),
        ("GET", "/_fake/commands", commands),
    ]
    for method, path, fn in routes:
        app.router.add_route(method, path, wrap(fn))
    app.router.add_get("/_fake/attachments/{channel_id}/{attachment_id}/{filename}", attachment)
