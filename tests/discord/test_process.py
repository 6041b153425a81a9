"""The bot as its own process (`python -m bot run`) against the fake as its own process:
a DM conversation with a button, then SIGTERM and a clean exit."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from tests.fakediscord import FakeDiscordRemote, start_fake_process

from .conftest import write_flows

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.timeout(60)]

ROOT = Path(__file__).resolve().parents[2]


def button(message: dict, label: str) -> str:
    return next(c["custom_id"] for row in message["components"] for c in row["components"]
                if c.get("label") == label)


async def stop(proc: asyncio.subprocess.Process) -> int:
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return await asyncio.wait_for(proc.wait(), 20)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise


async def test_the_bot_as_a_separate_process(tmp_path: Path) -> None:
    fake_proc, port = await start_fake_process()
    remote = FakeDiscordRemote(f"http://127.0.0.1:{port}")
    bot_proc = None
    try:
        flows = write_flows(tmp_path / "conversations")
        config = tmp_path / "coachbot.yaml"
        config.write_text(f"conversations_dir: {flows}\n", encoding="utf-8")
        database = tmp_path / "coach.sqlite3"
        env = {**os.environ,
               "COACHBOT_DISCORD_TOKEN": await remote.token(),
               "COACHBOT_DISCORD_API_BASE": remote.api_base,
               "COACHBOT_DISCORD_GATEWAY_URL": f"ws://127.0.0.1:{port}/",
               "COACHBOT_DATABASE": str(database),
               "COACHBOT_CONFIG": str(config),
               "COACHBOT_LOG_LEVEL": "INFO"}
        log = (tmp_path / "bot.log").open("wb")
        bot_proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=str(ROOT), env=env,
            stdout=log, stderr=log)
        await remote.wait_connected(timeout=30)
        alice = await remote.add_user("alice")

        await remote.send_dm(alice, "/coach start checkin")
        question = await remote.next_message_to(alice, timeout=10)
        assert question["content"] == "How are you arriving today?"
        press = await remote.press(alice, question["id"], button(question, "Calm"))
        assert (await press.response())["type"] == 7
        assert (await remote.next_message_to(alice))["content"] == "What went well this week?"
        await remote.send_dm(alice, "I asked for help")
        mirror = await remote.next_message_to(alice)
        assert mirror["content"].startswith('Here is what I heard: "I asked for help"')

        assert await stop(bot_proc) == 0
        log.close()
        assert b"I asked for help" not in (tmp_path / "bot.log").read_bytes()
        with sqlite3.connect(database) as db:
            step, answers = db.execute(
                "SELECT step_id, answers FROM sessions WHERE flow_id = 'checkin'").fetchone()
        assert step == "mirror" and '"arriving": "calm"' in answers
    finally:
        if bot_proc is not None and bot_proc.returncode is None:
            bot_proc.kill()
            await bot_proc.wait()
        await remote.close()
        fake_proc.terminate()
        await fake_proc.wait()
