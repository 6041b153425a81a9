"""Goals and check-in reminders on Discord, through the real client and the fake server:
the goal form as a modal, the life area as a menu, the review as a PNG with alt text, and
nudges sent by the tick (driven by a fake clock) with quick answers that survive a double
press, stop at once, and respect closed DMs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio

from bot.nudges.commands import nudger_of
from bot.nudges.queue import DeliveryQueue

from .conftest import Env, replies

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.timeout(30)]

MESSAGES = "/channels/{channel_id}/messages"
OPEN_DM = "/users/@me/channels"
GOAL = {"what": "Walk 20 minutes a day", "why": "More energy for my kids",
        "measure": "Five walks a week for a month",
        "plan": "If it is 7am on a weekday, then I will put my shoes on", "due": "2026-03-31"}


def parts(message: Any) -> list[dict[str, Any]]:
    return [c for row in message.components for c in row.get("components", [])]


def buttons(message: Any) -> dict[str, str]:
    """label -> custom id of every button on a message."""
    return {c["label"]: c["custom_id"] for c in parts(message) if c.get("type") == 2}


def menu(message: Any) -> dict[str, Any]:
    [found] = [c for c in parts(message) if c.get("type") == 3]
    return found






def bot_posts_in_channel(env: Env) -> list[Any]:
    channel = env.fake.text_channels(env.guild)[0]
    return [m for m in env.fake.messages_in(channel)
            if m.author_id == env.identity.user.id and not m.ephemeral]


async def add_goal(env: Env, user: Any, fields: dict[str, str], *, guild: bool = False
                   ) -> Any:
    """/goal add: the modal, filled in and submitted; returns the bot's answer."""
    handle = await env.slash(user, "goal add", guild=guild)
    modal = await handle.response()
    assert modal.type == 9
    submitted = await env.fake.submit_modal(user, handle, fields)
    [answer] = await replies(submitted)
    return answer


@pytest_asyncio.fixture(loop_scope="session")
async def queue(env: Env) -> AsyncIterator[DeliveryQueue]:
    """The one delivery queue, plugged into the bot's delivery port (no timer: the tests
    call the tick themselves with the fake clock's time)."""
    assert env.coach.delivery is not None
    delivery_queue = nudger_of(env.coach).attach(env.coach.delivery)
    try:
        yield delivery_queue
    finally:
        await delivery_queue.stop()


async def tick(env: Env, queue: DeliveryQueue, at: Any) -> Any:
    env.coach.clock.set(at)  # type: ignore[attr-defined]
    result = await nudger_of(env.coach).tick(at)
    await queue.join()
    return result


def nudges_to(env: Env, user: Any) -> list[Any]:
    """The reminders the bot sent to a member's DMs (each carries its occurrence's nonce,
    `n<schedule>-<minute>`; discord.py gives other messages a random number)."""
    return [m for m in env.fake.messages_to(user, env.identity)
            if str(m.nonce or "").startswith("n")]


async def member_of(env: Env, user: Any) -> Any:
    member = await env.coach.members.find("discord", str(user.id))
    assert member is not None
    return member


# -- goals --------------------------------------------------------------------------------------

async def test_goal_add_in_a_server_is_a_private_modal_then_a_life_area_menu(env: Env) -> None:
    alice = env.member
    handle = await env.slash(alice, "goal add", guild=True)
    modal = await handle.response()
    assert modal.type == 9
    inputs = [c for row in modal.data["components"] for c in row.get("components", [row])
              if c.get("type") == 4]
    assert [i["custom_id"] for i in inputs] == ["what", "why", "measure", "plan", "due"]
    assert [i["label"] for i in inputs][3] == "If ..., then I will ..."
    assert "Due date" in inputs[4]["label"] and not inputs[4]["required"]
    assert inputs[0]["required"]

    submitted = await env.fake.submit_modal(alice, handle, GOAL)
    assert (await submitted.response()).ephemeral
    [saved] = await replies(submitted)
    assert saved.ephemeral
    assert saved.content.startswith("Saved as goal 1: Walk 20 minutes a day")
    assert "Which part of life is goal 1 about?" in saved.content
    areas = menu(saved)
    assert {"health", "career", "skip"} <= {o["value"] for o in areas["options"]}

    picked = await env.fake.select(alice, saved, areas["custom_id"], ["health"])
    ack = await picked.response()
    assert ack.type == 7  # the menu is disabled under the question, the pick shown
    assert all(c.get("disabled") for row in ack.data["components"] for c in row["components"])
    [stored] = await picked.wait_followups(1)
    assert stored.ephemeral and "goal 1 is about health" in stored.content

    row = await env.coach.db.fetchone(
        "SELECT number, what, why, measure, plan, due_date, area FROM goals")
    assert dict(row) == {"number": 1, "what": GOAL["what"], "why": GOAL["why"],
                         "measure": GOAL["measure"], "plan": GOAL["plan"],
                         "due_date": "2026-03-31", "area": "health"}

    listed = await env.answer(alice, "goal list", guild=True)
    assert listed.ephemeral and "- 1. Walk 20 minutes a day (due 2026-03-31)" in listed.content
    assert bot_posts_in_channel(env) == []


