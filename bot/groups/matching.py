"""Who fits whom: accountability partners by timezone and focus area, peer coaches by focus.

Pure functions over plain values, so the rules are easy to read and to test.

Partners: only people whose clocks are at most `MAX_HOURS_APART` hours apart right now are
proposed (they can check in at similar times of day); among those, more focus words in
common first, then closer clocks, then whoever has waited longest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

MAX_HOURS_APART = 3.0
STOP_WORDS = frozenset({"a", "an", "and", "the", "my", "of", "to", "for", "in", "on", "with",
                        "more", "some", "be", "being", "get", "getting", "i", "me", "want",
                        "would", "like", "help", "about", "at", "or", "is", "it", "this"})
WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)


def focus_words(text: str) -> frozenset[str]:
    """The words of a focus area that carry meaning ("Health and sleep" -> health, sleep)."""
    words = set()
    for word in WORD.findall(text.casefold()):
        if word in STOP_WORDS:
            continue
        words.add(word[:-1] if len(word) > 4 and word.endswith("s") else word)
    return frozenset(words)


def hours_from_utc(zone: str, at: datetime) -> float:
    offset = at.astimezone(ZoneInfo(zone)).utcoffset()
    return 0.0 if offset is None else offset.total_seconds() / 3600


def hours_apart(zone_a: str, zone_b: str, at: datetime) -> float:
    """How far apart two clocks are, the short way round the world."""
    diff = abs(hours_from_utc(zone_a, at) - hours_from_utc(zone_b, at)) % 24
    return min(diff, 24 - diff)


@dataclass(frozen=True, slots=True)
class Seeker:
    member_id: int
    timezone: str
    focus: str
    joined_at: str = ""


def best_partner(me: Seeker, others: Iterable[Seeker], at: datetime,
                 excluded: frozenset[int] = frozenset()) -> Seeker | None:
    """The best partner for `me` among `others`, or None if nobody fits."""
    mine = focus_words(me.focus)
    ranked: list[tuple[int, float, str, int, Seeker]] = []
    for other in others:
        if other.member_id == me.member_id or other.member_id in excluded:
            continue
        apart = hours_apart(me.timezone, other.timezone, at)
        if apart > MAX_HOURS_APART:
            continue
        common = len(mine & focus_words(other.focus))
        ranked.append((-common, apart, other.joined_at, other.member_id, other))
    return min(ranked)[-1] if ranked else None


def common_focus(a: str, b: str) -> list[str]:
    return sorted(focus_words(a) & focus_words(b))


@dataclass(frozen=True, slots=True)
class Coach:
    member_id: int
    focus: str


def rank_coaches(need: str, coaches: Sequence[Coach], *, limit: int = 3,
                 excluded: frozenset[int] = frozenset()) -> list[Coach]:
    """Peer coaches whose focus areas share the most words with what the member needs; ties
    keep the given order (longest registered first)."""
    wanted = focus_words(need)
    scored = [(-len(wanted & focus_words(c.focus)), i, c) for i, c in enumerate(coaches)
              if c.member_id not in excluded]
    return [c for _score, _i, c in sorted(scored)[:limit]]
