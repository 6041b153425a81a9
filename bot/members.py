"""Members: who the coach is talking to, and the few settings they chose."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from bot.clock import iso, parse_iso
from bot.messages import Speaker
from bot.storage import Database

SETTABLE = frozenset({"display_name", "locale", "language", "country", "timezone", "onboarded",
                      "alert_consent", "dm_channel_id", "unreachable_since", "crisis_paused_at",
                      "crisis_pause_until", "last_seen_at"})


@dataclass(frozen=True, slots=True)
class Member:
    id: int
    platform: str
    external_id: str
    display_name: str
    locale: str | None
    language: str | None
    country: str | None
    timezone: str | None
    onboarded: bool
    alert_consent: bool
    dm_channel_id: str | None
    unreachable_since: str | None
    crisis_paused_at: str | None
    crisis_pause_until: str | None
    created_at: str
    last_seen_at: str

    @property
    def preferred_language(self) -> str | None:
        """The language they chose, else the platform's hint."""
        return self.language or self.locale

    @property
    def in_crisis_pause(self) -> bool:
        """Coaching stays paused until the member explicitly asks to continue."""
        return self.crisis_paused_at is not None

    def reminders_paused(self, now: datetime) -> bool:
        """No nudges or group reminders while paused by the crisis check (the later of the
        pause window and the member asking to continue)."""
        if self.crisis_paused_at is not None:
            return True
        return self.crisis_pause_until is not None and now < parse_iso(self.crisis_pause_until)


_COLUMNS = [f.name for f in fields(Member)]

SEEN_EVERY = timedelta(minutes=15)
_ACTIVE_SESSION = (
    "(SELECT json_object('id', s.id, 'member_id', s.member_id, 'flow_id', s.flow_id,"
    " 'flow_hash', s.flow_hash, 'step_id', s.step_id, 'answers', s.answers, 'stack', s.stack,"
    " 'state', s.state, 'status', s.status, 'language', s.language,"
    " 'started_at', s.started_at, 'updated_at', s.updated_at)"
    " FROM sessions AS s WHERE s.member_id = members.id AND s.status = 'active'"
    " ORDER BY s.id DESC LIMIT 1) AS active_session")
# The member and their active session as one JSON object (Session.from_json), read only.
_FIND = ("SELECT *, " + _ACTIVE_SESSION  # noqa: S608 - constant text, no input
         + " FROM members WHERE platform = ? AND external_id = ?")
# Upsert the member and, in the same statement, read their active session.
_ARRIVE = (
    "INSERT INTO members (platform, external_id, display_name, locale, created_at,"  # noqa: S608
    " last_seen_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (platform, external_id) DO UPDATE SET"
    " display_name = excluded.display_name, locale = COALESCE(excluded.locale, members.locale),"
    " last_seen_at = excluded.last_seen_at RETURNING *, " + _ACTIVE_SESSION)


def _member(row: Any) -> Member:
    values = {name: row[name] for name in _COLUMNS}
    values["onboarded"] = bool(values["onboarded"])
    values["alert_consent"] = bool(values["alert_consent"])
    return Member(**values)


class Members:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def ensure(self, speaker: Speaker, now: datetime) -> Member:
        """The member behind a platform user, created on first contact, in one statement.

        (A transport clears the "unreachable" mark when a member writes to it again.)
        """
        return (await self.arrive(speaker, now))[0]

    async def arrive(self, speaker: Speaker, now: datetime) -> tuple[Member, str | None]:
        """`ensure`, and the member's active conversation (as JSON, or None) read in the same
        statement: one read for the common case of a message. The member row is written only
        on first contact, when their name or language hint changed, or to move `last_seen_at`
        on (kept to within SEEN_EVERY)."""
        row = await self.db.fetchone(_FIND, (speaker.platform, speaker.user_id))
        if (row is not None and row["display_name"] == speaker.display_name[:100]
                and (speaker.locale is None or row["locale"] == speaker.locale)
                and row["last_seen_at"] >= iso(now - SEEN_EVERY)):
            return _member(row), row["active_session"]
        stamp = iso(now)
        rows = await self.db.write(
            _ARRIVE,
            (speaker.platform, speaker.user_id, speaker.display_name[:100], speaker.locale,
             stamp, stamp))
        return _member(rows[0]), rows[0]["active_session"]

    async def find(self, platform: str, external_id: str) -> Member | None:
        row = await self.db.fetchone(
            "SELECT * FROM members WHERE platform = ? AND external_id = ?",
            (platform, external_id))
        return _member(row) if row else None

    async def get(self, member_id: int) -> Member | None:
        row = await self.db.fetchone("SELECT * FROM members WHERE id = ?", (member_id,))
        return _member(row) if row else None

    async def update(self, member_id: int, **values: Any) -> Member:
        unknown = set(values) - SETTABLE
        if unknown:
            raise ValueError(f"not member settings: {sorted(unknown)}")
        if not values:
            member = await self.get(member_id)
        else:
            assignments = ", ".join(f"{name} = ?" for name in values)  # names checked above
            rows = await self.db.write(
                f"UPDATE members SET {assignments} WHERE id = ? RETURNING *",  # noqa: S608
                (*values.values(), member_id))
            member = _member(rows[0]) if rows else None
        if member is None:
            raise LookupError(f"member {member_id} does not exist")
        return member
