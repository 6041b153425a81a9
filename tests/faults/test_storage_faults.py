"""SQLite busy or full: the member is asked to try again and nothing is half-written."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.config import Config
from bot.messages import Tone
from bot.router import TRY_AGAIN
from tests.privacy.helpers import Talk, open_coach, table_dump, write_flows


@pytest.fixture
def flows(tmp_path: Path) -> Path:
    return write_flows(tmp_path / "flows")


async def at_third_question(coach) -> Talk:
    sam = Talk(coach)
    await sam("/coach start diary")
    await sam("a friend laughed")
    assert "Q3:" in await sam("7")
    return sam


def assert_try_again(replies) -> None:
    assert len(replies) == 1 and replies[0].text == TRY_AGAIN
    assert replies[0].tone == Tone.ERROR and "Please try again" in replies[0].text


async def test_database_locked_by_another_writer(config: Config, clock: FakeClock,
                                                 flows: Path) -> None:
    async with open_coach(config, clock, flows) as coach:
        sam = await at_third_question(coach)
        before = await table_dump(coach)
        await coach.db.conn.execute("PRAGMA busy_timeout=50")  # keep the test short
        other = sqlite3.connect(config.database, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # holds the write lock past the timeout
            for text in ("patience", "/settings timezone Europe/Paris", "/coach stop"):
                assert_try_again(await sam.send(text))
            # Asking for confirmation needs no write; the erasure itself waits for the lock.
            assert "Type yes to confirm" in (await sam.send("/mydata delete"))[0].text
            assert_try_again(await sam.send("yes"))
            other.execute("ROLLBACK")
        finally:
            other.close()
        assert await table_dump(coach) == before
        session = await sam.session()
        assert session.step_id == "lesson" and session.answers == {"win": "a friend laughed",
                                                                   "energy": 7}
        # once the lock is gone the same answer goes through, exactly once
        assert "Q4:" in await sam("patience")
        session = await sam.session()
        assert session.step_id == "again" and session.answers["lesson"] == "patience"
        assert session.history == ["win", "energy", "lesson"]


async def test_disk_full_in_the_middle_of_saving(config: Config, clock: FakeClock,
                                                 flows: Path) -> None:
    async with open_coach(config, clock, flows) as coach:
        sam = await at_third_question(coach)
        await coach.db.conn.execute("VACUUM")  # no free pages left to reuse
        pages = await coach.db.fetchval("PRAGMA page_count")
        await coach.db.conn.execute(f"PRAGMA max_page_count = {int(pages)}")
        before = await table_dump(coach)
        long_answer = "I learned that rest matters " + "🌱" * 3000  # needs new pages
        assert_try_again(await sam.send(long_answer))
        assert await table_dump(coach) == before
        session = await sam.session()
        assert session.step_id == "lesson" and "lesson" not in session.answers

        # a goal and the end of the conversation are saved together, or not at all
        await coach.db.conn.execute("PRAGMA max_page_count = 1073741823")
        for text in ("patience", "yes", "call my sister"):
            await sam(text)
        assert "Would you like to turn this into a goal" in sam.last[-1].text
        await sam("yes")
        await sam("Walk every morning")
        await coach.db.conn.execute("VACUUM")
        pages = await coach.db.fetchval("PRAGMA page_count")
        await coach.db.conn.execute(f"PRAGMA max_page_count = {int(pages)}")
        before = await table_dump(coach)
        plan = "If it is 8am, then I will walk " + "🚶" * 3000
        assert_try_again(await sam.send(plan))
        assert await table_dump(coach) == before
        assert await coach.db.fetchval("SELECT COUNT(*) FROM goals") == 0

        await coach.db.conn.execute("PRAGMA max_page_count = 1073741823")
        assert "Saved as a goal" in await sam(plan)
        goals = await coach.db.fetchall("SELECT what, plan, status FROM goals")
        assert [tuple(g) for g in goals] == [("Walk every morning", plan, "active")]
        session = await coach.db.fetchone("SELECT status, answers FROM sessions")
        assert session["status"] == "finished" and "call my sister" in session["answers"]
