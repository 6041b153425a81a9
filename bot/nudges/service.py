"""Nudges: members' check-in schedules, the tick that sends what is due, and quick answers.

SQLite is the source of truth. Each schedule has an indexed `next_due` (UTC). `tick(now)`
claims due schedules a batch at a time and, in the same transaction, advances them to their
next occurrence and records the occurrence being sent as `in_flight`; only then are the
messages handed to the delivery queue. A crash can therefore affect only messages that were
in flight: on the next start they are sent again with the same nonce (schedule id and
occurrence time), which the platform uses to drop a duplicate.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.clock import iso, parse_iso
from bot.delivery import Delivery, DeliveryResult
from bot.members import Member
from bot.messages import Choice, CommandRef, Outbound, Tone
from bot.nudges.queue import DeliveryQueue, TokenBucket
from bot.nudges.schedule import Cadence, Plan, hhmm, out_of_quiet, parse_hhmm, wall_to_utc
from bot.nudges.wording import Wording, load_wording

if TYPE_CHECKING:
    from bot.app import Coach

log = logging.getLogger(__name__)

MEMBER_COLUMNS = [f.name for f in fields(Member)]
MAX_ATTEMPTS = 3
WRITE_SLICE = 25  # rows per executemany call
YIELD_EVERY = 20  # rows handled between yields to the event loop (about 2 ms of work)
EVENING = time(19, 0)
ANSWERED_STATES = {"answered": "You already answered this check-in. Thank you!",
                   "skipped": "This check-in was skipped, so there is nothing to answer.",
                   "stopped": "These reminders were stopped. Set them again with /nudge set.",
                   "dropped": "This check-in is too old to answer. The next one will come "
                              "as usual."}


@dataclass
class TickResult:
    claimed: int = 0  # schedules and waiting occurrences taken in this tick
    queued: int = 0  # nudges handed to the delivery queue
    coalesced: int = 0  # missed occurrences folded into the one sent
    dropped: int = 0  # missed occurrences older than the catch-up window
    skipped_paused: int = 0  # members in a crisis pause
    skipped_unreachable: int = 0  # members whose DMs are closed
    skipped_no_goals: int = 0  # no active goal in the schedule's scope
    resent: int = 0  # in flight when the process stopped; sent again with the same nonce
    rezoned: int = 0  # schedules moved to the member's new timezone
    batches: int = 0


@dataclass(frozen=True, slots=True)
class Schedule:
    id: int
    member_id: int
    cadence: Cadence
    at: time
    zone: str
    goals: str  # "all" or "1,3"
    quiet: tuple[time, time] | None
    status: str
    next_due: datetime | None

    def plan(self, zone: str | None = None) -> Plan:
        return Plan(self.cadence, self.at, ZoneInfo(zone or self.zone), self.quiet)

    @classmethod
    def from_row(cls, row: Any) -> Schedule:
        quiet = None
        if row["quiet_start"] and row["quiet_end"]:
            start, end = parse_hhmm(row["quiet_start"]), parse_hhmm(row["quiet_end"])
            assert start is not None and end is not None
            quiet = (start, end)
        at = parse_hhmm(row["local_time"])
        assert at is not None
        return cls(row["id"], row["member_id"], Cadence.stored(row["cadence"], row["days"]), at,
                   row["zone"], row["goals"], quiet, row["status"],
                   parse_iso(row["next_due"]) if row["next_due"] else None)


def nonce_for(schedule_id: int, occurrence: datetime, snoozes: int = 0) -> str:
    """At most 25 characters (Discord's limit), the same every time for one occurrence."""
    minutes = int(occurrence.timestamp()) // 60
    return f"n{schedule_id}-{minutes}" + (f"s{snoozes}" if snoozes else "")


def in_scope(goals: Sequence[tuple[int, int, str]], spec: str) -> list[tuple[int, int, str]]:
    if spec == "all":
        return list(goals)
    wanted = {int(n) for n in spec.split(",") if n.strip().isdigit()}
    return [g for g in goals if g[1] in wanted]


def short(text: str, limit: int = 200) -> str:
    text = text.replace("\n", " ").strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


QUICK_ANSWERS = (*[Choice(f"progress:{n}", str(n)) for n in range(11)],
                 Choice("done", "Done!"), Choice("snooze:hour", "Snooze 1 hour"),
                 Choice("snooze:evening", "This evening"), Choice("snooze:tomorrow", "Tomorrow"),
                 Choice("skip", "Skip this one"), Choice("stop", "Stop these reminders"))


def parse_answer(text: str) -> tuple[str, int | None] | None:
    """A quick answer from a button value or typed words; None if it isn't one."""
    word = " ".join(text.casefold().replace(":", " ").replace("/10", " ").split())
    word = word.removeprefix("progress ").strip()
    if word.isdigit():
        n = int(word)
        return ("progress", n) if 0 <= n <= 10 else None
    if word in ("done", "finished", "did it"):
        return "done", None
    if word in ("snooze", "snooze hour", "snooze 1 hour", "1 hour", "hour", "1h", "later"):
        return "snooze:hour", None
    if word in ("snooze evening", "evening", "this evening", "tonight"):
        return "snooze:evening", None
    if word in ("snooze tomorrow", "tomorrow"):
        return "snooze:tomorrow", None
    if word in ("skip", "skip this one", "not now"):
        return "skip", None
    if word in ("stop", "stop these reminders", "stop this reminder", "stop reminders"):
        return "stop", None
    return None


# Other features' scheduled work (group prompts, summaries, reminders): called once per tick
# with the time and the one delivery queue; returns how many messages it queued.
DueWork = Callable[[datetime, DeliveryQueue], Awaitable[int]]


class Nudger:
    def __init__(self, coach: Coach, wording: Wording | None = None) -> None:
        self.coach = coach
        self.db = coach.db
        self.config = coach.config.nudges
        self.wording = wording or load_wording()
        self.queue: DeliveryQueue | None = None
        self.due_work: list[DueWork] = []
        self._recovered = False
        # Members with a notice waiting, so that the router's per-message check costs no
        # database round trip for everyone else. Loaded once; every insert adds to it.
        self._with_notices: set[int] | None = None

    def attach(self, delivery: Delivery, *, bucket: TokenBucket | None = None
               ) -> DeliveryQueue:
        """Send through `delivery` (the transport's port), paced by one queue."""
        self.queue = DeliveryQueue(delivery, self.config.rate_per_second, bucket=bucket)
        self.queue.start()
        return self.queue

    # -- schedules ----------------------------------------------------------------------------

    async def schedule(self, member_id: int) -> Schedule | None:
        row = await self.db.fetchone("SELECT * FROM nudge_schedules WHERE member_id = ?",
                                     (member_id,))
        return Schedule.from_row(row) if row else None

    async def set(self, member: Member, cadence: Cadence, at: time, goals: str,
                  quiet: tuple[time, time] | None) -> Schedule:
        assert member.timezone
        now = self.coach.clock.now()
        plan = Plan(cadence, at, ZoneInfo(member.timezone), quiet)
        stamp = iso(now)
        await self.db.execute(
            "INSERT INTO nudge_schedules (member_id, cadence, days, local_time, zone, goals,"
            " quiet_start, quiet_end, status, next_due, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?)"
            " ON CONFLICT (member_id) DO UPDATE SET cadence = excluded.cadence,"
            " days = excluded.days, local_time = excluded.local_time, zone = excluded.zone,"
            " goals = excluded.goals, quiet_start = excluded.quiet_start,"
            " quiet_end = excluded.quiet_end, status = 'active', next_due = excluded.next_due,"
            " updated_at = excluded.updated_at",
            (member.id, cadence.kind, cadence.stored_days(), hhmm(at), member.timezone, goals,
             hhmm(quiet[0]) if quiet else None, hhmm(quiet[1]) if quiet else None,
             iso(plan.next_after(now)), stamp, stamp))
        schedule = await self.schedule(member.id)
        assert schedule is not None
        return schedule

    async def change_status(self, member_id: int, status: str) -> Schedule | None:
        """pause, resume (active) or stop, at once: nudges waiting or queued are cancelled."""
        schedule = await self.schedule(member_id)
        if schedule is None:
            return None
        now = self.coach.clock.now()
        member = await self.coach.members.get(member_id)
        next_due = None
        if status == "active":
            zone = member.timezone if member and member.timezone else schedule.zone
            next_due = iso(schedule.plan(zone).next_after(now))
        async with self.db.transaction() as conn:
            await conn.execute("UPDATE nudge_schedules SET status = ?, next_due = ?,"
                               " updated_at = ? WHERE id = ?",
                               (status, next_due, iso(now), schedule.id))
            if status != "active":
                ended = "stopped" if status == "stopped" else "skipped"
                await conn.execute("UPDATE nudge_occurrences SET state = ?, updated_at = ?"
                                   " WHERE schedule_id = ? AND state IN ('due', 'in_flight')",
                                   (ended, iso(now), schedule.id))
        return await self.schedule(member_id)

    # -- the tick -----------------------------------------------------------------------------

    async def tick(self, now: datetime) -> TickResult:
        """Claim what is due at `now`, advance it, and hand the messages to the queue."""
        result = TickResult()
        if self.queue is None:
            raise RuntimeError("attach a delivery before ticking")
        if not self._recovered:
            await self._recover(result)
            self._recovered = True
        await self._rezone(now, result)
        for claim in (self._claim_schedules, self._claim_waiting):
            while True:
                jobs, full = await claim(now, result)
                result.batches += 1
                for job in jobs:
                    self.queue.submit(job)
                result.queued += len(jobs)
                await asyncio.sleep(0)  # let other work run between batches
                if not full:
                    break
        for work in self.due_work:
            try:
                result.queued += await work(now, self.queue)
            except Exception:
                log.exception("scheduled work failed: %s", getattr(work, "__qualname__", "?"))
        if result.queued or result.dropped:
            log.info("nudge tick queued=%s coalesced=%s dropped=%s paused=%s unreachable=%s",
                     result.queued, result.coalesced, result.dropped, result.skipped_paused,
                     result.skipped_unreachable)
        return result

    async def _rezone(self, now: datetime, result: TickResult) -> None:
        records = await self.db.fetchall(
            "SELECT s.*, m.timezone AS member_zone FROM nudge_schedules s"
            " JOIN members m ON m.id = s.member_id WHERE s.status = 'active'"
            " AND m.timezone IS NOT NULL AND m.timezone IS NOT s.zone")
        if not records:
            return
        async with self.db.transaction() as conn:
            for row in records:
                schedule = Schedule.from_row(row)
                try:
                    plan = schedule.plan(row["member_zone"])
                except (KeyError, ValueError):
                    continue
                await conn.execute("UPDATE nudge_schedules SET zone = ?, next_due = ?"
                                   " WHERE id = ?", (row["member_zone"],
                                                     iso(plan.next_after(now)), schedule.id))
                result.rezoned += 1

    async def _claim_schedules(self, now: datetime, result: TickResult
                               ) -> tuple[list[NudgeSend], bool]:
        batch = self.config.batch_size
        window = timedelta(hours=self.config.catchup_hours)
        jobs: list[NudgeSend] = []
        async with self.db.transaction() as conn:
            async with conn.execute(
                    "SELECT s.id AS s_id, s.cadence, s.days, s.local_time, s.zone, s.goals,"
                    " s.quiet_start, s.quiet_end, s.next_due, s.sent_count, m.*"
                    " FROM nudge_schedules s JOIN members m ON m.id = s.member_id"
                    " WHERE s.status = 'active' AND s.next_due <= ? ORDER BY s.next_due LIMIT ?",
                    (iso(now), batch)) as cursor:
                records = list(await cursor.fetchall())
            result.claimed += len(records)
            member_ids = sorted({r["id"] for r in records})
            goals = await self._active_goals(conn, member_ids)
            advance: list[tuple[str, int, int]] = []
            occurrences: list[tuple[Any, ...]] = []
            notices: list[tuple[int, int]] = []
            pending: list[tuple[Member, int, tuple[int, int, str], datetime]] = []
            ids: dict[tuple[int, str], int] = {}
            stamp = iso(now)
            for i, row in enumerate(records):
                if i % YIELD_EVERY == YIELD_EVERY - 1:
                    await asyncio.sleep(0)  # keep the loop responsive inside a batch
                member = Member(**{c: row[c] for c in MEMBER_COLUMNS})
                plan = Plan(Cadence.stored(row["cadence"], row["days"]),
                            parse_hhmm(row["local_time"]) or time(9), ZoneInfo(row["zone"]),
                            _quiet(row))
                latest, count = plan.latest_until(parse_iso(row["next_due"]), now)
                following = plan.next_after(max(latest, now))
                sent_count = row["sent_count"]
                scope = in_scope(goals.get(member.id, []), row["goals"])
                if member.reminders_paused(now):
                    result.skipped_paused += 1
                elif member.unreachable_since:
                    result.skipped_unreachable += 1
                elif now - latest > window:
                    result.dropped += count
                    notices.append((member.id, count))
                elif not scope:
                    result.skipped_no_goals += 1
                else:
                    result.coalesced += count - 1
                    goal = scope[sent_count % len(scope)]
                    sent_count += 1
                    nonce = nonce_for(row["s_id"], latest)
                    occurrences.append((row["s_id"], member.id, iso(latest), goal[0], iso(latest),
                                        nonce, stamp))
                    pending.append((member, row["s_id"], goal, latest))
                advance.append((iso(following), sent_count, row["s_id"]))
            await write_many(conn, "UPDATE nudge_schedules SET next_due = ?, sent_count = ?"
                             " WHERE id = ?", advance)
            if occurrences:
                await write_many(
                    conn, "INSERT INTO nudge_occurrences (schedule_id, member_id, occurrence,"
                    " goal_id, state, due_at, nonce, updated_at)"
                    " VALUES (?, ?, ?, ?, 'in_flight', ?, ?, ?)"
                    " ON CONFLICT (schedule_id, occurrence) DO NOTHING", occurrences)
                ids = await self._occurrence_ids(conn, [(o[0], o[2]) for o in occurrences])
            for member_id, count in notices:
                self._noted(member_id)
                await conn.execute(
                    "INSERT INTO member_notices (member_id, kind, count, created_at)"
                    " VALUES (?, 'missed', ?, ?) ON CONFLICT (member_id, kind)"
                    " DO UPDATE SET count = count + excluded.count", (member_id, count, stamp))
        for i, (member, schedule_id, goal, latest) in enumerate(pending):
            if i % YIELD_EVERY == YIELD_EVERY - 1:
                await asyncio.sleep(0)
            occurrence_id = ids.get((schedule_id, iso(latest)))
            if occurrence_id is not None:
                jobs.append(self._job(member, occurrence_id, goal[1], goal[2],
                                      nonce_for(schedule_id, latest)))
        return jobs, len(records) == batch

    async def _claim_waiting(self, now: datetime, result: TickResult
                             ) -> tuple[list[NudgeSend], bool]:
        """Snoozed nudges and retries whose time has come."""
        batch = self.config.batch_size
        window = timedelta(hours=self.config.catchup_hours)
        jobs = []
        async with self.db.transaction() as conn:
            async with conn.execute(
                    "SELECT o.id AS o_id, o.schedule_id, o.occurrence, o.due_at, o.snoozes,"
                    " o.goal_id, g.number, g.what, m.* FROM nudge_occurrences o"
                    " JOIN members m ON m.id = o.member_id"
                    " LEFT JOIN goals g ON g.id = o.goal_id"
                    " WHERE o.state = 'due' AND o.due_at <= ? ORDER BY o.due_at LIMIT ?",
                    (iso(now), batch)) as cursor:
                records = list(await cursor.fetchall())
            result.claimed += len(records)
            updates = []
            for row in records:
                member = Member(**{c: row[c] for c in MEMBER_COLUMNS})
                state = "in_flight"
                if member.reminders_paused(now):
                    state, result.skipped_paused = "skipped", result.skipped_paused + 1
                elif member.unreachable_since:
                    state = "unreachable"
                    result.skipped_unreachable += 1
                elif now - parse_iso(row["due_at"]) > window:
                    state, result.dropped = "dropped", result.dropped + 1
                elif row["number"] is None:
                    state, result.skipped_no_goals = "skipped", result.skipped_no_goals + 1
                else:
                    nonce = nonce_for(row["schedule_id"], parse_iso(row["occurrence"]),
                                      row["snoozes"])
                    jobs.append(self._job(member, row["o_id"], row["number"], row["what"],
                                          nonce))
                updates.append((state, iso(now), row["o_id"]))
            await write_many(conn, "UPDATE nudge_occurrences SET state = ?, updated_at = ?"
                             " WHERE id = ?", updates)
        return jobs, len(records) == batch

    async def _recover(self, result: TickResult) -> None:
        """Occurrences in flight when the process stopped: send again, same nonce."""
        records = await self.db.fetchall(
            "SELECT o.id AS o_id, o.nonce, g.number, g.what, m.* FROM nudge_occurrences o"
            " JOIN members m ON m.id = o.member_id LEFT JOIN goals g ON g.id = o.goal_id"
            " WHERE o.state = 'in_flight' ORDER BY o.due_at")
        assert self.queue is not None
        for row in records:
            if row["number"] is None:
                continue
            member = Member(**{c: row[c] for c in MEMBER_COLUMNS})
            self.queue.submit(self._job(member, row["o_id"], row["number"], row["what"],
                                        row["nonce"]))
            result.resent += 1
        if records:
            log.info("resending nudges in flight at the last stop count=%s", result.resent)

    @staticmethod
    async def _active_goals(conn: Any, member_ids: list[int]
                            ) -> dict[int, list[tuple[int, int, str]]]:
        goals: dict[int, list[tuple[int, int, str]]] = {}
        if not member_ids:
            return goals
        marks = ",".join("?" * len(member_ids))
        async with conn.execute(
                "SELECT id, member_id, number, what FROM goals WHERE status = 'active'"  # noqa: S608
                f" AND member_id IN ({marks}) ORDER BY member_id, number", member_ids) as cursor:
            for row in await cursor.fetchall():
                goals.setdefault(row[1], []).append((row[0], row[2], row[3]))
        return goals

    @staticmethod
    async def _occurrence_ids(conn: Any, keys: list[tuple[int, str]]
                              ) -> dict[tuple[int, str], int]:
        wanted = set(keys)
        schedule_ids = sorted({k[0] for k in keys})
        marks = ",".join("?" * len(schedule_ids))
        async with conn.execute(
                "SELECT id, schedule_id, occurrence FROM nudge_occurrences"  # noqa: S608
                f" WHERE schedule_id IN ({marks}) AND state = 'in_flight'",
                schedule_ids) as cursor:
            return {(r[1], r[2]): r[0] for r in await cursor.fetchall()
                    if (r[1], r[2]) in wanted}

    # -- sending ------------------------------------------------------------------------------

    def message(self, member: Member, occurrence_id: int, number: int, what: str
                ) -> list[Outbound]:
        question = self.wording.question(occurrence_id, name=member.display_name,
                                         number=number, goal=short(what))
        how = (f"\nQuick answers: a number from 0 to 10, done, snooze (1 hour, this evening, "
               f"tomorrow), skip, or stop. To type one: /nudge answer {occurrence_id} 7")
        return [Outbound(question + how, tone=Tone.ASK, choices=QUICK_ANSWERS,
                         command=CommandRef(("nudge", "answer"),
                                            (("nudge", str(occurrence_id)),), "answer"))]

    def _job(self, member: Member, occurrence_id: int, number: int, what: str, nonce: str
             ) -> NudgeSend:
        return NudgeSend(self, occurrence_id, number, what, nonce)

    async def _still_wanted(self, occurrence_id: int) -> Member | None:
        """Checked just before sending: stop, pause and a crisis pause act at once."""
        row = await self.db.fetchone(
            "SELECT o.state, s.status, m.* FROM nudge_occurrences o"
            " JOIN nudge_schedules s ON s.id = o.schedule_id"
            " JOIN members m ON m.id = o.member_id WHERE o.id = ?", (occurrence_id,))
        if row is None or row["state"] != "in_flight" or row["status"] != "active":
            return None
        member = Member(**{c: row[c] for c in MEMBER_COLUMNS})
        now = self.coach.clock.now()
        if member.reminders_paused(now) or member.unreachable_since:
            await self.db.execute("UPDATE nudge_occurrences SET state = 'skipped',"
                                  " updated_at = ? WHERE id = ?", (iso(now), occurrence_id))
            return None
        return member

    async def _record(self, member: Member, occurrence_id: int, outcome: DeliveryResult
                      ) -> None:
        """The transport's answer: sent, unreachable (no retries) or a passing fault."""
        now = self.coach.clock.now()
        stamp = iso(now)
        async with self.db.transaction() as conn:
            if outcome is DeliveryResult.SENT:
                await conn.execute("UPDATE nudge_occurrences SET state = 'sent', updated_at = ?,"
                                   " attempts = attempts + 1 WHERE id = ? AND state ="
                                   " 'in_flight'", (stamp, occurrence_id))
            elif outcome is DeliveryResult.UNREACHABLE:
                log.info("member unreachable by DM member=%s", member.id)
                await conn.execute("UPDATE nudge_occurrences SET state = 'unreachable',"
                                   " updated_at = ? WHERE id = ?", (stamp, occurrence_id))
                await conn.execute("UPDATE members SET unreachable_since ="
                                   " COALESCE(unreachable_since, ?) WHERE id = ?",
                                   (stamp, member.id))
                self._noted(member.id)
                await conn.execute(
                    "INSERT INTO member_notices (member_id, kind, only_in_server, created_at)"
                    " VALUES (?, 'unreachable', 1, ?) ON CONFLICT (member_id, kind) DO NOTHING",
                    (member.id, stamp))
            else:
                async with conn.execute("SELECT attempts FROM nudge_occurrences WHERE id = ?",
                                        (occurrence_id,)) as cursor:
                    row = await cursor.fetchone()
                attempts = (row[0] if row else 0) + 1
                if attempts < MAX_ATTEMPTS:
                    await conn.execute(
                        "UPDATE nudge_occurrences SET state = 'due', attempts = ?, due_at = ?,"
                        " updated_at = ? WHERE id = ?",
                        (attempts, iso(now + timedelta(minutes=5 * attempts)), stamp,
                         occurrence_id))
                else:
                    await conn.execute("UPDATE nudge_occurrences SET state = 'failed',"
                                       " attempts = ?, updated_at = ? WHERE id = ?",
                                       (attempts, stamp, occurrence_id))

    # -- quick answers ------------------------------------------------------------------------

    async def answer(self, member: Member, nudge_ref: str | int, choice: str
                     ) -> list[Outbound]:
        from bot.goals import store
        from bot.goals.commands import celebrate, record_checkin
        try:
            occurrence_id = int(str(nudge_ref).strip().lstrip("#"))
        except ValueError:
            occurrence_id = 0
        row = await self.db.fetchone(
            "SELECT o.*, s.local_time, s.status AS s_status, s.next_due, s.zone"
            " FROM nudge_occurrences o JOIN nudge_schedules s ON s.id = o.schedule_id"
            " WHERE o.id = ? AND o.member_id = ?", (occurrence_id, member.id))
        if row is None:
            return [Outbound("I couldn't find that check-in. Your reminders are in /nudge "
                             "show; you can check in any time with /goal checkin.",
                             tone=Tone.ERROR)]
        if row["state"] in ANSWERED_STATES:
            return [Outbound(ANSWERED_STATES[row["state"]])]
        parsed = parse_answer(choice)
        if parsed is None:
            return [Outbound("Answer with a number from 0 to 10, done, snooze, this evening, "
                             "tomorrow, skip or stop.", tone=Tone.ERROR)]
        kind, value = parsed
        now = self.coach.clock.now()
        goal = None
        if row["goal_id"] is not None:
            found = await self.db.fetchone("SELECT number FROM goals WHERE id = ?",
                                           (row["goal_id"],))
            goal = await store.get_goal(self.db, member.id, found[0]) if found else None
        if kind in ("progress", "done") and goal is None:
            await self._set_state(occurrence_id, "answered", choice, now)
            return [Outbound("That goal no longer exists, so nothing was saved.")]
        if kind == "stop":
            await self.change_status(member.id, "stopped")
            return [Outbound(self.wording.reply("stop"))]
        if kind == "skip":
            await self._set_state(occurrence_id, "skipped", "skip", now)
            return [Outbound(self.wording.reply("skip"))]
        if kind.startswith("snooze"):
            return await self._snooze(member, row, kind.split(":")[1], now)
        await self._set_state(occurrence_id, "answered", kind if value is None else str(value),
                              now)
        assert goal is not None
        if kind == "done":
            if goal.status != "done":
                goal = await store.update_goal(self.db, goal, {"status": "done"}, now,
                                               kind="status")
            return celebrate(self.coach, member, goal)
        assert value is not None
        out = await record_checkin(self.coach, member, goal, value, None, source="nudge")
        return [Outbound(self.wording.reply("progress")), *out]

    async def _set_state(self, occurrence_id: int, state: str, answer: str, now: datetime
                         ) -> None:
        await self.db.execute("UPDATE nudge_occurrences SET state = ?, answer = ?,"
                              " updated_at = ? WHERE id = ?",
                              (state, answer[:40], iso(now), occurrence_id))

    async def _snooze(self, member: Member, row: Any, which: str, now: datetime
                      ) -> list[Outbound]:
        """Ask again later; the schedule's own next occurrence does not move."""
        zone = ZoneInfo(member.timezone or row["zone"])
        local = now.astimezone(zone)
        if which == "evening" and local.time() < time(18, 0):
            target = wall_to_utc(local.date(), EVENING, zone)
        elif which == "tomorrow":
            at = parse_hhmm(row["local_time"]) or time(9)
            target = wall_to_utc(local.date() + timedelta(days=1), at, zone)
        else:
            target = now + timedelta(hours=1)
        schedule = await self.schedule(member.id)
        if schedule is not None:
            target = out_of_quiet(target, zone, schedule.quiet)
        when_local = target.astimezone(zone)
        if when_local.date() == local.date():
            when = f"at {when_local:%H:%M}"
        else:
            when = f"tomorrow at {when_local:%H:%M}"
        next_due = parse_iso(row["next_due"]) if row["next_due"] else None
        if row["s_status"] == "active" and next_due is not None and target >= next_due:
            await self._set_state(row["id"], "skipped", f"snooze:{which}", now)
            nxt = next_due.astimezone(zone)
            return [Outbound(f"Your next check-in comes sooner than that ({nxt:%a} at "
                             f"{nxt:%H:%M}), so I'll ask you then.")]
        await self.db.execute(
            "UPDATE nudge_occurrences SET state = 'due', due_at = ?, snoozes = snoozes + 1,"
            " answer = ?, updated_at = ? WHERE id = ?",
            (iso(target), f"snooze:{which}", iso(now), row["id"]))
        return [Outbound(self.wording.reply("snooze", when=when))]

    # -- notices ------------------------------------------------------------------------------

    def _noted(self, member_id: int) -> None:
        if self._with_notices is not None:
            self._with_notices.add(member_id)

    async def notices(self, member: Member, where: str) -> list[Outbound]:
        """Shown before the reply to a member's next message."""
        if self._with_notices is None:
            rows = await self.db.fetchall("SELECT DISTINCT member_id FROM member_notices")
            self._with_notices = {row[0] for row in rows}
        if member.id not in self._with_notices:
            return []
        records = await self.db.fetchall(
            "SELECT id, kind, count FROM member_notices WHERE member_id = ?", (member.id,))
        out = []
        kept = False
        for row in records:
            if row["kind"] == "missed":
                n = row["count"]
                what = "a check-in reminder" if n == 1 else f"{n} check-in reminders"
                out.append(Outbound(f"While I was offline, {what} couldn't go out in time, so "
                                    "I let them go rather than send them late. Your reminders "
                                    "carry on as usual."))
            elif row["kind"] == "unreachable":
                if member.unreachable_since is None:
                    pass  # they can be reached again: nothing to say
                elif where == "server":
                    out.append(Outbound(
                        "I couldn't send your check-in reminders because your direct messages "
                        "are closed to me. To get them, allow direct messages from this "
                        "server's members in its privacy settings and send me a message. To "
                        "turn them off instead, use /nudge stop."))
                else:
                    kept = True
                    continue
            await self.db.execute("DELETE FROM member_notices WHERE id = ?", (row["id"],))
        if not kept:
            self._with_notices.discard(member.id)
        return out


async def write_many(conn: Any, sql: str, params: Sequence[tuple[Any, ...]]) -> None:
    """executemany in small slices: the database thread holds the GIL for most of a long
    executemany, which would stall the event loop; between slices the loop runs."""
    for start in range(0, len(params), WRITE_SLICE):
        await conn.executemany(sql, params[start:start + WRITE_SLICE])


class NudgeSend:
    """A nudge waiting in the delivery queue: small, because thousands may wait at once (the
    member and the message are read when its turn comes)."""

    __slots__ = ("member", "nonce", "number", "nudger", "occurrence_id", "what")

    def __init__(self, nudger: Nudger, occurrence_id: int, number: int, what: str,
                 nonce: str) -> None:
        self.nudger, self.occurrence_id, self.number = nudger, occurrence_id, number
        self.what, self.nonce = what, nonce
        self.member: Member | None = None

    async def prepare(self) -> tuple[Member, Sequence[Outbound], str | None] | None:
        member = await self.nudger._still_wanted(self.occurrence_id)
        if member is None:
            return None
        self.member = member
        return member, self.nudger.message(member, self.occurrence_id, self.number,
                                           self.what), self.nonce

    async def done(self, result: DeliveryResult) -> None:
        assert self.member is not None
        await self.nudger._record(self.member, self.occurrence_id, result)


def _quiet(row: Any) -> tuple[time, time] | None:
    if row["quiet_start"] and row["quiet_end"]:
        start, end = parse_hhmm(row["quiet_start"]), parse_hhmm(row["quiet_end"])
        if start is not None and end is not None:
            return start, end
    return None
