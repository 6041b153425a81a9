"""Pytest fixtures and helpers for running a real discord.py bot against the fake.

Import the fixtures into a ``conftest.py``::

    from tests.fakediscord.pytest_plugin import bot_identity, fake_discord  # noqa: F401

and mark async tests ``@pytest.mark.asyncio(loop_scope="session")`` (the fake lives on
the session's event loop, pytest-asyncio 1.x).
"""
# The public wait helpers take ``timeout=`` on purpose (tests read better with it).
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, TypeVar

import discord
import pytest_asyncio
from discord.ext import commands

from .client_setup import point_discord_at
from .models import BotApp
from .server import FakeDiscord

ClientT = TypeVar("ClientT", bound=discord.Client)


def minimal_intents(*, message_content: bool = False, members: bool = False) -> discord.Intents:
    """``Intents.none()`` plus ``guilds`` and ``dm_messages`` (and what is asked for)."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.dm_messages = True
    intents.message_content = message_content
    intents.members = members
    return intents


def make_bot(
    *, message_content: bool = False, members: bool = False, **kwargs: Any
) -> commands.Bot:
    """A ``commands.Bot`` with minimal intents and ``guild_ready_timeout=0``."""
    kwargs.setdefault("command_prefix", "!")
    kwargs.setdefault("intents", minimal_intents(message_content=message_content, members=members))
    kwargs.setdefault("guild_ready_timeout", 0)
    return commands.Bot(**kwargs)


async def _wait_event(client: discord.Client, remaining: float) -> None:
    # ``socket_event_type`` fires for every gateway dispatch before it is parsed; when
    # this wakes up, the event has been applied to the client's cache.
    await asyncio.wait_for(client.wait_for("socket_event_type"), remaining)


@contextlib.asynccontextmanager
async def running(
    fake: FakeDiscord, client: ClientT, identity: BotApp | None = None, *, timeout: float = 10.0
) -> AsyncIterator[ClientT]:
    """Log ``client`` in as ``identity``, wait for READY and every guild, then yield it.

    On exit the client is closed and the fake has seen its gateway connection end.
    """
    identity = identity or fake.bot
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    await client.login(identity.token)
    task = asyncio.create_task(client.connect(reconnect=True), name="fake-bot-connect")
    try:
        ready = asyncio.create_task(client.wait_until_ready())
        done, _ = await asyncio.wait(
            {ready, task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if task in done:
            ready.cancel()
            task.result()
            raise RuntimeError("client stopped before READY")
        if ready not in done:
            ready.cancel()
            raise TimeoutError("client did not become ready")
        expected = {g.id for g in fake.world.guilds_of(identity)}
        while not expected <= {g.id for g in client.guilds}:
            await _wait_event(client, max(deadline - loop.time(), 0.001))
        yield client
    finally:
        await client.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 5)
        with contextlib.suppress(asyncio.TimeoutError):
            await fake.wait_for(lambda: not fake.connected(identity), timeout=5)


async def wait_until(client: discord.Client, predicate: Any, timeout: float = 5.0) -> Any:
    """Wait (on gateway events, never by sleeping) until ``predicate()`` is truthy."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        await _wait_event(client, max(deadline - loop.time(), 0.001))


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """One fake per test session, with discord.py pointed at it."""
    fake = await FakeDiscord().start()
    restore = point_discord_at(fake.url)
    try:
        yield fake
    finally:
        restore()
        await fake.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def bot_identity(fake_discord: FakeDiscord) -> BotApp:
    """A fresh bot account (token, user, application) for one test."""
    point_discord_at(fake_discord.url)
    return fake_discord.add_bot("coachbot")
