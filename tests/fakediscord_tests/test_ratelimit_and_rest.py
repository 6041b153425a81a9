"""The global rate limit, injected failures, and REST details discord.py depends on."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import discord
import pytest

from tests.fakediscord import FakeDiscord
from tests.fakediscord.pytest_plugin import make_bot, running

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.timeout(30)]


async def test_burst_of_200_messages_hits_the_global_limit(
    fake_discord: FakeDiscord, bot_identity, caplog
):
    users = [fake_discord.add_user(f"member{i}") for i in range(200)]
    channels = [fake_discord.dm_channel(u, bot_identity) for u in users]
    fake_discord.set_global_limit(50)
    before = fake_discord.count_429
    caplog.set_level(logging.WARNING, logger="discord.http")
    async with running(fake_discord, make_bot(), bot_identity) as bot:
        sent = await asyncio.gather(
            *(bot.get_partial_messageable(c.id).send("weekly check-in") for c in channels)
        )
    assert len({m.id for m in sent}) == 200
    assert all(len(fake_discord.messages_to(u, bot_identity)) == 1 for u in users)
    assert fake_discord.count_429 > before
    assert fake_discord.limiter.max_in_window[bot_identity.token] == 50
    assert "Global rate limit has been hit" in caplog.text
    posts = fake_discord.requests("POST", "/channels/{channel_id}/messages")
    assert any(r["status"] == 429 for r in posts)


async def test_injected_429_and_5xx_are_retried_by_discord_py(
    fake_discord: FakeDiscord, bot_identity
):
    user = fake_discord.add_user("flaky")
    dm = fake_discord.dm_channel(user, bot_identity)
    async with running(fake_discord, make_bot(), bot_identity) as bot:
        channel = bot.get_partial_messageable(dm.id)
        fake_discord.inject_failure("POST", f"/channels/{dm.id}/messages", status=429, times=2)
        await channel.send("after two 429s")
        fake_discord.inject_failure("POST", "/channels/{channel_id}/messages", status=502)
        await channel.send("after a 502")
        # 500/502/504/524 are retried by discord.py; 503 is raised at once.
        fake_discord.inject_failure("GET", "/users/{user_id}", status=503)
        with pytest.raises(discord.DiscordServerError):
            await bot.fetch_user(user.id)
        assert [r["status"] for r in fake_discord.requests("GET", "/users/{user_id}")][-1:] == [503]
        assert (await bot.fetch_user(user.id)).id == user.id
    statuses = [
        r["status"]
        for r in fake_discord.requests("POST", "/channels/{channel_id}/messages")
        if r["path"] == f"/channels/{dm.id}/messages"
    ]
    assert statuses == [429, 429, 200, 502, 200]
    assert [m.content for m in fake_discord.messages_to(user, bot_identity)] == [
        "after two 429s",
        "after a 502",
    ]


async def test_rest_headers_errors_and_429_shape(fake_discord: FakeDiscord, bot_identity):
    user = fake_discord.add_user("raw")
    dm = fake_discord.dm_channel(user, bot_identity)
    auth = {"Authorization": f"Bot {bot_identity.token}"}
    url = f"{fake_discord.api_base}/channels/{dm.id}/messages"
    six = {
        "content": "x",
        "components": [
            {
                "type": 1,
                "components": [
                    {"type": 2, "style": 1, "label": str(i), "custom_id": f"c{i}"} for i in range(6)
                ],
            }
        ],
    }
    async with aiohttp.ClientSession(headers=auth) as session:
        async with session.post(url, json={"content": "hi"}) as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"] == "application/json"
            for header in ("Limit", "Remaining", "Reset", "Reset-After", "Bucket"):
                assert f"X-RateLimit-{header}" in resp.headers
        async with session.post(url, json=six) as resp:
            body = await resp.json()
            assert resp.status == 400 and body["code"] == 50035
            assert "components" in body["errors"]
        async with session.post(url, json={}) as resp:
            assert (await resp.json())["code"] == 50006
        fresh = {"Authorization": f"Bot {fake_discord.add_bot('fresh').token}"}
        me = f"{fake_discord.api_base}/users/@me"
        fake_discord.set_global_limit(1)
        try:
            async with session.get(me, headers=fresh) as resp:
                assert resp.status == 200
            async with session.get(me, headers=fresh) as resp:
                assert resp.status == 429
                assert resp.headers["Via"]
                assert resp.headers["X-RateLimit-Global"] == "true"
                body = await resp.json()
                assert body["global"] is True and body["retry_after"] > 0
                assert set(body) == {"message", "retry_after", "global", "code"}
        finally:
            fake_discord.set_global_limit(50)
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json={"content": "no token"}) as resp:
            assert resp.status == 401
