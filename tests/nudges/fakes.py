"""Test doubles for the ports the nudges feature talks to: a delivery that records, a pace
whose sleeps move a fake monotonic clock, and a member's-eye chat helper."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.delivery import DeliveryResult
from bot.members import Member
from bot.messages import Inbound, Outbound, Speaker
from bot.nudges.queue import TokenBucket


@dataclass
class Sent:
    member_id: int
    external_id: str
    messages: Sequence[Outbound]
    nonce: str | None


@dataclass
class RecordingDelivery:
    """A real in-process Delivery port: records every send, and drops a resent nonce like
    Discord's enforce_nonce does. Members listed in `closed` have their DMs closed."""

    sent: list[Sent] = field(default_factory=list)
    closed: set[str] = field(default_factory=set)
    failing: set[str] = field(default_factory=set)
    seen_nonces: set[str] = field(default_factory=set)
    duplicates: int = 0

    async def send(self, member: Member, messages: Sequence[Outbound], *,
                   nonce: str | None = None) -> DeliveryResult:
        if member.external_id in self.closed:
            return DeliveryResult.UNREACHABLE
        if member.external_id in self.failing:
            return DeliveryResult.FAILED
        if nonce is not None and nonce in self.seen_nonces:
            self.duplicates += 1
            return DeliveryResult.SENT
        if nonce is not None:
            self.seen_nonces.add(nonce)
        self.sent.append(Sent(member.id, member.external_id, list(messages), nonce))
        return DeliveryResult.SENT

    async def post(self, channel_id: str, messages: Sequence[Outbound], *,
                   nonce: str | None = None) -> DeliveryResult:
        return DeliveryResult.SENT

    def to(self, external_id: str) -> list[Sent]:
        return [s for s in self.sent if s.external_id == external_id]


class FakePace:
    """Monotonic time that only moves when the bucket sleeps: pacing without waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self.starts: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds

    def bucket(self, rate: float = 40.0) -> TokenBucket:
        return TokenBucket(rate, monotonic=self.monotonic, sleep=self.sleep)


class Chat:
    """What a member types in the terminal, and what they see."""

    def __init__(self, coach: object, user: str = "sam", name: str = "Sam", *,
                 platform: str = "terminal") -> None:
        self.coach = coach
        self.speaker = Speaker(platform, user, name)
        self.last: list[Outbound] = []

    async def __call__(self, text: str, **kwargs: object) -> str:
        self.last = await self.coach.handle(  # type: ignore[attr-defined]
            Inbound(self.speaker, text=text, **kwargs))  # type: ignore[arg-type]
        return "\n".join(m.text for m in self.last)

    async def member(self) -> Member:
        coach = self.coach
        found = await coach.members.find(self.speaker.platform,  # type: ignore[attr-defined]
                                         self.speaker.user_id)
        assert found is not None
        return found
