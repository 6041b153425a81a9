"""The thin scheduler: APScheduler 3.11 calls `tick(clock.now())` every `tick_seconds`.

Nothing else owns a timer; what is due lives in SQLite. Transports call `start_scheduler`
once the coach is open and the delivery port is plugged in, and `stop` when shutting down.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.nudges.service import TickResult

if TYPE_CHECKING:
    from bot.app import Coach
    from bot.nudges.service import Nudger

log = logging.getLogger(__name__)


class NudgeScheduler:
    def __init__(self, coach: Coach, nudger: Nudger) -> None:
        self.coach = coach
        self.nudger = nudger
        self.first_tick = asyncio.Event()
        self.last: TickResult | None = None
        self._scheduler: AsyncIOScheduler | None = None

    async def start(self) -> None:
        if self.coach.delivery is None:
            raise RuntimeError("plug in the transport's delivery port before the scheduler")
        if self.nudger.queue is None:
            self.nudger.attach(self.coach.delivery)
        # Everything loaded so far (conversations, word lists, modules) lives as long as the
        # process: keep it out of the garbage collector's full passes, which otherwise scan
        # it all and can hold the event loop for tens of milliseconds during a large tick.
        gc.freeze()
        scheduler = AsyncIOScheduler(timezone=UTC, event_loop=asyncio.get_running_loop())
        scheduler.add_job(self._tick, "interval",
                          seconds=self.coach.config.nudges.tick_seconds,
                          next_run_time=datetime.now(UTC), id="nudges", max_instances=1,
                          coalesce=True, misfire_grace_time=None)
        scheduler.start()
        self._scheduler = scheduler
        log.info("nudge scheduler started every=%ss",
                 self.coach.config.nudges.tick_seconds)

    async def _tick(self) -> None:
        try:
            self.last = await self.nudger.tick(self.coach.clock.now())
        except Exception:
            log.exception("nudge tick failed")
        finally:
            self.first_tick.set()

    async def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        if self.nudger.queue is not None:
            await self.nudger.queue.stop()
