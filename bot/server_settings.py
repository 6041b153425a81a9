"""Per-server settings a moderator chooses: the moderator role, the channel for moderator
alerts, and the community's default country for helplines (`/server-settings`).

Kept in SQLite and cached in memory (a handful of rows), because the crisis path asks for
the community's default country synchronously and must never wait on the database.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from bot.clock import iso
from bot.commands import SERVER_ONLY, CommandContext, Param
from bot.messages import Outbound, Tone
from bot.places import country_name, country_problem, find_country

if TYPE_CHECKING:
    from bot.app import Coach
    from bot.storage import Database

log = logging.getLogger(__name__)

CLEAR_WORDS = frozenset({"none", "clear", "off", "-"})


@dataclass(frozen=True, slots=True)
class ServerSetting:
    guild_id: str
    moderator_role: str | None = None  # a role id or name
    alert_channel_id: str | None = None
    default_country: str | None = None


class ServerSettings:
    def __init__(self, db: Database, fallback_country: str | None = None) -> None:
        self.db = db
        self.fallback_country = fallback_country
        self._cache: dict[str, ServerSetting] = {}

    async def load(self) -> None:
        rows = await self.db.fetchall("SELECT * FROM server_settings")
        self._cache = {r["guild_id"]: ServerSetting(r["guild_id"], r["moderator_role"],
                                                     r["alert_channel_id"], r["default_country"])
                       for r in rows}

    def get(self, guild_id: str | None) -> ServerSetting | None:
        return self._cache.get(guild_id) if guild_id else None

    def default_country(self, guild_id: str | None) -> str | None:
        setting = self.get(guild_id)
        if setting is not None and setting.default_country:
            return setting.default_country
        return self.fallback_country

    def alert_channels(self, guild_ids: list[str]) -> list[str]:
        return [s.alert_channel_id for g in guild_ids
                if (s := self._cache.get(g)) is not None and s.alert_channel_id]

    async def update(self, guild_id: str, now_iso: str, **values: str | None) -> ServerSetting:
        current = self._cache.get(guild_id) or ServerSetting(guild_id)
        setting = replace(current, **values)
        await self.db.execute(
            "INSERT INTO server_settings (guild_id, moderator_role, alert_channel_id,"
            " default_country, updated_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (guild_id) DO UPDATE SET moderator_role = excluded.moderator_role,"
            " alert_channel_id = excluded.alert_channel_id,"
            " default_country = excluded.default_country, updated_at = excluded.updated_at",
            (guild_id, setting.moderator_role, setting.alert_channel_id,
             setting.default_country, now_iso))
        self._cache[guild_id] = setting
        return setting


def settings_of(coach: Coach) -> ServerSettings:
    """The coach's server settings (created by `register`)."""
    found = getattr(coach, "server_settings", None)
    if found is None:
        found = ServerSettings(coach.db, coach.config.safety.community_default_country)
        coach.server_settings = found  # type: ignore[attr-defined]
    return found


def _clear(value: Any) -> bool:
    return isinstance(value, str) and value.strip().casefold() in CLEAR_WORDS


async def server_settings(ctx: CommandContext) -> list[Outbound]:
    guild_id = ctx.inbound.guild_id
    if guild_id is None:
        return [Outbound("/server-settings works only in a server.", tone=Tone.ERROR)]
    store = settings_of(ctx.coach)
    changes: dict[str, str | None] = {}
    role = ctx.args.get("moderator_role")
    if role:
        changes["moderator_role"] = None if _clear(role) else str(role).strip().lstrip("@")[:100]
    channel = ctx.args.get("alert_channel")
    if channel:
        changes["alert_channel_id"] = None if _clear(channel) else str(channel).strip()
    country = ctx.args.get("country")
    if country:
        if _clear(country):
            changes["default_country"] = None
        else:
            code = find_country(str(country))
            if code is None:
                return [Outbound(country_problem(str(country)) + " Nothing was changed.",
                                 tone=Tone.ERROR)]
            changes["default_country"] = code
    setting = store.get(guild_id) or ServerSetting(guild_id)
    if changes:
        setting = await store.update(guild_id, iso(ctx.coach.clock.now()), **changes)
        log.info("server settings changed guild=%s by=%s keys=%s", guild_id,
                 ctx.inbound.speaker.user_id, ",".join(sorted(changes)))
    alert = f"<#{setting.alert_channel_id}>" if setting.alert_channel_id else "not set"
    lines = ["Saved. " if changes else "", "This server's settings:\n",
             f"- moderator role: {setting.moderator_role or 'not set'} (people with Manage "
             "Server are always moderators)\n",
             f"- alert channel: {alert} (where I tell moderators that a member who agreed to "
             "it may need support; never what they wrote)\n",
             f"- default country: {country_name(setting.default_country)} (for helplines when "
             "a member has not chosen a country)\n",
             "Change one with, for example, /server-settings country:GB. Use none to clear."]
    return [Outbound("".join(lines))]


def register(coach: Coach) -> None:
    store = settings_of(coach)
    coach.crisis.community_default = store.default_country
    coach.registry.command(
        "server-settings", summary="Moderators: moderator role, alert channel, default country",
        params=(Param("moderator_role", "A role whose members count as moderators",
                      required=False),
                Param("alert_channel", "Where moderator alerts go", kind="channel",
                      required=False),
                Param("country", "The community's default country for helplines",
                      required=False)),
        where=SERVER_ONLY, moderator=True)(server_settings)
