"""Conversation sessions as stored: where each member is, and what they answered."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiosqlite

from bot.clock import iso
from bot.storage import Database, StorageError

# Saves of the usual kind (position, answers and state; nothing else changed) that arrive
# together are written by one statement: one trip to the database thread, one commit.
# UPDATE ... FROM and RETURNING need SQLite 3.35 (as the member upsert does); an older
# library saves one statement at a time.
_BATCH_ROW = "(?, ?, ?, ?, ?, ?, ?)"
_BATCH = ("WITH saved(id, member_id, version, step_id, answers, state, updated_at) AS"
          " (VALUES {rows}) UPDATE sessions SET step_id = saved.step_id,"
          " answers = saved.answers, state = saved.state, updated_at = saved.updated_at,"
          " version = saved.version + 1 FROM saved WHERE sessions.id = saved.id"
          " AND sessions.member_id = saved.member_id AND sessions.version = saved.version"
          " RETURNING sessions.id")
_PADDING = (None,) * 7  # matches no row; rounds batch sizes to a few statement shapes
BATCH_LIMIT = 256
BATCHES = sqlite3.sqlite_version_info >= (3, 35, 0)
OPEN_STATUSES = ("active", "paused", "crisis")
ENDED_STATUSES = ("finished", "stopped", "abandoned")


class SessionChanged(StorageError):
    """The conversation was changed by someone else since it was read: nothing was saved,
    and the member is asked to send their answer again (it is then read afresh)."""


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
    version: int = 0  # moved on by every change to the row (see migration 0005)
    # What the row held when read or last saved: a save writes only what changed since.
    stored: tuple[str, str, str, str] | None = field(default=None, repr=False, compare=False)
    # True once saved exactly as held here (set by the engine after its last save).
    synced: bool = field(default=False, repr=False, compare=False)

    @classmethod
    def from_json(cls, text: str) -> Session:
        """A session from the JSON object `bot.members` selects with a member (answers,
        stack and state are nested in it, so one parse reads them all)."""
        row = json.loads(text)
        session = cls(id=row["id"], member_id=row["member_id"], flow_id=row["flow_id"],
                      flow_hash=row["flow_hash"], step_id=row["step_id"],
                      answers=row["answers"], stack=row["stack"], state=row["state"],
                      status=row["status"], language=row["language"],
                      started_at=row["started_at"], updated_at=row["updated_at"],
                      version=row["version"])
        session.stored = _columns(session)
        return session

    @property
    def history(self) -> list[str]:
        return self.state.setdefault("history", [])


def _columns(session: Session) -> tuple[str, str, str, str]:
    """The columns that change only now and then, as they would be stored."""
    return (session.flow_id, session.flow_hash, session.status,
            _dumps(session.stack) if session.stack else "[]")


def _batch_row(session: Session, now: datetime) -> tuple[Any, ...] | None:
    """The row a batched save writes, or None when more than position, answers and state
    changed (that save needs the full statement)."""
    if _columns(session) != session.stored:
        return None
    session.updated_at = iso(now)
    row = (session.id, session.member_id, session.version, session.step_id,
           _dumps(session.answers), _dumps(session.state), session.updated_at)
    session.version += 1
    return row


_dumps = json.JSONEncoder(ensure_ascii=False).encode  # one encoder, not one per save


def _session(row: Any) -> Session:
    session = Session(id=row["id"], member_id=row["member_id"], flow_id=row["flow_id"],
                      flow_hash=row["flow_hash"], step_id=row["step_id"],
                      answers=json.loads(row["answers"]), stack=json.loads(row["stack"]),
                      state=json.loads(row["state"]), status=row["status"],
                      language=row["language"], started_at=row["started_at"],
                      updated_at=row["updated_at"], version=row["version"])
    session.stored = _columns(session)
    return session


class Sessions:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._pending: dict[int, tuple[tuple[Any, ...], asyncio.Future[bool]]] = {}
        self._flusher: asyncio.Task[None] | None = None

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

    async def store(self, session: Session, now: datetime) -> None:
        """Save a session on its own, outside any transaction (after an answer).

        The usual save joins the others that arrive in the same turn of the event loop and
        is written with them in one statement; each row still changes only at the version
        it was read at (`SessionChanged` otherwise)."""
        row = _batch_row(session, now) if BATCHES else None
        if row is None:
            saved = bool(await self.db.write(*self.save_statement(session, now),
                                             keeps_copies=True))
        else:
            saved = await self._batched(session.id, row)
        if not saved:
            raise SessionChanged(f"session {session.id} changed since it was read")

    async def _batched(self, session_id: int, row: tuple[Any, ...]) -> bool:
        while session_id in self._pending:  # one row per session in a statement, in order
            await asyncio.wait([self._pending[session_id][1]])
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending[session_id] = (row, future)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush())
            self._flusher.add_done_callback(self._flush_ended)
        # Shielded: a member's message cancelled here still has its save written, and the
        # flush goes on for everyone else.
        return await asyncio.shield(future)

    async def _flush(self) -> None:
        """Write what is pending, then what arrived meanwhile, until nothing is left."""
        while self._pending:
            pending, self._pending = list(self._pending.items()), {}
            try:
                for start in range(0, len(pending), BATCH_LIMIT):
                    await self._write(pending[start:start + BATCH_LIMIT])
            finally:
                for _, (_, future) in pending:  # interrupted: nobody is left waiting
                    if not future.done():
                        future.set_exception(StorageError("the save was interrupted"))

    async def _write(self, chunk: list[tuple[int, tuple[tuple[Any, ...], asyncio.Future[bool]]]]
                     ) -> None:
        size = 1 << (len(chunk) - 1).bit_length()
        params = [value for _, (row, _) in chunk for value in row]
        params += _PADDING * (size - len(chunk))
        try:
            rows = await self.db.write(_BATCH.format(rows=", ".join([_BATCH_ROW] * size)),
                                       params, keeps_copies=True)
        except Exception as exc:
            for _, (_, future) in chunk:
                if not future.done():
                    future.set_exception(exc)
            return
        saved = {row[0] for row in rows}
        for session_id, (_, future) in chunk:
            if not future.done():
                future.set_result(session_id in saved)

    def _flush_ended(self, task: asyncio.Task[None]) -> None:
        """A flush cancelled before it ran (at shutdown) leaves no save waiting for ever."""
        if task.cancelled() and task is self._flusher:
            pending, self._pending = self._pending, {}
            for _, future in pending.values():
                if not future.done():
                    future.set_exception(StorageError("the save was interrupted"))

    async def drain(self) -> None:
        """Wait for the saves already handed over (before the database closes)."""
        if self._flusher is not None and not self._flusher.done():
            await asyncio.wait([self._flusher])

    @staticmethod
    async def save(conn: aiosqlite.Connection, session: Session, now: datetime) -> None:
        saved = await conn.execute_fetchall(*Sessions.save_statement(session, now))
        if not saved:
            raise SessionChanged(f"session {session.id} changed since it was read")

    @staticmethod
    def save_statement(session: Session, now: datetime) -> tuple[str, tuple[Any, ...]]:
        """The UPDATE that stores the session. Answers, state and position change with every
        answer; the conversation, its file hash, its status and the call stack only now and
        then, and leaving them out when unchanged spares the indexes on them.

        It changes the row only if nobody else changed it since it was read (its version is
        still the one read, and it is still this member's: ids of deleted rows come back)
        and returns its id then; no row means `SessionChanged`."""
        session.updated_at = iso(now)
        columns = _columns(session)
        sets = ["step_id = ?", "answers = ?", "state = ?", "updated_at = ?", "version = ?"]
        values: list[Any] = [session.step_id, _dumps(session.answers), _dumps(session.state),
                             session.updated_at, session.version + 1]
        if columns != session.stored:
            ended = session.updated_at if session.status in ENDED_STATUSES else None
            sets += ["flow_id = ?", "flow_hash = ?", "status = ?", "stack = ?", "ended_at = ?"]
            values += [*columns, ended]
        session.stored = columns
        values += [session.id, session.member_id, session.version]
        session.version += 1
        return ("UPDATE sessions SET " + ", ".join(sets)  # noqa: S608 - constant column names
                + " WHERE id = ? AND member_id = ? AND version = ? RETURNING id",
                tuple(values))

    async def set_status(self, session_id: int, status: str, now: datetime) -> None:
        ended = iso(now) if status in ENDED_STATUSES else None
        await self.db.execute("UPDATE sessions SET status = ?, updated_at = ?, ended_at = ?"
                              " WHERE id = ?", (status, iso(now), ended, session_id))
