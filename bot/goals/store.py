"""Goals as stored: numbered per member (the numbers members see), never database ids."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import aiosqlite

from bot.clock import iso

if TYPE_CHECKING:
    from bot.storage import Database

GOAL_STATUSES = ("active", "done", "paused", "dropped")
LIFE_AREAS = ("relationships", "spirituality", "health", "career", "finances", "fun",
              "growth", "environment")


@dataclass(frozen=True, slots=True)
class Goal:
    id: int
    member_id: int
    number: int
    what: str
    why: str | None
    measure: str | None
    plan: str | None
    due_date: str | None
    area: str | None
    status: str
    session_id: int | None
    created_at: str
    updated_at: str


def goal_from_row(row: Any) -> Goal:
    return Goal(**{name: row[name] for name in Goal.__slots__})


async def create_goal(conn: aiosqlite.Connection, member_id: int, fields: dict[str, str | None],
                      now: datetime, *, session_id: int | None = None) -> int:
    """Store a goal inside the caller's transaction; returns the member's goal number."""
    async with conn.execute("SELECT COALESCE(MAX(number), 0) + 1 FROM goals WHERE member_id = ?",
                            (member_id,)) as cursor:
        row = await cursor.fetchone()
    number = int(row[0]) if row else 1
    stamp = iso(now)
    cursor = await conn.execute(
        "INSERT INTO goals (member_id, number, what, why, measure, plan, due_date, area, status,"
        " session_id, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?)",
        (member_id, number, fields["what"], fields.get("why"), fields.get("measure"),
         fields.get("plan"), fields.get("due"), normalise_area(fields.get("area")),
         session_id, stamp, stamp))
    source = "conversation" if session_id is not None else "command"
    await conn.execute("INSERT INTO goal_events (goal_id, member_id, at, kind, detail)"
                       " VALUES (?, ?, ?, 'created', ?)",
                       (cursor.lastrowid, member_id, stamp, json.dumps({"from": source})))
    return number


def normalise_area(text: str | None) -> str | None:
    if not text:
        return None
    key = text.strip().lower().replace("personal ", "").replace(" ", "_")
    return key if key in LIFE_AREAS else text.strip()[:60]


# -- reading and changing goals (the numbers members see, never database ids) -----------------

EDITABLE = ("what", "why", "measure", "plan", "due_date", "area")


@dataclass(frozen=True, slots=True)
class CheckIn:
    id: int
    goal_id: int
    at: str
    progress: int
    note: str | None
    helped: str | None


def checkin_from_row(row: Any) -> CheckIn:
    return CheckIn(**{name: row[name] for name in CheckIn.__slots__})


async def list_goals(db: Database, member_id: int, *, status: str | None = None) -> list[Goal]:
    if status is None:
        records = await db.fetchall("SELECT * FROM goals WHERE member_id = ? ORDER BY number",
                                    (member_id,))
    else:
        records = await db.fetchall("SELECT * FROM goals WHERE member_id = ? AND status = ?"
                                    " ORDER BY number", (member_id, status))
    return [goal_from_row(r) for r in records]


async def get_goal(db: Database, member_id: int, number: int) -> Goal | None:
    row = await db.fetchone("SELECT * FROM goals WHERE member_id = ? AND number = ?",
                            (member_id, number))
    return goal_from_row(row) if row else None


async def add_event(conn: aiosqlite.Connection, goal: Goal, kind: str, detail: dict[str, Any],
                    now: datetime) -> None:
    await conn.execute("INSERT INTO goal_events (goal_id, member_id, at, kind, detail)"
                       " VALUES (?, ?, ?, ?, ?)",
                       (goal.id, goal.member_id, iso(now), kind,
                        json.dumps(detail, ensure_ascii=False)))


async def update_goal(db: Database, goal: Goal, changes: dict[str, str | None], now: datetime,
                      *, kind: str = "edited") -> Goal:
    """Change some fields and record the old and new values in the goal's history."""
    changes = {k: v for k, v in changes.items() if getattr(goal, k) != v}
    if not changes:
        return goal
    unknown = set(changes) - set(EDITABLE) - {"status"}
    if unknown:
        raise ValueError(f"not goal fields: {sorted(unknown)}")
    assignments = ", ".join(f"{name} = ?" for name in changes)  # names checked above
    async with db.transaction() as conn:
        await conn.execute(f"UPDATE goals SET {assignments}, updated_at = ? WHERE id = ?",  # noqa: S608
                           (*changes.values(), iso(now), goal.id))
        detail = {k: [getattr(goal, k), v] for k, v in changes.items()}
        await add_event(conn, goal, kind, detail, now)
    updated = await db.fetchone("SELECT * FROM goals WHERE id = ?", (goal.id,))
    assert updated is not None
    return goal_from_row(updated)


async def add_learned(db: Database, goal: Goal, text: str, now: datetime) -> None:
    async with db.transaction() as conn:
        await add_event(conn, goal, "learned", {"text": text}, now)


async def delete_goal(db: Database, goal: Goal) -> None:
    """The goal, its check-ins and its history (cascade) are gone."""
    await db.execute("DELETE FROM goals WHERE id = ?", (goal.id,))


async def add_checkin(db: Database, goal: Goal, progress: int, note: str | None, now: datetime,
                      *, source: str = "command") -> int:
    return await db.execute(
        "INSERT INTO checkins (goal_id, member_id, at, progress, note, source)"
        " VALUES (?, ?, ?, ?, ?, ?)", (goal.id, goal.member_id, iso(now), progress, note, source))


async def set_helped(db: Database, member_id: int, checkin_id: int, text: str) -> None:
    await db.execute("UPDATE checkins SET helped = ? WHERE id = ? AND member_id = ?",
                     (text, checkin_id, member_id))


async def checkins(db: Database, goal_id: int, *, limit: int | None = None) -> list[CheckIn]:
    """A goal's check-ins, oldest first (the latest `limit` of them)."""
    records = await db.fetchall(
        "SELECT * FROM (SELECT * FROM checkins WHERE goal_id = ? ORDER BY at DESC, id DESC"
        " LIMIT ?) ORDER BY at, id", (goal_id, -1 if limit is None else limit))
    return [checkin_from_row(r) for r in records]


async def checkin_times(db: Database, member_id: int) -> list[str]:
    return [r[0] for r in await db.fetchall(
        "SELECT at FROM checkins WHERE member_id = ? ORDER BY at", (member_id,))]


async def history(db: Database, goal_id: int) -> list[dict[str, Any]]:
    records = await db.fetchall("SELECT at, kind, detail FROM goal_events WHERE goal_id = ?"
                                " ORDER BY at, id", (goal_id,))
    return [{"at": r["at"], "kind": r["kind"], "detail": json.loads(r["detail"])}
            for r in records]
