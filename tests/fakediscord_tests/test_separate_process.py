"""The fake as its own process (the CLI), the bot in this one, driven over HTTP."""

from __future__ import annotations

import asyncio

import discord
import pytest

from tests.fakediscord import FakeDiscordRemote, point_discord_at, start_fake_process
from tests.fakediscord.pytest_plugin import make_bot

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.timeout(30)]


async def test_bot_against_fake_in_another_process():
    proc, port = await start_fake_process("--global-limit", "50")
    restore = point_discord_at(f"http://127.0.0.1:{port}")
    bot = make_bot()

    @bot.event
    async def on_message(message: discord.Message) -> None:
        if not message.author.bot:
            await message.channel.send(f"echo: {message.content}")

    @bot.tree.command(description="Ping")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong", ephemeral=True)

    task = None
    try:
        async with FakeDiscordRemote(f"http://127.0.0.1:{port}") as remote:
            identity = await remote.add_bot("coachbot")
            guild = await remote.add_guild("remote", bots=[identity])
            user = await remote.add_user("rita")
            await remote.add_member(guild, user)

            await bot.login(identity["token"])
            task = asyncio.create_task(bot.connect())
            await asyncio.wait_for(bot.wait_until_ready(), 10)
            await remote.wait_connected(bot=identity)
            await bot.tree.sync()

            await remote.send_dm(user, "over the wire", bot=identity)
            reply = await remote.next_message_to(user, bot=identity)
            assert reply["content"] == "echo: over the wire"

            handle = await remote.slash(user, "ping", guild=guild, bot=identity)
            response = await handle.response()
            assert response["type"] == 4 and response["data"]["content"] == "pong"
            assert handle.data["original"]["ephemeral"] is True

            assert await remote.drop_gateway(4000, bot=identity) == 1
            await remote.send_dm(user, "after drop", bot=identity)
            reply = await remote.next_message_to(user, bot=identity)
            assert reply["content"] == "echo: after drop"
            state = await remote.state()
            assert state["resume_count"] == 1 and state["identify_count"] == 1
            puts = await remote.requests("PUT", "/applications/{application_id}/commands")
            assert len(puts) == 1
    finally:
        await bot.close()
        if task is not None:
            await asyncio.wait_for(task, 5)
        restore()
        proc.terminate()
        await proc.wait()
