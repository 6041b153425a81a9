"""Building INTERACTION_CREATE payloads (commands, autocomplete, components, modals)
and the :class:`InteractionHandle` tests use to read the bot's answer."""
# The public wait helpers take ``timeout=`` on purpose (tests read better with it).
# ruff: noqa: ASYNC109

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .messages import find_component
from .models import BotApp, Channel, InteractionRecord, Message, Role, User
from .world import World

if TYPE_CHECKING:
    from .server import FakeDiscord

OPTION_SUBCOMMAND, OPTION_GROUP = 1, 2
OPT_STRING, OPT_INTEGER, OPT_BOOLEAN, OPT_USER, OPT_CHANNEL, OPT_ROLE = 3, 4, 5, 6, 7, 8
OPT_MENTIONABLE, OPT_NUMBER = 9, 10


@dataclass
class CallbackResponse:
    """What the bot answered to an interaction callback."""

    type: int
    data: dict[str, Any]

    @property
    def content(self) -> str | None:
        return self.data.get("content")

    @property
    def ephemeral(self) -> bool:
        return bool(int(self.data.get("flags") or 0) & 64)

    @property
    def custom_id(self) -> str | None:
        return self.data.get("custom_id")


class InteractionHandle:
    """One interaction sent to the bot; await :meth:`response` for its callback."""

    def __init__(self, fake: FakeDiscord, record: InteractionRecord) -> None:
        self._fake = fake
        self.record = record

    @property
    def id(self) -> int:
        return self.record.id

    @property
    def token(self) -> str:
        return self.record.token

    @property
    def payload(self) -> dict[str, Any]:
        return self.record.payload

    async def response(self, timeout: float = 5.0) -> CallbackResponse:
        await self._fake.wait_for(lambda: self.record.response is not None, timeout=timeout)
        assert self.record.response is not None
        return CallbackResponse(self.record.response["type"], self.record.response["data"])

    def original(self) -> Message | None:
        mid = self.record.original_message_id
        return None if mid is None else self._fake.world.messages.get(mid)

    async def wait_original(self, predicate=lambda m: True, timeout: float = 5.0) -> Message:
        def check() -> Message | None:
            msg = self.original()
            return msg if msg is not None and predicate(msg) else None

        return await self._fake.wait_for(check, timeout=timeout)

    @property
    def followups(self) -> list[Message]:
        return [self._fake.world.messages[m] for m in self.record.followup_ids]

    async def wait_followups(self, count: int = 1, timeout: float = 5.0) -> list[Message]:
        await self._fake.wait_for(lambda: len(self.record.followup_ids) >= count, timeout=timeout)
        return self.followups


def _option_type(value: Any) -> int:
    if isinstance(value, bool):
        return OPT_BOOLEAN
    if isinstance(value, int):
        return OPT_INTEGER
    if isinstance(value, float):
        return OPT_NUMBER
    if isinstance(value, User):
        return OPT_USER
    if isinstance(value, Channel):
        return OPT_CHANNEL
    if isinstance(value, Role):
        return OPT_ROLE
    return OPT_STRING


