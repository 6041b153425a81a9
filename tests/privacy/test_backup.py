"""`coachbot backup PATH`: a consistent copy made while another connection keeps writing."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from bot.cli import main
from bot.storage import Database

FILLER_ROWS = 600  # about 2.5 MB of answers, so the copy takes real work


def make_database(path: Path) -> None:
    async def create() -> None:
        db = await Database.open(path)
        await db.close()
    asyncio.run(create())
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    conn.execute("INSERT INTO members (id, platform, external_id, created_at, last_seen_at)"
                 " VALUES (1, 'terminal', 'filler', 't', 't')")
    conn.executemany(
        "INSERT INTO sessions (member_id, flow_id, flow_hash, step_id, answers, status,"
        " started_at, updated_at) VALUES (1, 'grow', 'h', 'goal', ?, 'finished', 't', 't')",
        [(f'{{"a": "{i:05d}{"x" * 4000}"}}',) for i in range(FILLER_ROWS)])
    conn.execute("COMMIT")
    conn.close()


class Writer(threading.Thread):
    """A member after member: each transaction adds a member and their open conversation,
    and finishes the previous member's conversation. Consistent copies keep that shape."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.commits = 0
        self.errors: list[BaseException] = []
        self.stop = threading.Event()
        self.changed = threading.Condition()

    def wait_for(self, commits: int) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: self.commits >= commits or self.errors,
                                         timeout=30)

    def run(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None)
        conn.execute("PRAGMA busy_timeout=5000")
        try:
            k = 1000
            while not self.stop.is_set():
                k += 1
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("INSERT INTO members (id, platform, external_id, created_at,"
                             " last_seen_at) VALUES (?, 'terminal', ?, 't', 't')", (k, f"m{k}"))
                conn.execute("INSERT INTO sessions (member_id, flow_id, flow_hash, step_id,"
                             " answers, status, started_at, updated_at)"
                             " VALUES (?, 'grow', 'h', 'reality', ?, 'active', 't', 't')",
                             (k, f'{{"goal": "{"y" * 3000}"}}'))
                conn.execute("UPDATE sessions SET status = 'finished' WHERE member_id = ?",
                             (k - 1,))
                conn.execute("COMMIT")
                with self.changed:
                    self.commits += 1
                    self.changed.notify_all()
        except BaseException as exc:  # reported to the test
            with self.changed:
                self.errors.append(exc)
                self.changed.notify_all()
        finally:
            conn.close()


def test_backup_while_a_writer_keeps_writing(tmp_path: Path, capsys: pytest.CaptureFixture
                                             ) -> None:
    source = tmp_path / "live.sqlite3"
    make_database(source)
    writer = Writer(source)
    writer.start()
    try:
        writer.wait_for(5)
        copy = tmp_path / "copy.sqlite3"
        assert main(["backup", str(copy), "--db", str(source)]) == 0
        after_backup = writer.commits
        writer.wait_for(after_backup + 3)  # the writer was never blocked and goes on
    finally:
        writer.stop.set()
        writer.join(timeout=30)
    assert not writer.errors
    assert f"Backup written to {copy}" in capsys.readouterr().out

    conn = sqlite3.connect(copy)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert not Path(f"{copy}-wal").exists()
        members = [r[0] for r in conn.execute("SELECT id FROM members WHERE id > 1000"
                                              " ORDER BY id")]
        assert len(members) >= 5
        # every committed member is whole: a member never without their conversation
        assert members == list(range(1001, 1001 + len(members)))
        open_ = [r[0] for r in conn.execute("SELECT member_id FROM sessions"
                                            " WHERE member_id > 1000 AND status = 'active'")]
        finished = conn.execute("SELECT COUNT(*) FROM sessions WHERE member_id > 1000"
                                " AND status = 'finished'").fetchone()[0]
        assert open_ == [members[-1]] and finished == len(members) - 1
        assert conn.execute("SELECT COUNT(*) FROM sessions WHERE member_id = 1").fetchone()[0] \
            == FILLER_ROWS
        assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] >= 1
    finally:
        conn.close()
    # the copy is one moment's snapshot: the writer went on past it
    assert len(members) < writer.commits


def test_backup_into_a_folder_and_refusals(tmp_path: Path, capsys: pytest.CaptureFixture
                                           ) -> None:
    source = tmp_path / "live.sqlite3"
    make_database(source)
    folder = tmp_path / "backups"
    folder.mkdir()
    assert main(["backup", str(folder), "--db", str(source)]) == 0
    made = list(folder.iterdir())
    assert len(made) == 1 and made[0].name.startswith("coachbot-backup-")
    assert sqlite3.connect(made[0]).execute("SELECT COUNT(*) FROM sessions").fetchone()[0] \
        == FILLER_ROWS
    capsys.readouterr()

    assert main(["backup", str(tmp_path / "x.sqlite3"), "--db",
                 str(tmp_path / "missing.sqlite3")]) == 2
    err = capsys.readouterr().err
    assert "no backup made" in err and "there is no database" in err
    assert not (tmp_path / "missing.sqlite3").exists()
    assert not (tmp_path / "x.sqlite3").exists()

    assert main(["backup", str(source), "--db", str(source)]) == 2
    assert "the database itself" in capsys.readouterr().err
    assert main(["backup", str(tmp_path / "nope" / "b.sqlite3"), "--db", str(source)]) == 2
    assert "does not exist" in capsys.readouterr().err
