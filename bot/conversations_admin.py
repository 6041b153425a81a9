"""Moderators manage conversations from chat: list, validate, reload, download, upload,
history, rollback and stats (`/conversations ...`).

Community moderators usually cannot reach the bot's host, so every change a file can get
on disk can also be made here. A file with errors never replaces the last good one (the
library checks it first) and every change is kept with who made it and when, so a bad edit
can be undone with `rollback`. Stats are counts only, never answers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.clock import iso
from bot.commands import SERVER_ONLY, CommandContext, Param
from bot.datarights import rows
from bot.flows.library import conversation_files
from bot.flows.loader import SNAKE_CASE, check_text
from bot.messages import Attachment, Outbound, Tone, Upload
from bot.yamlfile import Problem, did_you_mean

if TYPE_CHECKING:
    import aiosqlite

    from bot.app import Coach
    from bot.storage import Database

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 256 * 1024
SHOWN_PROBLEMS = 40


@dataclass(frozen=True, slots=True)
class Change:
    id: int
    flow_id: str
    action: str
    previous_text: str | None
    new_text: str | None
    by_user_id: str
    by_name: str
    at: str


def _problem_lines(problems: list[Problem], intro: str) -> str:
    lines = [intro]
    lines += [str(p) for p in problems[:SHOWN_PROBLEMS]]
    if len(problems) > SHOWN_PROBLEMS:
        lines.append(f"... and {len(problems) - SHOWN_PROBLEMS} more.")
    return "\n".join(lines)


def _upload_of(value: Any) -> Upload | None:
    if isinstance(value, Upload):
        return value
    if isinstance(value, str) and value:
        return Upload("upload.yaml", value)
    return None


def _flow_id_for(upload: Upload, name: object) -> str:
    if isinstance(name, str) and name.strip():
        return name.strip().lower()
    stem = upload.filename.rsplit("/", 1)[-1]
    for suffix in (".yaml", ".yml"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
    return stem.lower()


class ConversationAdmin:
    """History of conversation changes (the `conversation_changes` table)."""

    def __init__(self, coach: Coach) -> None:
        self.coach = coach

    async def record(self, ctx: CommandContext, flow_id: str, action: str,
                     previous_text: str | None, new_text: str | None) -> int:
        speaker = ctx.inbound.speaker
        return await self.coach.db.execute(
            "INSERT INTO conversation_changes (flow_id, action, previous_text, new_text,"
            " by_platform, by_user_id, by_name, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (flow_id, action, previous_text, new_text, speaker.platform, speaker.user_id,
             speaker.display_name[:100], iso(self.coach.clock.now())))

    async def changes(self, flow_id: str | None, limit: int = 15) -> list[Change]:
        if flow_id:
            rows = await self.coach.db.fetchall(
                "SELECT * FROM conversation_changes WHERE flow_id = ? ORDER BY id DESC LIMIT ?",
                (flow_id, limit))
        else:
            rows = await self.coach.db.fetchall(
                "SELECT * FROM conversation_changes ORDER BY id DESC LIMIT ?", (limit,))
        return [_change(r) for r in rows]

    async def change(self, change_id: int) -> Change | None:
        row = await self.coach.db.fetchone("SELECT * FROM conversation_changes WHERE id = ?",
                                           (change_id,))
        return _change(row) if row else None

    def current_text(self, flow_id: str) -> str | None:
        if flow_id not in self.coach.library:
            return None
        try:
            return self.coach.library.text_of(flow_id)
        except (KeyError, OSError):
            return None


def _change(row: Any) -> Change:
    return Change(id=row["id"], flow_id=row["flow_id"], action=row["action"],
                  previous_text=row["previous_text"], new_text=row["new_text"],
                  by_user_id=row["by_user_id"], by_name=row["by_name"], at=row["at"])


def _admin(ctx: CommandContext) -> ConversationAdmin:
    return ConversationAdmin(ctx.coach)


# -- commands ------------------------------------------------------------------------------

async def conversations_list(ctx: CommandContext) -> list[Outbound]:
    library = ctx.coach.library
    if not len(library):
        return [Outbound("No conversations are loaded. Upload one with /conversations upload.")]
    lines = [f"{len(library)} conversations are loaded:"]
    for flow_id in library.ids():
        flow = library.get(flow_id)
        assert flow is not None
        hidden = "" if flow.listed else " (not listed in /coach list)"
        lines.append(f"- {flow_id}: {flow.title.for_language(None)[0]}, "
                     f"{len(flow.steps)} steps, version {flow.content_hash[:8]}{hidden}")
    return [Outbound("\n".join(lines))]


async def conversations_validate(ctx: CommandContext) -> list[Outbound]:
    upload = _upload_of(ctx.args.get("file"))
    library = ctx.coach.library
    if upload is not None:
        flow_id = _flow_id_for(upload, None)
        checked = check_text(upload.text, upload.filename, expected_id=flow_id,
                             known_flows={*library.ids(), flow_id})
        if checked.problems:
            return [Outbound(_problem_lines(checked.problems, f"{upload.filename} has "
                             f"{len(checked.problems)} problem(s); nothing was installed:"),
                             tone=Tone.ERROR)]
        return [Outbound(f"{upload.filename} is valid. Install it with /conversations upload.")]
    from bot.flows.library import check_files
    directory = library.directory
    if not directory.is_dir():
        return [Outbound("The conversations directory does not exist on the host.",
                         tone=Tone.ERROR)]
    files = [(p, p.name) for p in conversation_files(directory)]
    _, _, problems = check_files(files)
    if problems:
        return [Outbound(_problem_lines(problems, f"The conversation files have "
                                                  f"{len(problems)} problem(s):"),
                         tone=Tone.ERROR)]
    return [Outbound(f"All {len(files)} conversation files are valid.")]


async def conversations_reload(ctx: CommandContext) -> list[Outbound]:
    library = ctx.coach.library
    before = {fid: library.get(fid) for fid in library.ids()}
    admin = _admin(ctx)
    previous = {fid: await _last_text(admin, fid) for fid in before}
    problems = library.reload()
    if problems:
        log.info("conversations reload refused by=%s problems=%d",
                 ctx.inbound.speaker.user_id, len(problems))
        return [Outbound(_problem_lines(problems, "Nothing was reloaded, because the "
                                                  "conversation files have problems. Members "
                                                  "keep the current set. The problems:"),
                         tone=Tone.ERROR)]
    changed = []
    for fid in sorted({*before, *library.ids()}):
        old, new = before.get(fid), library.get(fid)
        if old is not None and new is not None and old.content_hash == new.content_hash:
            continue
        changed.append(fid)
        await admin.record(ctx, fid, "reload", previous.get(fid),
                           admin.current_text(fid) if new is not None else None)
    log.info("conversations reloaded by=%s changed=%d", ctx.inbound.speaker.user_id,
             len(changed))
    what = f" Changed: {', '.join(changed)}." if changed else " Nothing had changed."
    return [Outbound(f"Reloaded {len(library)} conversations.{what}")]


async def _last_text(admin: ConversationAdmin, flow_id: str) -> str | None:
    text = admin.current_text(flow_id)
    if text is not None:
        return text
    changes = await admin.changes(flow_id, limit=1)
    return changes[0].new_text if changes else None


def _unknown(ctx: CommandContext, name: str) -> Outbound:
    hint = did_you_mean(name, ctx.coach.library.ids())
    return Outbound(f"There is no conversation called \"{name}\". "
                    f"{(hint.capitalize() + ' ') if hint else ''}"
                    "See /conversations list.", tone=Tone.ERROR)


async def conversations_download(ctx: CommandContext) -> list[Outbound]:
    name = str(ctx.args.get("name") or "").strip().lower()
    text = _admin(ctx).current_text(name)
    if text is None:
        return [_unknown(ctx, name)]
    return [Outbound(f"Here is {name}.yaml as it is now. Edit it and send it back with "
                     "/conversations upload.",
                     attachment=Attachment(f"{name}.yaml", text.encode("utf-8"),
                                           f"The conversation file {name}.yaml"))]


async def conversations_upload(ctx: CommandContext) -> list[Outbound]:
    upload = _upload_of(ctx.args.get("file"))
    if upload is None:
        return [Outbound("Attach the conversation's YAML file to /conversations upload.",
                         tone=Tone.ERROR)]
    if len(upload.text.encode("utf-8")) > MAX_UPLOAD_BYTES:
        return [Outbound(f"That file is over {MAX_UPLOAD_BYTES // 1024} KiB, which is more "
                         "than a conversation needs. Nothing was installed.", tone=Tone.ERROR)]
    flow_id = _flow_id_for(upload, ctx.args.get("name"))
    if not SNAKE_CASE.match(flow_id):
        return [Outbound(f"{upload.filename}:1:1: the file name should be the conversation "
                         "id in lowercase letters, digits and underscores, such as "
                         "energy_audit.yaml. Nothing was installed.", tone=Tone.ERROR)]
    admin = _admin(ctx)
    previous = admin.current_text(flow_id)
    problems = ctx.coach.library.install(flow_id, upload.text)
    if problems:
        log.info("conversation upload refused flow=%s by=%s problems=%d", flow_id,
                 ctx.inbound.speaker.user_id, len(problems))
        return [Outbound(_problem_lines(problems, f"{flow_id}.yaml was not installed; members "
                                                  f"keep the current version. "
                                                  f"{len(problems)} problem(s):"),
                         tone=Tone.ERROR)]
    change = await admin.record(ctx, flow_id, "upload", previous, upload.text)
    log.info("conversation installed flow=%s by=%s change=%s", flow_id,
             ctx.inbound.speaker.user_id, change)
    verb = "Updated" if previous is not None else "Added"
    return [Outbound(f"{verb} {flow_id} (change #{change}). Members in the middle of it go on "
                     "at the same step where it still exists. To undo this, use "
                     f"/conversations rollback {flow_id}.")]


async def conversations_history(ctx: CommandContext) -> list[Outbound]:
    name = str(ctx.args.get("name") or "").strip().lower() or None
    changes = await _admin(ctx).changes(name)
    if not changes:
        where = f" to {name}" if name else ""
        return [Outbound(f"No changes{where} have been made from chat yet.")]
    lines = [f"Recent changes{' to ' + name if name else ''} (newest first):"]
    for c in changes:
        who = (f"{c.by_name} (id {c.by_user_id})" if c.by_user_id
               else "a moderator who has since deleted their data")
        lines.append(f"- #{c.id} {c.at} {c.action} {c.flow_id} by {who}")
    lines.append("Undo one with /conversations rollback NAME CHANGE.")
    return [Outbound("\n".join(lines))]


async def conversations_rollback(ctx: CommandContext) -> list[Outbound]:
    name = str(ctx.args.get("name") or "").strip().lower()
    admin = _admin(ctx)
    number = ctx.args.get("change")
    if number is not None:
        target = await admin.change(int(number))
        if target is None or target.flow_id != name:
            return [Outbound(f"Change #{number} is not a change to {name}. See "
                             f"/conversations history {name}.", tone=Tone.ERROR)]
    else:
        latest = await admin.changes(name, limit=1)
        if not latest:
            return [Outbound(f"There is no recorded change to {name} to roll back.",
                             tone=Tone.ERROR)]
        target = latest[0]
    current = admin.current_text(name)
    restore = target.previous_text
    if restore is None:
        problem = _remove(ctx, name)
        if problem:
            return [Outbound(problem, tone=Tone.ERROR)]
    else:
        problems = ctx.coach.library.install(name, restore)
        if problems:
            return [Outbound(_problem_lines(problems, f"The earlier version of {name} no "
                                                      "longer fits with the other "
                                                      "conversations, so nothing changed:"),
                             tone=Tone.ERROR)]
    change = await admin.record(ctx, name, "rollback", current, restore)
    log.info("conversation rolled back flow=%s to_before=%s by=%s change=%s", name, target.id,
             ctx.inbound.speaker.user_id, change)
    if restore is None:
        return [Outbound(f"Rolled back: {name} was new in change #{target.id}, so it is removed "
                         f"again (change #{change}).")]
    return [Outbound(f"Rolled back {name} to the version before change #{target.id} "
                     f"(recorded as change #{change}).")]


def _remove(ctx: CommandContext, name: str) -> str | None:
    library = ctx.coach.library
    paths = [p for p in conversation_files(library.directory) if p.stem == name]
    if not paths:
        return None
    moved = []
    for path in paths:
        aside = path.with_name(f".{path.name}.removed")
        path.replace(aside)
        moved.append((aside, path))
    problems = library.reload()
    if problems:
        for aside, path in moved:
            aside.replace(path)
        return _problem_lines(problems, f"{name} could not be removed, because the other "
                                        "conversation files have problems:")
    return None


async def conversations_stats(ctx: CommandContext) -> list[Outbound]:
    db = ctx.coach.db
    totals = await db.fetchall(
        "SELECT flow_id, COUNT(*) AS started,"
        " SUM(CASE WHEN status = 'finished' THEN 1 ELSE 0 END) AS finished,"
        " SUM(CASE WHEN status = 'active' THEN 1 ELSE 0 END) AS going"
        " FROM sessions GROUP BY flow_id ORDER BY flow_id")
    if not totals:
        return [Outbound("No conversations have been started yet.")]
    stops = await db.fetchall(
        "SELECT flow_id, step_id, COUNT(*) AS n FROM sessions"
        " WHERE status IN ('paused', 'stopped', 'abandoned', 'crisis')"
        " GROUP BY flow_id, step_id ORDER BY flow_id, n DESC, step_id")
    by_flow: dict[str, list[str]] = {}
    for row in stops:
        by_flow.setdefault(row["flow_id"], []).append(f"{row['step_id']} ({row['n']})")
    lines = ["Conversations (counts only):"]
    for row in totals:
        stopped = ", ".join(by_flow.get(row["flow_id"], [])[:8]) or "nowhere"
        lines.append(f"- {row['flow_id']}: {row['started']} started, {row['finished']} "
                     f"finished, {row['going']} in progress; stopped at: {stopped}")
    return [Outbound("\n".join(lines))]


async def export_changes(db: Database, member_id: int) -> list[dict[str, Any]]:
    """The conversation changes a member made as a moderator (not the files' text, which
    belongs to the community)."""
    return rows(await db.fetchall(
        "SELECT c.id, c.flow_id, c.action, c.at FROM conversation_changes AS c"
        " JOIN members AS m ON m.platform = c.by_platform AND m.external_id = c.by_user_id"
        " WHERE m.id = ? ORDER BY c.id", (member_id,)))


async def forget_changes(conn: aiosqlite.Connection, member_id: int) -> None:
    """The changes stay (so they can still be undone); who made them is forgotten."""
    await conn.execute(
        "UPDATE conversation_changes SET by_user_id = '', by_name = ''"
        " WHERE (by_platform, by_user_id) IN"
        " (SELECT platform, external_id FROM members WHERE id = ?)", (member_id,))


def register(coach: Coach) -> None:
    coach.datarights.register(
        "conversation_changes", stores="as a moderator: which conversation files you changed "
        "from chat, and when (with your name and id, so others can see who to ask)",
        export=export_changes, delete=forget_changes)
    add = coach.registry.command
    mod: dict[str, Any] = {"moderator": True, "where": SERVER_ONLY}
    name_param = Param("name", "The conversation's id", kind="conversation")
    add("conversations", "list", summary="Moderators: the loaded conversations", **mod)(
        conversations_list)
    add("conversations", "validate", summary="Moderators: check the conversation files, or "
        "one attached file", params=(Param("file", "A conversation file to check",
                                           kind="attachment", required=False),), **mod)(
        conversations_validate)
    add("conversations", "reload", summary="Moderators: re-read the conversations directory",
        **mod)(conversations_reload)
    add("conversations", "download", summary="Moderators: get a conversation's YAML file",
        params=(name_param,), **mod)(conversations_download)
    add("conversations", "upload", summary="Moderators: install an edited conversation file",
        params=(Param("file", "The conversation's YAML file", kind="attachment"),
                Param("name", "The conversation id (default: the file name)",
                      required=False)), **mod)(conversations_upload)
    add("conversations", "history", summary="Moderators: who changed which conversation, "
        "and when", params=(Param("name", "Only this conversation", kind="conversation",
                                  required=False),), **mod)(conversations_history)
    add("conversations", "rollback", summary="Moderators: undo a change to a conversation",
        params=(name_param, Param("change", "The change number to undo (default: the last)",
                                  kind="integer", required=False, min_value=1)), **mod)(
        conversations_rollback)
    add("conversations", "stats", summary="Moderators: started, finished and where people "
        "stopped (counts only)", **mod)(conversations_stats)
