"""Point an unmodified discord.py at the fake, in-process."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import yarl


def point_discord_at(base_url: str) -> Callable[[], None]:
    """Send every discord.py REST, webhook, interaction and gateway call to ``base_url``.

    ``base_url`` is the fake's root, e.g. ``http://127.0.0.1:8123``. Returns a function
    that restores discord.py's defaults. What is overridden:

    * ``discord.http.Route.BASE`` -> ``{base}/api/v10``. Every REST call builds its URL
      from it when the ``Route`` is created, and so do the webhook adapter
      (``discord.webhook.async_``) and interaction callbacks
      (``/interactions/{id}/{token}/callback``): there is no separate webhook base.
    * ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`` -> ``ws://host:port/`` (a
      ``yarl.URL``; discord.py adds ``?v=10&encoding=json&compress=zlib-stream`` to it).
      Resumes go to READY's ``resume_gateway_url``, which the fake points at itself.
    * ``discord.asset.Asset.BASE`` -> ``{base}/_fake/cdn`` so avatar URLs stay local.
    """
    import discord.asset
    import discord.gateway
    import discord.http

    base = base_url.rstrip("/")
    url = yarl.URL(base)
    saved = (
        discord.http.Route.BASE,
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
        discord.asset.Asset.BASE,
    )
    discord.http.Route.BASE = f"{base}/api/v10"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL.build(
        scheme="wss" if url.scheme == "https" else "ws",
        host=url.host or "127.0.0.1",
        port=url.port,
        path="/",
    )
    discord.asset.Asset.BASE = f"{base}/_fake/cdn"

    def restore() -> None:
        (
            discord.http.Route.BASE,
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
            discord.asset.Asset.BASE,
        ) = saved

    return restore


@contextlib.contextmanager
def pointing_discord_at(base_url: str) -> Iterator[None]:
    restore = point_discord_at(base_url)
    try:
        yield
    finally:
        restore()
