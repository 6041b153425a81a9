"""/nudge set, show, pause, resume, stop and answer: reminders are off until a member asks."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import aiosqlite

from bot.commands import CommandContext, Param
from bot.datarights import rows
from bot.messages import Outbound, Tone
from bot.nudges.schedule import Cadence, hhmm, parse_cadence, parse_hhmm, parse_quiet
from bot.nudges.scheduler import NudgeScheduler
from bot.nudges.service import Nudger, Schedule

if TYPE_CHECKING:
    from bot.app import Coach
    from bot.members import Member
    from bot.storage import Database

NEEDS_TIMEZONE = ("I need your timezone first, so reminders come at your local time. Set it "
                  "with /timezone followed by its name, for example /timezone Europe/Paris, "
                  "then run /nudge set again.")
NOTHING_SET = "You have no reminders set. Start them with /nudge set daily 09:00."


def nudger_of(coach: Coach) -> Nudger:
    nudger = getattr(coach, "nudger", None)
    if nudger is None:
        raise RuntimeError("the nudges feature is not registered")
    return nudger


async def answer_nudge(coach: Coach, member: Member, nudge_ref: str | int, choice: str
                       ) -> list[Outbound]:
    """A quick answer to a nudge (a pressed button or a typed answer)."""
    return await nudger_of(coach).answer(member, nudge_ref, choice)


async def start_scheduler(coach: Coach) -> NudgeScheduler:
    """Start ticking; call `await scheduler.stop()` when the transport shuts down."""
    scheduler = NudgeScheduler(coach, nudger_of(coach))
    await scheduler.start()
    return scheduler


def describe(schedule: Schedule) -> str:
    goals = "all your active goals" if schedule.goals == "all" else (
        "goal " + schedule.goals if "," not in schedule.goals
        else "goals " + schedule.goals.replace(",", ", "))
    text = (f"Check-in reminders {schedule.cadence.words()} at {hhmm(schedule.at)} "
            f"({schedule.zone} time), about {goals}.")
    if schedule.quiet:
        text += f" Quiet hours: {hhmm(schedule.quiet[0])} to {hhmm(schedule.quiet[1])}."
    return text


def next_words(schedule: Schedule) -> str:
    if schedule.next_due is None:
        return ""
    from zoneinfo import ZoneInfo
    local = schedule.next_due.astimezone(ZoneInfo(schedule.zone))
    return f" The next one: {local:%A} {local.day} {local:%B} at {local:%H:%M}."


def parse_goals(text: str) -> str | None:
    word = text.strip().casefold()
    if word in ("", "all", "every", "everything"):
        return "all"
    parts = [p.lstrip("#") for p in re.split(r"[,\s]+", word) if p]
    if parts and all(p.isdigit() and 0 < int(p) < 100000 for p in parts):
        return ",".join(str(n) for n in sorted({int(p) for p in parts}))
    return None


async def nudge_set(ctx: CommandContext) -> list[Outbound]:
    member = ctx.member
    if not member.timezone:
        return [Outbound(NEEDS_TIMEZONE, tone=Tone.ERROR)]
    cadence = parse_cadence(str(ctx.args.get("cadence", "")))
    at = parse_hhmm(str(ctx.args.get("time", "")))
    goals = parse_goals(str(ctx.args.get("goals") or ""))
    quiet = parse_quiet(str(ctx.args.get("quiet") or ""))
    problems = []
    if isinstance(cadence, str):
        problems.append(cadence)
    if at is None:
        problems.append("The time looks like 09:00 or 18:30 (24-hour clock, your local time).")
    if goals is None:
        problems.append("Goals are all, or goal numbers like 1,3 (see /goal list).")
    if isinstance(quiet, str):
        problems.append(quiet)
    if problems:
        return [Outbound(" ".join(problems) + " Nothing was changed. Example: /nudge set "
                         "days:mon,wed,fri 08:30 all 22:00-07:00", tone=Tone.ERROR)]
    assert isinstance(cadence, Cadence) and at is not None and goals is not None
    assert not isinstance(quiet, str)
    from bot.goals.store import list_goals
    active = {g.number for g in await list_goals(ctx.coach.db, member.id, status="active")}
    schedule = await nudger_of(ctx.coach).set(member, cadence, at, goals, quiet)
    text = "Saved. " + describe(schedule) + next_words(schedule)
    if goals == "all" and not active:
        text += (" You have no active goals yet, so nothing will come until you add one with "
                 "/goal add.")
    elif goals != "all":
        missing = [n for n in map(int, goals.split(",")) if n not in active]
        if missing:
            text += (" Not active right now, so left out until they are: "
                     + ", ".join(map(str, missing)) + ".")
    text += " Change it any time: /nudge pause, /nudge resume or /nudge stop."
    return [Outbound(text)]


async def nudge_show(ctx: CommandContext) -> list[Outbound]:
    schedule = await nudger_of(ctx.coach).schedule(ctx.member.id)
    if schedule is None or schedule.status == "stopped":
        return [Outbound(NOTHING_SET)]
    text = describe(schedule)
    if schedule.status == "paused":
        text += " They are paused: /nudge resume starts them again."
    else:
        text += next_words(schedule)
    if not ctx.member.timezone:
        text += " " + NEEDS_TIMEZONE
    return [Outbound(text)]


async def _status(ctx: CommandContext, status: str, already: str, done: str
                  ) -> list[Outbound]:
    nudger = nudger_of(ctx.coach)
    schedule = await nudger.schedule(ctx.member.id)
    if schedule is None or (schedule.status == "stopped" and status != "stopped"):
        return [Outbound(NOTHING_SET)]
    if schedule.status == status:
        return [Outbound(already)]
    updated = await nudger.change_status(ctx.member.id, status)
    assert updated is not None
    return [Outbound(done + (next_words(updated) if status == "active" else ""))]


async def nudge_pause(ctx: CommandContext) -> list[Outbound]:
    return await _status(ctx, "paused", "Your reminders are already paused.",
                         "Paused. No reminders until you type /nudge resume.")


async def nudge_resume(ctx: CommandContext) -> list[Outbound]:
    return await _status(ctx, "active", "Your reminders are already on.",
                         "Your reminders are back on.")


async def nudge_stop(ctx: CommandContext) -> list[Outbound]:
    return await _status(ctx, "stopped", "Your reminders are already off.",
                         "Stopped: no more reminders. Set them again any time with /nudge set.")


async def nudge_answer(ctx: CommandContext) -> list[Outbound]:
    return await answer_nudge(ctx.coach, ctx.member, ctx.args.get("nudge", ""),
                              str(ctx.args.get("answer", "")))


# -- data rights -------------------------------------------------------------------------------

async def export_nudges(db: Database, member_id: int) -> Any:
    schedule = rows(await db.fetchall(
        "SELECT cadence, days, local_time, zone, goals, quiet_start, quiet_end, status,"
        " next_due, created_at, updated_at FROM nudge_schedules WHERE member_id = ?",
        (member_id,)))
    sent = rows(await db.fetchall(
        "SELECT occurrence, state, answer, snoozes, updated_at FROM nudge_occurrences"
        " WHERE member_id = ? ORDER BY occurrence", (member_id,)))
    notices = rows(await db.fetchall(
        "SELECT kind, count, created_at FROM member_notices WHERE member_id = ?", (member_id,)))
    return {"schedule": schedule[0] if schedule else None, "nudges": sent, "notices": notices}


async def delete_nudges(conn: aiosqlite.Connection, member_id: int) -> None:
    await conn.execute("DELETE FROM nudge_occurrences WHERE member_id = ?", (member_id,))
    await conn.execute("DELETE FROM nudge_schedules WHERE member_id = ?", (member_id,))
    await conn.execute("DELETE FROM member_notices WHERE member_id = ?", (member_id,))


def register(coach: Coach) -> None:
    nudger = Nudger(coach)
    coach.nudger = nudger  # type: ignore[attr-defined]
    assert coach.router is not None
    coach.router.notice_sources.append(nudger.notices)
    add = coach.registry.command
    add("nudge", "set", summary="Choose when I check in on your goals (off until you ask)",
        params=(Param("cadence", "daily, weekdays, days:mon,wed,fri or weekly:sun"),
                Param("time", "Local time, like 09:00"),
                Param("goals", "all, or goal numbers like 1,3", required=False),
                Param("quiet", "Quiet hours, like 22:00-07:00, or off",
                      required=False)))(nudge_set)
    add("nudge", "show", summary="See your check-in reminders")(nudge_show)
    add("nudge", "pause", summary="Pause your check-in reminders")(nudge_pause)
    add("nudge", "resume", summary="Turn paused reminders back on")(nudge_resume)
    add("nudge", "stop", summary="Stop your check-in reminders")(nudge_stop)
    add("nudge", "answer", summary="Answer a check-in reminder (its buttons do this for you)",
        params=(Param("nudge", "The reminder's number, shown in it", kind="integer"),
                Param("answer", "0 to 10, done, snooze, evening, tomorrow, skip or stop")
                ))(nudge_answer)
    coach.datarights.register("nudges", stores="your reminder schedule (days, time, timezone, "
                              "goals, quiet hours) and each reminder's answer, without text",
                              export=export_nudges, delete=delete_nudges)
