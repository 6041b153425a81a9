"""Storage: migrations from an empty file and from every earlier version, and the pragmas."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.storage import Database, StorageError, migrations


def schema(path: Path) -> set[tuple[str, str]]:
    with sqlite3.connect(path) as conn:
        return {(r[0], r[1]) for r in conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL"
            " AND name != 'schema_version'")}


async def test_a_new_file_gets_every_migration_and_the_pragmas(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "new.sqlite3")
    try:
        assert await db.schema_version() == len(migrations())
        assert await db.fetchval("PRAGMA journal_mode") == "wal"
        assert await db.fetchval("PRAGMA foreign_keys") == 1
        assert await db.fetchval("PRAGMA synchronous") == 1  # NORMAL
    finally:
        await db.close()


@pytest.mark.parametrize("start", range(1, len(migrations())))
async def test_upgrading_from_every_earlier_version_gives_the_same_schema(
        tmp_path: Path, start: int) -> None:
    fresh = tmp_path / "fresh.sqlite3"
    await (await Database.open(fresh)).close()
    old = tmp_path / "old.sqlite3"
    db = await Database.open(old, migrate_to=start)
    assert await db.schema_version() == start
    await db.execute("INSERT INTO members (platform, external_id, display_name, created_at,"
                     " last_seen_at) VALUES ('terminal', 'sam', 'Sam', 'x', 'x')")
    await db.close()
    db = await Database.open(old)
    try:
        assert await db.schema_version() == len(migrations())
        assert await db.fetchval("SELECT display_name FROM members") == "Sam"
    finally:
        await db.close()
    assert schema(old) == schema(fresh)


async def test_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    path = tmp_path / "again.sqlite3"
    await (await Database.open(path)).close()
    db = await Database.open(path)
    try:
        assert await db.fetchval("SELECT COUNT(*) FROM schema_version") == len(migrations())
    finally:
        await db.close()


async def test_a_failed_transaction_leaves_nothing_half_written(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "tx.sqlite3")
    try:
        with pytest.raises(StorageError):
            async with db.transaction() as conn:
                await conn.execute("INSERT INTO members (platform, external_id, created_at,"
                                   " last_seen_at) VALUES ('t', '1', 'x', 'x')")
                await conn.execute("INSERT INTO members (platform, external_id, created_at,"
                                   " last_seen_at) VALUES ('t', '1', 'x', 'x')")  # duplicate
        assert await db.fetchval("SELECT COUNT(*) FROM members") == 0
    finally:
        await db.close()