async def test_a_wrong_due_date_gets_a_kind_message_and_the_goal_is_kept(env: Env) -> None:
    await add_goal(env, env.member, {"what": "Someone else's goal"}, guild=True)
    bea = env.fake.add_user("bea")
    await env.fake.add_member(env.guild, bea)
    saved = await add_goal(env, bea, {"what": "Read a book a month", "due": "next spring"},
                           guild=True)
    assert saved.ephemeral
    assert 'I couldn\'t read "next spring" as a date' in saved.content
    assert "saved the goal without one" in saved.content
    past = await add_goal(env, bea, {"what": "Call my sister", "due": "2025-01-01"},
                          guild=True)
    assert "2025-01-01 has already passed" in past.content
    member = await member_of(env, bea)
    rows = await env.coach.db.fetchall(
        "SELECT number, due_date FROM goals WHERE member_id = ? ORDER BY number", (member.id,))
    assert [(r["number"], r["due_date"]) for r in rows] == [(1, None), (2, None)]
    ids = await env.coach.db.fetchall("SELECT id FROM goals WHERE member_id = ? ORDER BY id",
                                      (member.id,))
    assert [r["id"] for r in ids] == [2, 3]  # database ids, never shown
    listed = await env.answer(bea, "goal list", guild=True)
    assert "- 1. Read a book a month" in listed.content
    assert "- 2. Call my sister" in listed.content
    assert bot_posts_in_channel(env) == []


async def test_checkins_and_a_review_as_a_png_whose_description_is_the_alt_text(env: Env
                                                                               ) -> None:
    alice = env.member
    await add_goal(env, alice, {"what": "Walk 20 minutes a day"}, guild=True)
    clock = env.coach.clock
    for progress, note in ((3, "a slow start"), (5, None), (6, "walked with a friend")):
        options: dict[str, Any] = {"goal": 1, "progress": progress}
        if note:
            options["note"] = note
        answer = await env.answer(alice, "goal checkin", options, guild=True)
        assert answer.ephemeral and f"goal 1 at {progress} out of 10" in answer.content
        assert "What helped" in answer.content
        clock.advance(days=7)  # type: ignore[attr-defined]

    handle = await env.slash(alice, "goal review", guild=True)
    [review] = await replies(handle)
    assert review.ephemeral
    assert "up from 3 to 6" in review.content
    [picture] = review.attachments
    assert picture.filename.endswith(".png") and picture.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert picture.description is not None
    assert picture.description.startswith("A line chart of progress from 0 to 10 over time.")
    assert "Goal 1 (Walk 20 minutes a day): up from 3 to 6" in picture.description
    shown = await env.answer(alice, "goal show", {"goal": 1}, guild=True)
    assert "walked with a friend" in shown.content and "6/10" in shown.content
    assert bot_posts_in_channel(env) == []


# -- nudges -------------------------------------------------------------------------------------

async def set_up_nudges(env: Env, user: Any, goals: list[str]) -> Any:
    """A member who wrote to the bot (their DM channel is stored), with a timezone, goals
    and a daily 11:00 reminder set in the server; returns the first due time."""
    await env.dm(user, "hi")
    zone = await env.answer(user, "timezone", {"name": "Europe/Paris"}, guild=True)
    assert "Europe/Paris" in zone.content
    for what in goals:
        await add_goal(env, user, {"what": what}, guild=True)
    answer = await env.answer(user, "nudge set", {"cadence": "daily", "time": "11:00"},
                         guild=True)
    assert answer.ephemeral and answer.content.startswith("Saved. Check-in reminders")
    member = await member_of(env, user)
    schedule = await nudger_of(env.coach).schedule(member.id)
    assert schedule is not None and schedule.next_due is not None
    return schedule.next_due


