"""Every feature of the coach registers its commands and its data rights here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import coaching, conversations_admin, groups, nudges, privacy, server_settings
from bot.goals import commands as goals

if TYPE_CHECKING:
    from bot.app import Coach

FEATURES = (coaching.register, conversations_admin.register, server_settings.register,
            goals.register, nudges.register, groups.register, privacy.register)


def register_all(coach: Coach) -> None:
    for register in FEATURES:
        register(coach)
