"""Nudges at scale: start-up, memory, event-loop stalls and paced sending.

Run with no arguments: `python bench/nudges.py`. Logs go to stderr; the last line on stdout
is one JSON object. Everything runs on 127.0.0.1: the HTTP side is the fake Discord server
(`python -m tests.fakediscord`) in its own process, enforcing a 50/s global limit.

* 100,000 members with a goal and a daily schedule in one SQLite file.
* startup_s, rss_mb: a child process opens the Coach, starts the scheduler and waits for
  its first tick (no gateway); its peak resident memory.
* A tick with 10,000 nudges due at once, sent through the delivery queue (40/s) to the
  fake server: max_loop_stall_ms (a probe task measures how late it wakes while claiming
  and during the first 1,000 sends), send_rate_ratio (sends per second over the
  configured rate, measured over 2,000 sends) and http_429.
* Baseline, side by side: the same server hit by an unpaced burst of 300 sends.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from bot.clock import iso  # noqa: E402
from bot.config import Config  # noqa: E402
from bot.delivery import DeliveryResult  # noqa: E402
from bot.messages import Outbound  # noqa: E402

log = logging.getLogger("bench.nudges")
MEMBERS = 100_000
DUE = 10_000
SENDS = 2_000
STALL_SENDS = 1_000
CHANNELS = 40


def build_database(path: Path) -> None:
    """Members, goals and schedules written with plain sqlite3 (fast), after migrations."""
    from bot.storage import Database

    async def migrate() -> None:
        db = await Database.open(path)
        await db.close()
    asyncio.run(migrate())
    now = datetime.now(UTC)
    tomorrow = iso(now + timedelta(days=1))
    stamp = iso(now)
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany(
            "INSERT INTO members (id, platform, external_id, display_name, timezone,"
            " created_at, last_seen_at) VALUES (?, 'discord', ?, ?, 'Europe/Berlin', ?, ?)",
            ((i, str(10**17 + i), f"m{i}", stamp, stamp) for i in range(1, MEMBERS + 1)))
        conn.executemany(
            "INSERT INTO goals (member_id, number, what, status, created_at, updated_at)"
            " VALUES (?, 1, 'Walk every morning', 'active', ?, ?)",
            ((i, stamp, stamp) for i in range(1, MEMBERS + 1)))
        conn.executemany(
            "INSERT INTO nudge_schedules (member_id, cadence, days, local_time, zone, goals,"
            " status, next_due, created_at, updated_at) VALUES (?, 'daily', '', '09:00',"
            " 'Europe/Berlin', 'all', 'active', ?, ?, ?)",
            ((i, tomorrow, stamp, stamp) for i in range(1, MEMBERS + 1)))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


# -- the child: start-up time and memory --------------------------------------------------------

class NullDelivery:
    async def send(self, member: Any, messages: Sequence[Outbound], *,
                   nonce: str | None = None) -> DeliveryResult:
        return DeliveryResult.SENT

    async def post(self, channel_id: str, messages: Sequence[Outbound], *,
                   nonce: str | None = None) -> DeliveryResult:
        return DeliveryResult.SENT


async def child(database: str) -> None:
    from bot.app import Coach
    from bot.nudges import start_scheduler
    coach = await Coach.open(replace(Config(), database=database))
    coach.delivery = NullDelivery()
    scheduler = await start_scheduler(coach)
    await scheduler.first_tick.wait()
    ticked = time.time()
    await scheduler.stop()
    await coach.close()
    print(json.dumps({"first_tick_at": ticked}), flush=True)


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure_startup(database: Path) -> dict[str, float]:
    started = time.time()
    out = subprocess.run([sys.executable, __file__], env={**os.environ,
                                                          "BENCH_NUDGES_CHILD": str(database)},
                         capture_output=True, text=True, check=True, timeout=60)
    lines = out.stdout.strip().splitlines()
    result = {k: v for line in lines[-2:] for k, v in json.loads(line).items()}
    return {"startup_s": result["first_tick_at"] - started, "rss_mb": result["rss_mb"]}


# -- HTTP side ------------------------------------------------------------------------------------

class HttpDelivery:
    """A minimal sender: one POST to the member's stored DM channel, with the nonce."""

    def __init__(self, session: aiohttp.ClientSession, api: str, token: str) -> None:
        self.session, self.api, self.token = session, api, token
        self.count_429 = 0
        self.sent_at: list[float] = []
        self.reached = {STALL_SENDS: asyncio.Event(), SENDS: asyncio.Event()}

    async def send(self, member: Any, messages: Sequence[Outbound], *,
                   nonce: str | None = None) -> DeliveryResult:
        body: dict[str, Any] = {"content": messages[0].text[:2000]}
        if nonce:
            body.update(nonce=nonce, enforce_nonce=True)
        async with self.session.post(f"{self.api}/channels/{member.dm_channel_id}/messages",
                                     json=body,
                                     headers={"Authorization": f"Bot {self.token}"}) as resp:
            await resp.read()
            if resp.status == 429:
                self.count_429 += 1
                return DeliveryResult.FAILED
            if resp.status >= 400:
                return DeliveryResult.FAILED
        self.sent_at.append(time.perf_counter())
        if len(self.sent_at) in self.reached:
            self.reached[len(self.sent_at)].set()
        return DeliveryResult.SENT

    async def post(self, channel_id: str, messages: Sequence[Outbound], *,
                   nonce: str | None = None) -> DeliveryResult:
        return DeliveryResult.SENT


