"""Accountability partners and peer coaches end to end: nobody is introduced until both
agree, adults only, block and report, and a member leaving a server ends their pairing."""

from __future__ import annotations

import pytest

from .conftest import Env, buttons, shown

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.timeout(30)]


async def press(env: Env, user, message, label: str):  # noqa: ANN001, ANN201
    handle = await env.fake.press(user, message, buttons(message)[label])
    [reply] = await handle.wait_followups(1)
    return reply


async def pair_up(env: Env) -> None:
    first = await env.answer(env.alice, "partner join",
                             {"focus": "running and sleep", "timezone": "Europe/Paris"})
    assert "You're on the list" in first.content
    second = await env.answer(env.bob, "partner join",
                              {"focus": "sleep habits", "timezone": "Europe/Berlin"})
    assert "sent you both a private message" in second.content


async def test_partners_are_introduced_only_after_both_accept(env: Env) -> None:
    far = await env.answer(env.carol, "partner join",
                           {"focus": "sleep", "timezone": "Asia/Tokyo"})
    assert "You're on the list" in far.content  # too far apart to be proposed
    await pair_up(env)
    to_alice = await env.next_dm(env.alice)
    to_bob = await env.next_dm(env.bob)
    for proposal in (to_alice, to_bob):
        assert "sleep in common" in proposal.content
        assert "Alice" not in proposal.content and "Bob" not in proposal.content
        assert set(buttons(proposal)) == {"Yes, let's be partners", "Not this time"}
    assert env.dms(env.carol) == []
    waiting = await press(env, env.alice, to_alice, "Yes, let's be partners")
    assert "as soon as the other member says yes" in waiting.content
    assert len(env.dms(env.bob)) == 1  # Bob learns nothing yet
    intro = await press(env, env.bob, to_bob, "Yes, let's be partners")
    assert "Your accountability partner is Alice" in intro.content
    to_alice_intro = await env.next_dm(env.alice)
    assert "Your accountability partner is Bob" in to_alice_intro.content
    # a nudge through the bot, and a kind limit on them
    sent = await env.answer(env.alice, "partner nudge")
    assert sent.content.startswith("Sent.")
    nudge = await env.next_dm(env.bob)
    assert "Alice, your accountability partner, sent you a nudge" in nudge.content
    again = await env.answer(env.alice, "partner nudge")
    assert "one every 12 hours" in again.content


async def test_a_declined_suggestion_introduces_nobody(env: Env) -> None:
    await pair_up(env)
    to_alice = await env.next_dm(env.alice)
    to_bob = await env.next_dm(env.bob)
    await press(env, env.alice, to_alice, "Yes, let's be partners")
    declined = await press(env, env.bob, to_bob, "Not this time")
    assert "I won't introduce you" in declined.content
    note = await env.next_dm(env.alice)
    assert "didn't work out this time" in note.content and "Bob" not in note.content
    pair = int(buttons(to_alice)["Yes, let's be partners"].split("pair=")[1].split(":")[0])
    stale = await env.answer(env.alice, "partner answer", {"pair": pair, "answer": "accept"})
    assert "already been settled" in stale.content  # a late yes changes nothing


async def test_block_and_report_goes_to_moderators_with_ids_only(env: Env) -> None:
    await env.answer(env.moderator, "server-settings", {"alert_channel": env.general},
                     channel=env.general)
    await pair_up(env)
    for user in (env.alice, env.bob):
        await press(env, user, await env.next_dm(user), "Yes, let's be partners")
    await env.next_dm(env.alice)  # the introduction
    blocked = await env.answer(env.bob, "partner block", {"report": "yes"})
    assert "never pair you two again" in blocked.content
    assert "told the server's moderators" in blocked.content
    [alert] = [m for m in env.posts(env.general) if "reported" in m.content]
    assert str(env.bob.id) in alert.content and str(env.alice.id) in alert.content
    ended = await env.next_dm(env.alice)
    assert "partnership has ended" in ended.content and "block" not in ended.content
    again = await env.answer(env.bob, "partner new")
    assert "You're on the list for a new partner" in again.content  # never Alice again


