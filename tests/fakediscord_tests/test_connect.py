"""A real discord.py client connects to the fake and sees its world."""

from __future__ import annotations

import json
import zlib

import aiohttp
import discord
import pytest

from tests.fakediscord import FakeDiscord
from tests.fakediscord.pytest_plugin import make_bot, running

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.timeout(30)]


async def test_bot_connects_and_sees_guild_channels_and_roles(
    fake_discord: FakeDiscord, bot_identity
):
    guild = await fake_discord.add_guild(
        "coaching", bots=[bot_identity], channels=["general", "checkins"]
    )
    coach = await fake_discord.add_role(guild, "coach", permissions=1 << 13)
    identifies = fake_discord.identify_count
    async with running(fake_discord, make_bot(), bot_identity) as bot:
        assert bot.user.id == bot_identity.user.id
        assert bot.application_id == bot_identity.application_id
        seen = bot.get_guild(guild.id)
        assert seen is not None and seen.name == "coaching"
        assert sorted(c.name for c in seen.text_channels) == ["checkins", "general"]
        assert seen.get_role(coach.id).name == "coach"
        assert seen.me is not None
    assert fake_discord.identify_count == identifies + 1
    paths = fake_discord.requests()
    assert any(r["route"] == "/users/@me" for r in paths)
    assert any(r["route"] == "/oauth2/applications/@me" for r in paths)


async def test_gateway_speaks_zlib_stream_and_plain_json(fake_discord: FakeDiscord):
    async with aiohttp.ClientSession() as session:
        url = f"{fake_discord.gateway_url}?v=10&encoding=json&compress=zlib-stream"
        async with session.ws_connect(url) as ws:
            inflate = zlib.decompressobj()
            msg = await ws.receive()
            assert msg.type is aiohttp.WSMsgType.BINARY
            assert msg.data.endswith(b"\x00\x00\xff\xff")
            hello = json.loads(inflate.decompress(msg.data))
            assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] > 0
            await ws.send_json({"op": 1, "d": None})
            ack = json.loads(inflate.decompress((await ws.receive()).data))
            assert ack["op"] == 11
        async with session.ws_connect(f"{fake_discord.gateway_url}?v=10&encoding=json") as ws:
            hello = await ws.receive_json()
            assert hello["op"] == 10


async def test_wrong_token_is_rejected(fake_discord: FakeDiscord):
    client = discord.Client(intents=discord.Intents.none())
    with pytest.raises(discord.LoginFailure):
        await client.login("not-a-real-token")
    await client.close()
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{fake_discord.api_base}/users/@me") as resp:
            assert resp.status == 401
            assert resp.headers["Content-Type"] == "application/json"


async def test_guild_events_member_leave_and_guild_delete(fake_discord: FakeDiscord, bot_identity):
    guild = await fake_discord.add_guild("leaving", bots=[bot_identity])
    user = fake_discord.add_user("mira")
    await fake_discord.add_member(guild, user)
    bot = make_bot(members=True)
    async with running(fake_discord, bot, bot_identity):
        assert bot.get_guild(guild.id).get_member(user.id) is not None
        removed = bot.wait_for("member_remove", timeout=5)
        await fake_discord.member_leave(guild, user)
        member = await removed
        assert member.id == user.id
        assert bot.get_guild(guild.id).get_member(user.id) is None

        gone = bot.wait_for("guild_remove", timeout=5)
        await fake_discord.member_leave(guild, bot_identity)
        assert (await gone).id == guild.id
        assert bot.get_guild(guild.id) is None
