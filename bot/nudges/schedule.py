"""When a nudge falls due: cadences, local times, quiet hours and daylight saving.

All arithmetic happens on the member's wall clock and is turned into UTC at the end:

* A 09:00 nudge fires at 09:00 local time on both sides of a daylight-saving change.
* A local time that does not exist that day (the hour skipped in spring) fires at the next
  valid minute (02:30 on the day clocks jump from 02:00 to 03:00 fires at 03:00).
* A local time that happens twice (the hour repeated in autumn) fires once, at the first.
* A time inside the member's quiet hours moves to the end of the quiet hours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FULL_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                  "Sunday")
CADENCES = ("daily", "weekdays", "days", "weekly")


@dataclass(frozen=True, slots=True)
class Cadence:
    kind: str  # daily | weekdays | days | weekly
    days: tuple[int, ...] = ()  # 0 = Monday; for "days" and "weekly"

    def allows(self, day: date) -> bool:
        if self.kind == "daily":
            return True
        if self.kind == "weekdays":
            return day.weekday() < 5
        return day.weekday() in self.days

    def stored_days(self) -> str:
        return ",".join(str(d) for d in self.days)

    def words(self) -> str:
        if self.kind == "daily":
            return "every day"
        if self.kind == "weekdays":
            return "on weekdays (Monday to Friday)"
        names = [FULL_DAY_NAMES[d] for d in self.days]
        if len(names) == 1:
            return f"every {names[0]}"
        return "on " + ", ".join(names[:-1]) + " and " + names[-1]

    @classmethod
    def stored(cls, kind: str, days: str) -> Cadence:
        return cls(kind, tuple(int(d) for d in days.split(",") if d))


def _day(word: str) -> int | None:
    word = word.strip().casefold()
    for i, name in enumerate(DAY_NAMES):
        if word in (name, FULL_DAY_NAMES[i].casefold()) or (len(word) >= 3 and
                                                             FULL_DAY_NAMES[i].casefold()
                                                             .startswith(word)):
            return i
    return None


def parse_cadence(text: str) -> Cadence | str:
    """`daily`, `weekdays`, `days:mon,wed,fri` or `weekly:sun`; a kind problem otherwise."""
    word = text.strip().casefold()
    if word in ("daily", "every day", "everyday"):
        return Cadence("daily")
    if word in ("weekdays", "weekday"):
        return Cadence("weekdays")
    kind, _, rest = word.partition(":")
    if kind in ("days", "weekly") and rest:
        days = []
        for part in re.split(r"[,\s]+", rest.strip()):
            if not part:
                continue
            day = _day(part)
            if day is None:
                return (f"I don't know the day \"{part[:20]}\". Use mon, tue, wed, thu, fri, "
                        "sat or sun.")
            days.append(day)
        if kind == "weekly" and len(days) != 1:
            return "weekly needs one day, for example weekly:sun."
        if days:
            return Cadence(kind, tuple(sorted(set(days))))
    return ("The cadence can be daily, weekdays, days:mon,wed,fri (chosen days) or "
            "weekly:sun (one day a week).")


def parse_hhmm(text: str) -> time | None:
    match = re.fullmatch(r"\s*(\d{1,2})(?::|\.|h)?(\d{2})?\s*", text)
    if not match:
        return None
    hour, minute = int(match[1]), int(match[2] or 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def parse_quiet(text: str) -> tuple[time, time] | None | str:
    """`22:00-07:00` -> (22:00, 07:00); `off`/`none` -> None; a problem otherwise."""
    word = text.strip().casefold()
    if word in ("", "off", "none", "no"):
        return None
    start, sep, end = word.partition("-")
    a, b = parse_hhmm(start), parse_hhmm(end) if sep else None
    if a is None or b is None or a == b:
        return ("Quiet hours look like 22:00-07:00 (from 10 in the evening to 7 in the "
                "morning), or off.")
    return a, b


def hhmm(value: time) -> str:
    return value.strftime("%H:%M")


def wall_to_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time; a skipped time moves to the next valid minute,
    a repeated one is taken the first time (fold=0)."""
    naive = datetime.combine(day, at)
    aware = naive.replace(tzinfo=zone, fold=0)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive:
        return aware.astimezone(UTC)
    # The time does not exist (clocks jumped forward): find the first minute that does.
    candidate = naive
    for _ in range(24 * 60):
        candidate += timedelta(minutes=1)
        aware = candidate.replace(tzinfo=zone, fold=0)
        if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == candidate:
            return aware.astimezone(UTC)
    raise ValueError("no valid local time within a day")  # pragma: no cover


def in_quiet(local: time, quiet: tuple[time, time] | None) -> bool:
    if quiet is None:
        return False
    start, end = quiet
    if start < end:
        return start <= local < end
    return local >= start or local < end  # the window crosses midnight


def out_of_quiet(when: datetime, zone: ZoneInfo, quiet: tuple[time, time] | None) -> datetime:
    """`when` (UTC), or the end of the quiet hours it falls in."""
    local = when.astimezone(zone)
    if not in_quiet(local.time().replace(tzinfo=None), quiet):
        return when
    assert quiet is not None
    start, end = quiet
    day = local.date()
    if start > end and local.time().replace(tzinfo=None) >= start:
        day += timedelta(days=1)
    return wall_to_utc(day, end, zone)


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything needed to compute one member's occurrences."""

    cadence: Cadence
    at: time
    zone: ZoneInfo
    quiet: tuple[time, time] | None = None

    def fire_on(self, day: date) -> datetime:
        return out_of_quiet(wall_to_utc(day, self.at, self.zone), self.zone, self.quiet)

    def next_after(self, after: datetime) -> datetime:
        """The first occurrence strictly after `after` (UTC)."""
        start = after.astimezone(self.zone).date() - timedelta(days=1)
        best: datetime | None = None
        for offset in range(10):
            day = start + timedelta(days=offset)
            if not self.cadence.allows(day):
                continue
            fire = self.fire_on(day)
            if fire > after and (best is None or fire < best):
                best = fire
            if best is not None and offset >= 2 and fire > best:
                break
        assert best is not None, "every cadence has a day within a week"
        return best

    def latest_until(self, first: datetime, now: datetime) -> tuple[datetime, int]:
        """From a due occurrence `first` (<= now): the latest occurrence <= now, and how many
        occurrences in [first, now] it stands for (the older ones are coalesced)."""
        latest, count = first, 1
        if (now - first) > timedelta(days=14):
            # A long downtime: jump close to now instead of walking every day.
            jump = self.next_after(now - timedelta(days=8))
            if jump <= now:
                count = max(1, round((jump - first).total_seconds() / 86400))
                latest = jump
        while True:
            following = self.next_after(latest)
            if following > now:
                return latest, count
            latest, count = following, count + 1
