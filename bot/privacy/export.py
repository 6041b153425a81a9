"""`/mydata export`: everything stored about one member, as one JSON file.

The file is built from every registered data feature (`coach.datarights`), so a feature
added later appears in it as soon as it registers its `export`.
"""

from __future__ import annotations

import base64
import json
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from bot.clock import iso

if TYPE_CHECKING:
    from bot.app import Coach

FORMAT = 1
ABOUT = ("Everything this coaching bot keeps about you. Each section names a part of the bot, "
         "says in plain words what it stores, and holds the data itself.")


def _plain(value: Any) -> Any:
    """Whatever a feature returns, as JSON: times as ISO text, bytes as base64."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return {"base64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if hasattr(value, "keys"):  # sqlite rows and other mappings
        return {k: value[k] for k in value.keys()}
    return str(value)


async def build_export(coach: Coach, member_id: int) -> dict[str, Any]:
    data = await coach.datarights.export(member_id)
    features = {f.name: {"stores": f.stores, "data": data.get(f.name)}
                for f in coach.datarights.features()}
    return {"about": ABOUT, "format": FORMAT, "exported_at": iso(coach.clock.now()),
            "features": features}


def export_bytes(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=2, default=_plain).encode("utf-8")


def export_filename(coach: Coach, member_id: int) -> str:
    return f"coachbot-mydata-{member_id}-{coach.clock.now():%Y%m%d-%H%M%S}.json"
