"""Slash commands built from the registry: private in servers, modals for forms,
confirmations as buttons, autocomplete, and one bulk sync only when something changed."""

from __future__ import annotations

import pytest

from bot.commands import Command
from bot.messages import Outbound

from .conftest import Env, replies

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.timeout(30)]

EPHEMERAL = 64
GUILD, BOT_DM, PRIVATE_CHANNEL = 0, 1, 2


def buttons(message) -> dict[str, str]:
    return {c["label"]: c["custom_id"] for row in message.components
            for c in row.get("components", []) if c.get("type") == 2}




def command(env: Env, name: str) -> dict:
    return next(c for c in env.fake.commands(env.identity) if c["name"] == name)


async def test_coach_start_in_a_server_answers_only_the_member(env: Env) -> None:
    alice = env.member
    channel = env.fake.text_channels(env.guild)[0]
    handle = await env.slash(alice, "coach start", {"conversation": "checkin"}, guild=True)
    deferred = await handle.response()
    assert deferred.type == 5 and deferred.ephemeral  # deferred at once, privately
    [question] = await replies(handle)
    assert question.ephemeral and question.content == "How are you arriving today?"
    press = await env.fake.press(alice, question, buttons(question)["Busy"])
    assert (await press.response()).type == 7
    [following] = await press.wait_followups(1)
    assert following.ephemeral and following.content == "What went well this week?"
    assert [m for m in env.fake.messages_in(channel) if m.author_id == env.identity.user.id
            and not m.ephemeral] == []


async def test_a_slash_command_in_dms_answers_in_the_dm(env: Env) -> None:
    handle = await env.slash(env.member, "coach list")
    assert (await handle.response()).type == 5
    [reply] = await replies(handle)
    assert not reply.ephemeral and "checkin: Quick check-in" in reply.content


async def test_a_command_with_a_form_opens_a_modal(env: Env) -> None:
    handle = await env.slash(env.member, "testnote", {"tag": "week1"}, guild=True)
    modal = await handle.response()
    assert modal.type == 9
    inputs = [c for row in modal.data["components"] for c in row.get("components", [row])]
    assert [i["custom_id"] for i in inputs if i.get("type") == 4] == ["what", "why"]
    submitted = await env.fake.submit_modal(env.member, handle,
                                            {"what": "ran **5k**", "why": ""})
    assert (await submitted.response()).ephemeral
    [reply] = await replies(submitted)
    assert reply.ephemeral
    assert reply.content == ("Saved your note. What: ran \\*\\*5k\\*\\*. Why: (none). "
                             "Tag: week1.")


async def test_a_confirmation_is_a_button(env: Env) -> None:
    handle = await env.slash(env.member, "testforget")
    [ask] = await replies(handle)
    assert set(buttons(ask)) == {"Confirm", "Cancel"}
    press = await env.fake.press(env.member, ask, buttons(ask)["Confirm"])
    [done] = await press.wait_followups(1)
    assert done.content == "Forgotten, as you asked."


async def test_registry_commands_become_slash_commands_with_explicit_contexts(env: Env
                                                                           ) -> None:
    note = command(env, "testnote")  # added to the registry by the test set-up
    assert note["description"] == "Write a note in a form"
    assert sorted(note["contexts"]) == [GUILD, BOT_DM, PRIVATE_CHANNEL]
    assert sorted(note["integration_types"]) == [0, 1]  # server and user installs
    coach = command(env, "coach")
    assert {o["name"] for o in coach["options"]} == {"start", "resume", "stop", "list"}
    moderators = command(env, "conversations")
    assert moderators["contexts"] == [GUILD] and moderators["integration_types"] == [0]
    assert {o["name"] for o in moderators["options"]} == {
        "list", "validate", "reload", "download", "upload", "history", "rollback", "stats"}


async def test_conversation_names_autocomplete(env: Env) -> None:
    handle = await env.fake.autocomplete(env.member, "coach start", {"conversation": "che"},
                                         "conversation", bot=env.identity)
    response = await handle.response()
    assert response.type == 8
    assert response.data["choices"] == [{"name": "Quick check-in (checkin)",
                                         "value": "checkin"}]


async def test_commands_sync_once_and_again_only_when_they_change(env: Env) -> None:
    route = "/applications/{application_id}/commands"
    puts = len(env.fake.requests("PUT", route))
    assert puts >= 1
    assert await env.bot.sync_if_changed() is False
    assert len(env.fake.requests("PUT", route)) == puts

    async def hello(ctx) -> list[Outbound]:
        return [Outbound("Hello!")]

    env.coach.registry.add(Command(("testhello",), "Say hello", hello))
    env.bot.install_commands()
    assert await env.bot.sync_if_changed() is True
    assert len(env.fake.requests("PUT", route)) == puts + 1
    handle = await env.slash(env.member, "testhello")
    [reply] = await replies(handle)
    assert reply.content == "Hello!"
