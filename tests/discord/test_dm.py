"""Members in DMs: a whole conversation with buttons and a reflection, presses that come
too late or from someone else, long answers, a gateway that drops, closed DMs, and many
proactive messages without a single 429."""

from __future__ import annotations

import asyncio

import pytest

from bot.delivery import DeliveryResult
from bot.messages import Outbound
from bot.transports.discord.client import STALE
from bot.transports.discord.components import NOT_YOURS

from .conftest import Env

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.timeout(30)]


def buttons(message) -> dict[str, str]:
    """label -> custom id of every button on a message."""
    return {c["label"]: c["custom_id"] for row in message.components
            for c in row.get("components", []) if c.get("type") == 2}


async def press(env: Env, user, message, label: str):
    handle = await env.fake.press(user, message, buttons(message)[label])
    return handle, await handle.response()


async def start_checkin(env: Env, user):
    return await env.dm(user, "/coach start checkin")


async def test_dm_conversation_from_start_to_finish(env: Env) -> None:
    alice = env.member
    menu = await env.dm(alice, "hi")
    assert "/coach start checkin" in menu.content

    first = await start_checkin(env, alice)
    assert first.content == "How are you arriving today?"
    assert set(buttons(first)) == {"Calm", "Busy"}

    _, ack = await press(env, alice, first, "Calm")
    assert ack.type == 7  # the question's message is updated: its buttons are disabled
    assert all(c["disabled"] for row in ack.data["components"] for c in row["components"])

    ask_win = await env.next_dm(alice)
    assert ask_win.content == "What went well this week?"

    mirror = await env.dm(alice, "I finished the draft **early** @everyone")
    assert mirror.content == ('Here is what I heard: "I finished the draft \\*\\*early\\*\\* '
                              '@everyone". Does that fit?')
    assert mirror.allowed_mentions == {"parse": []} and mirror.mention_ids == []

    await press(env, alice, mirror, "Yes")
    scale = await env.next_dm(alice)
    assert "energy" in scale.content
    assert len(scale.components) == 2 and list(buttons(scale)) == [str(n) for n in range(1, 11)]

    await press(env, alice, scale, "7")
    closing = await env.next_dm(alice)
    assert "in your own words" in closing.content and "\\*\\*early\\*\\*" in closing.content
    await press(env, alice, closing, "No")
    goodbye = await env.next_dm(alice)
    assert "Thank you" in goodbye.content or "Nothing is saved" in goodbye.content

    member = await env.coach.members.find("discord", str(alice.id))
    assert member is not None and member.dm_channel_id == str(env.dm_channel(alice).id)
    row = await env.coach.db.fetchone(
        "SELECT status, answers FROM sessions WHERE member_id = ? AND flow_id = 'checkin'",
        (member.id,))
    assert row["status"] == "finished"
    assert '"energy": 7' in row["answers"] and '"arriving": "calm"' in row["answers"]


async def test_a_button_pressed_twice_gets_a_kind_private_answer(env: Env) -> None:
    bob = env.fake.add_user("bob")
    question = await start_checkin(env, bob)
    custom_id = buttons(question)["Busy"]
    first, second = await asyncio.gather(env.fake.press(bob, question, custom_id),
                                         env.fake.press(bob, question, custom_id))
    answers = sorted([await first.response(), await second.response()], key=lambda r: r.type)
    assert answers[0].type == 4 and answers[0].ephemeral and answers[0].content == STALE
    assert answers[1].type == 7
    assert (await env.next_dm(bob)).content == "What went well this week?"
    session = await env.coach.db.fetchone(
        "SELECT answers FROM sessions s JOIN members m ON m.id = s.member_id"
        " WHERE m.external_id = ?", (str(bob.id),))
    assert '"arriving": "busy"' in session["answers"]


async def test_a_button_on_an_old_message_changes_nothing(env: Env) -> None:
    cleo = env.fake.add_user("cleo")
    question = await start_checkin(env, cleo)
    assert (await env.dm(cleo, "busy")).content == "What went well this week?"
    _, answer = await press(env, cleo, question, "Calm")
    assert answer.ephemeral and answer.content == STALE
    # The conversation is where it was: the next text answers "what went well".
    assert "Here is what I heard" in (await env.dm(cleo, "I rested")).content


