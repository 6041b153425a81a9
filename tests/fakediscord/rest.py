"""REST dispatcher: routing, bot-token auth, rate limits, fault injection, request log."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

from .gateway import Gateway
from .models import BotApp
from .ratelimit import RateLimiter
from .util import ApiError, json_response
from .world import World

log = logging.getLogger("fakediscord.rest")

Handler = Callable[["Ctx"], Awaitable[web.StreamResponse]]


@dataclass
class Ctx:
    request: web.Request
    params: dict[str, str]
    world: World
    api: RestApi
    bot: BotApp | None = None
    query: dict[str, str] = field(default_factory=dict)

    def int_param(self, name: str) -> int:
        try:
            return int(self.params[name])
        except (KeyError, ValueError):
            raise ApiError(404, 0, "404: Not Found") from None


@dataclass
class RouteDef:
    method: str
    template: str
    handler: Handler
    auth: bool = True
    exempt: bool = False  # exempt from the global rate limit
    regex: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.template))
        self.regex = re.compile(pattern + r"/?$")


class RestApi:
    def __init__(self, world: World, gateway: Gateway, limiter: RateLimiter) -> None:
        self.world = world
        self.gateway = gateway
        self.limiter = limiter
        self.routes: list[RouteDef] = []
        self.callback_deadline = 3.0  # seconds to answer an interaction
        self.interaction_token_ttl = 15 * 60.0
        self.nonce_window = 300.0

    def add(
        self,
        method: str,
        template: str,
        handler: Handler,
        *,
        auth: bool = True,
        exempt: bool = False,
    ) -> None:
        self.routes.append(RouteDef(method, template, handler, auth=auth, exempt=exempt))

    def install(self, app: web.Application) -> None:
        app.router.add_route("*", r"/api/v{version:\d+}/{tail:.*}", self.entry)
        app.router.add_route("*", "/api/{tail:.*}", self.entry)

    def _resolve(self, method: str, path: str) -> tuple[RouteDef | None, dict[str, str]]:
        for route in self.routes:
            if route.method != method:
                continue
            match = route.regex.match(path)
            if match:
                return route, match.groupdict()
        return None, {}

    async def entry(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        method = request.method
        route, params = self._resolve(method, path)
        template = route.template if route else path
        bot = None
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bot "):
            bot = self.world.bots.get(auth[4:])
        headers: dict[str, str] = {}
        try:
            if route is None:
                raise ApiError(404, 0, "404: Not Found")
            if route.auth and bot is None:
                raise ApiError(401, 0, "401: Unauthorized")
            token = bot.token if bot is not None else f"webhook:{params.get('webhook_id')}"
            major = "+".join(
                params[k]
                for k in ("channel_id", "guild_id", "webhook_id", "webhook_token")
                if k in params
            )
            headers, retry = self.limiter.take_route(token, f"{method} {template}", major)
            inj = self.limiter.take_injection(method, path, template)
            if inj is not None:
                if inj.status == 429:
                    resp = self.limiter.too_many(inj.retry_after, is_global=False, headers=headers)
                    return self._finish(method, path, template, resp)
                resp = json_response(
                    {"message": f"{inj.status}: Injected failure", "code": 0},
                    status=inj.status,
                    headers=headers,
                )
                return self._finish(method, path, template, resp)
            if route.auth and not route.exempt and bot is not None:
                global_retry = self.limiter.check_global(bot.token)
                if global_retry is not None:
                    resp = self.limiter.too_many(global_retry, is_global=True, headers=headers)
                    return self._finish(method, path, template, resp)
            if retry is not None:
                resp = self.limiter.too_many(retry, is_global=False, headers=headers)
                return self._finish(method, path, template, resp)
            ctx = Ctx(
                request=request,
                params=params,
                world=self.world,
                api=self,
                bot=bot,
                query=dict(request.query),
            )
            resp = await route.handler(ctx)
        except ApiError as err:
            resp = json_response(err.body(), status=err.status)
        except Exception:  # a bug in the fake: answer 500 like Discord would
            log.exception("fake handler failed for %s %s", method, template)
            resp = json_response({"message": "500: Internal Server Error", "code": 0}, status=500)
        for key, value in headers.items():
            resp.headers[key] = value
        return self._finish(method, path, template, resp)

    def _finish(
        self, method: str, path: str, template: str, resp: web.StreamResponse
    ) -> web.StreamResponse:
        self.world.log_request(method, path, resp.status, template)
        return resp


def no_content() -> web.Response:
    return web.Response(status=204)
