"""Moderators manage conversations from Discord; everyone else is refused, kindly; a crisis
in a channel is answered privately, and moderator alerts carry no words."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.transports.discord.client import CRISIS_IN_CHANNEL

from .conftest import CHECKIN, Env, replies

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.timeout(30)]

BROKEN = CHECKIN.replace("    type: text\n", "    type: txt\n").replace(
    "    of: win\n", "    of: wins\n")
EDITED = CHECKIN.replace("How are you arriving today?", "How are you, right now?")
CRISIS_TEXT = "I want to kill myself"




async def run(env: Env, user, name: str, options: dict | None = None, *,
              file: bytes | None = None, filename: str = "checkin.yaml"):
    if file is not None:
        handle = await env.slash_with_file(user, name, filename, file, options)
    else:
        handle = await env.slash(user, name, options, guild=True)
    assert (await handle.response()).ephemeral
    [reply] = await replies(handle)
    assert reply.ephemeral
    return reply


async def test_a_non_moderator_is_refused_for_every_moderator_command(env: Env) -> None:
    moderator_commands = [c for c in env.coach.registry.all() if c.moderator]
    assert len(moderator_commands) >= 9
    for command in moderator_commands:
        options = {p.name: "checkin" for p in command.params
                   if p.required and p.kind != "attachment"}
        needs_file = any(p.required and p.kind == "attachment" for p in command.params)
        reply = await run(env, env.member, " ".join(command.path), options,
                          file=EDITED.encode() if needs_file else None)
        assert reply.content.startswith(f"{command.name} is for moderators"), command.name
    assert "How are you arriving today?" in env.coach.library.text_of("checkin")


async def test_a_broken_upload_is_refused_with_lines_and_a_good_one_installed_then_rolled_back(
        env: Env) -> None:
    mo = env.moderator
    original = env.coach.library.get("checkin")
    assert original is not None

    refused = await run(env, mo, "conversations upload", file=BROKEN.encode())
    lines = refused.content.split("\n")
    assert "was not installed" in lines[0]
    assert lines[1].startswith("checkin.yaml:12:11: unknown step type 'txt'")
    assert lines[2].startswith("checkin.yaml:16:9: unknown variable {wins}")
    assert env.coach.library.get("checkin") == original

    installed = await run(env, mo, "conversations upload", file=EDITED.encode())
    assert installed.content.startswith("Updated checkin (change #1)")
    assert (await env.dm(env.member, "/coach start checkin")).content == \
        "How are you, right now?"

    history = await run(env, mo, "conversations history", {"name": "checkin"})
    assert "#1" in history.content and "upload checkin by Mo" in history.content

    rolled = await run(env, mo, "conversations rollback", {"name": "checkin"})
    assert rolled.content.startswith("Rolled back checkin to the version before change #1")
    assert env.coach.library.text_of("checkin") == CHECKIN
    assert env.coach.library.get("checkin").content_hash == original.content_hash

    downloaded = await run(env, mo, "conversations download", {"name": "checkin"})
    [file] = downloaded.attachments
    assert file.filename == "checkin.yaml" and file.data.decode() == CHECKIN


async def test_moderators_check_reload_list_and_see_counts(env: Env) -> None:
    mo = env.moderator
    checked = await run(env, mo, "conversations validate", file=BROKEN.encode())
    assert "nothing was installed" in checked.content
    assert "\ncheckin.yaml:12:11: unknown step type" in checked.content
    assert "All 1 conversation files are valid." == \
        (await run(env, mo, "conversations validate")).content

    (env.flows / "extra.yaml").write_text(CHECKIN.replace("id: checkin", "id: extra"))
    reloaded = await run(env, mo, "conversations reload")
    assert "Changed: extra." in reloaded.content
    assert "- extra:" in (await run(env, mo, "conversations list")).content

    await env.dm(env.member, "/coach start checkin")
    await env.dm(env.member, "stop")
    stats = await run(env, mo, "conversations stats")
    assert "checkin: 1 started, 0 finished" in stats.content
    assert "stopped at: arriving (1)" in stats.content


async def test_a_configured_moderator_role_counts(env: Env) -> None:
    fake = env.fake
    role = await fake.add_role(env.guild, "Coach team", 0)
    helper = fake.add_user("helper")
    await fake.add_member(env.guild, helper, roles=[role])
    reply = await run(env, helper, "conversations list")
    assert reply.content.startswith("1 conversations are loaded")


async def test_server_settings_and_a_moderator_alert_without_words(env: Env) -> None:
    fake = env.fake
    alerts = await fake.add_channel(env.guild, "mod-alerts")
    settings = await run(env, env.moderator, "server-settings",
                         {"alert_channel": alerts.id, "country": "GB"})
    assert settings.content.startswith("Saved.") and "United Kingdom" in settings.content
    assert env.coach.crisis.community_default(str(env.guild.id)) == "GB"

    env.coach.crisis.config = replace(env.coach.crisis.config, moderator_alerts=True)
    ida = fake.add_user("ida")
    await fake.add_member(env.guild, ida)
    consent = await run(env, ida, "settings", {"alerts": "on"})
    assert "moderator alerts: on" in consent.content

    crisis = await env.dm(ida, CRISIS_TEXT)
    assert "kill" not in crisis.content
    alert = await fake.next_message_in(alerts, author=env.identity.user)
    assert f"<@{ida.id}>" in alert.content and "Level:" in alert.content
    assert "kill" not in alert.content and alert.mention_ids == []


async def test_a_crisis_mention_in_a_channel_is_answered_privately(env: Env) -> None:
    fake = env.fake
    channel = fake.text_channels(env.guild)[0]
    jo = fake.add_user("jo")
    await fake.add_member(env.guild, jo)
    mention = f"<@{env.identity.user.id}> {CRISIS_TEXT}"

    await fake.send_channel_message(jo, channel, mention)
    private = await env.next_dm(jo)
    assert private.content and "kill" not in private.content

    kim = fake.add_user("kim")
    await fake.add_member(env.guild, kim)
    fake.close_dms(kim)
    await fake.send_channel_message(kim, channel, mention)
    line = await fake.next_message_in(channel, author=env.identity.user)
    assert line.content == CRISIS_IN_CHANNEL
    bot_posts = [m for m in fake.messages_in(channel) if m.author_id == env.identity.user.id]
    assert [m.content for m in bot_posts] == [CRISIS_IN_CHANNEL]
