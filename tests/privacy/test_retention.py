"""Retention: answers of ended conversations are cleared after `retention_days`, unless a goal
the member keeps was made from them. Time moves with a FakeClock, never with sleeps."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.config import Config, PrivacyConfig
from bot.privacy import purge_expired, retention_work
from tests.privacy.helpers import Talk, finish_diary, open_coach, raw_database_bytes, write_flows

GONE = """\
id: gone
title: Gone
description: A conversation a moderator removes later.
steps:
  - id: first
    type: text
    prompt: "Q1: Say something."
  - id: second
    type: text
    prompt: "Q2: And something more."
"""

WORDS = {"finished": "Fin9q2Zpw", "stopped": "Stp4k8Wdx", "abandoned": "Abn3m7Rty",
         "dropped_goal": "Drp6v1Lqz", "kept_goal": "Kpt2j5Hsu", "paused": "Pau8c4Nbv"}


async def sessions_by_id(coach) -> dict[int, dict]:
    rows = await coach.db.fetchall("SELECT * FROM sessions ORDER BY id")
    return {r["id"]: dict(r) for r in rows}


async def live_through_a_month(coach, flows: Path) -> Talk:
    """One member ends conversations in every way there is."""
    sam = Talk(coach)
    await finish_diary(sam, WORDS["finished"])
    await sam("/coach start diary")
    await sam(f"a good talk {WORDS['stopped']}")
    assert "ended this conversation" in await sam("stop")
    await sam("/coach start gone")
    await sam(f"a thing {WORDS['abandoned']}")
    (flows / "gone.yaml").unlink()
    assert coach.library.reload() == []
    assert "no longer available" in await sam("more")
    await finish_diary(sam, WORDS["dropped_goal"], goal=True)
    await finish_diary(sam, WORDS["kept_goal"], goal=True)
    await coach.db.execute("UPDATE goals SET status = 'dropped' WHERE what LIKE ?",
                           (f"%{WORDS['dropped_goal']}%",))
    await sam("/coach start diary")
    await sam(f"just started {WORDS['paused']}")
    assert "Paused" in await sam("pause")
    return sam


async def test_answers_are_cleared_after_the_retention_period(config: Config, clock: FakeClock,
                                                              tmp_path: Path) -> None:
    flows = write_flows(tmp_path / "flows")
    (flows / "gone.yaml").write_text(GONE, encoding="utf-8")
    async with open_coach(config, clock, flows) as coach:
        await live_through_a_month(coach, flows)
        before = await sessions_by_id(coach)
        assert [s["status"] for s in before.values()] == [
            "finished", "stopped", "abandoned", "finished", "finished", "paused"]
        moderator = Talk(coach, "1", "Mod", platform="discord")
        stats = await moderator("/conversations stats", private=False, guild_id="5",
                                is_moderator=True)
        assert "diary: 5 started, 3 finished" in stats

        clock.advance(days=179, hours=23)
        assert await purge_expired(coach, clock.now()) == 0
        assert await sessions_by_id(coach) == before

        clock.advance(hours=2)
        assert await purge_expired(coach, clock.now()) == 4
        after = await sessions_by_id(coach)
        cleared = {s["id"] for s in after.values() if s["answers"] == "{}"}
        assert [after[i]["status"] for i in sorted(cleared)] == [
            "finished", "stopped", "abandoned", "finished"]
        for session_id, row in after.items():
            if session_id in cleared:
                assert (row["stack"], row["state"]) == ("[]", "{}")
                # what the counts need stays: conversation, status, step and times
                for key in ("flow_id", "status", "step_id", "started_at", "ended_at"):
                    assert row[key] == before[session_id][key]
            else:
                assert row == before[session_id]
        kept = json.dumps([after[i]["answers"] for i in after if i not in cleared])
        assert WORDS["kept_goal"] in kept and WORDS["paused"] in kept

        raw = raw_database_bytes(config.database)
        for case in ("finished", "stopped", "abandoned"):
            assert WORDS[case].encode() not in raw, case
        assert WORDS["kept_goal"].encode() in raw and WORDS["paused"].encode() in raw
        # the dropped goal's own text is the goal feature's; its conversation is cleared
        assert WORDS["dropped_goal"] not in json.dumps(
            [r["answers"] for r in after.values()])

        assert await moderator("/conversations stats", private=False, guild_id="5",
                               is_moderator=True) == stats
        assert await purge_expired(coach, clock.now()) == 0  # nothing is cleared twice

        # a member who comes back much later still finds their paused conversation
        sam = Talk(coach)
        assert "Q2:" in await sam("/coach resume")


async def test_retention_days_comes_from_the_config(config: Config, clock: FakeClock,
                                                    tmp_path: Path) -> None:
    flows = write_flows(tmp_path / "flows")
    async with open_coach(config, clock, flows,
                          privacy=PrivacyConfig(retention_days=30)) as coach:
        sam = Talk(coach)
        await finish_diary(sam, WORDS["finished"])
        start = clock.now()
        assert await purge_expired(coach, start + timedelta(days=29)) == 0
        assert await purge_expired(coach, start + timedelta(days=31)) == 1
        assert WORDS["finished"].encode() not in raw_database_bytes(config.database)


def test_default_retention_is_180_days() -> None:
    assert replace(Config()).privacy.retention_days == 180


async def test_retention_as_scheduled_work_is_throttled(config: Config, clock: FakeClock,
                                                        tmp_path: Path) -> None:
    flows = write_flows(tmp_path / "flows")
    async with open_coach(config, clock, flows) as coach:
        work = retention_work(coach, every=timedelta(days=2))
        sam = Talk(coach)
        start = clock.now()
        await finish_diary(sam, WORDS["finished"])
        clock.advance(days=1)
        await finish_diary(sam, WORDS["stopped"])

        async def answers() -> list[str]:
            return [r[0] for r in await coach.db.fetchall("SELECT answers FROM sessions"
                                                          " ORDER BY id")]

        assert await work(start + timedelta(days=180, hours=1), None) == 0  # queues nothing
        first, second = await answers()
        assert first == "{}" and WORDS["stopped"] in second
        # the second conversation is old enough now, but the last purge was too recent
        await work(start + timedelta(days=181, minutes=30), None)
        assert WORDS["stopped"] in (await answers())[1]
        await work(start + timedelta(days=182, hours=2), None)
        assert await answers() == ["{}", "{}"]
