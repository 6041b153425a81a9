"""Crisis language in a group channel or a group modal is answered privately and pauses the
member's group reminders; a member's group data is exported and deleted, posts included."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from .conftest import Env, buttons, shown

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.timeout(30)]

CRISIS = "honestly i don't want to be here anymore, i've been collecting my pills"


async def test_crisis_words_in_the_channel_are_answered_privately(env: Env) -> None:
    await env.setup_group(read_messages="on")
    await env.answer(env.alice, "group join", {"reminders": "yes"})
    await env.answer(env.bob, "group join", {"reminders": "yes"})
    before = len(env.posts())
    await env.fake.send_channel_message(env.bob, env.channel, "great run this morning!")
    await env.fake.send_channel_message(env.alice, env.channel, CRISIS)
    reply = await env.next_dm(env.alice)
    assert "findahelpline.com" in shown(reply)
    assert len(env.posts()) == before  # nothing in the channel
    assert env.dms(env.bob) == []  # ordinary messages get no answer
    assert await env.coach.db.fetchval(
        "SELECT COUNT(*) FROM crisis_events") == 1
    # Friday evening: Bob gets his reminder, Alice's group reminders are paused
    env.clock.set(env.clock.now().replace(hour=18) + timedelta(days=4))
    await env.tick()
    assert "gentle reminder" in (await env.next_dm(env.bob)).content
    assert env.dms(env.alice) == [reply]
    raw = env.coach.db.path
    with open(raw, "rb") as handle:  # noqa: ASYNC230
        assert b"collecting my pills" not in handle.read()


async def test_crisis_words_in_a_checkin_get_a_private_answer_and_save_nothing(env: Env
                                                                               ) -> None:
    await env.setup_group()
    answer = await env.submit(env.alice, "group checkin", {"update": CRISIS})
    assert answer.ephemeral and "Post" not in " ".join(buttons(answer))
    assert "findahelpline.com" in shown(answer)
    assert await env.coach.db.fetchval("SELECT COUNT(*) FROM group_checkins") == 0
    assert env.posts() == []


async def test_export_and_delete_include_group_data_and_posts(env: Env) -> None:
    await env.setup_group()
    await env.answer(env.alice, "group join", {"listed": "yes"})
    ask = await env.submit(env.alice, "group checkin", {"update": "Walked every day"})
    posted = await env.fake.press(env.alice, ask, buttons(ask)["Post in the channel"])
    await posted.wait_followups(1)
    await env.submit(env.alice, "group checkin", {"update": "A private note"})
    await env.answer(env.alice, "partner join", {"focus": "walking", "timezone": "UTC"})
    [post] = [m for m in env.posts() if "Walked every day" in m.content]
    exported = await env.answer(env.alice, "mydata export")
    source = exported if exported.attachments else await env.next_dm(env.alice)
    document = json.loads(source.attachments[0].data)
    groups = document["features"]["groups"]["data"]
    assert [c["text"] for c in groups["checkins"]] == ["Walked every day", "A private note"]
    assert groups["posts"][0]["message_id"] == str(post.id)
    assert document["features"]["partners"]["data"]["looking"][0]["focus"] == "walking"
    ask = await env.answer(env.alice, "mydata delete")
    done = await env.fake.press(env.alice, ask, buttons(ask)["Confirm"])
    [reply] = await done.wait_followups(1)
    assert reply.content.startswith("Done.")
    assert env.fake.world.messages[post.id].deleted  # the post is gone from the channel
    for table in ("group_checkins", "group_members", "group_posts", "partner_pool"):
        assert await env.coach.db.fetchval(f"SELECT COUNT(*) FROM {table}") == 0  # noqa: S608
