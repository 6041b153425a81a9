"""Members own their data: `/mydata export`, `/mydata delete`, retention and backups.

- `register(coach)` adds the `/mydata` commands (terminal, DMs and servers).
- `privacy_of(coach)` holds the deletion hooks: `post_finders` (features that post in
  channels for a member) and `remove_posts` (set by a transport).
- `purge_expired(coach, now)` clears the answers of conversations that ended more than
  `privacy.retention_days` ago; the scheduler's tick calls it (`retention_work(coach)` is
  the same, shaped as the tick's scheduled work and run at most once an hour).
- `backup_database(source, destination)` is `coachbot backup PATH`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.commands import EVERYWHERE, CommandContext
from bot.messages import Attachment, Outbound
from bot.privacy.backup import BackupError, BackupResult, backup_database
from bot.privacy.erase import Erasure, PostRef, Privacy, privacy_of
from bot.privacy.export import build_export, export_bytes, export_filename
from bot.privacy.retention import purge_expired, retention_work

if TYPE_CHECKING:
    from bot.app import Coach

__all__ = ["BackupError", "BackupResult", "Erasure", "PostRef", "Privacy", "backup_database",
           "build_export", "export_bytes", "privacy_of", "purge_expired", "register",
           "retention_work"]

log = logging.getLogger(__name__)

CONFIRM_DELETE = (
    "This deletes everything I keep about you: your settings, your conversations and answers, "
    "your goals and check-ins, your reminders, your group memberships and the posts I made "
    "for you in server channels. It cannot be undone. (Type /mydata export first if you'd "
    "like a copy.)")


async def mydata_export(ctx: CommandContext) -> list[Outbound]:
    member_id = ctx.member.id
    document = await build_export(ctx.coach, member_id)
    data = export_bytes(document)
    log.info("data exported member=%s bytes=%s", member_id, len(data))
    attachment = Attachment(export_filename(ctx.coach, member_id), data,
                            "everything I keep about you, as a JSON file")
    return [Outbound("Here is everything I keep about you. Each section says what that part "
                     "of me stores. Only you get this file; keep it somewhere safe.",
                     attachment=attachment)]


async def mydata_delete(ctx: CommandContext) -> list[Outbound]:
    erasure = await privacy_of(ctx.coach).erase(ctx.member.id)
    text = ("Done. I have deleted everything I kept about you, and it is gone from my "
            "database file too. Backups made before today keep a copy until they expire. "
            "If you write to me again, we start fresh.")
    if erasure.posts_left:
        text += (f" I couldn't remove {erasure.posts_left} of the posts I made for you in "
                 "server channels; a moderator of that server can remove them for you.")
    return [Outbound(text)]


def register(coach: Coach) -> None:
    """Registered last: retention runs as work of the single scheduler tick."""
    privacy_of(coach)
    nudger = getattr(coach, "nudger", None)
    if nudger is not None:
        from bot.privacy.retention import retention_work
        nudger.due_work.append(retention_work(coach))
    add = coach.registry.command
    add("mydata", "export", summary="Get a file with everything I keep about you",
        where=EVERYWHERE)(mydata_export)
    add("mydata", "delete", summary="Delete everything I keep about you (asks first)",
        where=EVERYWHERE, confirm=CONFIRM_DELETE)(mydata_delete)
