"""The bot process killed with SIGKILL in the middle of a conversation loses no answer.

A real child process runs `python -m bot chat` on a real SQLite file and gets its answers
through a pipe, one per line. An answer counts as acknowledged when the next question has
appeared on standard output: the engine saves before it speaks.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.privacy.helpers import write_flows

ROOT = Path(__file__).resolve().parents[2]
ANSWERS = ["A friend laughed at my joke", "7", "Rest matters", "yes", "Go to bed by eleven"]
KEYS = ["win", "energy", "lesson", "again", "next_step"]
VALUES = [ANSWERS[0], 7, ANSWERS[2], True, ANSWERS[4]]

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")


class Bot:
    """`coachbot chat` as a child process; lines of its output arrive through a queue."""

    def __init__(self, tmp: Path, *args: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("COACHBOT_")}
        env["PYTHONUNBUFFERED"] = "1"
        self.stderr_path = tmp / "stderr.txt"
        self.stderr = open(self.stderr_path, "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "chat", "--db", str(tmp / "coach.sqlite3"),
             "--conversations", str(tmp / "flows"), "--user", "sam", "--seed", "1", *args],
            cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self.stderr, text=True, encoding="utf-8")
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def wait_for(self, prefix: str) -> list[str]:
        """Read output until a line starts with `prefix`; returns the lines read."""
        got = []
        while True:
            line = self.lines.get(timeout=30)  # a guard against a hang, not a timing
            if line is None:
                errors = self.stderr_path.read_text(encoding="utf-8", errors="replace")
                raise AssertionError(f"the bot ended before {prefix!r}; it said {got}; "
                                     f"on stderr: {errors[-2000:]}")
            got.append(line)
            self.seen.append(line)
            if line.startswith(prefix):
                return got

    def send(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        assert self.proc.returncode == -signal.SIGKILL
        self.stderr.close()

    def finish(self) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        code = self.proc.wait(timeout=30)
        self.stderr.close()
        return code


def stored(tmp: Path) -> tuple[str, str, dict]:
    conn = sqlite3.connect(tmp / "coach.sqlite3")
    try:
        step, status, answers = conn.execute(
            "SELECT step_id, status, answers FROM sessions ORDER BY id DESC LIMIT 1").fetchone()
    finally:
        conn.close()
    return step, status, json.loads(answers)


@pytest.fixture
def tmp(tmp_path: Path) -> Path:
    write_flows(tmp_path / "flows")
    return tmp_path


def test_killed_after_acknowledged_answers_loses_none(tmp: Path) -> None:
    bot = Bot(tmp, "--flow", "diary")
    bot.wait_for("Q1:")
    for i in range(3):
        bot.send(ANSWERS[i])
        bot.wait_for(f"Q{i + 2}:")  # acknowledged: the next question is on the screen
    bot.kill()
    assert stored(tmp) == ("again", "active", dict(zip(KEYS[:3], VALUES[:3], strict=True)))

    bot = Bot(tmp)  # restart: the member is welcomed back at the right question
    shown = bot.wait_for("Q4:")
    assert any(line.startswith("Welcome back, sam.") for line in shown)
    assert not any(line.startswith(("Q1:", "Q2:", "Q3:")) for line in shown)
    bot.send(ANSWERS[3])
    bot.wait_for("Q5:")
    bot.send(ANSWERS[4])
    bot.wait_for("Would you like to turn this into a goal")
    bot.send("no")
    bot.wait_for("Thank you for taking this time")
    assert bot.finish() == 0
    assert stored(tmp) == ("end", "finished", dict(zip(KEYS, VALUES, strict=True)))
    assert f'"{ANSWERS[0]}"' in "\n".join(bot.seen)  # the summary uses the first answer


def test_killed_with_an_answer_in_flight_keeps_it_whole(tmp: Path) -> None:
    """Killed right after an answer is sent: it is either saved with its move to the next
    question, or not saved at all and asked again. Never half of it."""
    bot = Bot(tmp, "--flow", "diary")
    bot.wait_for("Q1:")
    bot.send(ANSWERS[0])
    bot.wait_for("Q2:")
    bot.send(ANSWERS[1])
    bot.kill()  # no waiting: the answer may or may not have been saved
    step, status, answers = stored(tmp)
    assert status == "active"
    assert (step, answers) in [("energy", {"win": ANSWERS[0]}),
                               ("lesson", {"win": ANSWERS[0], "energy": 7})]

    bot = Bot(tmp)
    question = "Q2:" if step == "energy" else "Q3:"
    bot.wait_for(question)
    if step == "energy":
        bot.send(ANSWERS[1])
        bot.wait_for("Q3:")
    for i in range(2, 5):
        bot.send(ANSWERS[i])
        bot.wait_for(f"Q{i + 2}:" if i < 4 else "Would you like to turn this into a goal")
    bot.send("no")
    bot.wait_for("Thank you for taking this time")
    assert bot.finish() == 0
    assert stored(tmp) == ("end", "finished", dict(zip(KEYS, VALUES, strict=True)))
