"""Conversation sessions as stored: where each member is, and what they answered."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiosqlite

from bot.clock import iso
from bot.storage import Database

OPEN_STATUSES = ("active", "paused", "crisis")


@dataclass
class Session:
    id: int
    member_id: int
    flow_id: str
    flow_hash: str
    step_id: str
    answers: dict[str, Any] = field(default_factory=dict)
    stack: list[dict[str, Any]] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)
    status: str = "active"
    language: str | None = None
    started_at: str = ""
    updated_at: str = ""

    @classmethod
    def from_json(cls, text: str) -> Session:
        """A session from the JSON object `bot.members.ACTIVE_SESSION_JSON` selects."""
        return _session(json.loads(text))

    @property
    def history(self) -> list[str]:
        return self.state.setdefault("history", [])


def _session(row: Any) -> Session:
    return Session(id=row["id"], member_id=row["member_id"], flow_id=row["flow_id"],
                   flow_hash=row["flow_hash"], step_id=row["step_id"],
                   answers=json.loads(row["answers"]), stack=json.loads(row["stack"]),
                   state=json.loads(row["state"]), status=row["status"],
                   language=row["language"], started_at=row["started_at"],
                   updated_at=row["updated_at"])


class Sessions:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, session_id: int) -> Session | None:
        row = await self.db.fetchone("SELECT * FROM sessions WHERE id = ?", (session_id,))
        return _session(row) if row else None

    async def active(self, member_id: int) -> Session | None:
        row = await self.db.fetchone(
            "SELECT * FROM sessions WHERE member_id = ? AND status = 'active'"
            " ORDER BY id DESC LIMIT 1", (member_id,))
        return _session(row) if row else None

    async def resumable(self, member_id: int, *, include_crisis: bool = False) -> Session | None:
        """The most recent unfinished conversation (crisis-paused ones only when asked)."""
        statuses = ("active", "paused", "crisis") if include_crisis else ("active", "paused")
        marks = ", ".join("?" for _ in statuses)
        row = await self.db.fetchone(
            f"SELECT * FROM sessions WHERE member_id = ? AND status IN ({marks})"  # noqa: S608
            " ORDER BY updated_at DESC, id DESC LIMIT 1", (member_id, *statuses))
        return _session(row) if row else None

    async def create(self, conn: aiosqlite.Connection, member_id: int, flow_id: str,
                     flow_hash: str, step_id: str, language: str | None, now: datetime
                     ) -> Session:
        stamp = iso(now)
        # One conversation at a time: any other open one is paused, not lost.
        await conn.execute("UPDATE sessions SET status = 'paused', updated_at = ?"
                           " WHERE member_id = ? AND status = 'active'", (stamp, member_id))
        cursor = await conn.execute(
            "INSERT INTO sessions (member_id, flow_id, flow_hash, step_id, status, language,"
            " started_at, updated_at) VALUES (?, ?, ?, ?, 'active', ?, ?, ?)",
            (member_id, flow_id, flow_hash, step_id, language, stamp, stamp))
        return Session(id=cursor.lastrowid or 0, member_id=member_id, flow_id=flow_id,
                       flow_hash=flow_hash, step_id=step_id, language=language,
                       started_at=stamp, updated_at=stamp)

    @staticmethod
    async def save(conn: aiosqlite.Connection, session: Session, now: datetime) -> None:
        await conn.execute(*Sessions.save_statement(session, now))

    @staticmethod
    def save_statement(session: Session, now: datetime) -> tuple[str, tuple[Any, ...]]:
        session.updated_at = iso(now)
        ended = session.updated_at if session.status in ("finished", "stopped", "abandoned") \
            else None
        return (
            "UPDATE sessions SET flow_id = ?, flow_hash = ?, step_id = ?, answers = ?, stack = ?,"
            " state = ?, status = ?, updated_at = ?, ended_at = ? WHERE id = ?",
            (session.flow_id, session.flow_hash, session.step_id,
             json.dumps(session.answers, ensure_ascii=False),
             json.dumps(session.stack, ensure_ascii=False),
             json.dumps(session.state, ensure_ascii=False), session.status,
             session.updated_at, ended, session.id))

    async def set_status(self, session_id: int, status: str, now: datetime) -> None:
        ended = iso(now) if status in ("finished", "stopped", "abandoned") else None
        await self.db.execute("UPDATE sessions SET status = ?, updated_at = ?, ended_at = ?"
                              " WHERE id = ?", (status, iso(now), ended, session_id))
