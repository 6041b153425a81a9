"""DMs and channel messages sent by a real discord.py bot, as the fake records them."""

from __future__ import annotations

import io

import discord
import pytest

from tests.fakediscord import FakeDiscord
from tests.fakediscord.pytest_plugin import make_bot, running
from tests.fakediscord.util import SEND_MESSAGES, VIEW_CHANNEL

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.timeout(30)]


def echo_bot(**kwargs) -> discord.Client:
    bot = make_bot(**kwargs)

    @bot.event
    async def on_message(message: discord.Message) -> None:
        if message.author.bot:
            return
        await message.channel.send(f"echo: {message.content}")

    return bot


async def test_dm_echo(fake_discord: FakeDiscord, bot_identity):
    user = fake_discord.add_user("alice")
    async with running(fake_discord, echo_bot(), bot_identity):
        await fake_discord.send_dm(user, "hello coach", bot=bot_identity)
        reply = await fake_discord.next_message_to(user, bot=bot_identity)
    assert reply.content == "echo: hello coach"
    assert reply.author_id == bot_identity.user.id
    assert fake_discord.dm_channel(user, bot_identity).id == reply.channel_id


async def test_guild_message_content_needs_the_intent(fake_discord: FakeDiscord, bot_identity):
    guild = await fake_discord.add_guild("g", bots=[bot_identity])
    channel = fake_discord.text_channels(guild)[0]
    user = fake_discord.add_user("bo")
    await fake_discord.add_member(guild, user)
    bot = make_bot(intents=discord.Intents(guilds=True, guild_messages=True))
    async with running(fake_discord, bot, bot_identity):
        seen = bot.wait_for("message", timeout=5)
        await fake_discord.send_channel_message(user, channel, "secret plan")
        without = await seen
    assert without.content == ""
    bot = make_bot(intents=discord.Intents(guilds=True, guild_messages=True, message_content=True))
    async with running(fake_discord, bot, bot_identity):
        seen = bot.wait_for("message", timeout=5)
        await fake_discord.send_channel_message(user, channel, "secret plan")
        assert (await seen).content == "secret plan"


async def test_closed_dms_raise_forbidden_50007(fake_discord: FakeDiscord, bot_identity):
    user = fake_discord.add_user("private")
    fake_discord.close_dms(user)
    async with running(fake_discord, make_bot(), bot_identity) as bot:
        target = await bot.fetch_user(user.id)
        with pytest.raises(discord.Forbidden) as err:
            await target.send("weekly check-in")
    assert err.value.code == 50007
    assert err.value.status == 403
    assert fake_discord.messages_to(user, bot_identity) == []


async def test_enforce_nonce_returns_the_existing_message(fake_discord: FakeDiscord, bot_identity):
    user = fake_discord.add_user("nonce")
    async with running(fake_discord, make_bot(), bot_identity) as bot:
        dm = await (await bot.fetch_user(user.id)).create_dm()
        first = await dm.send("reminder", nonce="rem-1")
        again = await dm.send("reminder", nonce="rem-1")
        assert first.id == again.id
        other = await dm.send("reminder", nonce="rem-2")
        assert other.id != first.id
    sent = fake_discord.messages_to(user, bot_identity)
    assert [m.nonce for m in sent] == ["rem-1", "rem-2"]
    assert all(m.enforce_nonce for m in sent)


async def test_attachments_embeds_and_allowed_mentions_are_recorded(
    fake_discord: FakeDiscord, bot_identity
):
    user = fake_discord.add_user("files")
    async with running(fake_discord, make_bot(), bot_identity) as bot:
        dm = await (await bot.fetch_user(user.id)).create_dm()
        sent = await dm.send(
            f"<@{user.id}> your plan",
            embed=discord.Embed(title="Week 1"),
            file=discord.File(io.BytesIO(b"step 1\nstep 2\n"), "plan.txt", description="the plan"),
            allowed_mentions=discord.AllowedMentions.none(),
        )
        assert sent.attachments[0].filename == "plan.txt"
        assert await sent.attachments[0].read() == b"step 1\nstep 2\n"
    message = fake_discord.world.messages[sent.id]
    assert message.attachments[0].data == b"step 1\nstep 2\n"
    assert message.attachments[0].description == "the plan"
    assert message.embeds[0]["title"] == "Week 1"
    assert message.allowed_mentions == {"parse": []}
    assert message.mention_ids == []


async def test_invalid_bodies_and_permissions_map_to_discord_errors(
    fake_discord: FakeDiscord, bot_identity
):
    guild = await fake_discord.add_guild("perms", bots=[bot_identity])
    everyone = guild.roles[guild.id]
    hidden = await fake_discord.add_channel(
        guild, "staff", overwrites=[fake_discord.overwrite(everyone, deny=VIEW_CHANNEL)]
    )
    readonly = await fake_discord.add_channel(
        guild,
        "announcements",
        overwrites=[fake_discord.overwrite(bot_identity, deny=SEND_MESSAGES)],
    )
    general = fake_discord.text_channels(guild)[0]
    async with running(fake_discord, make_bot(), bot_identity) as bot:
        with pytest.raises(discord.HTTPException) as too_long:
            await bot.get_channel(general.id).send("x" * 2001)
        assert too_long.value.code == 50035 and too_long.value.status == 400
        assert "content" in too_long.value.text
        view = discord.ui.View()
        for i in range(5):
            view.add_item(discord.ui.Button(label=str(i), custom_id=f"b{i}", row=0))
        ok = await bot.get_channel(general.id).send("five buttons", view=view)
        assert len(fake_discord.world.messages[ok.id].components[0]["components"]) == 5
        partial = bot.get_partial_messageable(hidden.id)
        with pytest.raises(discord.Forbidden) as no_access:
            await partial.send("hi")
        assert no_access.value.code == 50001
        with pytest.raises(discord.Forbidden) as no_perms:
            await bot.get_channel(readonly.id).send("hi")
        assert no_perms.value.code == 50013
        with pytest.raises(discord.NotFound) as gone:
            await bot.get_channel(general.id).fetch_message(123)
        assert gone.value.code == 10008
        await ok.edit(content="edited")
        assert fake_discord.world.messages[ok.id].content == "edited"
        await ok.delete()
        assert fake_discord.world.messages[ok.id].deleted
    assert [m.content for m in fake_discord.messages_in(readonly)] == []