def start_fake() -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen([sys.executable, "-m", "tests.fakediscord", "--port", "0",
                             "--print-port", "--global-limit", "50"], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    return proc, int(line.split()[1])


async def dm_channels(session: aiohttp.ClientSession, base: str, api: str, token: str
                      ) -> list[str]:
    channels = []
    for i in range(CHANNELS):
        async with session.post(f"{base}/_fake/users", json={"name": f"user{i}"}) as resp:
            user = await resp.json()
        async with session.post(f"{api}/users/@me/channels", json={"recipient_id": user["id"]},
                                headers={"Authorization": f"Bot {token}"}) as resp:
            channels.append((await resp.json())["id"])
        await asyncio.sleep(0.03)  # stay under the global limit while setting up
    return channels


class LoopProbe:
    """Wakes every 5 ms and records how late it was: the longest event-loop block."""

    def __init__(self) -> None:
        self.max_lag = 0.0
        self.running = True

    async def run(self) -> None:
        while self.running:
            start = time.perf_counter()
            await asyncio.sleep(0.005)
            self.max_lag = max(self.max_lag, time.perf_counter() - start - 0.005)


async def baseline_burst(delivery: HttpDelivery, channel: str, count: int = 300) -> int:
    """The same sender, unpaced: what a client relying on 429s runs into."""
    from bot.members import Member
    before = delivery.count_429
    member = Member(0, "discord", "0", "x", None, None, None, None, False, False, channel,
                    None, None, None, "", "")
    await asyncio.gather(*(delivery.send(member, [Outbound("baseline")]) for _ in range(count)))
    return delivery.count_429 - before


async def tick_and_send(database: Path, port: int) -> dict[str, Any]:
    from bot.app import Coach
    from bot.nudges import nudger_of, start_scheduler
    base = f"http://127.0.0.1:{port}"
    api = f"{base}/api/v10"
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as session:
        async with session.get(f"{base}/_fake/state") as resp:
            token = (await resp.json())["bot"]["token"]
        channels = await dm_channels(session, base, api, token)
        conn = sqlite3.connect(database)
        with conn:
            now = datetime.now(UTC)
            conn.execute("UPDATE nudge_schedules SET next_due = ? WHERE member_id <= ?",
                         (iso(now - timedelta(minutes=1)), DUE))
            conn.executemany("UPDATE members SET dm_channel_id = ? WHERE id = ?",
                             ((channels[i % CHANNELS], i) for i in range(1, DUE + 1)))
        conn.close()
        delivery = HttpDelivery(session, api, token)
        await asyncio.sleep(1.1)
        baseline_429 = await baseline_burst(delivery, channels[0])
        log.info("baseline: unpaced burst of 300 got %s 429s", baseline_429)
        await asyncio.sleep(1.5)  # let the server's window empty
        delivery.count_429 = 0
        async with session.get(f"{base}/_fake/state") as resp:
            server_429_before = (await resp.json())["count_429"]

        coach = await Coach.open(replace(Config(), database=str(database)))
        coach.delivery = delivery
        probe = LoopProbe()
        probe_task = asyncio.create_task(probe.run())
        await asyncio.sleep(0.05)
        started = time.perf_counter()
        scheduler = await start_scheduler(coach)  # its first tick runs at once
        await scheduler.first_tick.wait()
        claim_s = time.perf_counter() - started
        result = scheduler.last
        assert result is not None
        queue = nudger_of(coach).queue
        assert queue is not None
        log.info("tick claimed %s and queued %s in %.2fs (max stall so far %.1f ms)",
                 result.claimed, result.queued, claim_s, probe.max_lag * 1000)
        await delivery.reached[STALL_SENDS].wait()
        stall_ms = probe.max_lag * 1000
        log.info("first %s sends done; max loop stall %.1f ms", STALL_SENDS, stall_ms)
        await delivery.reached[SENDS].wait()
        probe.running = False
        await probe_task
        times = delivery.sent_at[:SENDS]
        rate = (len(times) - 1) / (times[-1] - times[0])
        await scheduler.stop()
        await coach.close()
        async with session.get(f"{base}/_fake/state") as resp:
            server_429 = (await resp.json())["count_429"] - server_429_before
        log.info("sent %s at %.2f/s; 429s seen by the sender %s, by the server %s",
                 SENDS, rate, delivery.count_429, server_429)
    return {"tick_claim_s": round(claim_s, 3), "max_loop_stall_ms": round(stall_ms, 2),
            "send_rate_per_s": round(rate, 2),
            "send_rate_ratio": round(rate / Config().nudges.rate_per_second, 3),
            "http_429": max(delivery.count_429, server_429),
            "server_429": server_429, "baseline_unpaced_429": baseline_429,
            "queued": result.queued}


def main() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("bot").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="bench-nudges-") as tmp:
        database = Path(tmp) / "coach.sqlite3"
        started = time.perf_counter()
        build_database(database)
        log.info("database with %s members built in %.1fs", MEMBERS,
                 time.perf_counter() - started)
        copy = Path(tmp) / "startup.sqlite3"
        shutil.copy(database, copy)
        startup = measure_startup(copy)
        log.info("startup %.3fs, peak rss %.1f MB", startup["startup_s"], startup["rss_mb"])
        fake, port = start_fake()
        try:
            sending = asyncio.run(tick_and_send(database, port))
        finally:
            fake.terminate()
            fake.wait(timeout=10)
    out = {"members": MEMBERS, "due": DUE, "startup_s": round(startup["startup_s"], 3),
           "rss_mb": round(startup["rss_mb"], 1), **sending}
    print(json.dumps(out))


if __name__ == "__main__":
    if os.environ.get("BENCH_NUDGES_CHILD"):
        asyncio.run(child(os.environ["BENCH_NUDGES_CHILD"]))
        print(json.dumps({"rss_mb": peak_rss_mb()}), flush=True)
    else:
        main()
