"""What the goals feature stores about a member, to export and to delete."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import aiosqlite

from bot.datarights import rows

if TYPE_CHECKING:
    from bot.app import Coach
    from bot.storage import Database


async def export_goals(db: Database, member_id: int) -> Any:
    goals = rows(await db.fetchall("SELECT * FROM goals WHERE member_id = ? ORDER BY number",
                                   (member_id,)), drop=("member_id",))
    events = await db.fetchall("SELECT goal_id, at, kind, detail FROM goal_events"
                               " WHERE member_id = ? ORDER BY at, id", (member_id,))
    for goal in goals:
        goal["history"] = [{"at": e["at"], "kind": e["kind"], "detail": json.loads(e["detail"])}
                           for e in events if e["goal_id"] == goal["id"]]
    return goals


async def delete_goals(conn: aiosqlite.Connection, member_id: int) -> None:
    await conn.execute("DELETE FROM goal_events WHERE member_id = ?", (member_id,))
    await conn.execute("DELETE FROM goals WHERE member_id = ?", (member_id,))


async def export_checkins(db: Database, member_id: int) -> Any:
    return rows(await db.fetchall(
        "SELECT g.number AS goal, c.at, c.progress, c.note, c.helped, c.source"
        " FROM checkins c JOIN goals g ON g.id = c.goal_id WHERE c.member_id = ?"
        " ORDER BY c.at, c.id", (member_id,)))


async def delete_checkins(conn: aiosqlite.Connection, member_id: int) -> None:
    await conn.execute("DELETE FROM checkins WHERE member_id = ?", (member_id,))


def register_data(coach: Coach) -> None:
    rights = coach.datarights
    rights.register("goals", stores="your goals (what, why, measure, plan, due date, life "
                    "area, status) and their history of changes", export=export_goals,
                    delete=delete_goals)
    rights.register("checkins", stores="your check-ins: progress from 0 to 10, notes and what "
                    "helped, with their times", export=export_checkins, delete=delete_checkins)