class InteractionFactory:
    def __init__(self, world: World) -> None:
        self.world = world

    # --------------------------------------------------------------- payload
    def create(
        self,
        bot: BotApp,
        itype: int,
        user: User,
        channel: Channel,
        data: dict[str, Any],
        message: Message | None = None,
    ) -> InteractionRecord:
        world = self.world
        iid = world.next_id()
        token = f"aW50ZXJhY3Rpb246{iid}:{secrets.token_urlsafe(24)}"
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(bot.application_id),
            "type": itype,
            "data": data,
            "token": token,
            "version": 1,
            "channel": channel.payload(world.users),
            "channel_id": str(channel.id),
            "locale": "en-US",
            "app_permissions": str(world.permissions_for(channel, bot.user.id)),
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if channel.guild_id is not None:
            guild = world.guilds[channel.guild_id]
            member = world.member_payload(
                guild, user.id, with_permissions=world.permissions_for(channel, user.id)
            )
            if member is None:
                raise ValueError("user is not a member of this guild")
            payload.update(
                guild_id=str(guild.id),
                guild_locale="en-US",
                member=member,
                context=0,
                guild={"id": str(guild.id), "locale": "en-US", "features": []},
                authorizing_integration_owners={"0": str(guild.id)},
            )
        else:
            payload.update(
                user=user.payload(), context=1, authorizing_integration_owners={"1": str(user.id)}
            )
        if message is not None:
            payload["message"] = world.message_payload(message)
        record = InteractionRecord(
            id=iid,
            token=token,
            application_id=bot.application_id,
            type=itype,
            user_id=user.id,
            channel_id=channel.id,
            guild_id=channel.guild_id,
            payload=payload,
            message_id=message.id if message is not None else None,
        )
        world.interactions[iid] = record
        world.interactions_by_token[token] = record
        world.changed()
        return record

    # -------------------------------------------------------------- commands
    def find_command(
        self, bot: BotApp, name: str, guild_id: int | None, ctype: int = 1
    ) -> dict[str, Any]:
        pools = []
        if guild_id is not None:
            pools.append(bot.guild_commands.get(guild_id, []))
        pools.append(bot.global_commands)
        for pool in pools:
            for cmd in pool:
                if cmd["name"] == name and cmd.get("type", 1) == ctype:
                    return cmd
        raise LookupError(f"command {name!r} is not registered for this bot")

    def command_data(
        self,
        bot: BotApp,
        path: str,
        options: Mapping[str, Any] | None,
        guild_id: int | None,
        focused: str | None = None,
    ) -> dict[str, Any]:
        parts = path.split()
        cmd = self.find_command(bot, parts[0], guild_id)
        level = cmd.get("options") or []
        chain: list[dict[str, Any]] = []
        for part in parts[1:]:
            schema = next(
                (
                    o
                    for o in level
                    if o["name"] == part and o.get("type") in (OPTION_SUBCOMMAND, OPTION_GROUP)
                ),
                None,
            )
            if schema is None:
                raise LookupError(f"{part!r} is not a subcommand of {parts[0]!r}")
            chain.append({"type": schema["type"], "name": part})
            level = schema.get("options") or []
        resolved: dict[str, dict[str, Any]] = {}
        opts = []
        for key, value in (options or {}).items():
            schema = next((o for o in level if o["name"] == key), None)
            if schema is None:
                raise LookupError(f"option {key!r} does not exist on /{path}")
            otype = schema.get("type", _option_type(value))
            opts.append(self._option(otype, key, value, resolved, guild_id, focused == key))
        missing = [
            o["name"]
            for o in level
            if o.get("required")
            and o["name"] not in (options or {})
            and o.get("type") not in (1, 2)
        ]
        if missing and focused is None:
            raise ValueError(f"required options missing: {missing}")
        node_opts = opts
        for link in reversed(chain):
            link["options"] = node_opts
            node_opts = [link]
        data: dict[str, Any] = {"id": cmd["id"], "name": parts[0], "type": 1, "options": node_opts}
        if cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        if resolved:
            data["resolved"] = resolved
        return data

    def _option(
        self,
        otype: int,
        name: str,
        value: Any,
        resolved: dict[str, Any],
        guild_id: int | None,
        focused: bool,
    ) -> dict[str, Any]:
        world = self.world
        out: dict[str, Any] = {"type": otype, "name": name}
        if (
            otype in (OPT_USER, OPT_MENTIONABLE)
            and isinstance(value, (User, int))
            and not isinstance(value, bool)
        ):
            user = value if isinstance(value, User) else world.users[value]
            resolved.setdefault("users", {})[str(user.id)] = user.payload()
            if guild_id is not None:
                member = world.member_payload(world.guilds[guild_id], user.id, with_permissions=0)
                if member is not None:
                    member.pop("user", None)
                    resolved.setdefault("members", {})[str(user.id)] = member
            value = str(user.id)
        elif otype == OPT_CHANNEL:
            channel = value if isinstance(value, Channel) else world.channels[int(value)]
            data = channel.payload(world.users)
            data["permissions"] = "0"
            resolved.setdefault("channels", {})[str(channel.id)] = data
            value = str(channel.id)
        elif otype == OPT_ROLE:
            role = value if isinstance(value, Role) else world.guilds[guild_id or 0].roles[value]
            resolved.setdefault("roles", {})[str(role.id)] = role.payload()
            value = str(role.id)
        out["value"] = value
        if focused:
            out["focused"] = True
        return out

    # ------------------------------------------------------------ components
    def component_data(
        self, message: Message, custom_id: str, values: list[str] | None
    ) -> dict[str, Any]:
        comp = find_component(message.components, custom_id)
        if comp is None:
            raise LookupError(f"message has no component with custom_id {custom_id!r}")
        if comp.get("disabled"):
            raise ValueError(f"component {custom_id!r} is disabled")
        ctype = comp["type"]
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": ctype}
        if "id" in comp:
            data["id"] = comp["id"]
        if ctype == 2:
            if values is not None:
                raise ValueError("buttons take no values")
            return data
        values = list(values or [])
        lo, hi = comp.get("min_values", 1), comp.get("max_values", 1)
        if not lo <= len(values) <= hi:
            raise ValueError(f"select {custom_id!r} needs {lo}..{hi} values")
        if ctype == 3:
            allowed = {o["value"] for o in comp.get("options", [])}
            bad = [v for v in values if v not in allowed]
            if bad:
                raise ValueError(f"{bad} are not options of {custom_id!r}")
        data["values"] = [str(v) for v in values]
        return data

    def modal_data(self, modal: dict[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
        def submit(inner: dict[str, Any]) -> dict[str, Any] | None:
            cid = inner.get("custom_id")
            if inner.get("type") == 4:
                value = str(values.get(cid, inner.get("value") or ""))
                if inner.get("required", True) and not value:
                    raise ValueError(f"text input {cid!r} is required")
                if len(value) > int(inner.get("max_length") or 4000):
                    raise ValueError(f"text input {cid!r} is too long")
                if value and len(value) < int(inner.get("min_length") or 0):
                    raise ValueError(f"text input {cid!r} is too short")
                return {"type": 4, "id": inner.get("id"), "custom_id": cid, "value": value}
            if inner.get("type") in (3, 5, 6, 7, 8):
                picked = values.get(cid, [])
                picked = [picked] if isinstance(picked, str) else list(picked)
                return {
                    "type": inner["type"],
                    "id": inner.get("id"),
                    "custom_id": cid,
                    "values": [str(v) for v in picked],
                }
            if inner.get("type") == 10:
                return {"type": 10, "id": inner.get("id")}
            return None

        components = []
        for comp in modal.get("components", []):
            if comp.get("type") == 1:
                row = [s for s in (submit(c) for c in comp.get("components", [])) if s]
                components.append({"type": 1, "id": comp.get("id"), "components": row})
            elif comp.get("type") == 18:
                inner = submit(comp.get("component") or {})
                if inner is not None:
                    components.append({"type": 18, "id": comp.get("id"), "component": inner})
            else:
                inner = submit(comp)
                if inner is not None:
                    components.append(inner)
        known = {c.get("custom_id") for c in _walk_modal(modal.get("components", []))}
        unknown_ids = set(values) - known
        if unknown_ids:
            raise LookupError(f"modal has no inputs {sorted(unknown_ids)}")
        return {"custom_id": modal["custom_id"], "components": components}


def _walk_modal(components: list[dict[str, Any]]):
    for comp in components:
        yield comp
        yield from _walk_modal(comp.get("components") or [])
        if isinstance(comp.get("component"), dict):
            yield comp["component"]
