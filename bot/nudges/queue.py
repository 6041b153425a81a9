"""One delivery queue for every proactive message, paced by its own token bucket.

Discord allows 50 requests a second per bot and tells a client about that global limit only
with 429 answers, and many 429s get a bot banned for a while. So the queue never relies on
them: it starts at most `rate` sends a second (default 40), with a burst of at most a
twentieth of a second's worth, so that any one-second window holds at most rate + burst
sends. Sends run concurrently (up to `concurrency` at once) so a slow answer does not slow
the pace.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bot.delivery import Delivery, DeliveryResult
from bot.messages import Outbound

if TYPE_CHECKING:
    from bot.members import Member

log = logging.getLogger(__name__)

Before = Callable[[], Awaitable[bool]]  # re-checked just before sending; False drops it
After = Callable[[DeliveryResult], Awaitable[None]]


class TokenBucket:
    def __init__(self, rate: float, burst: float | None = None, *,
                 monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        if rate <= 0:
            raise ValueError("rate must be above 0")
        self.rate = rate
        self.capacity = max(1.0, burst if burst is not None else rate / 20)
        self.tokens = 1.0
        self._monotonic = monotonic
        self._sleep = sleep
        self._last = monotonic()

    async def take(self) -> None:
        while True:
            now = self._monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self._last) * self.rate)
            self._last = now
            if self.tokens >= 1 - 1e-9:  # rounding must not leave a sliver to wait for
                self.tokens = max(0.0, self.tokens - 1)
                return
            await self._sleep((1 - self.tokens) / self.rate)


class Send(Protocol):
    """One proactive send. `prepare` runs just before sending (None drops it); `done` gets
    the transport's answer. Kept small: thousands may wait in the queue at once."""

    async def prepare(self) -> tuple[Member, Sequence[Outbound], str | None] | None: ...

    async def done(self, result: DeliveryResult) -> None: ...


@dataclass(slots=True)
class Job:
    member: Member | None  # None for a post in a channel
    messages: Sequence[Outbound]
    nonce: str | None
    before: Before | None = None
    after: After | None = None
    channel_id: str | None = None  # a channel post instead of a private send
    sent_ids: list[str] | None = None  # receives the ids of the channel messages posted

    async def prepare(self) -> tuple[Member | None, Sequence[Outbound], str | None] | None:
        if self.before is not None and not await self.before():
            return None
        return self.member, self.messages, self.nonce

    async def done(self, result: DeliveryResult) -> None:
        if self.after is not None:
            await self.after(result)


class DeliveryQueue:
    """Wraps a transport's Delivery port; `submit` never blocks, `send` waits for the result."""

    def __init__(self, delivery: Delivery, rate_per_second: float, *, concurrency: int = 32,
                 bucket: TokenBucket | None = None) -> None:
        self.delivery = delivery
        self.bucket = bucket or TokenBucket(rate_per_second)
        self._queue: asyncio.Queue[Send] = asyncio.Queue()
        self._slots = asyncio.Semaphore(concurrency)
        self._inflight: set[asyncio.Task[None]] = set()
        self._worker: asyncio.Task[None] | None = None
        self.sent = 0
        self.results: dict[DeliveryResult, int] = dict.fromkeys(DeliveryResult, 0)

    def start(self) -> None:
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._run(), name="delivery-queue")

    async def stop(self) -> None:
        """Stop taking new sends; sends already started finish."""
        if self._worker is not None:
            self._worker.cancel()
            try:
                await self._worker
            except asyncio.CancelledError:
                pass
            self._worker = None
        if self._inflight:
            await asyncio.gather(*self._inflight, return_exceptions=True)

    def submit(self, job: Send) -> None:
        self._queue.put_nowait(job)

    def pending(self) -> int:
        return self._queue.qsize() + len(self._inflight)

    async def send(self, member: Member, messages: Sequence[Outbound], *,
                   nonce: str | None = None) -> DeliveryResult:
        """Paced like every other proactive message; returns the transport's answer."""
        return await self._wait(Job(member, messages, nonce))

    async def post(self, channel_id: str, messages: Sequence[Outbound], *,
                   nonce: str | None = None, sent_ids: list[str] | None = None
                   ) -> DeliveryResult:
        """A post in a channel, paced the same way; `sent_ids` receives the message ids."""
        return await self._wait(Job(None, messages, nonce, channel_id=channel_id,
                                    sent_ids=sent_ids))

    async def _wait(self, job: Job) -> DeliveryResult:
        done: asyncio.Future[DeliveryResult] = asyncio.get_running_loop().create_future()

        async def after(result: DeliveryResult) -> None:
            if not done.done():
                done.set_result(result)
        job.after = after
        self.submit(job)
        self.start()
        return await done

    async def join(self) -> None:
        """Wait until everything submitted so far has been sent (or dropped)."""
        self.start()
        await self._queue.join()
        while self._inflight:
            await asyncio.gather(*list(self._inflight), return_exceptions=True)

    async def _run(self) -> None:
        while True:
            job = await self._queue.get()
            try:
                ready = await job.prepare()
                if ready is None:
                    continue
                await self._slots.acquire()
                try:
                    await self.bucket.take()
                except BaseException:
                    self._slots.release()
                    raise
                task = asyncio.create_task(self._send(job, *ready))
                self._inflight.add(task)
                task.add_done_callback(self._inflight.discard)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("delivery queue step failed")
            finally:
                self._queue.task_done()

    async def _send(self, job: Send, member: Member | None, messages: Sequence[Outbound],
                    nonce: str | None) -> None:
        channel_id = getattr(job, "channel_id", None)
        try:
            try:
                if channel_id is not None:
                    result = await self.delivery.post(channel_id, messages, nonce=nonce,
                                                      sent_ids=getattr(job, "sent_ids", None))
                else:
                    assert member is not None
                    result = await self.delivery.send(member, messages, nonce=nonce)
            except Exception as exc:
                log.warning("delivery raised member=%s channel=%s: %s",
                            member.id if member else None, channel_id, type(exc).__name__)
                result = DeliveryResult.FAILED
            self.sent += 1
            self.results[result] += 1
            try:
                await job.done(result)
            except Exception:
                log.exception("after-send step failed member=%s",
                              member.id if member else None)
        finally:
            self._slots.release()
