"""Nudges end to end: /nudge commands, the tick with an injected clock, quick answers,
restarts, catch-up, closed DMs and crisis pauses. Delivery is a recording fake port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.app import Coach
from bot.clock import FakeClock, iso
from bot.config import Config
from bot.nudges import answer_nudge, nudger_of
from tests.nudges.fakes import Chat, FakePace, RecordingDelivery

BERLIN = ZoneInfo("Europe/Berlin")


class World:
    def __init__(self, coach: Coach, clock: FakeClock) -> None:
        self.coach, self.clock = coach, clock
        self.delivery = RecordingDelivery()
        self.pace = FakePace()
        self.nudger = nudger_of(coach)
        self.nudger.attach(self.delivery, bucket=self.pace.bucket())

    async def tick(self):
        result = await self.nudger.tick(self.clock.now())
        assert self.nudger.queue is not None
        await self.nudger.queue.join()
        return result

    async def at(self, local: datetime):
        self.clock.set(local)
        return await self.tick()

    async def member_with_goal(self, user: str = "sam", zone: str = "Europe/Berlin",
                               schedule: str = "daily 09:00", platform: str = "terminal"
                               ) -> Chat:
        chat = Chat(self.coach, user, user.title(), platform=platform)
        await chat(f"/timezone {zone}")
        await chat("/goal add")
        for answer in ("Walk every morning", "", "", "", ""):
            await chat(answer)
        await chat("skip")
        reply = await chat(f"/nudge set {schedule}")
        assert reply.startswith("Saved."), reply
        return chat


@pytest.fixture
async def world(config: Config, clock: FakeClock) -> AsyncIterator[World]:
    coach = await Coach.open(config, clock=clock, seed=1)
    w = World(coach, clock)
    try:
        yield w
    finally:
        assert w.nudger.queue is not None
        await w.nudger.queue.stop()
        await coach.close()


def berlin(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=BERLIN)


async def test_nudges_are_off_until_asked_and_need_a_timezone(world: World) -> None:
    chat = Chat(world.coach, "una", "Una")
    await chat("/goal add")
    for answer in ("Sleep by 11", "", "", "", ""):
        await chat(answer)
    assert "no reminders set" in (await chat("/nudge show")).lower()
    reply = await chat("/nudge set daily 09:00")
    assert "timezone first" in reply and "/timezone" in reply
    world.clock.advance(days=3)
    await world.tick()
    assert world.delivery.sent == []


async def test_a_nudge_arrives_at_local_time_with_quick_answers(world: World) -> None:
    chat = await world.member_with_goal()
    assert "Monday 5 January at 09:00" not in await chat("/nudge show")
    assert "Tuesday 6 January at 09:00" in await chat("/nudge show")
    await world.at(berlin(2026, 1, 6, 8, 59))
    assert world.delivery.sent == []
    await world.at(berlin(2026, 1, 6, 9, 0))
    (sent,) = world.delivery.sent
    message = sent.messages[0]
    assert "Walk every morning" in message.text and "goal 1" in message.text
    values = [c.value for c in message.choices]
    assert values[:11] == [f"progress:{n}" for n in range(11)]
    assert {"done", "snooze:hour", "snooze:evening", "snooze:tomorrow", "skip",
            "stop"} <= set(values)
    assert message.command is not None and message.command.path == ("nudge", "answer")
    assert sent.nonce is not None and len(sent.nonce) <= 25
    await world.tick()  # the same minute again: nothing more
    assert len(world.delivery.sent) == 1


async def test_answering_with_progress_records_a_checkin(world: World) -> None:
    chat = await world.member_with_goal()
    await world.at(berlin(2026, 1, 6, 9))
    ref = dict(world.delivery.sent[0].messages[0].command.args)["nudge"]
    reply = await chat(f"/nudge answer {ref} 7")
    assert "goal 1 at 7 out of 10" in reply and "What helped" in reply
    await chat("an early night")
    shown = await chat("/goal show 1")
    assert "7/10" in shown and "an early night" in shown
    again = await answer_nudge(world.coach, await chat.member(), ref, "progress:8")
    assert "already answered" in again[0].text


async def test_snooze_keeps_the_recurrence(world: World) -> None:
    chat = await world.member_with_goal()
    await world.at(berlin(2026, 1, 6, 9))
    ref = dict(world.delivery.sent[0].messages[0].command.args)["nudge"]
    assert "at 10:00" in await chat(f"/nudge answer {ref} snooze")
    await world.at(berlin(2026, 1, 6, 9, 59))
    assert len(world.delivery.sent) == 1
    await world.at(berlin(2026, 1, 6, 10, 0))
    assert len(world.delivery.sent) == 2
    snoozed = world.delivery.sent[1]
    assert snoozed.nonce != world.delivery.sent[0].nonce
    assert "at 19:00" in await chat(f"/nudge answer {ref} this evening")
    await world.at(berlin(2026, 1, 6, 19, 0))
    assert len(world.delivery.sent) == 3
    await world.at(berlin(2026, 1, 7, 9, 0))  # the regular one, unmoved
    assert len(world.delivery.sent) == 4
    assert "Tomorrow" not in world.delivery.sent[3].messages[0].text
    ref2 = dict(world.delivery.sent[3].messages[0].command.args)["nudge"]
    assert ref2 != ref
    reply = await chat(f"/nudge answer {ref2} tomorrow")
    assert "next check-in comes sooner" in reply  # tomorrow 09:00 is the next one anyway
    await world.at(berlin(2026, 1, 8, 9, 0))
    assert len(world.delivery.sent) == 5


async def test_stop_pause_and_resume_act_at_once(world: World) -> None:
    chat = await world.member_with_goal()
    world.clock.set(berlin(2026, 1, 6, 9))
    assert world.nudger.queue is not None
    await world.nudger.queue.stop()  # hold sending, so the nudge waits in the queue
    result = await world.nudger.tick(world.clock.now())
    assert result.queued == 1 and world.nudger.queue.pending() == 1
    assert "Stopped" in await chat("/nudge stop")
    await world.nudger.queue.join()
    assert world.delivery.sent == []  # the queued one was not sent after stop
    await world.at(berlin(2026, 1, 7, 9))
    assert world.delivery.sent == []
    await chat("/nudge set daily 09:00")
    assert "Paused" in await chat("/nudge pause")
    await world.at(berlin(2026, 1, 8, 9))
    assert world.delivery.sent == []
    assert "back on" in await chat("/nudge resume")
    assert "Friday 9 January at 09:00" in await chat("/nudge show")
    await world.at(berlin(2026, 1, 9, 9))
    assert len(world.delivery.sent) == 1
    ref = dict(world.delivery.sent[0].messages[0].command.args)["nudge"]
    assert "off" in await chat(f"/nudge answer {ref} stop")
    await world.at(berlin(2026, 1, 10, 9))
    assert len(world.delivery.sent) == 1


async def test_quiet_hours_hold(world: World) -> None:
    await world.member_with_goal(schedule="daily 06:30 all 22:00-07:15")
    await world.at(berlin(2026, 1, 6, 6, 30))
    await world.at(berlin(2026, 1, 6, 7, 14))
    assert world.delivery.sent == []
    await world.at(berlin(2026, 1, 6, 7, 15))
    assert len(world.delivery.sent) == 1


async def test_dst_in_the_tick_fires_at_local_nine(world: World) -> None:
    await world.member_with_goal("nia", "America/New_York")
    ny = ZoneInfo("America/New_York")
    world.clock.set(datetime(2026, 3, 6, 12, tzinfo=ny))
    await world.coach.db.execute("UPDATE nudge_schedules SET next_due = ?",
                                 (iso(datetime(2026, 3, 7, 9, tzinfo=ny)),))
    times = []
    for day in (7, 8, 9):
        for hour in (8, 9):
            await world.at(datetime(2026, 3, day, hour, 0, tzinfo=ny))
            times.append((day, hour, len(world.delivery.sent)))
    assert times == [(7, 8, 0), (7, 9, 1), (8, 8, 1), (8, 9, 2), (9, 8, 2), (9, 9, 3)]


async def test_a_restart_mid_tick_loses_nothing_and_doubles_nothing(config: Config,
                                                                    clock: FakeClock) -> None:
    coach = await Coach.open(config, clock=clock, seed=1)
    world = World(coach, clock)
    for user in ("ana", "ben", "cai"):
        await world.member_with_goal(user)
    clock.set(berlin(2026, 1, 6, 9))
    assert world.nudger.queue is not None
    await world.nudger.queue.stop()  # nothing leaves the queue before the "crash"
    # The claim and advance are committed; the process dies before anything is sent ...
    result = await world.nudger.tick(clock.now())
    assert result.queued == 3 and world.nudger.queue.pending() == 3
    # ... except that the first message had already reached the platform.
    first = await world.coach.db.fetchone("SELECT nonce FROM nudge_occurrences ORDER BY id")
    world.delivery.seen_nonces.add(first["nonce"])
    await coach.close()  # the queued jobs die with the process

    coach = await Coach.open(config, clock=clock, seed=1)
    again = World(coach, clock)
    again.delivery.seen_nonces = set(world.delivery.seen_nonces)
    clock.advance(minutes=1)
    result = await again.tick()
    assert result.resent == 3 and result.queued == 0  # nothing new was due
    assert again.delivery.duplicates == 1  # same nonce: dropped by the platform
    assert sorted(s.external_id for s in again.delivery.sent) == ["ben", "cai"]
    states = await coach.db.fetchall("SELECT state FROM nudge_occurrences")
    assert [r["state"] for r in states] == ["sent"] * 3
    await again.at(berlin(2026, 1, 7, 9))
    assert len(again.delivery.sent) == 5  # the next day comes as usual, once each
    assert again.nudger.queue is not None
    await again.nudger.queue.stop()
    await coach.close()


async def test_after_downtime_one_coalesced_nudge_or_a_notice(world: World) -> None:
    chat = await world.member_with_goal(schedule="daily 09:00")
    # Down from Monday evening until Thursday 10:00: Tue, Wed and Thu were due; one is sent.
    result = await world.at(berlin(2026, 1, 8, 10))
    assert (result.queued, result.coalesced) == (1, 2)
    assert len(world.delivery.sent) == 1
    assert "Friday 9 January at 09:00" in await chat("/nudge show")
    # Down for longer than the catch-up window (12 hours): dropped, and told next visit.
    result = await world.at(berlin(2026, 1, 10, 22))
    assert (result.queued, result.dropped) == (0, 2)
    assert len(world.delivery.sent) == 1
    reply = await chat("/goal list")
    assert "couldn't go out in time" in chat.last[0].text and "2 check-in reminders" in reply
    assert "couldn't go out" not in await chat("/goal list")  # told once


async def test_an_unreachable_member_is_not_retried_and_told_in_a_server(world: World
                                                                         ) -> None:
    chat = await world.member_with_goal("zoe", platform="discord")  # typing in a DM
    world.delivery.closed.add("zoe")
    await world.at(berlin(2026, 1, 6, 9))
    member = await chat.member()
    assert member.unreachable_since is not None
    result = await world.at(berlin(2026, 1, 7, 9))
    assert result.skipped_unreachable == 1 and result.queued == 0
    assert "closed" not in await chat("/goal list")  # in a DM: not told there
    from bot.messages import Inbound
    server = await world.coach.handle(Inbound(chat.speaker, text="/goal list", private=False,
                                              guild_id="1"))
    assert "direct messages are closed" in server[0].text
    server = await world.coach.handle(Inbound(chat.speaker, text="/goal list", private=False,
                                              guild_id="1"))
    assert "closed" not in server[0].text
    # The transport clears the mark when they write again: nudges resume.
    await world.coach.members.update(member.id, unreachable_since=None)
    world.delivery.closed.clear()
    await world.at(berlin(2026, 1, 8, 9))
    assert len(world.delivery.to("zoe")) == 1


async def test_a_member_in_a_crisis_pause_gets_no_nudges(world: World) -> None:
    chat = await world.member_with_goal("kim")
    member = await chat.member()
    await world.coach.members.update(
        member.id, crisis_pause_until=iso(berlin(2026, 1, 7, 12)))
    result = await world.at(berlin(2026, 1, 6, 9))
    assert result.skipped_paused == 1 and world.delivery.sent == []
    await world.at(berlin(2026, 1, 7, 9))
    assert world.delivery.sent == []
    await world.at(berlin(2026, 1, 8, 9))  # the pause has ended
    assert len(world.delivery.sent) == 1


async def test_changing_timezone_moves_the_schedule(world: World) -> None:
    chat = await world.member_with_goal("lee")
    await chat("/timezone America/New_York")
    world.clock.set(datetime(2026, 1, 5, 12, tzinfo=UTC))
    result = await world.tick()
    assert result.rezoned == 1
    assert "America/New_York" in await chat("/nudge show")
    await world.at(berlin(2026, 1, 6, 9))
    assert world.delivery.sent == []
    await world.at(datetime(2026, 1, 6, 9, tzinfo=ZoneInfo("America/New_York")))
    assert len(world.delivery.sent) == 1


async def test_the_queue_keeps_its_pace(world: World) -> None:
    for i in range(12):
        await world.member_with_goal(f"m{i}")
    world.clock.set(berlin(2026, 1, 6, 9))
    await world.tick()
    assert len(world.delivery.sent) == 12
    # Twelve sends at 40 a second with a burst of two: at least 0.25 s of (fake) time.
    assert world.pace.now >= (12 - 2) / 40 - 1e-9


async def test_goals_and_nudges_are_exported_and_deleted(world: World) -> None:
    chat = await world.member_with_goal("pat")
    await world.at(berlin(2026, 1, 6, 9))
    await chat("/goal checkin 1 6 fine")
    member = await chat.member()
    exported = await world.coach.datarights.export(member.id)
    assert exported["goals"][0]["what"] == "Walk every morning"
    assert exported["checkins"][0]["note"] == "fine"
    assert exported["nudges"]["schedule"]["cadence"] == "daily"
    await world.coach.datarights.delete(member.id)
    for table in ("goals", "checkins", "goal_events", "nudge_schedules", "nudge_occurrences",
                  "member_notices"):
        count = await world.coach.db.fetchval(
            f"SELECT COUNT(*) FROM {table} WHERE member_id = ?", (member.id,))  # noqa: S608
        assert count == 0, table


def test_nonce_is_stable_and_short() -> None:
    from bot.nudges.service import nonce_for
    when = datetime(2026, 1, 6, 8, tzinfo=UTC)
    assert nonce_for(123, when) == nonce_for(123, when + timedelta(seconds=30))
    assert len(nonce_for(9_999_999, when, 99)) <= 25


async def test_records_of_old_reminders_are_deleted_after_the_retention_period(
        world: World) -> None:
    from bot.privacy import purge_expired
    chat = await world.member_with_goal()
    for day in range(6, 9):  # three reminders go out, then the member stops them
        await world.at(berlin(2026, 1, day, 9, 0))
    assert len(world.delivery.sent) == 3
    first = world.delivery.sent[0].messages[0]
    assert first.command is not None
    ref = dict(first.command.args)["nudge"]
    db = world.coach.db
    assert await db.fetchval("SELECT COUNT(*) FROM nudge_occurrences") == 3
    days = world.coach.config.privacy.retention_days
    # An hour after the second reminder went out (08:00 UTC), plus the retention period.
    world.clock.set(datetime(2026, 1, 7, 9, 0, tzinfo=UTC) + timedelta(days=days))
    await purge_expired(world.coach, world.clock.now())
    assert await db.fetchval("SELECT COUNT(*) FROM nudge_occurrences") == 1  # the newest
    reply = await chat(f"/nudge answer {ref} 7")  # its button, pressed long after
    assert "couldn't find that check-in" in reply
    assert await db.fetchval("SELECT COUNT(*) FROM goals") == 1
    assert await db.fetchval("SELECT COUNT(*) FROM nudge_schedules") == 1
