"""REST handlers: interaction callbacks, interaction webhooks, application commands.

``POST /interactions/{id}/{token}/callback`` is called by discord.py 2.7 with
``?with_response=1`` and it parses the JSON body as an *interaction callback
response*: ``{"interaction": {"id", "type", "response_message_id",
"response_message_loading", "response_message_ephemeral"}, "resource": {"type",
"message"}}``. ``response_message_id`` is what discord.py stores a sent View under,
so buttons on an interaction reply only work if it is present.
"""

from __future__ import annotations

import re
import time
from typing import Any

from aiohttp import web

from .messages import apply_edit, new_message, read_body, validate_message
from .models import InteractionRecord, Message
from .rest import Ctx, RestApi, no_content
from .util import FLAG_EPHEMERAL, FLAG_LOADING, ApiError, form_error, json_response, unknown

NAME_RE = re.compile(r"^[-_\w]{1,32}$")

CHANNEL_MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE = 4, 5, 6, 7
AUTOCOMPLETE_RESULT, MODAL = 8, 9
ALLOWED_CALLBACKS = {
    2: {CHANNEL_MESSAGE, DEFERRED_MESSAGE, MODAL},
    3: {CHANNEL_MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE, MODAL},
    4: {AUTOCOMPLETE_RESULT},
    5: {CHANNEL_MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE},
}


