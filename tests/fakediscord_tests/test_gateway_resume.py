"""Dropped gateway connections are RESUMEd, and nothing dispatched meanwhile is lost."""

from __future__ import annotations

import pytest

from tests.fakediscord import FakeDiscord
from tests.fakediscord.pytest_plugin import make_bot, running

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.timeout(30)]


def counting_bot():
    bot = make_bot()
    bot.seen = []
    bot.resumed = 0

    @bot.event
    async def on_message(message):
        if not message.author.bot:
            bot.seen.append(message.content)
            await message.channel.send(f"got {message.content}")

    @bot.event
    async def on_resumed():
        bot.resumed += 1

    return bot


@pytest.mark.parametrize("code", [4000, 1001, None], ids=["4000", "1001", "abrupt"])
async def test_drop_leads_to_resume_not_identify(fake_discord: FakeDiscord, bot_identity, code):
    user = fake_discord.add_user("resumer")
    async with running(fake_discord, counting_bot(), bot_identity) as bot:
        identifies, resumes = fake_discord.identify_count, fake_discord.resume_count
        await fake_discord.send_dm(user, "before", bot=bot_identity)
        assert (await fake_discord.next_message_to(user, bot=bot_identity)).content == "got before"

        replayed = fake_discord.gateway.replayed_count
        async with fake_discord.gateway_paused():
            assert await fake_discord.drop_gateway(bot_identity, code=code) == 1
            # Dispatched while the bot is disconnected: must be replayed on RESUME.
            await fake_discord.send_dm(user, "during", bot=bot_identity)
        assert (await fake_discord.next_message_to(user, bot=bot_identity)).content == "got during"
        await fake_discord.wait_connected(bot_identity)
        await fake_discord.send_dm(user, "after", bot=bot_identity)
        assert (await fake_discord.next_message_to(user, bot=bot_identity)).content == "got after"

        assert fake_discord.gateway.replayed_count > replayed
        assert fake_discord.resume_count == resumes + 1
        assert fake_discord.identify_count == identifies
        assert bot.seen == ["before", "during", "after"]
        assert bot.resumed == 1
        assert fake_discord.gateway.connect_paths[-1] == "/gateway-resume/"


async def test_invalid_session_makes_the_client_identify_again(
    fake_discord: FakeDiscord, bot_identity
):
    bot = counting_bot()

    async def no_identify_delay(shard_id, *, initial=False):
        # discord.py waits 5 s before every non-initial IDENTIFY by default.
        return None

    bot.before_identify_hook = no_identify_delay
    async with running(fake_discord, bot, bot_identity):
        identifies = fake_discord.identify_count
        await fake_discord.invalidate_session(bot_identity, resumable=False)
        await fake_discord.wait_for(lambda: fake_discord.identify_count == identifies + 1)
        await fake_discord.wait_connected(bot_identity)
