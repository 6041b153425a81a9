"""Moderators on Discord: who counts as one, files in and out of `/conversations`, the
per-server settings, and alerts to a server's alert channel.

A moderator has Manage Server (or Administrator) in the server, or a role named in the
config (`discord.moderator_role`) or in `/server-settings`. The commands themselves live
in the core (`bot.conversations_admin`, `bot.server_settings`); this module only turns
Discord attachments into text and the alert into a channel post.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord

from bot.clock import iso
from bot.conversations_admin import MAX_UPLOAD_BYTES
from bot.messages import Outbound, Upload
from bot.server_settings import settings_of

if TYPE_CHECKING:
    from bot.members import Member
    from bot.safety.detector import Assessment
    from bot.transports.discord.client import CoachBot

log = logging.getLogger(__name__)


class UploadProblem(Exception):
    """An attached file that cannot be used; the message says why, kindly."""


def is_moderator(bot: CoachBot, interaction: discord.Interaction) -> bool:
    if interaction.guild_id is None:
        return False
    perms = interaction.permissions
    if perms.manage_guild or perms.administrator:
        return True
    user = interaction.user
    if not isinstance(user, discord.Member):
        return False
    wanted: set[str] = set()
    if bot.coach.config.discord.moderator_role:
        wanted.add(bot.coach.config.discord.moderator_role.casefold())
    setting = settings_of(bot.coach).get(str(interaction.guild_id))
    if setting is not None and setting.moderator_role:
        wanted.add(setting.moderator_role.casefold())
    if not wanted:
        return False
    for role in user.roles:
        if role.name.casefold() in wanted or str(role.id) in wanted:
            return True
    return False


async def read_upload(attachment: discord.Attachment) -> Upload:
    """The text of an attached file, checked for size and encoding before use."""
    if attachment.size > MAX_UPLOAD_BYTES:
        raise UploadProblem(f"{attachment.filename} is over {MAX_UPLOAD_BYTES // 1024} KiB, "
                            "which is more than a conversation file needs. Nothing was "
                            "changed.")
    try:
        data = await attachment.read()
    except discord.HTTPException as exc:
        log.warning("attachment download failed status=%s", exc.status)
        raise UploadProblem("I couldn't download that file from Discord. Please try again "
                            "in a moment.") from None
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadProblem(f"{attachment.filename} is over {MAX_UPLOAD_BYTES // 1024} KiB. "
                            "Nothing was changed.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UploadProblem(f"{attachment.filename}:1:1: this file is not UTF-8 text (byte "
                            f"{exc.start}); save it as UTF-8 and upload it again.") from None
    return Upload(attachment.filename, text)


async def convert_args(values: dict[str, Any]) -> dict[str, object]:
    """Slash command values -> the core's argument values (ids as text, files as Upload)."""
    args: dict[str, object] = {}
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, discord.Attachment):
            args[name] = await read_upload(value)
        elif isinstance(value, (discord.abc.Snowflake,)) and not isinstance(value, int):
            args[name] = str(value.id)
        else:
            args[name] = value
    return args


ALERT = ("A member who agreed to moderator alerts may need support: <@{user}> (user id "
         "{user}). Level: {level}. Time: {at}. I have paused their coaching and shown them "
         "crisis resources. What they wrote is not shared. Please reach out kindly and "
         "privately.")


async def alert_moderators(bot: CoachBot, member: Member, assessment: Assessment) -> None:
    """Post member id, level and time (never text) to the alert channel of each server where
    the member used the bot."""
    if member.platform != "discord" or bot.delivery is None:
        return
    rows = await bot.coach.db.fetchall(
        "SELECT guild_id FROM member_servers WHERE member_id = ?", (member.id,))
    channels = settings_of(bot.coach).alert_channels([r["guild_id"] for r in rows])
    text = ALERT.format(user=member.external_id, level=str(assessment.level),
                        at=iso(bot.coach.clock.now()))
    for channel_id in channels:
        result = await bot.delivery.post(channel_id, [Outbound(text)])
        log.info("moderator alert member=%s channel=%s result=%s", member.id, channel_id,
                 result)


async def remember_server(bot: CoachBot, user_id: int, guild_id: int | None) -> None:
    """Note that a member used the bot in a server (where their alerts may go)."""
    if guild_id is None or (user_id, guild_id) in bot.known_servers:
        return
    member = await bot.coach.members.find("discord", str(user_id))
    if member is None:
        return
    await bot.coach.db.execute(
        "INSERT INTO member_servers (member_id, guild_id, last_seen_at) VALUES (?, ?, ?)"
        " ON CONFLICT (member_id, guild_id) DO UPDATE SET last_seen_at = excluded.last_seen_at",
        (member.id, str(guild_id), iso(bot.coach.clock.now())))
    bot.known_servers.add((user_id, guild_id))


def register_data_rights(bot: CoachBot) -> None:
    """The servers a member used the bot in are theirs to export and delete."""
    from bot.datarights import rows

    async def export(db: Any, member_id: int) -> Any:
        return rows(await db.fetchall("SELECT guild_id, last_seen_at FROM member_servers"
                                      " WHERE member_id = ? ORDER BY guild_id", (member_id,)))

    async def delete(conn: Any, member_id: int) -> None:
        await conn.execute("DELETE FROM member_servers WHERE member_id = ?", (member_id,))

    rights = bot.coach.datarights
    if "discord_servers" not in {f.name for f in rights.features()}:
        rights.register("discord_servers", stores="which Discord servers you used the bot in "
                        "(so a moderator alert you agreed to goes only there)",
                        export=export, delete=delete)
