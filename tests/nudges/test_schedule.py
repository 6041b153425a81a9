"""When nudges fall due: local times across daylight-saving changes, quiet hours, cadences."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.nudges.schedule import Cadence, Plan, parse_cadence, parse_quiet

BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
# 2026 changes: Berlin springs forward Mar 29 (02:00 -> 03:00), falls back Oct 25 (03:00 ->
# 02:00); New York springs forward Mar 8, falls back Nov 1 (both at 02:00).
CHANGES = [(BERLIN, date(2026, 3, 29)), (BERLIN, date(2026, 10, 25)),
           (NEW_YORK, date(2026, 3, 8)), (NEW_YORK, date(2026, 11, 1))]


def fires(plan: Plan, start: datetime, count: int) -> list[datetime]:
    out, t = [], start
    for _ in range(count):
        t = plan.next_after(t)
        out.append(t)
    return out


@pytest.mark.parametrize(("zone", "day"), CHANGES)
def test_nine_oclock_stays_nine_oclock_across_a_change(zone: ZoneInfo, day: date) -> None:
    plan = Plan(Cadence("daily"), time(9), zone)
    start = datetime.combine(day - timedelta(days=3), time(12), zone)
    local = [f.astimezone(zone) for f in fires(plan, start, 6)]
    assert [t.time() for t in local] == [time(9)] * 6
    assert [t.date() for t in local] == [day - timedelta(days=2) + timedelta(days=i)
                                         for i in range(6)]
    offsets = {t.utcoffset() for t in local}
    assert len(offsets) == 2  # the UTC instant really moved by an hour


@pytest.mark.parametrize(("zone", "day"), [CHANGES[0], CHANGES[2]])
def test_a_skipped_time_fires_at_the_next_valid_minute(zone: ZoneInfo, day: date) -> None:
    plan = Plan(Cadence("daily"), time(2, 30), zone)
    fire = plan.next_after(datetime.combine(day, time(0, 5), zone))
    local = fire.astimezone(zone)
    assert (local.date(), local.time()) == (day, time(3, 0))
    following = plan.next_after(fire).astimezone(zone)
    assert (following.date(), following.time()) == (day + timedelta(days=1), time(2, 30))


@pytest.mark.parametrize(("zone", "day"), [CHANGES[1], CHANGES[3]])
def test_a_repeated_time_fires_once(zone: ZoneInfo, day: date) -> None:
    plan = Plan(Cadence("daily"), time(1, 30) if zone is NEW_YORK else time(2, 30), zone)
    start = datetime.combine(day, time(0, 0), zone)
    first, second = fires(plan, start, 2)
    assert first.astimezone(zone).date() == day and first.astimezone(zone).fold == 0
    assert second.astimezone(zone).date() == day + timedelta(days=1)
    assert second - first == timedelta(hours=25)  # the day was 25 hours long


def test_quiet_hours_move_a_nudge_to_their_end() -> None:
    plan = Plan(Cadence("daily"), time(23, 15), BERLIN, (time(22), time(7)))
    fire = plan.next_after(datetime(2026, 1, 5, 12, tzinfo=UTC)).astimezone(BERLIN)
    assert (fire.date(), fire.time()) == (date(2026, 1, 6), time(7))
    early = Plan(Cadence("daily"), time(6), BERLIN, (time(22), time(7)))
    fire = early.next_after(datetime(2026, 1, 5, 12, tzinfo=UTC)).astimezone(BERLIN)
    assert (fire.date(), fire.time()) == (date(2026, 1, 6), time(7))
    day_window = Plan(Cadence("daily"), time(13), BERLIN, (time(12), time(14)))
    assert day_window.next_after(datetime(2026, 1, 5, 6, tzinfo=UTC)).astimezone(
        BERLIN).time() == time(14)


def test_cadences_pick_the_right_days() -> None:
    monday = datetime(2026, 1, 5, 12, tzinfo=UTC)
    weekdays = fires(Plan(Cadence("weekdays"), time(8), BERLIN), monday, 6)
    assert [f.astimezone(BERLIN).weekday() for f in weekdays] == [1, 2, 3, 4, 0, 1]
    chosen = parse_cadence("days:mon,wed,fri")
    assert isinstance(chosen, Cadence)
    days = fires(Plan(chosen, time(8), BERLIN), monday, 4)
    assert [f.astimezone(BERLIN).weekday() for f in days] == [2, 4, 0, 2]
    weekly = parse_cadence("weekly:sunday")
    assert isinstance(weekly, Cadence) and weekly.days == (6,)
    assert isinstance(parse_cadence("weekly:mon,tue"), str)
    assert isinstance(parse_cadence("days:funday"), str)
    assert parse_quiet("22:00-07:00") == (time(22), time(7))
    assert isinstance(parse_quiet("22:00"), str)


ZONES = st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Lord_Howe",
                         "Asia/Kolkata", "America/Santiago", "UTC"])


@given(zone=ZONES, hour=st.integers(0, 23), minute=st.integers(0, 59),
       start=st.datetimes(min_value=datetime(2025, 1, 1),  # noqa: DTZ001 (hypothesis bounds
                          max_value=datetime(2028, 1, 1)),  # noqa: DTZ001 are naive)
       kind=st.sampled_from(["daily", "weekdays", "days:tue,sat", "weekly:sun"]))
def test_occurrences_rise_and_keep_their_local_time(zone: str, hour: int, minute: int,
                                                    start: datetime, kind: str) -> None:
    tz = ZoneInfo(zone)
    cadence = parse_cadence(kind)
    assert isinstance(cadence, Cadence)
    plan = Plan(cadence, time(hour, minute), tz)
    t = start.replace(tzinfo=UTC)
    seen_days = set()
    for _ in range(8):
        nxt = plan.next_after(t)
        assert nxt > t and nxt - t <= timedelta(days=8)
        local = nxt.astimezone(tz)
        assert cadence.allows(local.date()) or local.time() != time(hour, minute)
        assert local.date() not in seen_days  # never twice in one day
        seen_days.add(local.date())
        wall = datetime.combine(local.date(), time(hour, minute))
        assert local.replace(tzinfo=None) >= wall  # on time, or the first minute after a gap
        assert local.replace(tzinfo=None) - wall < timedelta(hours=1, minutes=1)
        t = nxt
