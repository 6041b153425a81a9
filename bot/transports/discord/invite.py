"""`coachbot invite-url`: the links that add the bot to a server or to a member's account."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlencode

# View Channels, Send Messages, Embed Links, Attach Files, Read Message History.
PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16)
AUTHORIZE = "https://discord.com/oauth2/authorize"


def client_id_from_token(token: str) -> str | None:
    """A bot token starts with the bot's user id (= the application id), base64-encoded."""
    head = token.split(".", 1)[0]
    try:
        text = base64.b64decode(head + "=" * (-len(head) % 4), validate=False).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return text if text.isdigit() else None


def invite_urls(client_id: str) -> dict[str, str]:
    server = urlencode({"client_id": client_id, "scope": "bot applications.commands",
                        "permissions": str(PERMISSIONS), "integration_type": "0"})
    user = urlencode({"client_id": client_id, "scope": "applications.commands",
                      "integration_type": "1"})
    return {"server": f"{AUTHORIZE}?{server}", "user": f"{AUTHORIZE}?{user}"}
