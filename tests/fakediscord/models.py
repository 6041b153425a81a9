"""In-memory records of the fake Discord world and their JSON payload shapes."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from .util import FLAG_EPHEMERAL


def sid(value: int | None) -> str | None:
    return None if value is None else str(value)


@dataclass
class User:
    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    dms_closed: bool = False

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
            "flags": 0,
        }


@dataclass
class BotApp:
    """A bot account: its user, token and application (application id == bot user id)."""

    user: User
    token: str
    flags: int = 0
    description: str = ""
    global_commands: list[dict[str, Any]] = field(default_factory=list)
    guild_commands: dict[int, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def application_id(self) -> int:
        return self.user.id

    def application_payload(self, owner: User) -> dict[str, Any]:
        return {
            "id": str(self.application_id),
            "name": self.user.username,
            "description": self.description,
            "icon": None,
            "rpc_origins": [],
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": owner.payload(),
            "team": None,
            "verify_key": "0" * 64,
            "flags": self.flags,
            "bot": self.user.payload(),
            "summary": "",
            "interactions_endpoint_url": None,
            "tags": [],
        }


@dataclass
class Role:
    id: int
    guild_id: int
    name: str
    permissions: int
    position: int = 0
    color: int = 0

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "color": self.color,
            "colors": {
                "primary_color": self.color,
                "secondary_color": None,
                "tertiary_color": None,
            },
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }


@dataclass
class Channel:
    id: int
    type: int  # 0 text, 1 DM, 2 voice, 4 category, 5 announcement
    name: str | None = None
    guild_id: int | None = None
    position: int = 0
    topic: str | None = None
    parent_id: int | None = None
    overwrites: list[dict[str, Any]] = field(default_factory=list)
    recipient_ids: list[int] = field(default_factory=list)
    last_message_id: int | None = None

    def payload(self, users: dict[int, User] | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "last_message_id": sid(self.last_message_id),
            "flags": 0,
        }
        if self.type == 1:
            users = users or {}
            data["recipients"] = [users[u].payload() for u in self.recipient_ids if u in users]
            return data
        data.update(
            {
                "guild_id": sid(self.guild_id),
                "name": self.name,
                "position": self.position,
                "permission_overwrites": [
                    {
                        "id": str(o["id"]),
                        "type": o.get("type", 0),
                        "allow": str(o.get("allow", 0)),
                        "deny": str(o.get("deny", 0)),
                    }
                    for o in self.overwrites
                ],
                "parent_id": sid(self.parent_id),
                "nsfw": False,
                "rate_limit_per_user": 0,
            }
        )
        if self.type in (0, 5):
            data["topic"] = self.topic
        if self.type == 2:
            data.update({"bitrate": 64000, "user_limit": 0, "rtc_region": None})
        return data


@dataclass
class Member:
    user_id: int
    roles: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: str = ""

    def payload(self, users: dict[int, User]) -> dict[str, Any]:
        return {
            "user": users[self.user_id].payload(),
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "roles": [str(r) for r in self.roles],
            "joined_at": self.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    channel_ids: list[int] = field(default_factory=list)
    members: dict[int, Member] = field(default_factory=dict)


@dataclass
class Attachment:
    id: int
    filename: str
    data: bytes
    description: str | None = None
    content_type: str | None = None
    url: str = ""

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "filename": self.filename,
            "size": len(self.data),
            "url": self.url,
            "proxy_url": self.url,
        }
        if self.description is not None:
            data["description"] = self.description
        if self.content_type is not None:
            data["content_type"] = self.content_type
        return data


@dataclass
class Message:
    id: int
    channel_id: int
    author_id: int
    content: str = ""
    guild_id: int | None = None
    type: int = 0
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    flags: int = 0
    allowed_mentions: dict[str, Any] | None = None
    nonce: str | int | None = None
    enforce_nonce: bool = False
    tts: bool = False
    timestamp: str = ""
    edited_timestamp: str | None = None
    webhook_id: int | None = None
    application_id: int | None = None
    interaction_id: int | None = None
    message_reference: dict[str, Any] | None = None
    mention_ids: list[int] = field(default_factory=list)
    deleted: bool = False
    created_monotonic: float = field(default_factory=time.monotonic)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & FLAG_EPHEMERAL)

    def payload(
        self,
        users: dict[int, User],
        member: dict[str, Any] | None = None,
        strip_content: bool = False,
    ) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "type": self.type,
            "content": "" if strip_content else self.content,
            "author": users[self.author_id].payload(),
            "timestamp": self.timestamp,
            "edited_timestamp": self.edited_timestamp,
            "tts": self.tts,
            "mention_everyone": False,
            "mentions": [users[u].payload() for u in self.mention_ids if u in users],
            "mention_roles": [],
            "attachments": [] if strip_content else [a.payload() for a in self.attachments],
            "embeds": [] if strip_content else self.embeds,
            "components": [] if strip_content else self.components,
            "pinned": False,
            "flags": self.flags,
        }
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        if member is not None:
            data["member"] = member
        if self.nonce is not None:
            data["nonce"] = self.nonce
        if self.webhook_id is not None:
            data["webhook_id"] = str(self.webhook_id)
        if self.application_id is not None:
            data["application_id"] = str(self.application_id)
        if self.message_reference is not None:
            data["message_reference"] = self.message_reference
        return data


@dataclass
class InteractionRecord:
    """One interaction created by the fake, plus everything the bot answered."""

    id: int
    token: str
    application_id: int
    type: int  # 2 command, 3 component, 4 autocomplete, 5 modal submit
    user_id: int
    channel_id: int
    guild_id: int | None
    payload: dict[str, Any]
    message_id: int | None = None  # source message of a component interaction
    created_monotonic: float = field(default_factory=time.monotonic)
    response: dict[str, Any] | None = None  # {"type": int, "data": dict | None}
    original_message_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
