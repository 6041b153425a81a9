"""Message bodies: reading JSON / multipart, validating like Discord, creating and editing."""

from __future__ import annotations

import json
import mimetypes
import re
from typing import Any

from aiohttp import web

from .models import Attachment, Channel, Message
from .util import FLAG_COMPONENTS_V2, ApiError, form_error, iso_now
from .world import World

MENTION_RE = re.compile(r"<@!?(\d+)>")
NONCE_WINDOW = 300.0  # seconds an enforce_nonce duplicate is recognised


async def read_body(request: web.Request) -> tuple[dict[str, Any], dict[int, tuple[str, bytes]]]:
    """Return ``(payload, files)``; files maps the ``files[n]`` index to (filename, bytes)."""
    ctype = request.headers.get("Content-Type", "")
    files: dict[int, tuple[str, bytes]] = {}
    if ctype.startswith("multipart/form-data"):
        payload: dict[str, Any] = {}
        reader = await request.multipart()
        index = 0
        async for part in reader:
            name = getattr(part, "name", None) or ""
            if name == "payload_json":
                payload = json.loads(await part.text())  # type: ignore[union-attr]
                continue
            data = await part.read()  # type: ignore[union-attr]
            filename = getattr(part, "filename", None) or f"file{index}"
            match = re.fullmatch(r"files\[(\d+)\]", name)
            files[int(match.group(1)) if match else index] = (filename, bytes(data))
            index += 1
        return payload, files
    raw = await request.read()
    if not raw:
        return {}, files
    try:
        data = json.loads(raw)
    except ValueError:
        raise ApiError(400, 50109, "The request body contains invalid JSON.") from None
    return (data if isinstance(data, dict) else {"_list": data}), files


def _number_components(components: list[dict[str, Any]], counter: list[int]) -> None:
    for comp in components:
        if "id" not in comp:
            counter[0] += 1
            comp["id"] = counter[0]
        for key in ("components",):
            if isinstance(comp.get(key), list):
                _number_components(comp[key], counter)
        for key in ("accessory", "component"):
            if isinstance(comp.get(key), dict):
                _number_components([comp[key]], counter)


def _walk(components: list[dict[str, Any]]):
    for comp in components:
        yield comp
        if isinstance(comp.get("components"), list):
            yield from _walk(comp["components"])
        for key in ("accessory", "component"):
            if isinstance(comp.get(key), dict):
                yield from _walk([comp[key]])


def find_component(components: list[dict[str, Any]], custom_id: str) -> dict[str, Any] | None:
    for comp in _walk(components):
        if comp.get("custom_id") == custom_id:
            return comp
    return None


