"""Members: who the coach is talking to, and the few settings they chose."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from bot.clock import iso, parse_iso
from bot.flows.sessions import Session
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
# Members whose conversation is kept in memory between two messages (the most recent ones).
WARM_LIMIT = 1000
_ACTIVE_SESSION = (
    "(SELECT json_object('id', s.id, 'member_id', s.member_id, 'flow_id', s.flow_id,"
    " 'flow_hash', s.flow_hash, 'step_id', s.step_id, 'answers', json(s.answers),"
    " 'stack', json(s.stack), 'state', json(s.state), 'status', s.status, 'language', s.language,"
    " 'started_at', s.started_at, 'updated_at', s.updated_at, 'version', s.version)"
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


def _fresh(display_name: str, locale: str | None, last_seen_at: str, speaker: Speaker,
           now: datetime) -> bool:
    """Nothing about the member to write down: same name and language hint, seen lately."""
    return (display_name == speaker.display_name[:100]
            and (speaker.locale is None or locale == speaker.locale)
            and last_seen_at >= iso(now - SEEN_EVERY))


def _member(row: Any) -> Member:
    values = {name: row[name] for name in _COLUMNS}
    values["onboarded"] = bool(values["onboarded"])
    values["alert_consent"] = bool(values["alert_consent"])
    return Member(**values)


Key = tuple[str, str]


@dataclass(slots=True)
class Arrival:
    """A member as their message finds them, with the conversation they are in (if any).

    Hand it back to `Members.settle` once the message is handled."""

    member: Member
    session: Session | None
    key: Key
    generation: int
    ticket: int


class Members:
    """Members as stored, and the conversations of those who wrote last kept in memory.

    A message usually reads the member and their conversation, then saves the conversation.
    When nothing else has written to the database since (`Database.generation`) and no other
    message of theirs was handled meanwhile, the saved conversation is exactly what the
    database holds, so their next message starts from memory and needs no read.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._warm: dict[Key, tuple[Member, Session]] = {}
        self._flights: dict[Key, list[int]] = {}  # [last ticket, messages in hand]
        db.on_change.append(self._warm.clear)  # a deletion leaves no copy behind

    async def ensure(self, speaker: Speaker, now: datetime) -> Member:
        """The member behind a platform user, created on first contact, in one statement.

        (A transport clears the "unreachable" mark when a member writes to it again.)
        """
        key = (speaker.platform, speaker.user_id)
        self._warm.pop(key, None)  # the caller may change their conversation
        flight = self._flights.get(key)
        if flight is not None:
            flight[0] += 1  # nor may a message in hand keep its copy
        return (await self._read(speaker, now))[0]

    async def arrive(self, speaker: Speaker, now: datetime) -> Arrival:
        """`ensure`, and the member's active conversation, for a message: from memory when
        the last message left it there, else read with the member in one statement."""
        key = (speaker.platform, speaker.user_id)
        generation = self.db.generation
        warm = self._warm.pop(key, None)
        flight = self._flights.setdefault(key, [0, 0])
        flight[0] += 1
        flight[1] += 1
        arrival_ticket = flight[0]
        try:
            if warm is not None and _fresh(warm[0].display_name, warm[0].locale,
                                           warm[0].last_seen_at, speaker, now):
                member, session = warm
                session.synced = False
                return Arrival(member, session, key, generation, arrival_ticket)
            member, active = await self._read(speaker, now)
            session = Session.from_json(active) if active is not None else None
            return Arrival(member, session, key, generation, arrival_ticket)
        except BaseException:
            self._land(key)
            raise

    def settle(self, arrival: Arrival) -> None:
        """The message is handled: keep its conversation in memory when it is still exactly
        what the database holds (saved last by this message, nothing else written since)."""
        flight = self._land(arrival.key)
        session = arrival.session
        if (session is None or not session.synced or session.status != "active"
                or flight != [arrival.ticket, 0] or self.db.generation != arrival.generation):
            return
        self._warm[arrival.key] = (arrival.member, session)
        if len(self._warm) > WARM_LIMIT:
            del self._warm[next(iter(self._warm))]

    def _land(self, key: Key) -> list[int]:
        flight = self._flights[key]
        flight[1] -= 1
        if flight[1] == 0:
            del self._flights[key]
        return flight

    async def _read(self, speaker: Speaker, now: datetime) -> tuple[Member, str | None]:
        """The member and their active conversation (as JSON, or None) in one statement.
        The member row is written only on first contact, when their name or language hint
        changed, or to move `last_seen_at` on (kept to within SEEN_EVERY)."""
        row = await self.db.fetchone(_FIND, (speaker.platform, speaker.user_id))
        if row is not None and _fresh(row["display_name"], row["locale"], row["last_seen_at"],
                                      speaker, now):
            return _member(row), row["active_session"]
        stamp = iso(now)
        # Only this member's row changes, and their copy is out of memory now (`arrive` and
        # `ensure` took it; another message of theirs in hand cannot keep its own): the
        # other members' copies stay.
        rows = await self.db.write(
            _ARRIVE,
            (speaker.platform, speaker.user_id, speaker.display_name[:100], speaker.locale,
             stamp, stamp), keeps_copies=True)
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
