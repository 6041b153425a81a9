"""Members own their data: every feature says what it stores and can export and delete it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.storage import Database

log = logging.getLogger(__name__)

Exporter = Callable[[Database, int], Awaitable[Any]]
Deleter = Callable[[aiosqlite.Connection, int], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class DataFeature:
    name: str
    stores: str  # in plain words, for the privacy page and the export
    export: Exporter
    delete: Deleter


class DataRights:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._features: dict[str, DataFeature] = {}

    def register(self, name: str, *, stores: str, export: Exporter, delete: Deleter) -> None:
        if name in self._features:
            raise ValueError(f"data feature {name!r} registered twice")
        self._features[name] = DataFeature(name, stores, export, delete)

    def features(self) -> list[DataFeature]:
        return list(self._features.values())

    async def export(self, member_id: int) -> dict[str, Any]:
        return {f.name: await f.export(self.db, member_id) for f in self._features.values()}

    async def delete(self, member_id: int) -> None:
        """Remove everything of one member in one transaction, then clear it from the file."""
        async with self.db.transaction() as conn:
            for feature in reversed(list(self._features.values())):
                await feature.delete(conn, member_id)
            await conn.execute("DELETE FROM members WHERE id = ?", (member_id,))
        # secure_delete overwrites freed pages; the checkpoint moves that into the main file
        # and truncates the write-ahead log, which still held the old pages.
        await self.db.checkpoint()
        log.info("member data deleted member=%s", member_id)


def rows(records: list[Any], *, drop: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    return [{k: r[k] for k in r.keys() if k not in drop} for r in records]