def validate_components(components: Any, flags: int) -> None:
    if not isinstance(components, list):
        raise form_error("components", "LIST_TYPE_CONVERT", "Must be a list.")
    v2 = bool(flags & FLAG_COMPONENTS_V2)
    if not v2:
        if len(components) > 5:
            raise form_error("components", "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
        for i, row in enumerate(components):
            if row.get("type") != 1:
                raise form_error(
                    f"components.{i}.type",
                    "UNION_TYPE_CHOICES",
                    'Value of field "type" must be one of (1,).',
                )
            children = row.get("components") or []
            if not children:
                raise form_error(
                    f"components.{i}.components",
                    "BASE_TYPE_MIN_LENGTH",
                    "Must be 1 or more in length.",
                )
            if len(children) > 5:
                raise form_error(
                    f"components.{i}.components",
                    "BASE_TYPE_MAX_LENGTH",
                    "Must be 5 or fewer in length.",
                )
            if len(children) > 1 and any(c.get("type") in (3, 5, 6, 7, 8) for c in children):
                raise form_error(
                    f"components.{i}.components",
                    "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                    "The specified component exceeds the maximum width",
                )
    elif len(list(_walk(components))) > 40:
        raise form_error("components", "BASE_TYPE_MAX_LENGTH", "Must be 40 or fewer in length.")
    seen: set[str] = set()
    for comp in _walk(components):
        cid = comp.get("custom_id")
        if cid is not None:
            if len(cid) > 100:
                raise form_error(
                    "components",
                    "BASE_TYPE_MAX_LENGTH",
                    "custom_id must be 100 or fewer in length.",
                )
            if cid in seen:
                raise form_error(
                    "components",
                    "COMPONENT_CUSTOM_ID_DUPLICATED",
                    "Component custom id cannot be duplicated",
                )
            seen.add(cid)
        if comp.get("type") == 2 and len(comp.get("label") or "") > 80:
            raise form_error(
                "components", "BASE_TYPE_MAX_LENGTH", "label must be 80 or fewer in length."
            )
        if comp.get("type") == 3 and len(comp.get("options") or []) > 25:
            raise form_error(
                "components", "BASE_TYPE_MAX_LENGTH", "options must be 25 or fewer in length."
            )


def validate_message(body: dict[str, Any], files: dict[int, Any], *, partial: bool = False) -> None:
    content = body.get("content")
    flags = int(body.get("flags") or 0)
    if content is not None:
        if not isinstance(content, str):
            raise form_error("content", "BASE_TYPE_BAD_TYPE", "Must be a string.")
        if len(content) > 2000:
            raise form_error("content", "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.")
    embeds = body.get("embeds")
    if embeds is not None:
        if len(embeds) > 10:
            raise form_error("embeds", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
        for i, embed in enumerate(embeds):
            if len(embed.get("title") or "") > 256:
                raise form_error(
                    f"embeds.{i}.title", "BASE_TYPE_MAX_LENGTH", "Must be 256 or fewer in length."
                )
            if len(embed.get("description") or "") > 4096:
                raise form_error(
                    f"embeds.{i}.description",
                    "BASE_TYPE_MAX_LENGTH",
                    "Must be 4096 or fewer in length.",
                )
    if body.get("components") is not None:
        validate_components(body["components"], flags)
    if flags & FLAG_COMPONENTS_V2 and (content or embeds):
        raise form_error(
            "content",
            "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
            "The 'content' and 'embeds' fields cannot be used with components v2",
        )
    if not partial and not (
        content
        or embeds
        or files
        or body.get("components")
        or body.get("sticker_ids")
        or body.get("poll")
    ):
        raise ApiError(400, 50006, "Cannot send an empty message")


def build_attachments(
    world: World,
    channel_id: int,
    body: dict[str, Any],
    files: dict[int, tuple[str, bytes]],
    existing: list[Attachment] | None = None,
) -> list[Attachment]:
    meta = {str(a.get("id")): a for a in body.get("attachments") or []}
    out: list[Attachment] = []
    if existing is not None and "attachments" in body:
        keep = set(meta)
        out.extend(a for a in existing if str(a.id) in keep)
    elif existing is not None:
        out.extend(existing)
    for index, (filename, data) in sorted(files.items()):
        info = meta.get(str(index), {})
        att_id = world.next_id()
        name = info.get("filename") or filename
        out.append(
            Attachment(
                id=att_id,
                filename=name,
                data=data,
                description=info.get("description"),
                content_type=mimetypes.guess_type(name)[0],
                url=f"{world.base_url}/_fake/attachments/{channel_id}/{att_id}/{name}",
            )
        )
    return out


def mention_ids(world: World, content: str, allowed: dict[str, Any] | None) -> list[int]:
    ids = [int(m) for m in MENTION_RE.findall(content or "") if int(m) in world.users]
    if allowed is None:
        return ids
    parse = allowed.get("parse") or []
    explicit = {int(u) for u in allowed.get("users") or []}
    return [u for u in ids if "users" in parse or u in explicit]


def new_message(
    world: World,
    channel: Channel,
    author_id: int,
    body: dict[str, Any],
    files: dict[int, tuple[str, bytes]],
    **extra: Any,
) -> Message:
    components = body.get("components") or []
    _number_components(components, [0])
    allowed = body.get("allowed_mentions")
    message = Message(
        id=world.next_id(),
        channel_id=channel.id,
        guild_id=channel.guild_id,
        author_id=author_id,
        content=body.get("content") or "",
        embeds=body.get("embeds") or [],
        components=components,
        attachments=build_attachments(world, channel.id, body, files),
        flags=int(body.get("flags") or 0),
        allowed_mentions=allowed,
        nonce=body.get("nonce"),
        enforce_nonce=bool(body.get("enforce_nonce")),
        tts=bool(body.get("tts")),
        timestamp=iso_now(),
        message_reference=body.get("message_reference"),
        mention_ids=mention_ids(world, body.get("content") or "", allowed),
    )
    for key, value in extra.items():
        setattr(message, key, value)
    return message


def apply_edit(
    world: World, message: Message, body: dict[str, Any], files: dict[int, tuple[str, bytes]]
) -> None:
    if "content" in body:
        message.content = body["content"] or ""
        message.mention_ids = mention_ids(
            world, message.content, body.get("allowed_mentions", message.allowed_mentions)
        )
    if "embeds" in body:
        message.embeds = body["embeds"] or []
    if "components" in body:
        message.components = body["components"] or []
        _number_components(message.components, [0])
    if "flags" in body and body["flags"] is not None:
        keep = message.flags & (1 << 6)
        message.flags = int(body["flags"]) | keep
    if "allowed_mentions" in body:
        message.allowed_mentions = body["allowed_mentions"]
    if "attachments" in body or files:
        message.attachments = build_attachments(
            world, message.channel_id, body, files, existing=message.attachments
        )
    message.edited_timestamp = iso_now()
    world.changed()
