"""Faults on the Discord side, with real processes: the bot runs as `python -m bot run` and
the fake Discord as `python -m tests.fakediscord`, each in its own process.

* 5xx answers to the bot's replies (discord.py backs off and retries 500/502; a 503 is
  raised at once, logged with ids only, and the bot tries that reply once more);
* 429 answers (with `Via` and `retry_after`): discord.py waits and carries on;
* 403 answers: DMs closed to a nudge and to a reply, handled without a crash;
* the gateway dropping mid-conversation: the bot RESUMEs and the conversation goes on;
* SIGKILL in the middle of a nudge tick and its sends: after a restart every member has
  exactly one nudge (the fake drops a resent one by its nonce, as Discord's enforce_nonce);
* SIGKILL in the middle of a DM conversation: acknowledged answers survive the restart.

Nothing waits for a fixed time: the tests wait on the fake's state or on the bot's log
lines, each wait bounded by a timeout.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import sys
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import pytest
import pytest_asyncio

from bot.app import Coach
from bot.clock import FakeClock, parse_iso
from bot.config import load_config
from bot.messages import Inbound, Speaker
from bot.nudges.service import nonce_for
from tests.fakediscord import FakeDiscordRemote, start_fake_process
from tests.privacy.helpers import write_flows

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.timeout(60),
              pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")]

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = "/channels/{channel_id}/messages"
ANSWERS = ["A friend laughed at my joke", "7", "Rest matters", "yes", "Go to bed by eleven"]
KEYS = ["win", "energy", "lesson", "again", "next_step"]
VALUES: list[Any] = [ANSWERS[0], 7, ANSWERS[2], True, ANSWERS[4]]
NUDGED = 300  # members with a nudge due when the killed bot starts

T = TypeVar("T")


async def until(check: Callable[[], Awaitable[T]], what: str, within: float = 20.0) -> T:
    """Poll the fake's (or the database's) state until `check` returns something true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        value = await check()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


@dataclass
class Fake:
    proc: asyncio.subprocess.Process
    port: int
    remote: FakeDiscordRemote
    tmp: Path

    @property
    def config_path(self) -> Path:
        return self.tmp / "coachbot.yaml"

    @property
    def database(self) -> Path:
        return self.tmp / "coach.sqlite3"

    async def bot_user_id(self) -> str:
        return (await self.remote.state())["bot"]["user"]["id"]

    async def bot_messages(self, channel_id: str) -> list[dict[str, Any]]:
        bot_id = await self.bot_user_id()
        return [m for m in await self.remote.messages_in(channel_id)
                if m["author"]["id"] == bot_id]

    async def posts(self, status: int | None = None) -> list[dict[str, Any]]:
        found = await self.remote.requests("POST", MESSAGES)
        return [r for r in found if status is None or r["status"] == status]

    async def counters(self) -> tuple[int, int]:
        state = await self.remote.state()
        return state["identify_count"], state["resume_count"]


@pytest_asyncio.fixture(loop_scope="session")
async def fake(tmp_path: Path) -> AsyncIterator[Fake]:
    proc, port = await start_fake_process()
    remote = FakeDiscordRemote(f"http://127.0.0.1:{port}")
    flows = write_flows(tmp_path / "flows")
    (tmp_path / "coachbot.yaml").write_text(
        f"conversations_dir: {flows}\nnudges:\n  tick_seconds: 1\n  rate_per_second: 40\n",
        encoding="utf-8")
    try:
        yield Fake(proc, port, remote, tmp_path)
    finally:
        await remote.close()
        if proc.returncode is None:
            proc.terminate()
        await proc.wait()