def register(api: RestApi) -> None:
    world = api.world

    def record_for_callback(ctx: Ctx) -> InteractionRecord:
        record = world.interactions.get(ctx.int_param("webhook_id"))
        if record is None or record.token != ctx.params["webhook_token"]:
            raise ApiError(404, 10062, "Unknown interaction")
        if record.response is not None:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        if time.monotonic() - record.created_monotonic > api.callback_deadline:
            raise ApiError(404, 10062, "Unknown interaction")
        return record

    def record_for_webhook(ctx: Ctx) -> InteractionRecord:
        record = world.interactions_by_token.get(ctx.params["webhook_token"])
        if (
            record is None
            or str(record.application_id) != ctx.params["webhook_id"]
            or time.monotonic() - record.created_monotonic > api.interaction_token_ttl
            or record.response is None
        ):
            raise ApiError(404, 10015, "Unknown Webhook")
        return record

    async def dispatch_new(message: Message) -> None:
        await world.dispatch_message_create(message)

    async def dispatch_update(message: Message) -> None:
        if message.ephemeral:
            return
        channel = world.channels[message.channel_id]
        payload = world.message_payload(message)
        for bot in world.bots_for_channel(channel):
            await world.dispatch(bot, "MESSAGE_UPDATE", payload)

    def interaction_message(
        record: InteractionRecord, body: dict[str, Any], files: dict[int, Any], *, flags: int = 0
    ) -> Message:
        channel = world.channels[record.channel_id]
        message = new_message(
            world,
            channel,
            record.application_id,
            body,
            files,
            application_id=record.application_id,
            webhook_id=record.application_id,
            interaction_id=record.id,
            type=20 if record.type == 2 else 0,
        )
        message.flags |= flags
        message.nonce = None
        return world.store_message(message)

    async def callback(ctx: Ctx) -> web.StreamResponse:
        record = record_for_callback(ctx)
        body, files = await read_body(ctx.request)
        rtype = body.get("type")
        data = body.get("data") or {}
        if rtype not in ALLOWED_CALLBACKS.get(record.type, set()):
            raise form_error(
                "type",
                "INTERACTION_CALLBACK_TYPE_INVALID",
                "Interaction callback type is not valid for this interaction",
            )
        if (
            record.type == 5
            and rtype in (DEFERRED_UPDATE, UPDATE_MESSAGE)
            and record.message_id is None
        ):
            raise form_error(
                "type",
                "INTERACTION_CALLBACK_TYPE_INVALID",
                "This modal was not opened from a message",
            )
        message: Message | None = None
        if rtype == CHANNEL_MESSAGE:
            validate_message(data, files)
            message = interaction_message(record, data, files)
        elif rtype == DEFERRED_MESSAGE:
            flags = FLAG_LOADING | (int(data.get("flags") or 0) & FLAG_EPHEMERAL)
            message = interaction_message(record, {}, {}, flags=flags)
        elif rtype == UPDATE_MESSAGE:
            validate_message(data, files, partial=True)
            message = world.messages[record.message_id]  # type: ignore[index]
            apply_edit(world, message, data, files)
        elif rtype == DEFERRED_UPDATE:
            message = world.messages.get(record.message_id or 0)
        elif rtype == AUTOCOMPLETE_RESULT:
            if len(data.get("choices") or []) > 25:
                raise form_error(
                    "data.choices", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."
                )
        elif rtype == MODAL:
            if len(data.get("title") or "") > 45:
                raise form_error(
                    "data.title", "BASE_TYPE_MAX_LENGTH", "Must be 45 or fewer in length."
                )
            if not data.get("custom_id") or not data.get("components"):
                raise form_error("data", "BASE_TYPE_REQUIRED", "This field is required")
            if len(data["components"]) > 5:
                raise form_error(
                    "data.components", "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length."
                )
        record.response = {"type": rtype, "data": data}
        if message is not None:
            record.original_message_id = message.id
        world.changed()
        if rtype in (CHANNEL_MESSAGE, DEFERRED_MESSAGE) and message is not None:
            await dispatch_new(message)
        elif rtype == UPDATE_MESSAGE and message is not None:
            await dispatch_update(message)
        if ctx.query.get("with_response") not in ("1", "true", "True"):
            return no_content()
        info: dict[str, Any] = {"id": str(record.id), "type": record.type}
        resource: dict[str, Any] = {"type": rtype}
        if message is not None:
            info["response_message_id"] = str(message.id)
            info["response_message_loading"] = bool(message.flags & FLAG_LOADING)
            info["response_message_ephemeral"] = message.ephemeral
            if rtype != DEFERRED_UPDATE:
                resource["message"] = world.message_payload(message)
        return json_response({"interaction": info, "resource": resource})

    def webhook_message(ctx: Ctx, record: InteractionRecord) -> Message:
        raw = ctx.params["message_id"]
        mid = record.original_message_id if raw == "@original" else int(raw)
        if mid is None or (mid != record.original_message_id and mid not in record.followup_ids):
            raise unknown("Message", 10008)
        message = world.messages.get(mid)
        if message is None or message.deleted:
            raise unknown("Message", 10008)
        return message

    async def followup(ctx: Ctx) -> web.StreamResponse:
        record = record_for_webhook(ctx)
        body, files = await read_body(ctx.request)
        validate_message(body, files)
        original = world.messages.get(record.original_message_id or 0)
        if (
            (record.response or {}).get("type") == DEFERRED_MESSAGE
            and original is not None
            and original.flags & FLAG_LOADING
        ):
            # The first follow-up after a "thinking" defer replaces the loading message.
            body.pop("flags", None)
            apply_edit(world, original, body, files)
            original.flags &= ~FLAG_LOADING
            message = original
            await dispatch_update(message)
        else:
            flags = int(body.get("flags") or 0)
            message = interaction_message(record, body, files, flags=flags)
            record.followup_ids.append(message.id)
            world.changed()
            await dispatch_new(message)
        if ctx.query.get("wait") in ("1", "true", "True"):
            return json_response(world.message_payload(message))
        return no_content()

    async def get_webhook_message(ctx: Ctx) -> web.Response:
        record = record_for_webhook(ctx)
        return json_response(world.message_payload(webhook_message(ctx, record)))

    async def edit_webhook_message(ctx: Ctx) -> web.Response:
        record = record_for_webhook(ctx)
        message = webhook_message(ctx, record)
        body, files = await read_body(ctx.request)
        validate_message(body, files, partial=True)
        apply_edit(world, message, body, files)
        message.flags &= ~FLAG_LOADING
        world.changed()
        await dispatch_update(message)
        return json_response(world.message_payload(message))

    async def delete_webhook_message(ctx: Ctx) -> web.Response:
        record = record_for_webhook(ctx)
        message = webhook_message(ctx, record)
        message.deleted = True
        world.changed()
        return no_content()

    # ------------------------------------------------------------ commands
    def app_for(ctx: Ctx):
        bot = ctx.bot
        assert bot is not None
        if ctx.params["application_id"] != str(bot.application_id):
            raise ApiError(403, 50001, "Missing Access")
        return bot

    def normalise(
        bot, commands: list[dict[str, Any]], existing: list[dict[str, Any]], guild_id: int | None
    ) -> list[dict[str, Any]]:
        if len(commands) > 100:
            raise form_error("_list", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
        old = {(c["name"], c.get("type", 1)): c for c in existing}
        out = []
        seen = set()
        for i, cmd in enumerate(commands):
            ctype = cmd.get("type", 1)
            name = cmd.get("name", "")
            if not NAME_RE.match(name) or (ctype == 1 and name != name.lower()):
                raise form_error(
                    f"{i}.name", "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"
                )
            if ctype == 1 and not 1 <= len(cmd.get("description", "")) <= 100:
                raise form_error(
                    f"{i}.description",
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 1 and 100 in length.",
                )
            if len(cmd.get("options") or []) > 25:
                raise form_error(
                    f"{i}.options", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."
                )
            if (name, ctype) in seen:
                raise form_error(
                    f"{i}.name",
                    "APPLICATION_COMMANDS_DUPLICATE_NAME",
                    "Application command names must be unique",
                )
            seen.add((name, ctype))
            prev = old.get((name, ctype))
            stored = {
                "description": "",
                "options": [],
                "default_member_permissions": None,
                "nsfw": False,
                **cmd,
                "id": prev["id"] if prev else str(world.next_id()),
                "application_id": str(bot.application_id),
                "version": str(world.next_id()),
                "type": ctype,
            }
            if guild_id is not None:
                stored["guild_id"] = str(guild_id)
            out.append(stored)
        return out

    async def get_commands(ctx: Ctx) -> web.Response:
        bot = app_for(ctx)
        if "guild_id" in ctx.params:
            return json_response(bot.guild_commands.get(ctx.int_param("guild_id"), []))
        return json_response(bot.global_commands)

    async def put_commands(ctx: Ctx) -> web.Response:
        bot = app_for(ctx)
        body, _ = await read_body(ctx.request)
        commands = body.get("_list", [])
        if "guild_id" in ctx.params:
            gid = ctx.int_param("guild_id")
            if gid not in world.guilds:
                raise unknown("Guild", 10004)
            stored = normalise(bot, commands, bot.guild_commands.get(gid, []), gid)
            bot.guild_commands[gid] = stored
        else:
            stored = normalise(bot, commands, bot.global_commands, None)
            bot.global_commands = stored
        world.changed()
        return json_response(stored)

    async def post_command(ctx: Ctx) -> web.Response:
        bot = app_for(ctx)
        body, _ = await read_body(ctx.request)
        gid = ctx.int_param("guild_id") if "guild_id" in ctx.params else None
        current = bot.guild_commands.get(gid, []) if gid else bot.global_commands
        key = (body.get("name"), body.get("type", 1))
        rest = [c for c in current if (c["name"], c.get("type", 1)) != key]
        stored = normalise(bot, [body], current, gid)[0]
        if gid:
            bot.guild_commands[gid] = rest + [stored]
        else:
            bot.global_commands = rest + [stored]
        world.changed()
        return json_response(stored, status=201)

    async def delete_command(ctx: Ctx) -> web.Response:
        bot = app_for(ctx)
        cid = ctx.params["command_id"]
        if "guild_id" in ctx.params:
            gid = ctx.int_param("guild_id")
            bot.guild_commands[gid] = [c for c in bot.guild_commands.get(gid, []) if c["id"] != cid]
        else:
            bot.global_commands = [c for c in bot.global_commands if c["id"] != cid]
        world.changed()
        return no_content()

    api.add(
        "POST",
        "/interactions/{webhook_id}/{webhook_token}/callback",
        callback,
        auth=False,
        exempt=True,
    )
    wh = "/webhooks/{webhook_id}/{webhook_token}"
    api.add("POST", wh, followup, auth=False)
    api.add("GET", wh + "/messages/{message_id}", get_webhook_message, auth=False)
    api.add("PATCH", wh + "/messages/{message_id}", edit_webhook_message, auth=False)
    api.add("DELETE", wh + "/messages/{message_id}", delete_webhook_message, auth=False)
    base = "/applications/{application_id}"
    for prefix in (base, base + "/guilds/{guild_id}"):
        api.add("GET", prefix + "/commands", get_commands)
        api.add("PUT", prefix + "/commands", put_commands)
        api.add("POST", prefix + "/commands", post_command)
        api.add("DELETE", prefix + "/commands/{command_id}", delete_command)
