"""Goals as stored: numbered per member (the numbers members see), never database ids."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from bot.clock import iso

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
    await conn.execute(
        "INSERT INTO goals (member_id, number, what, why, measure, plan, due_date, area, status,"
        " session_id, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?)",
        (member_id, number, fields["what"], fields.get("why"), fields.get("measure"),
         fields.get("plan"), fields.get("due"), normalise_area(fields.get("area")),
         session_id, stamp, stamp))
    return number


def normalise_area(text: str | None) -> str | None:
    if not text:
        return None
    key = text.strip().lower().replace("personal ", "").replace(" ", "_")
    return key if key in LIFE_AREAS else text.strip()[:60]
