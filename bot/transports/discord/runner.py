"""`coachbot run` with a token: connect to Discord until SIGTERM or Ctrl-C, then shut down
cleanly (sessions are saved with every answer; the client and the database are closed)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys

import discord
import discord.gateway
import discord.http
import yarl

from bot.config import Config

log = logging.getLogger(__name__)


def point_at(config: Config) -> None:
    """`COACHBOT_DISCORD_API_BASE` / `_GATEWAY_URL` (tests, rate-limit proxies)."""
    if config.discord.api_base:
        discord.http.Route.BASE = config.discord.api_base.rstrip("/")
    if config.discord.gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(config.discord.gateway_url)


def quiet_discord_logs() -> None:
    """discord.py's debug logs carry message payloads; ours never carry message text."""
    logger = logging.getLogger("discord")
    if logger.getEffectiveLevel() < logging.INFO:
        logger.setLevel(logging.INFO)


def run_discord(config: Config) -> int:
    return asyncio.run(serve(config))


async def serve(config: Config, *, ready: asyncio.Event | None = None) -> int:
    from bot.app import Coach, StartupError
    from bot.transports.discord.client import CoachBot

    assert config.discord_token
    point_at(config)
    quiet_discord_logs()
    try:
        coach = await Coach.open(config)
    except StartupError as exc:
        print(f"coachbot: {exc}", file=sys.stderr)
        return 2
    for problem in coach.load_problems:
        log.warning("skipped a conversation with errors: %s", problem)
    bot = CoachBot(coach, schedule=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    runner = asyncio.create_task(bot.start(config.discord_token), name="discord")
    waiter = asyncio.create_task(stop.wait(), name="stop-signal")
    code = 0
    try:
        done, _ = await asyncio.wait({runner, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if runner in done:
            exc = runner.exception()
            if isinstance(exc, discord.LoginFailure):
                print("coachbot: Discord refused the token (COACHBOT_DISCORD_TOKEN). Check it "
                      "in the Developer Portal, under Bot.", file=sys.stderr)
                code = 1
            elif isinstance(exc, discord.PrivilegedIntentsRequired):
                print("coachbot: Discord refused an intent the bot asked for; enable it in the "
                      "Developer Portal, under Bot.", file=sys.stderr)
                code = 1
            elif exc is not None:
                log.error("the Discord connection failed: %s", type(exc).__name__)
                code = 1
        else:
            log.info("stopping: closing the Discord connection and the database")
    finally:
        waiter.cancel()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
        await bot.close()
        if not runner.done():
            runner.cancel()
        with contextlib.suppress(BaseException):
            await runner
        await coach.close()
    log.info("stopped")
    return code
