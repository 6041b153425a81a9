"""Accountability channels end to end: setup by moderators, the scheduled prompt, modal
check-ins kept private or posted, the weekly summary, reminders and skipping a week."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.fakediscord.util import SEND_MESSAGES

from .conftest import Env, buttons, shown

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.timeout(30)]


async def test_a_moderator_sets_up_a_channel_and_a_member_cannot(env: Env) -> None:
    refused = await env.answer(env.alice, "group setup",
                               {"channel": env.channel, "timezone": "UTC"})
    assert refused.ephemeral and "for moderators" in refused.content
    assert env.posts() == []
    done = await env.setup_group(prompt="wins")
    assert done.ephemeral
    assert done.content.startswith("Set up. #accountability: check-in prompts every Monday "
                                   "at 09:00 (UTC time)")
    assert "The next prompt: Monday 5 January at 09:00" in done.content
    listed = await env.answer(env.alice, "group list")
    assert "#accountability" in listed.content and "every Monday" in listed.content


async def test_setup_names_the_permissions_the_bot_is_missing(env: Env) -> None:
    locked = await env.fake.add_channel(env.guild, "quiet", overwrites=[
        env.fake.overwrite(env.guild, deny=SEND_MESSAGES)])
    reply = await env.answer(env.moderator, "group setup",
                             {"channel": locked, "timezone": "UTC"})
    assert "missing the permission Send Messages in that channel" in reply.content
    assert "Nothing was changed" in reply.content
    listed = await env.answer(env.moderator, "group list")
    assert "#quiet" not in listed.content


async def test_the_prompt_comes_on_schedule_and_a_checkin_can_stay_private(env: Env) -> None:
    await env.setup_group()
    await env.answer(env.alice, "group join", {"listed": "yes"})
    await env.tick()  # 08:00: nothing is due yet
    assert env.posts() == []
    env.clock.advance(hours=1)
    await env.tick()
    [prompt] = await env.fake.wait_for(lambda: env.posts() or None)
    assert prompt.content.startswith("It's check-in time.")
    assert prompt.allowed_mentions == {"parse": []}
    # Bob presses the button: a modal opens, and his words stay private
    press = await env.fake.press(env.bob, prompt, buttons(prompt)["Check in"])
    modal = await press.response()
    assert modal.type == 9
    submitted = await env.fake.submit_modal(env.bob, press,
                                            {"update": "Slept badly, skipped the gym twice"})
    ask = await env.reply(submitted)
    assert ask.ephemeral and "Saved privately" in ask.content
    kept = await env.fake.press(env.bob, ask, buttons(ask)["Keep private"])
    [note] = await kept.wait_followups(1)
    assert note.ephemeral and note.content.startswith("Kept private.")
    every = [m.content for m in env.fake.messages_in(env.channel) if not m.ephemeral]
    assert not any("gym" in text for text in every)
    # Alice posts hers: her display name, no pings
    press = await env.fake.press(env.alice, prompt, buttons(prompt)["Check in"])
    await press.response()
    submitted = await env.fake.submit_modal(env.alice, press,
                                            {"update": "Ran three times @everyone"})
    ask = await env.reply(submitted)
    posted = await env.fake.press(env.alice, ask, buttons(ask)["Post in the channel"])
    [note] = await posted.wait_followups(1)
    assert note.content.startswith("Posted in #accountability")
    shared = env.posts()[-1]
    assert shared.content == "Check-in from Alice:\nRan three times @everyone"
    assert shared.allowed_mentions == {"parse": []}
    assert shared.mention_ids == []
    # the next prompt is next Monday, not sooner
    env.clock.advance(days=3)
    await env.tick()
    assert len(env.posts()) == 2


async def test_the_weekly_summary_names_only_who_agreed_and_shared_goals(env: Env) -> None:
    await env.setup_group()
    await env.answer(env.alice, "group join", {"listed": "yes"})
    await env.answer(env.bob, "group join", {"listed": "no"})
    for user, text in ((env.alice, "Good week"), (env.bob, "Quiet week")):
        await env.submit(user, "group checkin", {"update": text})
    # Bob finished two goals; he shares one of them with the group
    await env.submit(env.bob, "goal add", {"what": "Walk to work every day"})
    await env.submit(env.bob, "goal add", {"what": "Private thing about my health"})
    shared = await env.answer(env.bob, "group goal", {"goal": 1})
    assert "shared with #accountability" in shared.content
    await env.answer(env.bob, "goal done", {"goal": 1})
    await env.answer(env.bob, "goal done", {"goal": 2})
    env.clock.set(env.clock.now().replace(hour=17) + timedelta(days=6))  # Sunday 17:00
    await env.tick()
    before = len(env.posts())
    env.clock.advance(hours=1)
    await env.tick()
    summary = (await env.fake.wait_for(lambda: env.posts()[before:] or None))[-1]
    text = shown(summary)
    assert "Checked in this week:\n- Alice: one week in a row" in text
    assert "Goals finished this week:\n- Bob: Walk to work every day" in text
    assert "- Bob: one week" not in text  # he did not agree to be listed
    assert "Private thing" not in text and "Quiet week" not in text
    assert "Good week" not in text


async def test_one_gentle_reminder_by_dm_and_skipping_a_week(env: Env) -> None:
    await env.setup_group()
    await env.answer(env.alice, "group join", {"reminders": "yes"})
    await env.answer(env.bob, "group join", {"reminders": "yes"})
    await env.answer(env.carol, "group join", {"reminders": "yes"})
    skip = await env.answer(env.carol, "group skip")
    assert "Enjoy the break" in skip.content
    await env.submit(env.bob, "group checkin", {"update": "done"})
    env.clock.set(env.clock.now().replace(hour=18) + timedelta(days=4))  # Friday 18:00
    posts_before = len(env.posts())
    await env.tick()
    reminder = await env.next_dm(env.alice)
    assert "gentle reminder" in reminder.content and "#accountability" in reminder.content
    assert "Check in" in buttons(reminder)
    assert env.dms(env.bob) == [] and env.dms(env.carol) == []  # checked in / on a break
    assert len(env.posts()) == posts_before  # never a public call-out
    await env.tick()
    assert len(env.dms(env.alice)) == 1  # one reminder, not one a tick
    # the reminder's button opens the same private check-in, from the DM
    press = await env.fake.press(env.alice, reminder, buttons(reminder)["Check in"])
    await press.response()
    ask = await env.reply(await env.fake.submit_modal(env.alice, press, {"update": "ok"}))
    assert "Saved privately" in ask.content
