"""``FakeDiscordRemote``: the main ``FakeDiscord`` controls over ``/_fake/...`` HTTP, for a
fake running in another process. Objects are plain dicts (Discord-shaped payloads);
methods accept either such a dict or an id wherever an object is expected."""
# The public wait helpers take ``timeout=`` on purpose (tests read better with it).
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aiohttp


def _ref(obj: Any) -> str | None:
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        if "application_id" in obj and "token" in obj:
            return str(obj["application_id"])
        return str(obj["id"])
    return str(obj)


REPO_ROOT = str(Path(__file__).resolve().parents[2])


class RemoteError(RuntimeError):
    pass


class RemoteInteraction:
    def __init__(self, remote: FakeDiscordRemote, data: dict[str, Any]) -> None:
        self._remote = remote
        self.data = data

    @property
    def id(self) -> str:
        return self.data["id"]

    async def refresh(self, wait: float = 0) -> dict[str, Any]:
        params = {"wait": str(wait)} if wait else None
        self.data = await self._remote._call("GET", f"/_fake/interactions/{self.id}", params=params)
        return self.data

    async def response(self, timeout: float = 5.0) -> dict[str, Any]:
        """``{"type": int, "data": {...}}`` once the bot has answered."""
        data = await self.refresh(wait=timeout)
        return data["response"]

    @property
    def followups(self) -> list[dict[str, Any]]:
        return self.data["followups"]


