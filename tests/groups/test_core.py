"""Core rules without Discord: matching partners and peer coaches, when group work falls
due, and the prompt wording file's checks."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path

import pytest

from bot.groups.core import Group
from bot.groups.matching import (
    Coach,
    Seeker,
    best_partner,
    focus_words,
    hours_apart,
    rank_coaches,
)
from bot.groups.prompts import PromptError, load_prompts
from bot.nudges.schedule import Cadence

WINTER = datetime(2026, 1, 14, 12, 0, tzinfo=UTC)


def test_focus_words_keep_what_carries_meaning() -> None:
    assert focus_words("Getting more sleep and running") == {"sleep", "running"}
    assert focus_words("exams") == focus_words("Exam")


def test_clocks_are_compared_the_short_way_round() -> None:
    assert hours_apart("Europe/Paris", "Europe/Berlin", WINTER) == 0
    assert hours_apart("Pacific/Auckland", "Pacific/Honolulu", WINTER) == 1  # +13 and -10
    assert hours_apart("America/New_York", "Europe/London", WINTER) == 5


def test_a_partner_is_near_in_time_first_and_shares_focus_second() -> None:
    me = Seeker(1, "Europe/Paris", "sleep and study")
    tokyo = Seeker(2, "Asia/Tokyo", "sleep and study", "2026-01-01")
    lisbon = Seeker(3, "Europe/Lisbon", "study", "2026-01-02")
    berlin = Seeker(4, "Europe/Berlin", "cooking", "2026-01-01")
    helsinki = Seeker(5, "Europe/Helsinki", "sleep study", "2026-01-03")
    assert best_partner(me, [tokyo], WINTER) is None  # too far apart, however well matched
    assert best_partner(me, [tokyo, berlin], WINTER) == berlin
    assert best_partner(me, [berlin, lisbon, helsinki], WINTER) == helsinki
    assert best_partner(me, [berlin, lisbon, helsinki], WINTER,
                        frozenset({5})) == lisbon  # blocked or declined before
    assert best_partner(me, [me], WINTER) is None


def test_peer_coaches_rank_by_shared_focus_then_by_who_registered_first() -> None:
    coaches = [Coach(1, "cooking"), Coach(2, "study habits"), Coach(3, "exams and study"),
               Coach(4, "running")]
    ranked = rank_coaches("failing my exams, need study tips", coaches)
    assert [c.member_id for c in ranked] == [3, 2, 1]
    assert [c.member_id for c in rank_coaches("exams", coaches, excluded=frozenset({3}),
                                              limit=2)] == [1, 2]


def group(cadence: Cadence, zone: str = "Europe/Paris") -> Group:
    return Group(1, "discord", "g", "c", "acc", cadence, time(9, 0), zone, "weekly", True,
                 False)


def test_prompts_follow_the_channel_timezone_across_daylight_saving() -> None:
    mondays = group(Cadence("weekly", (0,)))
    before = mondays.plan("prompt").next_after(datetime(2026, 3, 24, tzinfo=UTC))
    after = mondays.plan("prompt").next_after(datetime(2026, 3, 31, tzinfo=UTC))
    assert before == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)  # 09:00 summer time
    assert after == datetime(2026, 4, 6, 7, 0, tzinfo=UTC)
    winter = mondays.plan("prompt").next_after(datetime(2026, 1, 1, tzinfo=UTC))
    assert winter == datetime(2026, 1, 5, 8, 0, tzinfo=UTC)  # 09:00 winter time


def test_summary_on_sunday_evening_and_reminder_on_friday_evening() -> None:
    g = group(Cadence("days", (0, 3)), zone="America/New_York")
    start = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)  # a Monday
    assert g.plan("summary").next_after(start) == datetime(2026, 1, 11, 23, 0, tzinfo=UTC)
    assert g.plan("reminder").next_after(start) == datetime(2026, 1, 9, 23, 0, tzinfo=UTC)
    assert g.plan("prompt").next_after(start) == datetime(2026, 1, 5, 14, 0, tzinfo=UTC)
    # a Sunday night in New York is already Monday in UTC; the week is the channel's
    assert g.week_of(datetime(2026, 1, 12, 3, 0, tzinfo=UTC)) == "2026-01-05"


def test_the_bundled_prompts_load() -> None:
    wording = load_prompts()
    assert {"weekly", "wins", "gentle"} <= set(wording.keys())
    assert wording.prompt("removed-since").key == wording.keys()[0]


def test_prompt_file_problems_name_the_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "prompts.yaml"
    bad.write_text('prompts:\n  Weekly Check:\n    title: x\n    text: y\n'
                   '  wins:\n    title: "Wins"\n    txt: "typo"\n'
                   'reminder: yes\nsummary_intro: "Hi"\n', encoding="utf-8")
    with pytest.raises(PromptError) as caught:
        load_prompts(bad)
    text = str(caught.value)
    assert f"{bad}:2:3: the prompt key 'Weekly Check' should be one lowercase word" in text
    assert f"{bad}:7:5: unknown key 'txt'" in text and "did you mean 'text'?" in text
    assert f"{bad}:6:5: the prompt 'wins' is missing the key 'text'" in text
    assert f"{bad}:8:11: 'yes' was read as a yes/no value" in text
