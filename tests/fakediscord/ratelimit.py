"""Rate limits and fault injection.

* A global limit per bot token (sliding 1 s window, default 50 requests/s);
  interaction callbacks and token-less webhook routes are exempt, as on Discord.
  a global 429's ``retry_after`` is, by default (``retry_mode="drain"``), the time until
  the whole current window has drained, so a burst of queued requests that all retry
  together find room; ``retry_mode="earliest"`` answers the time until the oldest
  request leaves the window instead (exact, but a retrying herd then collides again).
* Per-route buckets that produce the ``X-RateLimit-*`` headers discord.py reads
  (generous by default so the global limit is the one a burst runs into).
* Injected faults: make a route answer 5xx or 429 the next N times.

Every 429 carries a ``Via`` header (without it discord.py assumes a Cloudflare ban
and raises instead of retrying) and a JSON body ``{message, retry_after, global, code}``.
"""

from __future__ import annotations

import fnmatch
import hashlib
import math
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .util import json_response


@dataclass
class Injection:
    method: str  # "*" for any
    pattern: str  # glob on the path after /api/v10, or a route template
    status: int  # 429 or 5xx
    times: int
    retry_after: float = 0.05
    hits: int = 0

    def matches(self, method: str, path: str, template: str) -> bool:
        if self.method not in ("*", method):
            return False
        return fnmatch.fnmatchcase(path, self.pattern) or self.pattern == template


@dataclass
class BucketState:
    window_start: float
    used: int = 0


class RateLimiter:
    def __init__(
        self,
        global_limit: int = 50,
        window: float = 1.0,
        route_limit: int = 10000,
        route_window: float = 1.0,
        min_retry_after: float = 0.05,
    ) -> None:
        self.global_limit = global_limit
        self.window = window
        self.route_limit = route_limit
        self.route_window = route_window
        self.min_retry_after = min_retry_after
        self.retry_mode = "drain"
        self._recent: dict[str, deque[float]] = {}
        self._buckets: dict[tuple[str, str, str], BucketState] = {}
        self.injections: list[Injection] = []
        self.count_429 = 0
        self.count_global_429 = 0
        self.max_in_window: dict[str, int] = {}

    def reset_counters(self) -> None:
        self.count_429 = 0
        self.count_global_429 = 0
        self.max_in_window.clear()

    # ------------------------------------------------------------------ global
    def check_global(self, token: str) -> float | None:
        """Record one request; return ``retry_after`` if it is over the global limit."""
        now = time.monotonic()
        recent = self._recent.setdefault(token, deque())
        while recent and now - recent[0] >= self.window:
            recent.popleft()
        if self.global_limit and len(recent) >= self.global_limit:
            anchor = recent[-1] if self.retry_mode == "drain" else recent[0]
            return max(anchor + self.window - now, self.min_retry_after)
        recent.append(now)
        self.max_in_window[token] = max(self.max_in_window.get(token, 0), len(recent))
        return None

    # ------------------------------------------------------------------ routes
    @staticmethod
    def bucket_hash(template: str) -> str:
        return hashlib.sha1(template.encode()).hexdigest()[:16]

    def take_route(
        self, token: str, template: str, major: str
    ) -> tuple[dict[str, str], float | None]:
        """Consume one token of a route bucket; return headers and a retry delay if over."""
        now = time.monotonic()
        key = (token, template, major)
        state = self._buckets.get(key)
        if state is None or now - state.window_start >= self.route_window:
            state = self._buckets[key] = BucketState(window_start=now)
        reset_after = max(state.window_start + self.route_window - now, 0.001)
        over = state.used >= self.route_limit
        if not over:
            state.used += 1
        remaining = max(self.route_limit - state.used, 0)
        headers = {
            "X-RateLimit-Limit": str(self.route_limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": self.bucket_hash(template),
        }
        return headers, (max(reset_after, self.min_retry_after) if over else None)

    # -------------------------------------------------------------- injection
    def inject(
        self, method: str, pattern: str, status: int, times: int, retry_after: float = 0.05
    ) -> Injection:
        inj = Injection(
            method=method.upper(),
            pattern=pattern,
            status=status,
            times=times,
            retry_after=retry_after,
        )
        self.injections.append(inj)
        return inj

    def take_injection(self, method: str, path: str, template: str) -> Injection | None:
        for inj in self.injections:
            if inj.hits < inj.times and inj.matches(method, path, template):
                inj.hits += 1
                return inj
        return None

    # ---------------------------------------------------------------- replies
    def too_many(
        self, retry_after: float, *, is_global: bool, headers: dict[str, str] | None = None
    ) -> web.Response:
        self.count_429 += 1
        if is_global:
            self.count_global_429 += 1
        body: dict[str, Any] = {
            "message": "You are being rate limited.",
            "retry_after": round(retry_after, 3),
            "global": is_global,
            "code": 0,
        }
        hdrs = dict(headers or {})
        hdrs.update(
            {
                "Via": "1.1 google",
                "Retry-After": str(max(1, math.ceil(retry_after))),
                "X-RateLimit-Scope": "global" if is_global else "user",
            }
        )
        if is_global:
            hdrs["X-RateLimit-Global"] = "true"
        return json_response(body, status=429, headers=hdrs)
