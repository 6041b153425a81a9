"""The groups' scheduled work, run by the one scheduler tick: check-in prompts in channels,
the weekly summary, and the one gentle reminder a week by DM.

What is due lives in `group_jobs` (indexed by `next_due`). Each job is advanced to its next
occurrence in the same transaction that claims it, before anything is handed to the paced
delivery queue; an occurrence missed for longer than the catch-up window is let go rather
than posted late.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.clock import iso, parse_iso
from bot.delivery import DeliveryResult
from bot.goals.progress import in_words, parse_times, weekly_streak
from bot.groups.core import Group, groups_of
from bot.members import Member
from bot.messages import Choice, CommandRef, Outbound
from bot.nudges.queue import Job

if TYPE_CHECKING:
    from bot.app import Coach
    from bot.nudges.queue import DeliveryQueue

log = logging.getLogger(__name__)

BATCH = 200
MEMBER_COLUMNS = Member.__slots__


def checkin_button(group: Group) -> tuple[tuple[Choice, ...], CommandRef]:
    return (Choice(str(group.id), "Check in"),), CommandRef(("group", "checkin"), (), "group")


def nonce(kind: str, group_id: int, when: datetime, member_id: int = 0) -> str:
    """At most 25 characters, the same every time for one occurrence."""
    minutes = int(when.timestamp()) // 60
    return f"g{kind[0]}{group_id}-{member_id}-{minutes}"[:25]


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


async def run_due(coach: Coach, now: datetime, queue: DeliveryQueue) -> int:
    """Claim every due group job and queue its messages; returns how many were queued."""
    window = timedelta(hours=coach.config.nudges.catchup_hours)
    queued = 0
    while True:
        claimed: list[tuple[str, Group, datetime]] = []
        async with coach.db.transaction() as conn:
            async with conn.execute(
                    "SELECT j.kind, j.next_due, g.* FROM group_jobs j JOIN group_channels g"
                    " ON g.id = j.group_id WHERE j.next_due <= ? ORDER BY j.next_due LIMIT ?",
                    (iso(now), BATCH)) as cursor:
                rows = list(await cursor.fetchall())
            for row in rows:
                group = Group.from_row(row)
                plan = group.plan(row["kind"])
                latest, _count = plan.latest_until(parse_iso(row["next_due"]), now)
                await conn.execute("UPDATE group_jobs SET next_due = ? WHERE group_id = ? AND"
                                   " kind = ?", (iso(plan.next_after(now)), group.id,
                                                 row["kind"]))
                if now - latest <= window:
                    claimed.append((row["kind"], group, latest))
                else:
                    log.info("group job let go (too late) group=%s kind=%s", group.id,
                             row["kind"])
        for kind, group, when in claimed:
            try:
                if kind == "prompt":
                    queued += _prompt(coach, queue, group, when)
                elif kind == "summary":
                    queued += await _summary(coach, queue, group, when)
                else:
                    queued += await _reminders(coach, queue, group, when)
            except Exception:
                log.exception("group job failed group=%s kind=%s", group.id, kind)
        if len(rows) < BATCH:
            return queued


def _prompt(coach: Coach, queue: DeliveryQueue, group: Group, when: datetime) -> int:
    wording = groups_of(coach).wording
    choices, ref = checkin_button(group)
    message = Outbound(wording.prompt(group.prompt_key).text, choices=choices, command=ref)
    queue.submit(Job(None, [message], nonce("prompt", group.id, when),
                     channel_id=group.channel_id))
    log.info("group prompt queued group=%s", group.id)
    return 1


async def summary_lines(coach: Coach, group: Group, now: datetime
                        ) -> tuple[list[str], list[int]]:
    """The weekly summary's lines and the members it names.

    Named: members who agreed to be listed and checked in this week (with their streak), and
    the goals members chose to share with this group that they finished this week. Nothing
    else: no private check-in text, no goal that was not shared.
    """
    week = group.week_of(now)
    week_start = datetime.fromisoformat(week).replace(tzinfo=group.tz())
    db = coach.db
    rows = await db.fetchall(
        "SELECT DISTINCT m.id, m.display_name FROM group_checkins c"
        " JOIN group_members gm ON gm.group_id = c.group_id AND gm.member_id = c.member_id"
        " JOIN members m ON m.id = c.member_id"
        " WHERE c.group_id = ? AND c.week = ? AND gm.listed = 1 ORDER BY m.display_name",
        (group.id, week))
    lines: list[str] = []
    named: list[int] = []
    if rows:
        lines.append("Checked in this week:")
        for row in rows:
            times = parse_times([r[0] for r in await db.fetchall(
                "SELECT at FROM group_checkins WHERE group_id = ? AND member_id = ?",
                (group.id, row["id"]))])
            streak = weekly_streak(times, now, group.tz())
            plural = "week" if streak.weeks == 1 else "weeks"
            lines.append(f"- {row['display_name']}: {in_words(streak.weeks)} {plural} in a row")
            named.append(row["id"])
    goals = await db.fetchall(
        "SELECT m.id, m.display_name, g.what FROM group_shared_goals s"
        " JOIN goals g ON g.id = s.goal_id JOIN members m ON m.id = s.member_id"
        " JOIN group_members gm ON gm.group_id = s.group_id AND gm.member_id = s.member_id"
        " WHERE s.group_id = ? AND g.status = 'done' AND g.updated_at >= ?"
        " ORDER BY m.display_name, g.number", (group.id, iso(week_start)))
    if goals:
        lines.append("Goals finished this week:")
        for goal in goals:
            lines.append(f"- {goal['display_name']}: {_short(goal['what'])}")
            named.append(goal["id"])
    return lines, sorted(set(named))


async def _summary(coach: Coach, queue: DeliveryQueue, group: Group, when: datetime) -> int:
    lines, named = await summary_lines(coach, group, when)
    if not lines:
        log.info("group summary skipped (nothing to share) group=%s", group.id)
        return 0
    text = groups_of(coach).wording.summary_intro + "\n" + "\n".join(lines)
    ids: list[str] = []

    async def after(result: DeliveryResult) -> None:
        if result is not DeliveryResult.SENT or not ids:
            return
        stamp = iso(coach.clock.now())
        async with coach.db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO group_posts (group_id, member_id, kind, platform, channel_id,"
                " message_id, at) SELECT ?, id, 'summary', ?, ?, ?, ? FROM members"
                " WHERE id = ?",
                [(group.id, group.platform, group.channel_id, mid, stamp, member_id)
                 for member_id in named for mid in ids])
    queue.submit(Job(None, [Outbound(text)], nonce("summary", group.id, when), after=after,
                     channel_id=group.channel_id, sent_ids=ids))
    log.info("group summary queued group=%s named=%s", group.id, len(named))
    return 1


async def _reminders(coach: Coach, queue: DeliveryQueue, group: Group, when: datetime) -> int:
    """One gentle DM to each member who asked for it and hasn't checked in this week."""
    week = group.week_of(when)
    today = when.astimezone(group.tz()).date().isoformat()
    rows = await coach.db.fetchall(
        "SELECT m.* FROM group_members gm JOIN members m ON m.id = gm.member_id"
        " WHERE gm.group_id = ? AND gm.reminders = 1"
        " AND (gm.skip_until IS NULL OR gm.skip_until <= ?)"
        " AND NOT EXISTS (SELECT 1 FROM group_checkins c WHERE c.group_id = gm.group_id"
        " AND c.member_id = gm.member_id AND c.week = ?)", (group.id, today, week))
    choices, ref = checkin_button(group)
    text = groups_of(coach).wording.reminder + f" (This is about {group.label}.)"
    count = 0
    for row in rows:
        member = _member(row)
        if member.reminders_paused(when) or member.unreachable_since:
            continue

        async def still_wanted(member: Member = member) -> bool:
            fresh = await coach.members.get(member.id)
            return fresh is not None and not fresh.reminders_paused(coach.clock.now())
        queue.submit(Job(member, [Outbound(text, choices=choices, command=ref)],
                         nonce("reminder", group.id, when, member.id), before=still_wanted))
        count += 1
    if count:
        log.info("group reminders queued group=%s count=%s", group.id, count)
    return count


def _member(row: Any) -> Member:
    values = {name: row[name] for name in MEMBER_COLUMNS}
    values["onboarded"] = bool(values["onboarded"])
    values["alert_consent"] = bool(values["alert_consent"])
    return Member(**values)