async def test_someone_elses_button_does_nothing_for_them(env: Env) -> None:
    dana = env.fake.add_user("dana")
    eve = env.fake.add_user("eve")
    question = await start_checkin(env, dana)
    _, answer = await press(env, eve, question, "Calm")
    assert answer.ephemeral and answer.content == NOT_YOURS
    assert (await env.dm(dana, "calm")).content == "What went well this week?"


async def test_a_long_answer_is_split_cleanly(env: Env) -> None:
    fay = env.fake.add_user("fay")
    first = await env.dm(fay, "/testlong")
    second = await env.next_dm(fay)
    assert len(first.content) <= 2000 and len(second.content) <= 2000
    lines = (first.content + "\n" + second.content).split("\n")
    assert len(lines) == 33 and lines[0].startswith("01.") and lines[-1].startswith("33.")
    assert first.content.endswith(".")  # cut at a line break, not inside a line


async def test_the_gateway_drops_mid_conversation_and_resumes(env: Env) -> None:
    gus = env.fake.add_user("gus")
    fake = env.fake
    question = await start_checkin(env, gus)
    identifies, resumes = fake.identify_count, fake.resume_count
    assert await fake.drop_gateway(env.identity) >= 1
    await fake.wait_for(lambda: fake.resume_count > resumes, timeout=10)
    await fake.wait_connected(env.identity)
    assert fake.identify_count == identifies  # resumed, not identified again
    await press(env, gus, question, "Calm")
    assert (await env.next_dm(gus)).content == "What went well this week?"
    assert "Here is what I heard" in (await env.dm(gus, "I kept going")).content


async def test_a_member_with_closed_dms_is_marked_unreachable_without_retries(env: Env
                                                                            ) -> None:
    hal = env.fake.add_user("hal")
    await env.dm(hal, "hello")
    env.fake.close_dms(hal)
    member = await env.coach.members.find("discord", str(hal.id))
    assert member is not None and member.dm_channel_id is not None
    route = "/channels/{channel_id}/messages"
    before = len(env.fake.requests("POST", route))
    delivery = env.coach.delivery
    assert delivery is not None
    result = await delivery.send(member, [Outbound("Time for your check-in?")], nonce="n-hal-1")
    assert result == DeliveryResult.UNREACHABLE
    sent = env.fake.requests("POST", route)[before:]
    assert [r["status"] for r in sent] == [403]  # one try, no retry
    member = await env.coach.members.find("discord", str(hal.id))
    assert member is not None and member.unreachable_since is not None
    # Writing to the bot again clears the mark.
    env.fake.close_dms(hal, False)
    await env.dm(hal, "hello again")
    member = await env.coach.members.find("discord", str(hal.id))
    assert member is not None and member.unreachable_since is None


async def test_many_proactive_messages_without_a_429(env: Env) -> None:
    fake = env.fake
    coach = env.coach
    users = [fake.add_user(f"member{i}") for i in range(100)]
    members = []
    for user in users:
        from bot.messages import Speaker
        member = await coach.members.ensure(Speaker("discord", str(user.id), user.username),
                                            coach.clock.now())
        channel = env.dm_channel(user)
        members.append(await coach.members.update(member.id, dm_channel_id=str(channel.id)))
    fake.limiter.reset_counters()
    delivery = coach.delivery
    assert delivery is not None
    results = await asyncio.gather(*(
        delivery.send(m, [Outbound("How is your goal going?")], nonce=f"nudge-{m.id}")
        for m in members))
    assert results == [DeliveryResult.SENT] * len(members)
    assert fake.count_429 == 0
    assert fake.limiter.max_in_window[env.identity.token] <= 50
    for user in users[:3]:
        message = await env.next_dm(user)
        assert message.content == "How is your goal going?"
        assert message.enforce_nonce and message.nonce is not None
