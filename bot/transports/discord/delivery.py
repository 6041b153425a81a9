"""The delivery port on Discord: private messages and channel posts nobody asked for just now.

A member's DM channel id is stored, so a message costs one request (`user.send` on a cold
cache costs three). A member who refuses DMs (403, code 50007) is marked unreachable at
once and never retried: repeated 403s count toward Discord's invalid-request ban.
Proactive sends are paced by a sliding one-second window below Discord's global limit of
50 requests per second (discord.py learns of that limit only from 429 answers); replies to
a member are counted in the same window, so proactive sends make room for them.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

import discord

from bot.clock import iso
from bot.delivery import DeliveryResult
from bot.messages import Outbound
from bot.transports.discord.render import Piece, render

if TYPE_CHECKING:
    from bot.members import Member
    from bot.transports.discord.client import CoachBot

log = logging.getLogger(__name__)

DMS_CLOSED = 50007
UNKNOWN_CHANNEL = 10003


class Pacer:
    """Evenly spaced sends, at most `rate` in any one-second window.

    Even spacing matters as much as the count: a burst released at once reaches Discord
    spread out by the network and can meet the next second's burst inside one window.
    """

    def __init__(self, rate: float, window: float = 1.0) -> None:
        self.limit = max(1, int(rate * window))
        self.window = window
        self.interval = window / self.limit
        self._sent: collections.deque[float] = collections.deque()
        self._next = 0.0
        self._lock = asyncio.Lock()

    def _trim(self, now: float) -> None:
        while self._sent and self._sent[0] <= now - self.window:
            self._sent.popleft()

    def note(self) -> None:
        """A request that could not wait (a reply to a member) still uses the window."""
        now = asyncio.get_running_loop().time()
        self._trim(now)
        self._sent.append(now)

    async def wait(self) -> None:
        loop = asyncio.get_running_loop()
        async with self._lock:
            while True:
                now = loop.time()
                self._trim(now)
                ready = max(self._next, self._sent[0] + self.window
                            if len(self._sent) >= self.limit else now)
                if ready <= now:
                    self._sent.append(now)
                    self._next = now + self.interval
                    return
                await asyncio.sleep(ready - now)


def nonce_for(nonce: str | None, index: int) -> str | None:
    """Discord nonces are at most 25 characters; each piece of a split message gets its own."""
    if nonce is None:
        return None
    if index == 0 and len(nonce) <= 25:
        return nonce
    return hashlib.sha256(f"{nonce}:{index}".encode()).hexdigest()[:25]


def stopped(piece: Piece) -> Piece:
    """Components answer through their custom ids (DynamicItem); discord.py need not keep
    a copy of every view it sends in memory."""
    if piece.view is not None:
        piece.view.stop()
    return piece


class DiscordDelivery:
    """`bot.delivery.Delivery` for Discord: `send` to a member's DMs, `post` to a channel."""

    def __init__(self, bot: CoachBot, pacer: Pacer) -> None:
        self.bot = bot
        self.pacer = pacer

    @property
    def coach(self):  # noqa: ANN201
        return self.bot.coach

    async def send(self, member: Member, messages: Sequence[Outbound], *,
                   nonce: str | None = None) -> DeliveryResult:
        if member.platform != "discord":
            return DeliveryResult.FAILED
        pieces = render(messages, int(member.external_id))
        channel_id = member.dm_channel_id
        for attempt in range(2):
            try:
                if channel_id is None:
                    channel_id = await self._open_dm(member)
                await self._send_pieces(int(channel_id), pieces, nonce)
                return DeliveryResult.SENT
            except discord.Forbidden as exc:
                if exc.code == DMS_CLOSED:
                    await self.mark_unreachable(member)
                    return DeliveryResult.UNREACHABLE
                log.warning("send refused member=%s status=403 code=%s", member.id, exc.code)
                return DeliveryResult.FAILED
            except discord.NotFound as exc:
                if exc.code == UNKNOWN_CHANNEL and attempt == 0:
                    await self.coach.members.update(member.id, dm_channel_id=None)
                    channel_id = None
                    continue
                log.warning("send failed member=%s status=404 code=%s", member.id, exc.code)
                return DeliveryResult.FAILED
            except discord.HTTPException as exc:
                log.warning("send failed member=%s status=%s code=%s", member.id, exc.status,
                            exc.code)
                return DeliveryResult.FAILED
            except (TimeoutError, OSError) as exc:
                log.warning("send failed member=%s: %s", member.id, type(exc).__name__)
                return DeliveryResult.FAILED
        return DeliveryResult.FAILED

    async def post(self, channel_id: str, messages: Sequence[Outbound], *,
                   nonce: str | None = None, sent_ids: list[str] | None = None
                   ) -> DeliveryResult:
        pieces = render(messages, 0)
        try:
            await self._send_pieces(int(channel_id), pieces, nonce, private=False,
                                    sent_ids=sent_ids)
            return DeliveryResult.SENT
        except discord.HTTPException as exc:
            log.warning("post failed channel=%s status=%s code=%s", channel_id, exc.status,
                        exc.code)
            return DeliveryResult.FAILED
        except (TimeoutError, OSError) as exc:
            log.warning("post failed channel=%s: %s", channel_id, type(exc).__name__)
            return DeliveryResult.FAILED

    async def _open_dm(self, member: Member) -> str:
        await self.pacer.wait()
        data = await self.bot.http.start_private_message(int(member.external_id))
        channel_id = str(data["id"])
        await self.coach.members.update(member.id, dm_channel_id=channel_id)
        self.bot.known_dm_channels[int(member.external_id)] = int(channel_id)
        return channel_id

    async def _send_pieces(self, channel_id: int, pieces: list[Piece], nonce: str | None,
                           *, private: bool = True, sent_ids: list[str] | None = None) -> None:
        kind = discord.ChannelType.private if private else discord.ChannelType.text
        channel = self.bot.get_partial_messageable(channel_id, type=kind)
        for index, piece in enumerate(pieces):
            await self.pacer.wait()
            extra = {}
            n = nonce_for(nonce, index)
            if n is not None:
                extra["nonce"] = n
            sent = await channel.send(**stopped(piece).kwargs(), **extra)  # type: ignore[arg-type]
            if sent_ids is not None:
                sent_ids.append(str(sent.id))

    async def mark_unreachable(self, member: Member) -> None:
        log.info("member unreachable (DMs closed) member=%s", member.id)
        self.bot.known_dm_channels.pop(int(member.external_id), None)
        try:
            await self.coach.members.update(member.id,
                                            unreachable_since=iso(self.coach.clock.now()))
        except Exception as exc:
            log.error("unreachable mark not saved member=%s: %s", member.id, type(exc).__name__)
