"""DM round trips through the fake Discord: coachbot inside a conversation vs a bare
discord.py bot that echoes DMs.

Three processes besides this one: the fake (`python -m tests.fakediscord`), the echo bot,
then coachbot (`python -m bot run`). 50 members write to each bot in two phases:

- first as fast as they can (each member waits for the answer, then writes again): the
  round-trip latency members see -> `p99_ratio_vs_echo`. CPU per round trip is reported
  for this phase too (`cpu_ratio_vs_echo_flat_out`), but it does not compare like with
  like: the faster bot answers more messages a second, so more of them share each wake-up
  of its event loop and each one costs it less;
- then at the same pace for both bots (each member writes every PERIOD seconds, 500
  messages a second in all, well within what either bot can answer), further into the
  conversation: the bots' own CPU time (from /proc/<pid>/stat) per round trip, compared at
  equal load -> `cpu_ratio_vs_echo`.

The fake runs without its global rate limit, so the figures are the bots' own cost, not
Discord's pacing.

Run: python bench/discord_roundtrip.py  (logs on stderr; the last stdout line is JSON)
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MEMBERS = 50
FLAT_OUT_ROUNDS = 20  # per member, as fast as the bot answers (first)
PACED_ROUNDS = 60  # per member, one every PERIOD seconds (then)
PERIOD = 0.1
ROLE = "COACHBOT_BENCH_ROLE"

log = logging.getLogger("bench.discord_roundtrip")


def flow_yaml(steps: int) -> str:
    lines = ["id: bench", "title: Bench", "description: Many short questions.", "steps:"]
    for i in range(1, steps + 1):
        lines += [f"  - id: q{i}", "    type: text", f'    prompt: "Question {i}: what else?"']
    return "\n".join(lines) + "\n"


# -- the echo bot (its own process) --------------------------------------------------------

def echo_main() -> None:
    import discord
    import discord.gateway
    import discord.http
    import yarl

    discord.http.Route.BASE = os.environ["COACHBOT_DISCORD_API_BASE"]
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(
        os.environ["COACHBOT_DISCORD_GATEWAY_URL"])
    intents = discord.Intents.none()
    intents.guilds = True
    intents.dm_messages = True
    client = discord.Client(intents=intents)

    @client.event
    async def on_message(message: discord.Message) -> None:
        if message.author.bot or message.guild is not None:
            return
        await message.channel.send(message.content)

    client.run(os.environ["COACHBOT_DISCORD_TOKEN"], log_handler=None)


# -- measuring -----------------------------------------------------------------------------

def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


async def drive(remote, bot, users: list, rounds: int, text, period: float) -> list[float]:
    """Each member writes `rounds` messages, waiting for every answer; with a `period`, at
    most one message per period (the members' start times spread over the first one)."""
    latencies: list[float] = []

    async def member(index: int, user) -> None:
        begin = time.perf_counter() + period * index / len(users)
        for r in range(rounds):
            if period:
                await asyncio.sleep(max(0.0, begin + r * period - time.perf_counter()))
            start = time.perf_counter()
            await remote.send_dm(user, text(index, r), bot=bot)
            await remote.next_message_to(user, timeout=30, bot=bot)
            latencies.append(time.perf_counter() - start)

    await asyncio.gather(*(member(i, u) for i, u in enumerate(users)))
    return latencies


async def phase(name: str, remote, bot, proc, users: list, text, rounds: int,
                period: float) -> dict:
    before = cpu_seconds(proc.pid)
    wall = time.perf_counter()
    latencies = await drive(remote, bot, users, rounds, text, period)
    wall = time.perf_counter() - wall
    cpu = cpu_seconds(proc.pid) - before
    latencies.sort()
    result = {
        "cpu_ms_per_roundtrip": 1000 * cpu / len(latencies),
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
        "roundtrips": len(latencies),
        "roundtrips_per_s": len(latencies) / wall,
    }
    log.info("%s: %s", name, json.dumps({k: round(v, 3) for k, v in result.items()}))
    return result


async def measure(name: str, remote, bot, proc, users: list, warm, text) -> dict:
    await remote.wait_connected(timeout=60, bot=bot)
    await asyncio.gather(*(warm(u) for u in users))
    flat_out = await phase(f"{name}, flat out", remote, bot, proc, users, text,
                           FLAT_OUT_ROUNDS, 0.0)
    # Later in the conversation, with more answers to store at every step.
    paced = await phase(f"{name}, paced", remote, bot, proc, users,
                        lambda i, r: text(i, FLAT_OUT_ROUNDS + r), PACED_ROUNDS, PERIOD)
    return {"paced": paced, "flat_out": flat_out}


async def stop(proc) -> None:
    if proc.returncode is None:
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 20)
        except TimeoutError:
            proc.kill()
            await proc.wait()


