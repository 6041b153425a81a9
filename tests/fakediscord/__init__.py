"""A protocol-level fake Discord (REST + gateway) for tests and benchmarks.

The real, unmodified discord.py connects to it on 127.0.0.1. Nothing here talks to
anything but loopback.

Pointing discord.py at the fake (``point_discord_at(fake.url)`` does all of it):

* ``discord.http.Route.BASE = "http://127.0.0.1:<port>/api/v10"`` -- every REST call,
  *and* the webhook adapter used for interaction callbacks
  (``POST /interactions/{id}/{token}/callback?with_response=1``) and follow-ups
  (``/webhooks/{application_id}/{token}...``), builds its URL from ``Route.BASE`` at
  the time the ``Route`` is created. There is no separate webhook base URL in 2.7.1.
* ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL("ws://127.0.0.1:<port>/")``
  -- a ``yarl.URL``; discord.py replaces its query with
  ``?v=10&encoding=json&compress=zlib-stream`` (``zstd-stream`` when ``zstandard`` is
  installed). Reconnects that RESUME use READY's ``resume_gateway_url`` instead, which
  the fake sets to ``ws://127.0.0.1:<port>/gateway-resume/``; an INVALID_SESSION sends
  the client back to ``DEFAULT_GATEWAY``.
* ``discord.asset.Asset.BASE`` (optional) keeps CDN/avatar URLs on loopback.

discord.py 2.7.1 behaviour worth knowing (the fake reproduces what it relies on):

* JSON is only parsed when ``Content-Type`` is exactly ``application/json``; anything
  else (even with ``; charset=utf-8``) reaches the bot as a string.
* A 429 without a ``Via`` header is treated as a Cloudflare ban and raised at once.
  With it, discord.py sleeps ``retry_after`` from the body; a ``"global": true`` 429
  only holds back requests that have not started yet. Each request is tried at most
  5 times, so a very large concurrent burst can still end in ``HTTPException(429)``.
* 500/502/504/524 are retried after 1 s, 3 s, ...; 503 and other 5xx raise at once.
* Interaction callbacks are sent with ``?with_response=1`` and the body is parsed as
  ``{"interaction": {..., "response_message_id", "response_message_loading",
  "response_message_ephemeral"}, "resource": {"type", "message"}}``; a View sent in
  the reply is stored under ``response_message_id``.
* Follow-ups and ``@original`` edits go to ``/webhooks/{application_id}/{token}``
  without a bot token. After ``defer(thinking=True)`` the first follow-up *replaces*
  the loading message (it becomes ``@original``); later ones are new messages.
* A non-initial IDENTIFY (after INVALID_SESSION) waits 5 s in
  ``Client.before_identify_hook``; RESUME does not.
* With ``guild_ready_timeout=0`` ``on_ready`` may fire before every GUILD_CREATE has
  been handled; :func:`tests.fakediscord.pytest_plugin.running` waits for them.

Quick use::

    fake = await FakeDiscord().start()
    point_discord_at(fake.url)
    guild = await fake.add_guild("coaching")
    bot = commands.Bot(command_prefix="!", intents=..., guild_ready_timeout=0)
    asyncio.create_task(bot.start(fake.token))
    ...
    user = fake.add_user("alice")
    await fake.send_dm(user, "hello")
    reply = await fake.next_message_to(user)

Run it as a separate process with ``python -m tests.fakediscord --port 0 --print-port``
(prints ``PORT <n>``) and drive it with :class:`FakeDiscordRemote`.
"""

from .client_setup import point_discord_at, pointing_discord_at
from .interactions import CallbackResponse, InteractionHandle
from .models import (
    Attachment,
    BotApp,
    Channel,
    Guild,
    InteractionRecord,
    Member,
    Message,
    Role,
    User,
)
from .remote import FakeDiscordRemote, RemoteInteraction, start_fake_process
from .server import FakeDiscord

__all__ = [
    "Attachment",
    "BotApp",
    "CallbackResponse",
    "Channel",
    "FakeDiscord",
    "FakeDiscordRemote",
    "Guild",
    "InteractionHandle",
    "InteractionRecord",
    "Member",
    "Message",
    "RemoteInteraction",
    "Role",
    "User",
    "point_discord_at",
    "pointing_discord_at",
    "start_fake_process",
]