class FakeDiscordRemote:
    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> FakeDiscordRemote:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _call(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        clean = {k: v for k, v in (body or {}).items() if v is not None}
        async with self._session.request(
            method, self.url + path, json=clean or None, params=params
        ) as resp:
            data = await resp.json(content_type=None)
            if resp.status == 408:
                raise TimeoutError(path)
            if resp.status >= 400:
                raise RemoteError(f"{path}: {data.get('error', data)}")
            return data

    # ------------------------------------------------------------------ info
    async def state(self) -> dict[str, Any]:
        return await self._call("GET", "/_fake/state")

    @property
    def api_base(self) -> str:
        return self.url + "/api/v10"

    async def token(self) -> str:
        return (await self.state())["bot"]["token"]

    async def identify_count(self) -> int:
        return (await self.state())["identify_count"]

    async def resume_count(self) -> int:
        return (await self.state())["resume_count"]

    async def count_429(self) -> int:
        return (await self.state())["count_429"]

    async def requests(
        self, method: str | None = None, route: str | None = None
    ) -> list[dict[str, Any]]:
        params = {k: v for k, v in (("method", method), ("route", route)) if v}
        return await self._call("GET", "/_fake/requests", params=params)

    # ----------------------------------------------------------------- world
    async def add_user(self, name: str, *, global_name: str | None = None) -> dict[str, Any]:
        return await self._call("POST", "/_fake/users", {"name": name, "global_name": global_name})

    async def add_bot(self, name: str = "coachbot") -> dict[str, Any]:
        return await self._call("POST", "/_fake/bots", {"name": name})

    async def add_guild(
        self,
        name: str = "guild",
        *,
        bots: list[Any] | None = None,
        channels: list[str] | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"name": name, "channels": channels or ["general"]}
        if bots is not None:
            body["bots"] = [_ref(b) for b in bots]
        return await self._call("POST", "/_fake/guilds", body)

    async def add_channel(
        self,
        guild: Any,
        name: str,
        *,
        type: int = 0,
        overwrites: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        return await self._call(
            "POST",
            "/_fake/channels",
            {"guild_id": _ref(guild), "name": name, "type": type, "overwrites": overwrites or []},
        )

    async def add_member(
        self,
        guild: Any,
        user: Any,
        *,
        roles: list[Any] = (),  # type: ignore
        permissions: int | None = None,
    ) -> dict[str, Any]:
        return await self._call(
            "POST",
            "/_fake/members",
            {
                "guild_id": _ref(guild),
                "user_id": _ref(user),
                "roles": [_ref(r) for r in roles],
                "permissions": permissions,
            },
        )

    async def member_leave(self, guild: Any, user: Any) -> None:
        await self._call(
            "POST", "/_fake/member_leave", {"guild_id": _ref(guild), "user_id": _ref(user)}
        )

    async def close_dms(self, user: Any, closed: bool = True) -> None:
        await self._call("POST", "/_fake/close_dms", {"user_id": _ref(user), "closed": closed})

    async def send_dm(self, user: Any, text: str, *, bot: Any = None) -> dict[str, Any]:
        return await self._call(
            "POST", "/_fake/dm", {"user_id": _ref(user), "content": text, "bot_id": _ref(bot)}
        )

    async def send_channel_message(self, user: Any, channel: Any, text: str) -> dict[str, Any]:
        return await self._call(
            "POST",
            "/_fake/channel_message",
            {"user_id": _ref(user), "channel_id": _ref(channel), "content": text},
        )

    async def messages_in(self, channel: Any) -> list[dict[str, Any]]:
        return await self._call("GET", f"/_fake/channels/{_ref(channel)}/messages")

    async def next_message_to(
        self, user: Any, timeout: float = 5.0, *, bot: Any = None
    ) -> dict[str, Any]:
        return await self._call(
            "POST",
            "/_fake/next_message_to",
            {"user_id": _ref(user), "timeout": timeout, "bot_id": _ref(bot)},
        )

    # ---------------------------------------------------------- interactions
    async def slash(
        self,
        user: Any,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        guild: Any = None,
        channel: Any = None,
        bot: Any = None,
    ) -> RemoteInteraction:
        data = await self._call(
            "POST",
            "/_fake/slash",
            {
                "user_id": _ref(user),
                "name": name,
                "options": dict(options or {}),
                "guild_id": _ref(guild),
                "channel_id": _ref(channel),
                "bot_id": _ref(bot),
            },
        )
        return RemoteInteraction(self, data)

    async def autocomplete(
        self,
        user: Any,
        name: str,
        options: Mapping[str, Any],
        focused: str,
        *,
        guild: Any = None,
        channel: Any = None,
        bot: Any = None,
    ) -> RemoteInteraction:
        data = await self._call(
            "POST",
            "/_fake/autocomplete",
            {
                "user_id": _ref(user),
                "name": name,
                "options": dict(options),
                "focused": focused,
                "guild_id": _ref(guild),
                "channel_id": _ref(channel),
                "bot_id": _ref(bot),
            },
        )
        return RemoteInteraction(self, data)

    async def press(self, user: Any, message: Any, custom_id: str) -> RemoteInteraction:
        data = await self._call(
            "POST",
            "/_fake/press",
            {"user_id": _ref(user), "message_id": _ref(message), "custom_id": custom_id},
        )
        return RemoteInteraction(self, data)

    async def select(
        self, user: Any, message: Any, custom_id: str, values: list[Any]
    ) -> RemoteInteraction:
        data = await self._call(
            "POST",
            "/_fake/press",
            {
                "user_id": _ref(user),
                "message_id": _ref(message),
                "custom_id": custom_id,
                "values": [str(v) for v in values],
            },
        )
        return RemoteInteraction(self, data)

    async def submit_modal(
        self,
        user: Any,
        opened_by: RemoteInteraction,
        values: Mapping[str, Any],
        custom_id: str | None = None,
    ) -> RemoteInteraction:
        data = await self._call(
            "POST",
            "/_fake/submit_modal",
            {
                "user_id": _ref(user),
                "interaction_id": opened_by.id,
                "values": dict(values),
                "custom_id": custom_id,
            },
        )
        return RemoteInteraction(self, data)

    # ---------------------------------------------------------------- control
    async def drop_gateway(self, code: int | None = 4000, *, bot: Any = None) -> int:
        data = await self._call(
            "POST",
            "/_fake/drop_gateway",
            {"bot_id": _ref(bot), "code": "abrupt" if code is None else code},
        )
        return data["dropped"]

    async def wait_connected(self, timeout: float = 5.0, *, bot: Any = None) -> None:
        await self._call("POST", "/_fake/wait_connected", {"timeout": timeout, "bot_id": _ref(bot)})

    async def configure(self, **settings: Any) -> dict[str, Any]:
        """``global_limit``, ``route_limit``, ``callback_deadline``, ``reset_counters``."""
        return await self._call("POST", "/_fake/config", settings)

    async def inject_failure(
        self,
        method: str,
        pattern: str,
        *,
        status: int = 500,
        times: int = 1,
        retry_after: float = 0.05,
    ) -> None:
        await self._call(
            "POST",
            "/_fake/inject",
            {
                "method": method,
                "pattern": pattern,
                "status": status,
                "times": times,
                "retry_after": retry_after,
            },
        )


async def start_fake_process(
    *extra_args: str, python: str | None = None, cwd: str | None = None
) -> tuple[asyncio.subprocess.Process, int]:
    """Start ``python -m tests.fakediscord --port 0 --print-port``; return (process, port)."""
    if cwd is None:
        cwd = REPO_ROOT
    proc = await asyncio.create_subprocess_exec(
        python or sys.executable,
        "-m",
        "tests.fakediscord",
        "--port",
        "0",
        "--print-port",
        *extra_args,
        stdout=asyncio.subprocess.PIPE,
        cwd=cwd,
    )
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 20)
    if not line.startswith(b"PORT "):
        proc.kill()
        raise RuntimeError("fake did not report its port")
    return proc, int(line.split()[1])
