"""The delivery port: how the coach sends a message nobody asked for right now (nudges,
group prompts, reminders). A transport implements it; features never talk to a platform."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from bot.messages import Outbound

if TYPE_CHECKING:
    from bot.members import Member


class DeliveryResult(StrEnum):
    SENT = "sent"
    UNREACHABLE = "unreachable"  # the member closed their DMs; do not retry
    FAILED = "failed"  # a passing fault; the caller may try again later


class Delivery(Protocol):
    async def send(self, member: Member, messages: Sequence[Outbound], *,
                   nonce: str | None = None) -> DeliveryResult:
        """Send privately to a member. `nonce` makes a resend of the same occurrence a no-op."""
        ...

    async def post(self, channel_id: str, messages: Sequence[Outbound], *,
                   nonce: str | None = None, sent_ids: list[str] | None = None
                   ) -> DeliveryResult:
        """Post in a group channel (only what members chose to share). The ids of the
        messages posted are added to `sent_ids` when given (to remove them later)."""
        ...
