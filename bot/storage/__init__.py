"""SQLite storage: one aiosqlite connection, WAL, versioned migrations, explicit transactions.

SQLite is the source of truth for everything that must survive a restart. Writes go through
`Database.transaction()`, which serialises them on the one connection so that coroutines
never interleave half-finished work.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class StorageError(Exception):
    """The database could not do what was asked (busy, full, or broken)."""


class StorageBusy(StorageError):
    pass


class StorageFull(StorageError):
    pass


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise RuntimeError(f"migration file name {path.name!r} is not NNNN_name.sql")
        found.append(Migration(int(match[1]), match[2], path.read_text(encoding="utf-8")))
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..n without gaps, found {versions}")
    return found


def translate(exc: sqlite3.Error) -> StorageError:
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return StorageBusy(str(exc))
    if "full" in text:
        return StorageFull(str(exc))
    return StorageError(str(exc))


class Database:
    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        self.conn = conn
        self.path = path
        self._lock = asyncio.Lock()
        # Counts the writes that may change what a reader holds in memory: every `write` but
        # those that cannot (`keeps_copies=True`), and every transaction that changed a row.
        # Whoever keeps rows in memory keeps them only while this number has not moved.
        self.generation = 0
        self.on_change: list[Callable[[], None]] = []  # told each time generation moves

    @classmethod
    async def open(cls, path: str | Path, *, migrate_to: int | None = None) -> Database:
        path = str(path)
        if path != ":memory:":
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240
        conn = await aiosqlite.connect(path, isolation_level=None)
        conn.row_factory = aiosqlite.Row
        db = cls(conn, path)
        try:
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA synchronous=NORMAL")
            await conn.execute("PRAGMA foreign_keys=ON")
            await conn.execute("PRAGMA busy_timeout=5000")
            # Deleted text must not linger in free pages (members' words are theirs).
            await conn.execute("PRAGMA secure_delete=ON")
            await db.migrate(migrate_to)
        except BaseException:
            await conn.close()
            raise
        return db

    async def close(self) -> None:
        await self.conn.close()

    async def schema_version(self) -> int:
        await self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            " version INTEGER NOT NULL, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
        row = await self.fetchone("SELECT MAX(version) AS v FROM schema_version")
        return int(row["v"] or 0) if row else 0

    async def migrate(self, target: int | None = None) -> int:
        current = await self.schema_version()
        for migration in migrations():
            if migration.version <= current:
                continue
            if target is not None and migration.version > target:
                break
            log.info("applying migration %04d_%s", migration.version, migration.name)
            async with self.transaction():
                for statement in split_sql(migration.sql):
                    await self.conn.execute(statement)
                await self.conn.execute(
                    "INSERT INTO schema_version(version, name, applied_at)"
                    " VALUES (?, ?, datetime('now'))", (migration.version, migration.name))
            current = migration.version
        return current

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any error; one at a time."""
        async with self._lock:
            changes = self.conn.total_changes  # a transaction that changes nothing (a
            try:  # scheduler tick with nothing due) leaves `generation` where it is
                await self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise translate(exc) from exc
            try:
                yield self.conn
            except BaseException as exc:
                self._changed_since(changes)
                try:
                    await self.conn.execute("ROLLBACK")
                except sqlite3.Error:
                    log.exception("rollback failed")
                if isinstance(exc, sqlite3.Error):
                    raise translate(exc) from exc
                raise
            else:
                # Before COMMIT is handed over: a message read after this point queues behind
                # the commit, and one read before it no longer counts as current.
                self._changed_since(changes)
                try:
                    await self.conn.execute("COMMIT")
                except sqlite3.Error as exc:
                    try:
                        await self.conn.execute("ROLLBACK")
                    except sqlite3.Error:
                        pass
                    raise translate(exc) from exc

    async def write(self, sql: str, params: Sequence[Any] = (), *, keeps_copies: bool = False
                    ) -> list[aiosqlite.Row]:
        """One write statement, atomic on its own (no BEGIN/COMMIT round trips), returning
        the rows of a RETURNING clause. Waits for any open transaction to finish first.

        `keeps_copies`: no copy held in memory can be made wrong by this statement (a
        conversation saving itself exactly as its caller holds it, or a member's own row
        written while their copy is out of memory), so `generation` stays where it is."""
        async with self._lock:
            if not keeps_copies:
                self._changed()
            try:
                return list(await self.conn.execute_fetchall(sql, params))
            except sqlite3.Error as exc:
                raise translate(exc) from exc

    def _changed_since(self, changes: int) -> None:
        if self.conn.total_changes != changes:
            self._changed()

    def _changed(self) -> None:
        self.generation += 1
        for listener in self.on_change:
            listener()

    async def checkpoint(self) -> None:
        """Move the write-ahead log into the main file and truncate it (after erasing data,
        so that old pages do not linger in the log)."""
        async with self._lock:
            await self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one write in its own transaction; returns lastrowid."""
        async with self.transaction() as conn:
            cursor = await conn.execute(sql, params)
            return cursor.lastrowid or 0

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        # One hop to the database thread (execute + fetch + close together).
        try:
            return list(await self.conn.execute_fetchall(sql, params))
        except sqlite3.Error as exc:
            raise translate(exc) from exc

    async def fetchval(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]


def split_sql(script: str) -> Iterable[str]:
    """Split a migration into statements (no semicolons inside literals in our migrations;
    a trigger's BEGIN ... END body stays whole)."""
    lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
    pending = ""
    for part in "\n".join(lines).split(";"):
        pending = f"{pending};{part}" if pending else part
        statement = pending.strip()
        if statement.upper().startswith("CREATE TRIGGER") and not re.search(
                r"\bEND$", statement, re.IGNORECASE):
            continue
        pending = ""
        if statement:
            yield statement
    if pending.strip():
        raise RuntimeError("a migration ends inside a trigger body (BEGIN without END)")