async def test_a_member_leaving_the_server_ends_the_pairing_kindly(env: Env) -> None:
    await pair_up(env)
    for user in (env.alice, env.bob):
        await press(env, user, await env.next_dm(user), "Yes, let's be partners")
    await env.next_dm(env.alice)
    await env.setup_group()
    await env.answer(env.bob, "group join")
    await env.fake.member_leave(env.guild, env.bob)
    told = await env.next_dm(env.alice)
    assert "no longer in your server" in told.content and "ended" in told.content
    listed = await env.answer(env.alice, "partner nudge")
    assert "don't have an accountability partner" in listed.content
    member = await env.coach.members.find("discord", str(env.bob.id))
    assert member is not None
    assert await env.coach.db.fetchval("SELECT COUNT(*) FROM group_members WHERE"
                                       " member_id = ?", (member.id,)) == 0


async def test_a_peer_coach_match_shares_nothing_until_both_agree(env: Env) -> None:
    other = await env.answer(env.carol, "peer register", {"adult": "yes", "focus": "cooking"})
    assert other.content.startswith("Thank you for offering")
    registered = await env.answer(env.bob, "peer register", {
        "adult": "yes", "focus": "study habits and exams",
        "lived_experience": "I finished university with ADHD"})
    assert "Thank you for offering to coach your peers" in registered.content
    handle = await env.slash(env.alice, "peer request", {"adult": "yes"})
    assert (await handle.response()).type == 9
    offer = await env.reply(await env.fake.submit_modal(env.alice, handle, {
        "topic": "I keep failing my exams and feel stuck",
        "share": "I'd like help planning my study weeks"}))
    text = shown(offer)
    assert "Nothing is shared yet" in text
    assert text.index("Bob") < text.index("Carol")  # the closer focus comes first
    assert "In their words: I finished university with ADHD" in text
    assert env.dms(env.bob) == []  # nothing shared before the member picks
    picked = await press(env, env.alice, offer, "Ask Bob")
    assert "I've asked Bob" in picked.content
    ask = await env.next_dm(env.bob)
    assert "I'd like help planning my study weeks" in shown(ask)
    assert "failing my exams" not in ask.content  # the private part stays private
    assert "Alice" not in ask.content  # not introduced yet
    assert "confirmed they are an adult" in ask.content
    accepted = await press(env, env.bob, ask, "Yes, I'll coach them")
    assert "You're now peer coach for Alice" in accepted.content
    intro = await env.next_dm(env.alice)
    assert "Bob agreed to be your peer coach" in intro.content
    mods = await env.answer(env.moderator, "peer list")
    assert "Bob" in mods.content and "study habits" in mods.content
    refused = await env.answer(env.alice, "peer list")
    assert "for moderators" in refused.content
    removed = await env.answer(env.moderator, "peer remove-member", {"user": env.bob})
    assert "Removed Bob's peer coach registration" in removed.content
    ended = await env.next_dm(env.alice)
    assert "no longer coaching here" in ended.content


async def test_peer_coaching_is_for_adults_only(env: Env) -> None:
    from bot.messages import CommandCall, Inbound, Speaker
    speaker = Speaker("terminal", "local", "Dana")
    for path, form in ((("peer", "register"), None),
                       (("peer", "request"), {"topic": "exams", "share": ""})):
        args = {"adult": "no", "focus": "study"}
        [reply] = await env.coach.handle(Inbound(speaker, command=CommandCall(path, args, form)))
        assert "only between adults" in reply.text
    assert await env.coach.db.fetchval("SELECT COUNT(*) FROM peer_requests") == 0
    assert await env.coach.db.fetchval("SELECT COUNT(*) FROM peer_coaches") == 0
    # Discord offers only "yes" for the adult option
    parsed = env.coach.registry.parse("/peer register no study")
    assert not isinstance(parsed, tuple)


async def test_when_the_bot_leaves_a_server_everyone_there_is_told(env: Env) -> None:
    await env.setup_group()
    await env.answer(env.carol, "group join")
    await pair_up(env)
    for user in (env.alice, env.bob):
        await press(env, user, await env.next_dm(user), "Yes, let's be partners")
    await env.next_dm(env.alice)  # the introduction (Bob's came as his press's answer)
    await env.fake.remove_guild(env.guild)
    for user, what in ((env.carol, "your accountability group"),
                       (env.alice, "your accountability partnership")):
        told = await env.next_dm(user)
        assert "no longer in one of your servers" in told.content and what in told.content
    assert await env.coach.db.fetchval("SELECT COUNT(*) FROM group_channels") == 0
    assert await env.coach.db.fetchval("SELECT COUNT(*) FROM partner_pairs WHERE"
                                       " status = 'active'") == 0
