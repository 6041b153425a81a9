"""The coach, assembled: storage, conversations, safety, commands and the router.

Transports create one `Coach` and hand it every `Inbound`; they also plug in the delivery
port (for messages nobody asked for right now) and the moderator-alert sink.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from bot.clock import Clock, SystemClock
from bot.commands import CommandRegistry
from bot.config import Config
from bot.crisis import CrisisCare
from bot.datarights import DataRights
from bot.delivery import Delivery
from bot.flows.engine import Engine
from bot.flows.library import FlowLibrary
from bot.members import Members
from bot.messages import Inbound, Outbound
from bot.router import Router
from bot.safety.detector import CrisisDetector
from bot.safety.resources import Resources
from bot.storage import Database
from bot.yamlfile import Problem

log = logging.getLogger(__name__)


class StartupError(Exception):
    """The coach cannot start; the message says why and what to do."""


@dataclass
class Coach:
    config: Config
    db: Database
    clock: Clock
    library: FlowLibrary
    members: Members
    engine: Engine
    crisis: CrisisCare
    registry: CommandRegistry
    datarights: DataRights
    router: Router | None = None
    delivery: Delivery | None = None
    load_problems: tuple[Problem, ...] = ()

    @classmethod
    async def open(cls, config: Config, *, clock: Clock | None = None, seed: int | None = None,
                   detector: CrisisDetector | None = None) -> Coach:
        clock = clock or SystemClock()
        try:
            detector = detector or CrisisDetector.load([Path(p) for p in
                                                        config.safety.lexicon_paths])
            resources = Resources.load(Path(config.safety.resources_path)
                                       if config.safety.resources_path else None)
        except Exception as exc:
            problems = getattr(exc, "problems", None)
            detail = "\n".join(str(p) for p in problems) if problems else str(exc)
            raise StartupError(f"The crisis-safety files have errors, so the bot will not start "
                               f"without its safety check:\n{detail}") from None
        library, problems = FlowLibrary.load(config.conversations_path)
        for problem in problems:
            log.warning("conversation not loaded: %s", problem)
        db = await Database.open(config.database)
        members = Members(db)
        coach = cls(config=config, db=db, clock=clock, library=library, members=members,
                    engine=Engine(db, library, clock, seed=seed),
                    crisis=CrisisCare(db, members, detector, resources, config.safety, clock),
                    registry=CommandRegistry(), datarights=DataRights(db),
                    load_problems=tuple(problems))
        coach.router = Router(coach)
        from bot.features import register_all
        register_all(coach)
        return coach

    async def handle(self, inbound: Inbound) -> list[Outbound]:
        assert self.router is not None
        return await self.router.handle(inbound)

    async def close(self) -> None:
        await self.engine.sessions.drain()
        await self.db.close()