async def main() -> dict:
    from tests.fakediscord import FakeDiscordRemote, start_fake_process

    fake_proc, port = await start_fake_process("--global-limit", "0", cwd=str(ROOT))
    remote = FakeDiscordRemote(f"http://127.0.0.1:{port}")
    tmp = Path(tempfile.mkdtemp(prefix="coachbot-bench-"))
    base_env = {**os.environ, "COACHBOT_DISCORD_API_BASE": remote.api_base,
                "COACHBOT_DISCORD_GATEWAY_URL": f"ws://127.0.0.1:{port}/",
                "COACHBOT_LOG_LEVEL": "WARNING"}
    procs = []
    try:
        # The echo bot: the fake's default bot.
        echo_env = {**base_env, ROLE: "echo", "COACHBOT_DISCORD_TOKEN": await remote.token()}
        echo = await asyncio.create_subprocess_exec(sys.executable, str(Path(__file__)),
                                                    cwd=str(ROOT), env=echo_env)
        procs.append(echo)
        echo_users = [await remote.add_user(f"echo{i}") for i in range(MEMBERS)]

        async def echo_warm(user) -> None:
            await remote.send_dm(user, "hello")
            await remote.next_message_to(user, timeout=30)

        echo_result = await measure("echo", remote, None, echo, echo_users, echo_warm,
                                    lambda i, r: f"member {i} says {r}")
        await stop(echo)

        # coachbot, inside a conversation of many short questions.
        flows = tmp / "conversations"
        flows.mkdir()
        (flows / "bench.yaml").write_text(flow_yaml(PACED_ROUNDS + FLAT_OUT_ROUNDS + 5),
                                          encoding="utf-8")
        config = tmp / "coachbot.yaml"
        config.write_text(f"conversations_dir: {flows}\n", encoding="utf-8")
        coach_bot = await remote.add_bot("coachbot")
        coach_env = {**base_env, "COACHBOT_DISCORD_TOKEN": coach_bot["token"],
                     "COACHBOT_DATABASE": str(tmp / "coach.sqlite3"),
                     "COACHBOT_CONFIG": str(config)}
        coach = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run",
                                                     cwd=str(ROOT), env=coach_env)
        procs.append(coach)
        coach_users = [await remote.add_user(f"member{i}") for i in range(MEMBERS)]

        async def coach_warm(user) -> None:
            await remote.send_dm(user, "/coach start bench", bot=coach_bot)
            reply = await remote.next_message_to(user, timeout=30, bot=coach_bot)
            assert reply["content"].startswith("Question 1"), reply["content"][:40]

        coach_result = await measure("coachbot", remote, coach_bot, coach, coach_users,
                                     coach_warm,
                                     lambda i, r: f"I noticed thing number {r} this week")
        await stop(coach)
    finally:
        for proc in procs:
            await stop(proc)
        await remote.close()
        fake_proc.terminate()
        await fake_proc.wait()
    echo_paced, coach_paced = echo_result["paced"], coach_result["paced"]
    echo_flat, coach_flat = echo_result["flat_out"], coach_result["flat_out"]
    return {
        "members": MEMBERS,
        "paced_messages_per_s": round(MEMBERS / PERIOD),
        "roundtrips_per_bot": coach_paced["roundtrips"] + coach_flat["roundtrips"],
        "echo_cpu_ms_per_roundtrip": round(echo_paced["cpu_ms_per_roundtrip"], 3),
        "coach_cpu_ms_per_roundtrip": round(coach_paced["cpu_ms_per_roundtrip"], 3),
        "cpu_ratio_vs_echo": round(coach_paced["cpu_ms_per_roundtrip"]
                                   / echo_paced["cpu_ms_per_roundtrip"], 3),
        "echo_p50_ms": round(echo_flat["p50_ms"], 2),
        "coach_p50_ms": round(coach_flat["p50_ms"], 2),
        "echo_p99_ms": round(echo_flat["p99_ms"], 2),
        "coach_p99_ms": round(coach_flat["p99_ms"], 2),
        "p99_ratio_vs_echo": round(coach_flat["p99_ms"] / echo_flat["p99_ms"], 3),
        "echo_flat_out_roundtrips_per_s": round(echo_flat["roundtrips_per_s"]),
        "coach_flat_out_roundtrips_per_s": round(coach_flat["roundtrips_per_s"]),
        "echo_flat_out_cpu_ms_per_roundtrip": round(echo_flat["cpu_ms_per_roundtrip"], 3),
        "coach_flat_out_cpu_ms_per_roundtrip": round(coach_flat["cpu_ms_per_roundtrip"], 3),
        "cpu_ratio_vs_echo_flat_out": round(coach_flat["cpu_ms_per_roundtrip"]
                                            / echo_flat["cpu_ms_per_roundtrip"], 3),
    }


if __name__ == "__main__":
    if os.environ.get(ROLE) == "echo":
        echo_main()
    else:
        logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        figures = asyncio.run(main())
        print(json.dumps(figures))
