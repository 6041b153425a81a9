"""Progress in words: trends over check-ins, and the weekly streak that forgives.

The streak rule, exactly:

* Weeks run Monday to Sunday in the member's timezone (UTC when they set none).
* A week counts when it holds at least one check-in, on any goal.
* A week belongs to the calendar month that holds its Thursday (so each week belongs to
  exactly one month, the one with most of its days).
* Walking back from the current week: the current week never breaks the streak (it is not
  over yet); a week with a check-in adds one; a week without one is forgiven if no other
  week of the same month has been forgiven in this streak, and ends the streak otherwise.
* Forgiven weeks keep the streak alive but do not add to it. Weeks before the first
  check-in are never counted or forgiven.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.clock import parse_iso

NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                "ten", "eleven", "twelve")


def in_words(n: int) -> str:
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else str(n)


@dataclass(frozen=True, slots=True)
class Streak:
    weeks: int  # weeks with a check-in in the current run
    forgiven: int  # missed weeks forgiven in the run
    forgiven_this_month: bool  # the current month's free week is used
    this_week_done: bool


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_month(monday: date) -> tuple[int, int]:
    thursday = monday + timedelta(days=3)
    return thursday.year, thursday.month


def weekly_streak(times: Iterable[datetime], now: datetime, zone: ZoneInfo) -> Streak:
    weeks = {week_start(t.astimezone(zone).date()) for t in times}
    current = week_start(now.astimezone(zone).date())
    this_week_done = current in weeks
    if not weeks:
        return Streak(0, 0, False, False)
    first = min(weeks)
    count = 1 if this_week_done else 0
    used: set[tuple[int, int]] = set()  # months whose free week this walk has used
    kept: set[tuple[int, int]] = set()  # of those, the ones inside the streak
    waiting: list[tuple[int, int]] = []  # forgiven since the last week with a check-in
    week = current - timedelta(days=7)
    while week >= first:
        if week in weeks:
            count += 1
            kept.update(waiting)
            waiting.clear()
        else:
            month = week_month(week)
            if month in used:
                break
            used.add(month)
            waiting.append(month)
        week -= timedelta(days=7)
    return Streak(count, len(kept), week_month(current) in kept, this_week_done)


def streak_words(streak: Streak) -> str:
    if streak.weeks == 0:
        return "No weekly check-in streak yet: one check-in this week starts one."
    plural = "week" if streak.weeks == 1 else "weeks"
    text = f"Your check-in streak: {in_words(streak.weeks)} {plural}"
    if streak.forgiven:
        text += " (a missed week was let go; one a month is fine)"
    if not streak.this_week_done:
        text += ". A check-in this week keeps it going"
    return text + "."


def span_words(days: float) -> str:
    whole = round(days)
    if whole <= 0:
        return "today"
    if whole == 1:
        return "over one day"
    if whole < 14:
        return f"over {in_words(whole)} days"
    weeks = round(whole / 7)
    if weeks < 9:
        return f"over {in_words(weeks)} weeks"
    months = round(whole / 30.4)
    return f"over {in_words(months)} months"


def trend_words(points: Sequence[tuple[datetime, int]]) -> str:
    """"up from 3 to 6 over three weeks", from check-ins oldest first."""
    if not points:
        return "no check-ins yet"
    if len(points) == 1:
        return f"one check-in so far, at {points[0][1]} out of 10"
    (start, first), (end, last) = points[0], points[-1]
    span = span_words((end - start).total_seconds() / 86400)
    if last > first:
        return f"up from {first} to {last} {span}"
    if last < first:
        return f"down from {first} to {last} {span}"
    return f"steady at {last} {span}"


def parse_times(texts: Iterable[str]) -> list[datetime]:
    return [parse_iso(t) for t in texts]
