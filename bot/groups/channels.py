"""Accountability channels: setup by moderators, joining, skipping a week, check-ins that stay
private unless the member chooses Post, and goals a member shares with a group.

Nothing a member writes reaches a channel without their explicit choice: a check-in is saved
privately first, and only the Post button (or `/group share ... post`) puts it in the channel.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.clock import iso
from bot.delivery import DeliveryResult
from bot.flows.answers import visible
from bot.groups.core import Group, groups_of
from bot.messages import Choice, CommandRef, Outbound, Tone
from bot.nudges.schedule import Cadence, hhmm, parse_cadence, parse_hhmm

if TYPE_CHECKING:
    from bot.commands import CommandContext
    from bot.groups.core import Groups

log = logging.getLogger(__name__)

YES = frozenset({"yes", "on", "true", "y"})
NOT_A_GROUP = ("This channel isn't an accountability channel. A moderator can set one up with "
               "/group setup; /group list shows the ones in this server.")
SHARE_CHOICES = (Choice("post", "Post in the channel"), Choice("keep", "Keep private"))


def _on(value: Any, default: bool) -> bool:
    if value is None or value == "":
        return default
    return str(value).strip().casefold() in YES


def _zone(text: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(text.strip())
    except (KeyError, ValueError):
        return None


async def _schedule_jobs(groups: Groups, conn: Any, group: Group, now: datetime) -> None:
    """(Re)compute when the tick next prompts, summarises and reminds for a channel."""
    await conn.execute("DELETE FROM group_jobs WHERE group_id = ?", (group.id,))
    kinds = ["prompt", "reminder"] + (["summary"] if group.summary else [])
    for kind in kinds:
        await conn.execute("INSERT INTO group_jobs (group_id, kind, next_due) VALUES (?, ?, ?)",
                           (group.id, kind, iso(group.plan(kind).next_after(now))))


# -- moderators --------------------------------------------------------------------------------

async def group_setup(ctx: CommandContext) -> list[Outbound]:
    return await _configure(ctx, creating=True)


async def group_settings(ctx: CommandContext) -> list[Outbound]:
    return await _configure(ctx, creating=False)


async def _configure(ctx: CommandContext, *, creating: bool) -> list[Outbound]:
    groups = groups_of(ctx.coach)
    guild_id = ctx.inbound.guild_id
    assert guild_id is not None  # server-only commands
    platform = ctx.member.platform
    channel_id = str(ctx.args.get("channel") or ctx.inbound.channel_id or "")
    current = await groups.group_in(platform, channel_id)
    if current is not None and current.guild_id != guild_id:
        current = None
    if not creating and current is None:
        listed = await groups.groups_of_guild(platform, guild_id)
        if not listed or ctx.args.get("channel"):
            return [Outbound(NOT_A_GROUP, tone=Tone.ERROR)]
        return [Outbound("Accountability channels in this server:\n"
                         + "\n".join("- " + g.describe() for g in listed)
                         + "\nChange one with /group settings channel:#name and what to "
                           "change.")]
    problems: list[str] = []
    cadence = current.cadence if current else Cadence("weekly", (0,))
    if ctx.args.get("cadence"):
        parsed = parse_cadence(str(ctx.args["cadence"]))
        if isinstance(parsed, str):
            problems.append(parsed)
        else:
            cadence = parsed
    at = current.at if current else parse_hhmm("09:00")
    if ctx.args.get("time"):
        at = parse_hhmm(str(ctx.args["time"]))
        if at is None:
            problems.append("The time looks like 09:00 or 18:30 (24-hour clock).")
    zone = current.zone if current else None
    if ctx.args.get("timezone"):
        if _zone(str(ctx.args["timezone"])) is None:
            problems.append(f"I don't know the timezone {str(ctx.args['timezone'])[:40]!r}; "
                            "use a name like Europe/Paris or America/New_York.")
        else:
            zone = str(ctx.args["timezone"]).strip()
    if zone is None:
        problems.append("Please choose the channel's timezone (timezone:Europe/Paris, for "
                        "example); check-in times follow it.")
    prompt_key = current.prompt_key if current else groups.wording.keys()[0]
    if ctx.args.get("prompt"):
        key = str(ctx.args["prompt"]).strip().casefold()
        if key not in groups.wording.prompts:
            problems.append(f"There is no prompt called {key[:30]!r}. The prompts are: "
                            + ", ".join(f"{p.key} ({p.title})"
                                        for p in groups.wording.prompts.values()) + ".")
        else:
            prompt_key = key
    summary = _on(ctx.args.get("summary"), current.summary if current else True)
    read = _on(ctx.args.get("read_messages"), current.read_messages if current else False)
    if problems:
        return [Outbound(" ".join(problems) + " Nothing was changed.", tone=Tone.ERROR)]
    assert at is not None and zone is not None
    name = current.name if current else ""
    notes: list[str] = []
    if groups.channel_check is not None:
        check = await groups.channel_check(guild_id, channel_id, read)
        if not check.found:
            return [Outbound("I can't find that channel, or I can't see it at all. Pick a text "
                             "channel of this server. Nothing was changed.", tone=Tone.ERROR)]
        if check.missing:
            return [Outbound(
                f"I can't use #{check.name} yet: I'm missing the permission"
                f"{'s' if len(check.missing) > 1 else ''} {', '.join(check.missing)} in that "
                "channel. Give my role these in the channel's settings (Edit Channel, "
                "Permissions), then run this again. Nothing was changed.", tone=Tone.ERROR)]
        name = check.name
        if read and not check.can_read_messages:
            notes.append("Reading ordinary messages for the crisis check needs the "
                         "message content intent, which this bot isn't running with. The "
                         "setting is saved; it starts working once the bot's host turns on "
                         "discord.message_content (and Message Content Intent in the "
                         "Developer Portal).")
    now = ctx.coach.clock.now()
    stamp = iso(now)
    async with ctx.coach.db.transaction() as conn:
        if current is None:
            cursor = await conn.execute(
                "INSERT INTO group_channels (platform, guild_id, channel_id, name, cadence,"
                " days, local_time, zone, prompt_key, summary, read_messages, created_by,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (platform, guild_id, channel_id, name, cadence.kind, cadence.stored_days(),
                 hhmm(at), zone, prompt_key, int(summary), int(read),
                 ctx.member.external_id, stamp, stamp))
            group_id = int(cursor.lastrowid or 0)
        else:
            group_id = current.id
            await conn.execute(
                "UPDATE group_channels SET name = ?, cadence = ?, days = ?, local_time = ?,"
                " zone = ?, prompt_key = ?, summary = ?, read_messages = ?, updated_at = ?"
                " WHERE id = ?", (name, cadence.kind, cadence.stored_days(), hhmm(at), zone,
                                  prompt_key, int(summary), int(read), stamp, group_id))
        group = Group(group_id, platform, guild_id, channel_id, name, cadence, at, zone,
                      prompt_key, summary, read)
        await _schedule_jobs(groups, conn, group, now)
    log.info("group configured guild=%s channel=%s group=%s by=%s new=%s", guild_id,
             channel_id, group_id, ctx.member.id, current is None)
    first = group.prompt_plan().next_after(now).astimezone(group.tz())
    verb = "Set up" if current is None else "Saved"
    text = (f"{verb}. {group.describe()} The next prompt: {first:%A} {first.day} {first:%B} at "
            f"{first:%H:%M}. Members join with /group join in that channel. ")
    if read:
        text += ("The crisis check reads ordinary messages there: a member who seems to be "
                 "in crisis gets a private answer, never one in the channel. ")
    return [Outbound(text.strip() + (" " + " ".join(notes) if notes else ""))]


async def group_remove(ctx: CommandContext) -> list[Outbound]:
    groups = groups_of(ctx.coach)
    channel_id = str(ctx.args.get("channel") or ctx.inbound.channel_id or "")
    group = await groups.group_in(ctx.member.platform, channel_id)
    if group is None or group.guild_id != ctx.inbound.guild_id:
        return [Outbound(NOT_A_GROUP, tone=Tone.ERROR)]
    members = await ctx.coach.db.fetchall("SELECT member_id FROM group_members WHERE"
                                          " group_id = ?", (group.id,))
    await ctx.coach.db.execute("DELETE FROM group_channels WHERE id = ?", (group.id,))
    log.info("group removed group=%s by=%s members=%s", group.id, ctx.member.id, len(members))
    note = Outbound(f"The accountability check-ins in {group.label} have ended: a moderator "
                    "turned them off. Thank you for taking part. Your own goals and reminders "
                    "are unchanged.")
    for row in members:
        member = await groups.member_by_id(row["member_id"])
        if member is not None and member.id != ctx.member.id:
            groups.tell_later(member, [note])
    return [Outbound(f"Removed. {group.label} is no longer an accountability channel; "
                     f"{len(members)} member(s) were told kindly, and the check-ins kept "
                     "for it were deleted.")]


# -- members -----------------------------------------------------------------------------------

async def _target(ctx: CommandContext, *, joined_only: bool = False
                  ) -> Group | list[Outbound]:
    """The group a member means: the `group` argument, this channel, or the only one they
    joined (in this server, when used in one)."""
    groups = groups_of(ctx.coach)
    ref = ctx.args.get("group")
    if ref not in (None, ""):
        try:
            group = await groups.group(int(str(ref).lstrip("#")))
        except ValueError:
            group = None
        if group is None or group.platform != ctx.member.platform:
            return [Outbound("I couldn't find that group. /group list shows yours.",
                             tone=Tone.ERROR)]
        if ctx.inbound.guild_id is not None and group.guild_id != ctx.inbound.guild_id:
            return [Outbound("That group belongs to another server.", tone=Tone.ERROR)]
        if joined_only and not await groups.is_member(group.id, ctx.member.id):
            return [Outbound(f"You haven't joined {group.label}. /group list shows your "
                             "groups.", tone=Tone.ERROR)]
        return group
    if ctx.inbound.guild_id is not None:
        group = await groups.group_in(ctx.member.platform, ctx.inbound.channel_id)
        if group is not None:
            return group
    mine = [g for g in await groups.joined(ctx.member.id)
            if ctx.inbound.guild_id is None or g.guild_id == ctx.inbound.guild_id]
    if len(mine) == 1:
        return mine[0]
    if not mine:
        if ctx.inbound.guild_id is not None:
            return [Outbound(NOT_A_GROUP, tone=Tone.ERROR)]
        return [Outbound("You haven't joined an accountability group yet. Use /group join in "
                         "a group's channel.", tone=Tone.ERROR)]
    return [Outbound("You're in several groups: " + ", ".join(
        f"{g.label} (group {g.id})" for g in mine) + ". Add group: and its number.",
        tone=Tone.ERROR)]


async def group_join(ctx: CommandContext) -> list[Outbound]:
    group = await _target(ctx)
    if isinstance(group, list):
        return group
    listed = _on(ctx.args.get("listed"), False)
    reminders = _on(ctx.args.get("reminders"), False)
    await ctx.coach.db.execute(
        "INSERT INTO group_members (group_id, member_id, listed, reminders, joined_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (group_id, member_id) DO UPDATE SET"
        " listed = excluded.listed, reminders = excluded.reminders",
        (group.id, ctx.member.id, int(listed), int(reminders), iso(ctx.coach.clock.now())))
    log.info("group joined group=%s member=%s", group.id, ctx.member.id)
    lines = [f"You're in {group.label} (group {group.id}). When the check-in prompt comes, "
             "press Check in: what you write is private unless you choose to post it."]
    lines.append("Your name appears in the weekly summary when you check in."
                 if listed else "Your name stays out of the weekly summary (listed:yes "
                 "changes that).")
    lines.append("If you haven't checked in by Friday evening, I'll send you one gentle "
                 "private reminder." if reminders else "No reminders (reminders:yes turns "
                 "on one gentle private reminder a week).")
    lines.append("Need a week off? /group skip. To leave: /group leave.")
    return [Outbound(" ".join(lines))]


async def group_leave(ctx: CommandContext) -> list[Outbound]:
    group = await _target(ctx, joined_only=True)
    if isinstance(group, list):
        return group
    if not await groups_of(ctx.coach).is_member(group.id, ctx.member.id):
        return [Outbound(f"You're not in {group.label}, so there is nothing to leave.")]
    await ctx.coach.db.execute("DELETE FROM group_members WHERE group_id = ? AND member_id = ?",
                               (group.id, ctx.member.id))
    log.info("group left group=%s member=%s", group.id, ctx.member.id)
    return [Outbound(f"You've left {group.label}. Thank you for taking part; you're welcome "
                     "back any time with /group join. Your past check-ins stay yours (see "
                     "/mydata).")]


async def group_skip(ctx: CommandContext) -> list[Outbound]:
    group = await _target(ctx, joined_only=True)
    if isinstance(group, list):
        return group
    if not await groups_of(ctx.coach).is_member(group.id, ctx.member.id):
        return [Outbound(f"You haven't joined {group.label}, so there is nothing to skip.",
                         tone=Tone.ERROR)]
    weeks = int(ctx.args.get("weeks") or 1)
    today = ctx.coach.clock.now().astimezone(group.tz()).date()
    monday = today - timedelta(days=today.weekday())
    until = monday + timedelta(days=7 * weeks)
    await ctx.coach.db.execute("UPDATE group_members SET skip_until = ? WHERE group_id = ? AND"
                               " member_id = ?", (until.isoformat(), group.id, ctx.member.id))
    what = "this week" if weeks == 1 else f"this week and the next {weeks - 1}"
    return [Outbound(f"Enjoy the break. I'll leave you out of {group.label}'s reminders "
                     f"{what}, until Monday {until.day} {until:%B}. You can still check in "
                     "whenever you like.")]


async def group_list(ctx: CommandContext) -> list[Outbound]:
    groups = groups_of(ctx.coach)
    mine = {g.id for g in await groups.joined(ctx.member.id)}
    if ctx.inbound.guild_id is not None:
        shown = await groups.groups_of_guild(ctx.member.platform, ctx.inbound.guild_id)
        if not shown:
            return [Outbound("This server has no accountability channels yet. A moderator "
                             "can set one up with /group setup.")]
    else:
        shown = await groups.joined(ctx.member.id)
        if not shown:
            return [Outbound("You haven't joined an accountability group yet. Use /group join "
                             "in a group's channel.")]
    lines = [f"- group {g.id}: {g.describe()}" + (" You've joined." if g.id in mine else "")
             for g in shown]
    return [Outbound("Accountability groups:\n" + "\n".join(lines))]


# -- check-ins -----------------------------------------------------------------------------------

async def group_checkin(ctx: CommandContext) -> list[Outbound]:
    """Saved privately; then the member picks Post or Keep private."""
    groups = groups_of(ctx.coach)
    group = await _target(ctx, joined_only=ctx.inbound.guild_id is None)
    if isinstance(group, list):
        return group
    text = visible(ctx.form.get("update", ""))
    if not text:
        return [Outbound("Your check-in was empty, so nothing was saved.", tone=Tone.ERROR)]
    now = ctx.coach.clock.now()
    joined_now = not await groups.is_member(group.id, ctx.member.id)
    async with ctx.coach.db.transaction() as conn:
        if joined_now:
            await conn.execute("INSERT INTO group_members (group_id, member_id, joined_at)"
                               " VALUES (?, ?, ?)", (group.id, ctx.member.id, iso(now)))
        cursor = await conn.execute(
            "INSERT INTO group_checkins (group_id, member_id, week, text, shared, source, at)"
            " VALUES (?, ?, ?, ?, 0, ?, ?)",
            (group.id, ctx.member.id, group.week_of(now), text[:1500],
             "channel" if ctx.inbound.guild_id else "dm", iso(now)))
        checkin_id = int(cursor.lastrowid or 0)
    log.info("group checkin group=%s member=%s checkin=%s", group.id, ctx.member.id,
             checkin_id)
    intro = ""
    if joined_now:
        intro = (f"You're now in {group.label} (leave any time with /group leave). ")
    return [Outbound(
        f"{intro}Saved privately. Would you like to post it in {group.label}? It would show "
        "your display name and ping no one. If you keep it private, only you can see it. "
        f"(To type it: /group share {checkin_id} post, or keep.)", tone=Tone.ASK,
        choices=SHARE_CHOICES,
        command=CommandRef(("group", "share"), (("checkin", str(checkin_id)),), "choice"))]


async def group_share(ctx: CommandContext) -> list[Outbound]:
    groups = groups_of(ctx.coach)
    try:
        checkin_id = int(str(ctx.args.get("checkin", "")).lstrip("#"))
    except ValueError:
        checkin_id = 0
    row = await ctx.coach.db.fetchone(
        "SELECT c.*, g.channel_id FROM group_checkins c JOIN group_channels g"
        " ON g.id = c.group_id WHERE c.id = ? AND c.member_id = ?", (checkin_id, ctx.member.id))
    if row is None:
        return [Outbound("I couldn't find that check-in of yours. It may have been deleted.",
                         tone=Tone.ERROR)]
    group = await groups.group(row["group_id"])
    assert group is not None
    choice = str(ctx.args.get("choice", "keep")).strip().casefold()
    if choice != "post":
        return [Outbound("Kept private. Only you can see it (it's part of /mydata export).")]
    if row["shared"]:
        return [Outbound(f"That check-in is already posted in {group.label}.")]
    if not await groups.is_member(group.id, ctx.member.id):
        return [Outbound(f"You're no longer in {group.label}, so I kept it private.",
                         tone=Tone.ERROR)]
    post = Outbound(f"Check-in from {ctx.member.display_name}:\n{row['text']}")
    result, ids = await groups.post(group.channel_id, [post])
    if result is not DeliveryResult.SENT:
        log.warning("group checkin not posted group=%s member=%s result=%s", group.id,
                    ctx.member.id, result)
        return [Outbound("I couldn't post it just now, so it's still private. Please try "
                         "the button again in a little while.", tone=Tone.ERROR)]
    stamp = iso(ctx.coach.clock.now())
    async with ctx.coach.db.transaction() as conn:
        await conn.execute("UPDATE group_checkins SET shared = 1 WHERE id = ?", (checkin_id,))
        await conn.executemany(
            "INSERT INTO group_posts (group_id, member_id, kind, platform, channel_id,"
            " message_id, at) VALUES (?, ?, 'checkin', ?, ?, ?, ?)",
            [(group.id, ctx.member.id, group.platform, group.channel_id, mid, stamp)
             for mid in ids])
    log.info("group checkin posted group=%s member=%s checkin=%s", group.id, ctx.member.id,
             checkin_id)
    return [Outbound(f"Posted in {group.label}. Thank you for sharing.")]


async def group_goal(ctx: CommandContext) -> list[Outbound]:
    """Share a goal with a group: once done, it appears in the weekly summary."""
    from bot.goals.store import get_goal
    group = await _target(ctx, joined_only=True)
    if isinstance(group, list):
        return group
    goal = await get_goal(ctx.coach.db, ctx.member.id, int(ctx.args.get("goal") or 0))
    if goal is None:
        return [Outbound("I couldn't find that goal. /goal list shows your goals and their "
                         "numbers.", tone=Tone.ERROR)]
    if _on(ctx.args.get("share"), True):
        await ctx.coach.db.execute(
            "INSERT INTO group_shared_goals (group_id, goal_id, member_id, shared_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (group_id, goal_id) DO NOTHING",
            (group.id, goal.id, ctx.member.id, iso(ctx.coach.clock.now())))
        return [Outbound(f"Goal {goal.number} is shared with {group.label}: when you finish "
                         "it, the weekly summary celebrates it with its words. Other goals "
                         "stay private. (share:no takes it back.)")]
    await ctx.coach.db.execute("DELETE FROM group_shared_goals WHERE group_id = ? AND"
                               " goal_id = ?", (group.id, goal.id))
    return [Outbound(f"Goal {goal.number} is private again: it won't appear in "
                     f"{group.label}'s summaries.")]