async def test_a_nudge_is_one_request_to_the_stored_dm_with_quick_answers(
        env: Env, queue: DeliveryQueue) -> None:
    alice = env.member
    due = await set_up_nudges(env, alice, ["Walk 20 minutes a day", "Drink more water"])
    dm_channel = env.dm_channel(alice)
    member = await member_of(env, alice)
    assert member.dm_channel_id == str(dm_channel.id)

    early = await tick(env, queue, due - timedelta(minutes=1))
    assert early.queued == 0
    before = len(env.fake.request_log)
    result = await tick(env, queue, due)
    assert result.queued == 1
    sent = env.fake.request_log[before:]
    assert [(r["method"], r["route"], r["status"]) for r in sent] == [
        ("POST", MESSAGES, 200)]
    assert sent[0]["path"].endswith(f"/channels/{dm_channel.id}/messages")
    [nudge] = nudges_to(env, alice)
    stored = await env.coach.db.fetchone(
        "SELECT nonce, state FROM nudge_occurrences WHERE member_id = ?", (member.id,))
    assert nudge.nonce == stored["nonce"] and nudge.enforce_nonce
    assert stored["state"] == "sent"
    assert "Walk 20 minutes a day" in nudge.content
    progress = menu(nudge)
    assert [o["label"] for o in progress["options"]] == [str(n) for n in range(11)]
    assert list(buttons(nudge)) == ["Done!", "Snooze 1 hour", "This evening", "Tomorrow",
                                    "Skip this one", "Stop these reminders"]

    # "Done!" pressed twice at once: recorded once, the other press gets a kind answer.
    done = buttons(nudge)["Done!"]
    first_press, second_press = await asyncio.gather(env.fake.press(alice, nudge, done),
                                                     env.fake.press(alice, nudge, done))
    answers = [(await first_press.wait_followups(1))[0].content,
               (await second_press.wait_followups(1))[0].content]
    assert any("You did it: goal 1 is done" in a for a in answers)
    assert any(a == "You already answered this check-in. Thank you!" for a in answers)
    shown = await env.answer(alice, "goal show", {"goal": 1})
    assert "Status: done" in shown.content

    # The next day's nudge asks about the goal still active; a progress pick is saved.
    await tick(env, queue, due + timedelta(days=1))
    second = nudges_to(env, alice)[-1]
    assert "Drink more water" in second.content
    picked = await env.fake.select(alice, second, menu(second)["custom_id"], ["progress:7"])
    assert (await picked.response()).type == 7
    [saved] = await picked.wait_followups(1)
    assert "goal 2 at 7 out of 10" in saved.content
    row = await env.coach.db.fetchone(
        "SELECT c.progress, c.source FROM checkins c JOIN goals g ON g.id = c.goal_id"
        " WHERE g.member_id = ? AND g.number = 2", (member.id,))
    assert (row["progress"], row["source"]) == (7, "nudge")
    answered = env.fake.world.messages[second.id]
    assert all(c.get("disabled") for c in parts(answered))  # nothing left to press

    # "Stop these reminders" stops them at once: the next due time sends nothing.
    await tick(env, queue, due + timedelta(days=2))
    third = nudges_to(env, alice)[-1]
    stop = await env.fake.press(alice, third, buttons(third)["Stop these reminders"])
    [stopped] = await stop.wait_followups(1)
    assert "these reminders are off" in stopped.content
    before = len(env.fake.request_log)
    quiet = await tick(env, queue, due + timedelta(days=3))
    assert quiet.queued == 0 and env.fake.request_log[before:] == []
    assert (await env.answer(alice, "nudge show")).content.startswith("You have no reminders")


async def test_closed_dms_mark_the_member_unreachable_and_they_are_told_in_a_server(
        env: Env, queue: DeliveryQueue) -> None:
    cal = env.fake.add_user("cal")
    await env.fake.add_member(env.guild, cal)
    due = await set_up_nudges(env, cal, ["Sleep by 23:00"])
    env.fake.close_dms(cal)

    before = len(env.fake.request_log)
    await tick(env, queue, due)
    sent = env.fake.request_log[before:]
    assert [(r["method"], r["route"], r["status"]) for r in sent] == [
        ("POST", MESSAGES, 403)]  # one try, no retry
    member = await member_of(env, cal)
    assert member.unreachable_since is not None
    state = await env.coach.db.fetchone(
        "SELECT state FROM nudge_occurrences WHERE member_id = ?", (member.id,))
    assert state["state"] == "unreachable"

    before = len(env.fake.request_log)
    later = await tick(env, queue, due + timedelta(days=1))
    assert later.queued == 0 and env.fake.request_log[before:] == []

    told = await env.answer(cal, "goal list", guild=True)
    assert told.ephemeral
    assert "your direct messages are closed to me" in told.content
    assert "- 1. Sleep by 23:00" in told.content
    again = await env.answer(cal, "goal list", guild=True)
    assert "closed to me" not in again.content  # told once
    assert bot_posts_in_channel(env) == []
