"""The forgiving weekly streak's edges, trends in words, and the review picture."""

from __future__ import annotations

import json
import struct
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.app import Coach
from bot.clock import FakeClock, iso
from bot.goals.progress import trend_words, weekly_streak
from tests.nudges.fakes import Chat

UTC_ZONE = ZoneInfo("UTC")
# Weeks start on Mondays. 2026-03-02 is a Monday; March 2026's Thursdays: 5, 12, 19, 26.
MONDAYS = [datetime(2026, 1, 5, 12, tzinfo=UTC) + timedelta(weeks=i) for i in range(20)]


def week(i: int) -> datetime:
    return MONDAYS[i] + timedelta(days=1)  # a Tuesday


def streak(weeks_with: list[int], now_week: int, zone: ZoneInfo = UTC_ZONE):
    return weekly_streak([week(i) for i in weeks_with], week(now_week), zone)


def test_unbroken_weeks_count_and_this_week_is_not_over() -> None:
    assert streak([0, 1, 2, 3], 3).weeks == 4
    open_week = streak([0, 1, 2], 3)  # nothing yet this week: still 3, not broken
    assert (open_week.weeks, open_week.this_week_done) == (3, False)


def test_one_missed_week_a_month_is_forgiven() -> None:
    # Weeks 8..11 start 2026-03-02 .. 03-23 (all March). Miss week 9.
    s = streak([7, 8, 10, 11], 11)
    assert (s.weeks, s.forgiven) == (4, 1)


def test_a_second_missed_week_in_the_same_month_ends_the_streak_there() -> None:
    s = streak([7, 8, 10, 12], 12)  # weeks 9 and 11 both in March: the run is weeks 10-12
    assert (s.weeks, s.forgiven) == (2, 1)
    assert streak([7, 8, 12], 12).weeks == 1  # weeks 10 and 11 missed, both March


def test_misses_in_different_months_are_each_forgiven() -> None:
    # Week 7 starts 2026-02-23 (Thursday Feb 26: February); week 9 is in March.
    s = streak([5, 6, 8, 10], 10)
    assert (s.weeks, s.forgiven) == (4, 2)


def test_a_week_belongs_to_the_month_of_its_thursday() -> None:
    # Week increments: week 12 starts 2026-03-30, its Thursday is April 2: April's week.
    # Missing week 11 (March) and week 12 (April) is two months: both forgiven.
    assert streak([10, 13], 13).weeks == 2
    # Week 8 starts March 2 (Thursday March 5): March. Missing weeks 8 and 9: one month.
    assert streak([7, 10], 10).weeks == 1


def test_a_gap_before_the_run_is_not_counted_as_forgiven() -> None:
    s = streak([2, 10], 11)  # week 11 open, week 10 done, weeks 9 and 8 missed (March)
    assert (s.weeks, s.forgiven) == (1, 0)


def test_weeks_follow_the_members_timezone() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    sunday_late_utc = MONDAYS[3] - timedelta(hours=14)  # Sunday 22:00 UTC = Monday in Tokyo
    s_utc = weekly_streak([week(1), sunday_late_utc], week(3), UTC_ZONE)
    s_tokyo = weekly_streak([week(1), sunday_late_utc], week(3), tokyo)
    # In UTC the check-in was on Sunday of week 2; in Tokyo on Monday of week 3.
    assert (s_utc.weeks, s_utc.forgiven, s_utc.this_week_done) == (2, 0, False)
    assert (s_tokyo.weeks, s_tokyo.forgiven, s_tokyo.this_week_done) == (2, 1, True)


def test_trend_in_words() -> None:
    start = datetime(2026, 1, 5, tzinfo=UTC)
    assert trend_words([(start, 3), (start + timedelta(days=10), 4),
                        (start + timedelta(weeks=3), 6)]) == "up from 3 to 6 over three weeks"
    assert trend_words([(start, 7), (start + timedelta(days=4), 5)]) == \
        "down from 7 to 5 over four days"
    assert trend_words([(start, 5), (start + timedelta(weeks=2), 5)]) == \
        "steady at 5 over two weeks"
    assert trend_words([(start, 4)]) == "one check-in so far, at 4 out of 10"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def test_review_has_a_png_and_alt_text_with_the_trend(coach: Coach,
                                                            clock: FakeClock) -> None:
    chat = Chat(coach)
    await chat("/goal add")
    for answer in ("Run a 5k", "", "", "", ""):
        await chat(answer)
    await chat("health")
    for progress in (3, 4, 6):
        await chat(f"/goal checkin 1 {progress}")
        await chat("skip")
        clock.advance(days=10.5)
    member = await chat.member()
    scores = {f"score_{k}": v for k, v in zip(
        ("relationships", "spirituality", "health", "career", "finances", "fun", "growth",
         "environment"), (7, 5, 4, 6, 3, 8, 6, 5), strict=True)}
    await coach.db.execute(
        "INSERT INTO sessions (member_id, flow_id, flow_hash, step_id, answers, status,"
        " started_at, updated_at) VALUES (?, 'wheel_of_life', 'x', 'end', ?, 'finished', ?, ?)",
        (member.id, json.dumps(scores), iso(clock.now()), iso(clock.now())))
    reply = await chat("/goal review")
    assert "up from 3 to 6 over three weeks" in reply
    image = next(m.image for m in chat.last if m.image is not None)
    width, height = png_size(image.data)
    assert width >= 600 and height >= 300 and len(image.data) > 10_000
    assert "up from 3 to 6 over three weeks" in image.alt_text
    assert "Run a 5k" in image.alt_text and "health 4" in image.alt_text
    assert "finances 3" in reply


async def test_review_without_goals_says_what_to_do(coach: Coach) -> None:
    chat = Chat(coach)
    assert "/goal add" in await chat("/goal review")
    assert all(m.image is None for m in chat.last)
