"""Groups: accountability channels, accountability partners and peer coaches.

- `register(coach)` adds the `/group`, `/partner` and `/peer` commands, the scheduled work
  (prompts, summaries, reminders) to the one scheduler tick, and the data rights.
- `groups_of(coach)` is the feature's service; a transport with channels sets its
  `channel_check` port and calls `member_left` / `guild_left` on server events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.groups.core import ChannelCheck, Group, Groups, groups_of
from bot.groups.departures import guild_left, member_left

if TYPE_CHECKING:
    from bot.app import Coach

__all__ = ["ChannelCheck", "Group", "Groups", "groups_of", "guild_left", "member_left",
           "register"]


def register(coach: Coach) -> None:
    from bot.groups.commands import register as register_commands
    register_commands(coach)
