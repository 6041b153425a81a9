"""When a message shows crisis language: stop coaching, point to real help, never fail.

The detector (`bot.safety`) decides; this module acts. It pauses the member's conversation
(paused, not lost), pauses reminders, records only level, category and time, and answers
with resources for the member's country. If anything here fails, the member still gets the
resources: the reply is built first and every write is best effort.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.clock import Clock, iso
from bot.messages import Outbound, Tone
from bot.safety.detector import FAIL_CLOSED, Assessment, CrisisDetector, Level
from bot.safety.resources import Resources
from bot.safety.responses import crisis_reply, followup_reply, resources_reply

if TYPE_CHECKING:
    from bot.config import SafetyConfig
    from bot.members import Member, Members
    from bot.storage import Database

log = logging.getLogger(__name__)

_ORDER = {Level.NONE: 0, Level.WATCH: 1, Level.CONCERN: 2, Level.URGENT: 3}
CONTINUE_WORDS = frozenset({"continue", "resume", "carry on", "keep going", "continue coaching",
                            "i want to continue", "i'd like to continue", "continuar",
                            "continuer", "weiter", "fortsetzen"})

# Notifies moderators (member id, level, time; never text). Set by a transport.
AlertSink = Callable[["Member", Assessment], Awaitable[None]]


def wants_to_continue(text: str) -> bool:
    return text.strip().casefold().rstrip(".!") in CONTINUE_WORDS


class CrisisCare:
    def __init__(self, db: Database, members: Members, detector: CrisisDetector,
                 resources: Resources, config: SafetyConfig, clock: Clock) -> None:
        self.db = db
        self.members = members
        self.detector = detector
        self.resources = resources
        self.config = config
        self.clock = clock
        self.alert: AlertSink | None = None
        self.community_default: Callable[[str | None], str | None] = (
            lambda guild_id: config.community_default_country)

    def assess(self, texts: Iterable[str]) -> Assessment:
        """The highest level over every piece of text a member sent. Never raises."""
        try:
            worst = Assessment(Level.NONE, None)
            for text in texts:
                if not text:
                    continue
                found = self.detector.check(text)
                if _ORDER[found.level] > _ORDER[worst.level]:
                    worst = found
            return worst
        except Exception as exc:  # the check must never fail open
            log.error("crisis check failed: %s", type(exc).__name__)
            return FAIL_CLOSED

    def _resource_set(self, member: Member | None, guild_id: str | None = None):  # noqa: ANN202
        country = member.country if member else None
        language = member.preferred_language if member else None
        try:
            default = self.community_default(guild_id)
        except Exception:
            default = self.config.community_default_country
        return self.resources.for_member(country, language, default), language

    async def respond(self, member: Member | None, assessment: Assessment,
                      guild_id: str | None = None) -> list[Outbound]:
        """Pause coaching and answer with resources. Always returns the reply."""
        try:
            resources, language = self._resource_set(member, guild_id)
            text = crisis_reply(assessment, resources, language)
        except Exception as exc:
            log.error("crisis reply failed, using the fallback: %s", type(exc).__name__)
            text = FALLBACK
        if member is not None:
            try:
                await self._pause(member, assessment)
            except Exception as exc:
                log.error("crisis pause not saved member=%s: %s", member.id, type(exc).__name__)
        return [Outbound(text, tone=Tone.CRISIS)]

    async def _pause(self, member: Member, assessment: Assessment) -> None:
        now = self.clock.now()
        until = iso(now + timedelta(hours=self.config.pause_hours))
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO crisis_events (member_id, level, category, at) VALUES (?, ?, ?, ?)",
                (member.id, str(assessment.level), assessment.category, iso(now)))
            await conn.execute(
                "UPDATE sessions SET status = 'crisis', updated_at = ?"
                " WHERE member_id = ? AND status = 'active'", (iso(now), member.id))
            await conn.execute(
                "UPDATE members SET crisis_paused_at = ?,"
                " crisis_pause_until = MAX(COALESCE(crisis_pause_until, ''), ?) WHERE id = ?",
                (iso(now), until, member.id))
        log.info("crisis pause member=%s level=%s category=%s", member.id, assessment.level,
                 assessment.category)
        if self.alert is not None and self.config.moderator_alerts and member.alert_consent:
            try:
                await self.alert(member, assessment)
            except Exception as exc:
                log.error("moderator alert failed member=%s: %s", member.id, type(exc).__name__)

    def follow_up(self, member: Member, guild_id: str | None = None) -> list[Outbound]:
        try:
            resources, language = self._resource_set(member, guild_id)
            text = followup_reply(resources, language)
        except Exception:
            text = FALLBACK
        return [Outbound(text, tone=Tone.CRISIS)]

    def resources_message(self, member: Member | None, guild_id: str | None = None) -> Outbound:
        try:
            resources, language = self._resource_set(member, guild_id)
            return Outbound(resources_reply(resources, language))
        except Exception:
            return Outbound(FALLBACK)

    async def continue_coaching(self, member: Member) -> None:
        """The member asked to go on: lift the pause on coaching (reminders wait for the
        pause window too)."""
        await self.members.update(member.id, crisis_paused_at=None)
        await self.db.execute("UPDATE sessions SET status = 'paused' WHERE member_id = ?"
                              " AND status = 'crisis'", (member.id,))


FALLBACK = (
    "I'm really glad you told me. I'm a coaching bot, not a crisis service, so I've paused "
    "our coaching. If you might be in danger, please call your local emergency number now. "
    "You can find a free, confidential helpline in your country at https://findahelpline.com. "
    "When you want to continue coaching, type continue.")
