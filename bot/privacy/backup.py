"""`coachbot backup PATH`: a consistent copy of the database while the bot keeps running.

SQLite's online backup API copies every page inside one read transaction (all pages in a
single step), so the copy is one moment's snapshot. In WAL mode a reader never blocks the
writer, so members keep talking to the bot while the copy is made. The copy is written next
to its destination first, checked with `PRAGMA integrity_check`, and then moved into place,
so a crash never leaves a half-written backup under the final name.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)


class BackupError(Exception):
    """The backup could not be made; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class BackupResult:
    path: Path
    size: int  # bytes
    pages: int


def default_name(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"coachbot-backup-{now.astimezone(UTC):%Y%m%d-%H%M%S}.sqlite3"


def backup_database(source: str | Path, destination: str | Path) -> BackupResult:
    """Copy the database at `source` to `destination` (a file, or a directory to put it in)."""
    source = Path(source).expanduser()
    target = Path(destination).expanduser()
    if not source.is_file():
        raise BackupError(f"there is no database at {source}; check --db or the config")
    if target.is_dir():
        target = target / default_name()
    if target.exists() and target.resolve() == source.resolve():
        raise BackupError("the backup path is the database itself; choose another path")
    if not target.parent.is_dir():
        raise BackupError(f"the folder {target.parent} does not exist; create it first")
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        src.execute("PRAGMA busy_timeout=5000")
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst, pages=-1)  # one step: one consistent snapshot
            problems = [row[0] for row in dst.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise BackupError("the copy failed its integrity check: " + "; ".join(problems[:5]))
            # A standalone file: no write-ahead log to carry around with it.
            dst.execute("PRAGMA journal_mode=DELETE")
            pages = int(dst.execute("PRAGMA page_count").fetchone()[0])
        finally:
            dst.close()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"the database could not be copied: {exc}") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        src.close()
    with open(partial, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, target)
    size = target.stat().st_size
    log.info("backup written pages=%s bytes=%s", pages, size)
    return BackupResult(target, size, pages)
