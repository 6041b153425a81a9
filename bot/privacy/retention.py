"""Retention: the answers of ended conversations are deleted after `retention_days`.

"Deleted" means, for each conversation that finished, was stopped or was abandoned (its file
was removed) more than `privacy.retention_days` ago (default 180):

- `answers` becomes `{}` (everything the member typed or picked),
- `stack` becomes `[]` (the answers of a conversation that called this one),
- `state` becomes `{}` (reflections being restated, a goal being written).

The row itself stays, with its conversation id, status and times, so that moderators' counts
(how many conversations were started and finished) stay right; nothing in it says anything
about the member's words. Conversations that are paused, active or paused by the crisis
check are never purged: a member may come back whenever they like.

A conversation is kept whole while a goal the member keeps (any status but `dropped`) was
made in it (`goals.session_id`); once that goal is dropped or deleted, the next purge clears it.

Records of reminders that went out (or were answered, skipped or stopped) more than
`retention_days` ago are deleted too; goals and check-ins stay until the member deletes them.

`secure_delete` is on, so the old text is overwritten in the database file; a checkpoint
then moves those pages out of the write-ahead log.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.clock import iso

if TYPE_CHECKING:
    from bot.app import Coach

log = logging.getLogger(__name__)

ENDED = ("finished", "stopped", "abandoned")
BATCH = 500  # rows per transaction, so members are never kept waiting behind a long purge

_EXPIRED = (
    "SELECT s.id FROM sessions AS s"
    " WHERE s.status IN ('finished', 'stopped', 'abandoned')"
    " AND COALESCE(s.ended_at, s.updated_at) < ?"
    " AND (s.answers != '{}' OR s.stack != '[]' OR s.state != '{}')"
    " AND NOT EXISTS (SELECT 1 FROM goals AS g"
    "                 WHERE g.session_id = s.id AND g.status != 'dropped')"
    " ORDER BY s.id LIMIT ?")


async def purge_expired(coach: Coach, now: datetime) -> int:
    """Delete the answers of conversations that ended before the retention period.

    Returns how many conversations were cleared. Safe to call on every scheduler tick: a
    cleared conversation is never touched again, and each batch is its own transaction.
    """
    cutoff = iso(now - timedelta(days=coach.config.privacy.retention_days))
    purged = 0
    while True:
        async with coach.db.transaction() as conn:
            async with conn.execute(_EXPIRED, (cutoff, BATCH)) as cursor:
                ids = [row[0] for row in await cursor.fetchall()]
            if ids:
                await conn.executemany(
                    "UPDATE sessions SET answers = '{}', stack = '[]', state = '{}'"
                    " WHERE id = ?", [(i,) for i in ids])
        purged += len(ids)
        if len(ids) < BATCH:
            break
    pruned = await _prune_reminders(coach, cutoff)
    if purged or pruned:
        await coach.db.checkpoint()
        log.info("retention cleared the answers of %s ended conversations and %s old "
                 "reminder records", purged, pruned)
    return purged


async def _prune_reminders(coach: Coach, cutoff: str) -> int:
    """Reminders that went out (or were skipped, answered, stopped) before the cutoff: the
    record of each one, with its quick answer, is deleted. Goals and check-ins stay."""
    pruned = 0
    while True:
        async with coach.db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM nudge_occurrences WHERE id IN (SELECT id FROM nudge_occurrences"
                " WHERE state NOT IN ('due', 'in_flight') AND updated_at < ? LIMIT ?)",
                (cutoff, BATCH))
            count = cursor.rowcount
        pruned += count
        if count < BATCH:
            return pruned


def retention_work(coach: Coach, every: timedelta = timedelta(hours=1)
                   ) -> Callable[[datetime, Any], Awaitable[int]]:
    """`purge_expired` shaped as scheduled work for the single tick: `work(now, queue)`.

    It purges at most once per `every` (the first tick purges at once) and queues no
    messages, so it returns 0.
    """
    last: list[datetime] = []

    async def work(now: datetime, queue: Any = None) -> int:
        if last and now - last[0] < every:
            return 0
        last[:] = [now]
        await purge_expired(coach, now)
        return 0

    return work