class Bot:
    """`python -m bot run` against the fake; its log lines are read as they come."""

    def __init__(self, fake: Fake, name: str = "bot") -> None:
        self.fake = fake
        self.log_path = fake.tmp / f"{name}.log"
        self.lines: list[str] = []
        self.ended = False
        self.proc: asyncio.subprocess.Process | None = None
        self._changed = asyncio.Condition()
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> Bot:
        remote = self.fake.remote
        env = {k: v for k, v in os.environ.items() if not k.startswith("COACHBOT_")}
        env.update(COACHBOT_DISCORD_TOKEN=await remote.token(),
                   COACHBOT_DISCORD_API_BASE=remote.api_base,
                   COACHBOT_DISCORD_GATEWAY_URL=f"ws://127.0.0.1:{self.fake.port}/",
                   COACHBOT_DATABASE=str(self.fake.database),
                   COACHBOT_CONFIG=str(self.fake.config_path),
                   COACHBOT_LOG_LEVEL="INFO", PYTHONUNBUFFERED="1")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=str(ROOT), env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        with self.log_path.open("ab") as out:
            async for raw in self.proc.stdout:
                out.write(raw)
                async with self._changed:
                    self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                    self._changed.notify_all()
        async with self._changed:
            self.ended = True
            self._changed.notify_all()

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def _find(self, needle: str, after: int) -> str | None:
        return next((line for line in self.lines[after:] if needle in line), None)

    async def wait_log(self, needle: str, *, after: int = 0, within: float = 20.0) -> str:
        """The first log line from line `after` on that contains `needle`."""
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(
                    lambda: self._find(needle, after) is not None or self.ended), within)
            except TimeoutError:
                raise AssertionError(f"no log line with {needle!r}; the log ends with:\n"
                                     + "\n".join(self.lines[-20:])) from None
            found = self._find(needle, after)
        if found is None:
            raise AssertionError(f"the bot ended before logging {needle!r}:\n"
                                 + "\n".join(self.lines[-20:]))
        return found

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        assert await asyncio.wait_for(self.proc.wait(), 20) == -signal.SIGKILL
        await self._drain()

    async def stop(self) -> int:
        """SIGTERM: the clean way out; returns the exit code."""
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.proc.wait(), 20)
        await self._drain()
        return code

    async def _drain(self) -> None:
        if self._reader is not None:
            await asyncio.wait_for(self._reader, 10)

    async def cleanup(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        if self._reader is not None and not self._reader.done():
            self._reader.cancel()


@pytest_asyncio.fixture(loop_scope="session")
async def bots(fake: Fake) -> AsyncIterator[Callable[[], Awaitable[Bot]]]:
    """Start a bot process (again and again: a restart is a new one); all end at teardown."""
    started: list[Bot] = []

    async def start() -> Bot:
        bot = Bot(fake, f"bot{len(started) + 1}")
        started.append(bot)
        return await bot.start()
    try:
        yield start
    finally:
        for bot in started:
            await bot.cleanup()


async def connected(fake: Fake, bot: Bot, identified_before: int = 0) -> None:
    """A new gateway session is up (not the old one of a killed process)."""
    async def identified() -> bool:
        if bot.ended:
            raise AssertionError("the bot ended before connecting:\n" + bot.text[-3000:])
        return (await fake.remote.identify_count()) > identified_before
    await until(identified, "the bot to identify", 30)
    await fake.remote.wait_connected(timeout=30)


async def dm_channels(fake: Fake, users: list[dict[str, Any]]) -> dict[str, str]:
    """Each user's DM channel with the bot, opened by the user writing to it while the bot
    is offline (through the fake's controls: no request counts toward the bot's limit)."""
    return {user["id"]: (await fake.remote.send_dm(user, "hello"))["channel_id"]
            for user in users}


async def seed_nudges(fake: Fake, users: list[dict[str, Any]]) -> dict[str, str]:
    """Members with a goal and a daily nudge due now (real time), written with the bot's own
    code through the router before the bot starts. Returns user id -> DM channel id."""
    channels = await dm_channels(fake, users)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    clock = FakeClock(now - timedelta(minutes=3))
    at = (now - timedelta(minutes=1)).strftime("%H:%M")
    config = load_config(fake.config_path, db_override=str(fake.database))
    coach = await Coach.open(config, clock=clock, seed=1)
    try:
        for user in users:
            speaker = Speaker("discord", user["id"], user["username"])

            async def say(text: str, speaker: Speaker = speaker) -> str:
                outs = await coach.handle(Inbound(speaker, text=text, private=True))
                return "\n".join(o.text for o in outs)
            await say("/timezone UTC")
            await say("/goal add")
            for answer in ("Walk every morning", "", "", "", "", "skip"):
                await say(answer)
            reply = await say(f"/nudge set daily {at}")
            assert reply.startswith("Saved."), reply
            member = await coach.members.find("discord", user["id"])
            assert member is not None
            await coach.members.update(member.id, dm_channel_id=channels[user["id"]])
    finally:
        await coach.close()
    return channels


async def occurrence_nonce(fake: Fake, user_id: str) -> str:
    """The nonce the bot sends this member's due nudge with (the bot's own function)."""
    with sqlite3.connect(fake.database) as db:
        schedule_id, due = db.execute(
            "SELECT s.id, s.next_due FROM nudge_schedules s JOIN members m"
            " ON m.id = s.member_id WHERE m.external_id = ?", (user_id,)).fetchone()
    return nonce_for(schedule_id, parse_iso(due))


async def post_as_bot(fake: Fake, channel_id: str, text: str, nonce: str) -> dict[str, Any]:
    remote = fake.remote
    async with aiohttp.ClientSession(
            headers={"Authorization": f"Bot {await remote.token()}"}) as http, \
            http.post(f"{remote.api_base}/channels/{channel_id}/messages",
                      json={"content": text, "nonce": nonce, "enforce_nonce": True}) as resp:
        assert resp.status == 200, await resp.text()
        return await resp.json()


def stored_session(database: Path) -> tuple[str, str, dict[str, Any]]:
    with sqlite3.connect(database) as db:
        step, status, answers = db.execute(
            "SELECT step_id, status, answers FROM sessions WHERE flow_id = 'diary'"
            " ORDER BY id DESC LIMIT 1").fetchone()
    return step, status, json.loads(answers)


async def start_diary(fake: Fake, bot: Bot, name: str = "alice"
                      ) -> tuple[dict[str, Any], str]:
    """A member starts the diary in their DMs; returns them and the DM channel id."""
    await connected(fake, bot)
    user = await fake.remote.add_user(name)
    await fake.remote.send_dm(user, "/coach start diary")
    first = await fake.remote.next_message_to(user, timeout=15)
    assert first["content"].startswith("Q1:"), first["content"]
    return user, first["channel_id"]


async def answer(fake: Fake, user: dict[str, Any], text: str, expect: str,
                 within: float = 15.0) -> dict[str, Any]:
    await fake.remote.send_dm(user, text)
    reply = await fake.remote.next_message_to(user, timeout=within)
    assert expect in reply["content"], reply["content"]
    return reply


# -- 5xx ------------------------------------------------------------------------------------------

async def test_5xx_on_replies_backs_off_and_a_503_is_logged_without_text(
        fake: Fake, bots: Callable[[], Awaitable[Bot]]) -> None:
    bot = await bots()
    alice, dm = await start_diary(fake, bot)
    remote = fake.remote
    await remote.inject_failure("POST", MESSAGES, status=500)
    await remote.inject_failure("POST", MESSAGES, status=502)
    # discord.py retries 500 and 502 after 1 s, then 3 s: the member still gets the reply.
    await answer(fake, alice, ANSWERS[0], "Q2:", within=20)
    statuses = [r["status"] for r in await fake.posts()]
    assert statuses[-3:] == [500, 502, 200]
    assert bot.running

    # discord.py raises a 503 at once: the bot logs ids only and tries once more, so the
    # member still sees the next question their saved answer led to.
    mark = len(bot.lines)
    await remote.inject_failure("POST", MESSAGES, status=503)
    await answer(fake, alice, ANSWERS[1], "Q3:", within=20)
    line = await bot.wait_log("status=503", after=mark)
    assert "reply failed" in line and f"user={alice['id']}" in line
    statuses = [r["status"] for r in await fake.posts()]
    assert statuses[-2:] == [503, 200]
    assert bot.running
    # The answer was saved before the reply was sent: the next message answers Q3.
    await answer(fake, alice, ANSWERS[2], "Q4:")
    assert await bot.stop() == 0
    for text in (ANSWERS[0], ANSWERS[2], "What did you learn", "Would you do it again"):
        assert text not in bot.text
    step, status, answers = stored_session(fake.database)
    assert (step, status) == ("again", "active")
    assert answers == dict(zip(KEYS[:3], VALUES[:3], strict=True))


# -- 429 ------------------------------------------------------------------------------------------

async def test_429_on_replies_is_waited_out(fake: Fake,
                                            bots: Callable[[], Awaitable[Bot]]) -> None:
    bot = await bots()
    alice, _ = await start_diary(fake, bot)
    remote = fake.remote
    before_429 = await remote.count_429()
    await remote.inject_failure("POST", MESSAGES, status=429, times=2, retry_after=0.3)
    await answer(fake, alice, ANSWERS[0], "Q2:")
    assert await remote.count_429() == before_429 + 2
    statuses = [r["status"] for r in await fake.posts()]
    assert statuses[-3:] == [429, 429, 200]
    await answer(fake, alice, ANSWERS[1], "Q3:")
    assert bot.running
    assert await bot.stop() == 0
    assert ANSWERS[0] not in bot.text


# -- 403 ------------------------------------------------------------------------------------------

async def test_403_closed_dms_on_a_nudge_and_on_a_reply(
        fake: Fake, bots: Callable[[], Awaitable[Bot]]) -> None:
    remote = fake.remote
    dora = await remote.add_user("dora")
    erin = await remote.add_user("erin")
    channels = await seed_nudges(fake, [dora, erin])
    await remote.close_dms(dora)
    bot = await bots()

    # The nudge to dora gets 403 / 50007: she is marked unreachable, erin's nudge still goes.
    await bot.wait_log("member unreachable (DMs closed)")
    nudge = await remote.next_message_to(erin, timeout=15)
    assert "Walk every morning" in nudge["content"]
    assert await fake.bot_messages(channels[dora["id"]]) == []
    refused = [r for r in await fake.posts(403) if channels[dora["id"]] in r["path"]]
    assert len(refused) == 1  # never retried
    await connected(fake, bot)

    # She is told, privately, the next time she uses a command in a server.
    await bot.wait_log("slash commands synced")
    guild = await remote.add_guild("circle")
    await remote.add_member(guild, dora)
    shown = await remote.slash(dora, "nudge show", guild=guild)

    async def answered() -> dict[str, Any] | None:
        original = (await shown.refresh())["original"]  # "thinking..." becomes the answer
        return original if original and original["content"] else None
    told = await until(answered, "the answer to /nudge show")
    assert told["ephemeral"] and "direct messages are closed" in told["content"]

    # A DM reply refused with 403 is logged with ids only; the bot stays up.
    mark = len(bot.lines)
    await remote.send_dm(dora, "/nudge show")
    line = await bot.wait_log("reply refused", after=mark)
    assert f"user={dora['id']}" in line and "code=50007" in line
    assert bot.running
    await remote.close_dms(dora, closed=False)
    await remote.send_dm(dora, "/nudge show")
    shown_dm = await remote.next_message_to(dora, timeout=15)
    assert "every day" in shown_dm["content"]
    assert await bot.stop() == 0


# -- the gateway ----------------------------------------------------------------------------------

async def test_gateway_drop_mid_conversation_resumes(
        fake: Fake, bots: Callable[[], Awaitable[Bot]]) -> None:
    bot = await bots()
    alice, _ = await start_diary(fake, bot)
    await answer(fake, alice, ANSWERS[0], "Q2:")
    identified, resumed = await fake.counters()
    assert await fake.remote.drop_gateway(None) == 1  # abrupt: the TCP stream is cut
    # Written while the bot is disconnected: replayed to it after RESUME.
    await answer(fake, alice, ANSWERS[1], "Q3:")

    async def resumed_once() -> bool:
        return (await fake.counters())[1] == resumed + 1
    await until(resumed_once, "a RESUME")
    await answer(fake, alice, ANSWERS[2], "Q4:")
    assert await fake.counters() == (identified, resumed + 1)
    assert bot.running
    assert await bot.stop() == 0
    assert stored_session(fake.database) == ("again", "active",
                                             dict(zip(KEYS[:3], VALUES[:3], strict=True)))


# -- SIGKILL in a nudge tick ----------------------------------------------------------------------

async def test_sigkill_in_a_nudge_tick_loses_none_and_doubles_none(
        fake: Fake, bots: Callable[[], Awaitable[Bot]]) -> None:
    remote = fake.remote
    users = [await remote.add_user(f"m{i:03d}") for i in range(NUDGED)]
    channels = await seed_nudges(fake, users)
    # The first member's nudge had reached Discord when an earlier process died, before it
    # could record it: it is in their DM channel already, under the occurrence's nonce.
    earlier = await post_as_bot(fake, channels[users[0]["id"]], "An earlier copy",
                                await occurrence_nonce(fake, users[0]["id"]))

    earlier_path = f"/channels/{channels[users[0]['id']]}/messages"

    async def reached() -> int:
        """Members the bot's nudge has reached (the earlier copy does not count)."""
        counts = Counter(r["path"] for r in await fake.posts(200))
        counts[earlier_path] -= 1
        return sum(1 for n in counts.values() if n > 0)

    async def reached_at_least(n: int) -> bool:
        return await reached() >= n

    first = await bots()
    # Paced at 40 a second, 300 nudges take several seconds: kill it part of the way.
    await until(lambda: reached_at_least(NUDGED // 5), "the first nudges", 30)
    await first.kill()
    partly = await reached()
    assert NUDGED // 5 <= partly < NUDGED

    second = await bots()
    await until(lambda: reached_at_least(NUDGED), "every member's nudge", 40)
    assert second.running
    assert await second.stop() == 0

    per_channel = {}
    for user in users:
        messages = await fake.bot_messages(channels[user["id"]])
        per_channel[user["id"]] = messages
    assert all(len(m) == 1 for m in per_channel.values()), \
        {u: len(m) for u, m in per_channel.items() if len(m) != 1}
    nonces = {m[0]["nonce"] for m in per_channel.values()}
    assert len(nonces) == NUDGED
    assert all(m[0]["enforce_nonce"] for m in per_channel.values())
    # A resend of a message that had reached Discord came back as the stored message.
    assert per_channel[users[0]["id"]][0]["id"] == earlier["id"]
    answered = await fake.posts(200)
    assert 1 <= len(answered) - NUDGED <= 1 + 32  # at most the sends in flight at the kill
    assert await remote.count_429() == 0  # the queue paces itself

    with sqlite3.connect(fake.database) as db:
        states = dict(db.execute(
            "SELECT state, COUNT(*) FROM nudge_occurrences GROUP BY state").fetchall())
        per_schedule = db.execute("SELECT MAX(n) FROM (SELECT COUNT(*) AS n"
                                  " FROM nudge_occurrences GROUP BY schedule_id)").fetchone()[0]
    assert states == {"sent": NUDGED}
    assert per_schedule == 1
    assert "resending nudges in flight at the last stop" in second.text


# -- SIGKILL in a conversation --------------------------------------------------------------------

async def test_sigkill_in_a_dm_conversation_keeps_acknowledged_answers(
        fake: Fake, bots: Callable[[], Awaitable[Bot]]) -> None:
    first = await bots()
    alice, dm = await start_diary(fake, first)
    for i, expect in enumerate(("Q2:", "Q3:", "Q4:")):
        await answer(fake, alice, ANSWERS[i], expect)  # acknowledged: the next question came
    await fake.remote.send_dm(alice, ANSWERS[3])  # in flight: saved whole or not at all
    await first.kill()

    step, status, answers = stored_session(fake.database)
    assert status == "active"
    acknowledged = dict(zip(KEYS[:3], VALUES[:3], strict=True))
    assert (step, answers) in [("again", acknowledged),
                               ("next_step", {**acknowledged, "again": True})]

    shown = [m["content"] for m in await fake.bot_messages(dm)]
    assert [text[:3] for text in shown[:4]] == ["Q1:", "Q2:", "Q3:", "Q4:"]
    if len(shown) == 5:  # the answer in flight was saved, and Q5 went out before the kill
        assert step == "next_step"
        assert "Q5:" in (await fake.remote.next_message_to(alice))["content"]
    else:
        assert len(shown) == 4

    identified = await fake.remote.identify_count()
    second = await bots()
    await connected(fake, second, identified)
    await answer(fake, alice, "/coach resume", "Q4:" if step == "again" else "Q5:")
    if step == "again":
        await answer(fake, alice, ANSWERS[3], "Q5:")
    summary = await answer(fake, alice, ANSWERS[4], "Would you like to turn this into a goal")
    assert f'"{ANSWERS[0]}"' in summary["content"]  # acknowledged before the kill
    await answer(fake, alice, "no", "Thank you for taking this time")
    assert stored_session(fake.database) == ("end", "finished",
                                             dict(zip(KEYS, VALUES, strict=True)))
