"""The gateway websocket: HELLO/IDENTIFY/READY, heartbeats, RESUME and dispatch.

Compression follows the ``compress`` query parameter discord.py puts on the URL:
``zlib-stream`` uses one ``zlib.compressobj`` per connection and ends every
message with ``Z_SYNC_FLUSH`` (the ``00 00 ff ff`` suffix discord.py waits for);
``zstd-stream`` is served when the ``zstandard`` module is importable; no
parameter means plain JSON text frames.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import zlib
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from .models import BotApp
from .util import INTENT_GUILD_MEMBERS, INTENT_MESSAGE_CONTENT, dumps
from .world import World

log = logging.getLogger("fakediscord.gateway")

OP_DISPATCH, OP_HEARTBEAT, OP_IDENTIFY, OP_PRESENCE = 0, 1, 2, 3
OP_RESUME, OP_RECONNECT, OP_REQUEST_MEMBERS, OP_INVALID_SESSION = 6, 7, 8, 9
OP_HELLO, OP_HEARTBEAT_ACK = 10, 11
RESUME_PATH = "/gateway-resume/"
REPLAY_BUFFER = 2000


class Connection:
    """One websocket connection, with its own compression context and send lock."""

    def __init__(
        self, ws: web.WebSocketResponse, request: web.Request, compress: str | None, path: str
    ) -> None:
        self.ws = ws
        self.request = request
        self.path = path
        self.lock = asyncio.Lock()
        self.closed = False
        self.session: Session | None = None
        self.compress = compress
        self._zlib = zlib.compressobj() if compress == "zlib-stream" else None
        self._zstd: Any = None
        if compress == "zstd-stream":
            import zstandard  # type: ignore[import-not-found]

            self._zstd = (zstandard, zstandard.ZstdCompressor().compressobj())

    async def send(self, payload: dict[str, Any]) -> None:
        text = dumps(payload)
        async with self.lock:
            if self.closed or self.ws.closed:
                raise ConnectionResetError("gateway connection closed")
            if self._zlib is not None:
                data = self._zlib.compress(text.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
                await self.ws.send_bytes(data)
            elif self._zstd is not None:
                mod, obj = self._zstd
                data = obj.compress(text.encode()) + obj.flush(mod.COMPRESSOBJ_FLUSH_BLOCK)
                await self.ws.send_bytes(data)
            else:
                await self.ws.send_str(text)


@dataclass
class Session:
    id: str
    bot: BotApp
    intents: int
    shard: list[int] | None = None
    seq: int = 0
    buffer: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    conn: Connection | None = None
    invalid: bool = False


class Gateway:
    def __init__(self, world: World, *, heartbeat_interval: int = 41250) -> None:
        self.world = world
        self.heartbeat_interval = heartbeat_interval
        self.sessions: dict[str, Session] = {}
        self.connections: list[Connection] = []
        self.identify_count = 0
        self.resume_count = 0
        self.heartbeat_count = 0
        self.connect_paths: list[str] = []
        self.ws_base = ""  # e.g. ws://127.0.0.1:1234
        self.replayed_count = 0
        self.accepting = asyncio.Event()  # cleared: new connections wait before HELLO
        self.accepting.set()
        world.set_dispatcher(self.dispatch)

    # ------------------------------------------------------------- dispatching
    def live_sessions(self, bot: BotApp | None = None) -> list[Session]:
        return [
            s for s in self.sessions.values() if not s.invalid and (bot is None or s.bot is bot)
        ]

    async def dispatch(self, bot: BotApp, event: str, data: dict[str, Any], intent: int) -> None:
        for session in self.live_sessions(bot):
            if intent and not session.intents & intent:
                continue
            payload = dict(data)
            if payload.pop("_fake_needs_content", False) and not (
                session.intents & INTENT_MESSAGE_CONTENT
            ):
                payload.update(content="", embeds=[], attachments=[], components=[])
            await self._send_dispatch(session, event, payload)

    async def _send_dispatch(self, session: Session, event: str, data: dict[str, Any]) -> None:
        session.seq += 1
        frame = {"op": OP_DISPATCH, "t": event, "s": session.seq, "d": data}
        session.buffer.append((session.seq, frame))
        if len(session.buffer) > REPLAY_BUFFER:
            del session.buffer[: len(session.buffer) - REPLAY_BUFFER]
        conn = session.conn
        if conn is not None and not conn.closed:
            try:
                await conn.send(frame)
            except (ConnectionResetError, RuntimeError):
                conn.closed = True  # kept in the buffer for RESUME
        self.world.changed()

    # ------------------------------------------------------------------ control
    async def drop(self, bot: BotApp | None = None, code: int | None = 4000) -> int:
        """Close the bot's live connections (``code=None``: abrupt TCP close)."""
        dropped = 0
        for session in self.live_sessions(bot):
            conn = session.conn
            if conn is None or conn.closed:
                continue
            async with conn.lock:  # never cut a compressed frame in half
                conn.closed = True
            session.conn = None
            dropped += 1
            if code is None:
                transport = conn.request.transport
                if transport is not None:
                    transport.abort()
            else:
                await conn.ws.close(code=code, message=b"fake drop")
        self.world.changed()
        return dropped

    async def send_reconnect(self, bot: BotApp | None = None) -> None:
        """Send op 7 RECONNECT, asking the client to resume on a new connection."""
        for session in self.live_sessions(bot):
            if session.conn is not None:
                await session.conn.send({"op": OP_RECONNECT, "d": None})

    async def invalidate(self, bot: BotApp | None = None, resumable: bool = False) -> None:
        for session in self.live_sessions(bot):
            session.invalid = not resumable
            if session.conn is not None:
                await session.conn.send({"op": OP_INVALID_SESSION, "d": resumable})

    async def close_all(self) -> None:
        for conn in list(self.connections):
            conn.closed = True
            if not conn.ws.closed:
                await conn.ws.close(code=1001, message=b"fake shutting down")

    # ----------------------------------------------------------------- handler
    async def handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        compress = request.query.get("compress")
        conn = Connection(ws, request, compress, request.path)
        self.connections.append(conn)
        self.connect_paths.append(request.path)
        try:
            await self.accepting.wait()
            await conn.send(
                {
                    "op": OP_HELLO,
                    "s": None,
                    "t": None,
                    "d": {"heartbeat_interval": self.heartbeat_interval},
                }
            )
            async for msg in ws:
                if msg.type != WSMsgType.TEXT and msg.type != WSMsgType.BINARY:
                    break
                try:
                    payload = json.loads(msg.data)
                except ValueError:
                    await ws.close(code=4002, message=b"Error while decoding payload.")
                    break
                if not await self._on_frame(conn, payload):
                    break
        except (ConnectionResetError, RuntimeError) as exc:
            log.debug("gateway connection ended: %s", type(exc).__name__)
        finally:
            close_code = ws.close_code
            conn.closed = True
            session = conn.session
            if session is not None and session.conn is conn:
                session.conn = None
                if close_code in (1000, 1001):
                    # A client closing with 1000/1001 ends its session, as on Discord.
                    session.invalid = True
            if conn in self.connections:
                self.connections.remove(conn)
            self.world.changed()
        return ws

    async def _on_frame(self, conn: Connection, payload: dict[str, Any]) -> bool:
        op = payload.get("op")
        data = payload.get("d")
        if op == OP_HEARTBEAT:
            self.heartbeat_count += 1
            await conn.send({"op": OP_HEARTBEAT_ACK, "s": None, "t": None, "d": None})
            return True
        if op == OP_IDENTIFY:
            return await self._identify(conn, data or {})
        if op == OP_RESUME:
            return await self._resume(conn, data or {})
        if conn.session is None:
            await conn.ws.close(code=4003, message=b"Not authenticated.")
            return False
        if op == OP_PRESENCE:
            return True
        if op == OP_REQUEST_MEMBERS:
            await self._request_members(conn.session, data or {})
            return True
        if op == 4:  # voice state update: accepted and ignored
            return True
        await conn.ws.close(code=4001, message=b"Unknown opcode.")
        return False

    async def _identify(self, conn: Connection, data: dict[str, Any]) -> bool:
        if conn.session is not None:
            await conn.ws.close(code=4005, message=b"Already authenticated.")
            return False
        bot = self.world.bots.get(str(data.get("token", "")).removeprefix("Bot "))
        if bot is None:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return False
        self.identify_count += 1
        session = Session(
            id=secrets.token_hex(16),
            bot=bot,
            intents=int(data.get("intents", 0)),
            shard=data.get("shard"),
        )
        self.sessions[session.id] = session
        session.conn = conn
        conn.session = session
        guilds = self.world.guilds_of(bot)
        ready: dict[str, Any] = {
            "v": 10,
            "user": {**bot.user.payload(), "verified": True, "mfa_enabled": False, "email": None},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.ws_base + RESUME_PATH,
            "application": {"id": str(bot.application_id), "flags": bot.flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
            "auth": {},
            "_trace": ["fakediscord"],
        }
        if session.shard is not None:
            ready["shard"] = session.shard
        await self._send_dispatch(session, "READY", ready)
        for guild in guilds:
            await self._send_dispatch(
                session, "GUILD_CREATE", self.world.guild_create_payload(guild)
            )
        return True

    async def _resume(self, conn: Connection, data: dict[str, Any]) -> bool:
        session = self.sessions.get(str(data.get("session_id")))
        token = str(data.get("token", "")).removeprefix("Bot ")
        if session is None or session.invalid or session.bot.token != token:
            await conn.send({"op": OP_INVALID_SESSION, "s": None, "t": None, "d": False})
            return True
        self.resume_count += 1
        old = session.conn
        if old is not None and old is not conn:
            old.closed = True
        session.conn = conn
        conn.session = session
        last = int(data.get("seq") or 0)
        for seq, frame in list(session.buffer):
            if seq > last:
                self.replayed_count += 1
                await conn.send(frame)
        await self._send_dispatch(session, "RESUMED", {"_trace": ["fakediscord"]})
        return True

    async def _request_members(self, session: Session, data: dict[str, Any]) -> None:
        guild = self.world.guilds.get(int(data.get("guild_id", 0)))
        if guild is None:
            return
        members = [m.payload(self.world.users) for m in guild.members.values()]
        user_ids = data.get("user_ids")
        if user_ids:
            wanted = {str(u) for u in user_ids}
            members = [m for m in members if m["user"]["id"] in wanted]
        chunk = {
            "guild_id": str(guild.id),
            "members": members,
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
            "presences": [],
        }
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        intents_ok = session.intents & INTENT_GUILD_MEMBERS
        await self._send_dispatch(
            session, "GUILD_MEMBERS_CHUNK", chunk if intents_ok else {**chunk, "members": []}
        )
