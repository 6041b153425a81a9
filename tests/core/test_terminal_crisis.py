"""The crisis response end to end through the terminal chat, as a real process."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CRISIS = "honestly i have the pills ready and i'm taking them all tonight"


def chat(db: Path, lines: list[str], *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COACHBOT_SEED": "1"}
    env.pop("COACHBOT_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--db", str(db), "--user", "Sam",
         "--conversations", str(ROOT / "conversations"), *extra],
        input="".join(f"{line}\n" for line in lines), capture_output=True, text=True,
        timeout=60, cwd=ROOT, env=env, check=False)


def test_a_crisis_answer_mid_conversation_stops_it_shows_help_and_stores_no_text(
        tmp_path: Path) -> None:
    db = tmp_path / "coach.sqlite3"
    first = chat(db, ["Feel calmer at work", "yes", CRISIS, "what's next?"], "--flow", "grow")
    assert first.returncode == 0, first.stderr
    out = first.stdout
    assert "taking them all" not in out  # never echoed back
    assert "emergency" in out.lower()
    assert "findahelpline.com" in out
    assert "coach" in out.lower() and "not a crisis service" in out.lower()
    # The next message gets the resources again, not the next coaching question.
    tail = out.split("Feel calmer at work")[-1]
    assert tail.lower().count("findahelpline.com") >= 2

    # Starting the chat again does not resume coaching by itself.
    again = chat(db, [])
    assert again.returncode == 0
    assert "findahelpline.com" in again.stdout
    assert "Welcome back" not in again.stdout

    # Only an explicit request continues the paused conversation, at the same question.
    lines = out.splitlines()
    crisis_at = next(i for i, line in enumerate(lines) if "findahelpline.com" in line)
    pending = [line for line in lines[:crisis_at] if line.rstrip().endswith("?")
               and "safe right now" not in line][-1]
    resumed = chat(db, ["continue"])
    assert "We can go on whenever you're ready" in resumed.stdout
    assert pending in resumed.stdout.split("We can go on whenever you're ready")[-1]
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        status = conn.execute("SELECT status FROM sessions ORDER BY id DESC LIMIT 1").fetchone()
        events = conn.execute("SELECT level, category FROM crisis_events").fetchall()
    assert status[0] == "paused"  # paused again by the end of input, not by the crisis check
    assert events and events[0][0] == "urgent"
    for path in tmp_path.iterdir():
        if path.name.startswith("coach.sqlite3"):
            assert b"taking them all" not in path.read_bytes(), path.name
            assert b"pills ready" not in path.read_bytes(), path.name
