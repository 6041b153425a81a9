"""Slash commands built from the coach's one command registry.

Every registry command becomes a slash command: `/help` stays on its own, `/coach start`
becomes the `start` subcommand of a `coach` group, and so on. Whatever a feature adds to
the registry shows up here without any Discord code of its own. Install types and
contexts are set explicitly (Discord leaves DM contexts out by default): a command used
in DMs can run in the bot's DMs and in private channels of a user install; a server-only
command only in servers.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import zoneinfo
from collections.abc import Callable, Coroutine
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal, Optional

import discord
from discord import app_commands

from bot.commands import DM, SERVER, Command, Param

if TYPE_CHECKING:
    from bot.transports.discord.client import CoachBot

log = logging.getLogger(__name__)

GROUP_DESCRIPTIONS = {
    "coach": "Coaching conversations: start, resume, stop, list",
    "goal": "Your goals and if-then plans",
    "nudge": "Check-in reminders on your schedule",
    "mydata": "See or delete what the bot stores about you",
    "group": "Accountability channels",
    "partner": "Accountability partners",
    "peer": "Peer coaches",
    "conversations": "Moderators: manage the coaching conversations",
    "settings": "Your settings",
}

Runner = Callable[[discord.Interaction, Command, dict[str, Any]],
                  Coroutine[Any, Any, None]]


def _annotation(param: Param) -> Any:
    kind = param.kind
    if kind in ("integer", "goal"):
        if param.min_value is not None or param.max_value is not None:
            base: Any = app_commands.Range[int, param.min_value, param.max_value]
        else:
            base = int
    elif kind == "choice" and param.choices:
        base = Literal.__getitem__(tuple(param.choices[:25]))
    elif kind == "attachment":
        base = discord.Attachment
    elif kind == "channel":
        base = discord.TextChannel
    elif kind == "user":
        base = discord.User
    else:
        base = str
    return base if param.required else Optional[base]  # noqa: UP045 (a runtime annotation)


def _contexts(where: frozenset[str]) -> app_commands.AppCommandContext:
    return app_commands.AppCommandContext(guild=SERVER in where, dm_channel=DM in where,
                                          private_channel=DM in where)


def _installs(commands: list[Command]) -> app_commands.AppInstallationType:
    # Moderator commands act on a server's settings: only a server install runs them.
    return app_commands.AppInstallationType(guild=True,
                                            user=not all(c.moderator for c in commands))


def make_command(command: Command, run: Runner, *, name: str,
                 autocompletes: dict[str, Any]) -> app_commands.Command:
    params = [inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                annotation=discord.Interaction)]
    for p in sorted(command.params, key=lambda p: not p.required):
        params.append(inspect.Parameter(
            p.name, inspect.Parameter.KEYWORD_ONLY, annotation=_annotation(p),
            default=inspect.Parameter.empty if p.required else None))

    async def callback(interaction: discord.Interaction, **values: Any) -> None:
        await run(interaction, command, values)

    callback.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    callback.__discord_app_commands_param_description__ = {  # type: ignore[attr-defined]
        p.name: p.description[:100] for p in command.params}
    cmd = app_commands.Command(name=name, description=command.summary[:100], callback=callback,
                               allowed_contexts=_contexts(command.where),
                               allowed_installs=_installs([command]))
    for p in command.params:
        complete = autocompletes.get(p.kind)
        if complete is not None:
            cmd.autocomplete(p.name)(complete)
    return cmd


def build(commands: list[Command], run: Runner, autocompletes: dict[str, Any]
          ) -> list[app_commands.Command | app_commands.Group]:
    """Slash commands (and groups) for the registry's Discord commands."""
    tops: dict[str, Command] = {}
    groups: dict[str, list[Command]] = {}
    for command in commands:
        if not ({DM, SERVER} & command.where):
            continue
        if len(command.path) == 1:
            tops[command.path[0]] = command
        else:
            groups.setdefault(command.path[0], []).append(command)
    built: list[app_commands.Command | app_commands.Group] = []
    for name, command in sorted(tops.items()):
        if name in groups:
            log.error("/%s is both a command and a group; its subcommands are not offered "
                      "on Discord", name)
        built.append(make_command(command, run, name=name, autocompletes=autocompletes))
    for name, members in sorted(groups.items()):
        if name in tops:
            continue
        where = frozenset().union(*(c.where for c in members))
        group = app_commands.Group(name=name,
                                   description=GROUP_DESCRIPTIONS.get(name, f"/{name} commands"),
                                   allowed_contexts=_contexts(where),
                                   allowed_installs=_installs(members))
        subgroups: dict[str, app_commands.Group] = {}
        for command in sorted(members, key=lambda c: c.path):
            parent = group
            if len(command.path) == 3:
                sub = command.path[1]
                if sub not in subgroups:
                    subgroups[sub] = app_commands.Group(name=sub, description=f"/{name} {sub}",
                                                        parent=group)
                parent = subgroups[sub]
            elif len(command.path) > 3:
                log.error("%s is nested too deeply for Discord", command.name)
                continue
            cmd = make_command(command, run, name=command.path[-1],
                               autocompletes=autocompletes)
            parent.add_command(cmd)
        built.append(group)
    return built


def definitions_hash(tree: app_commands.CommandTree) -> str:
    """A fingerprint of what Discord would be told: sync only when it changes."""
    payload = [c.to_dict(tree) for c in tree.get_commands()]
    text = json.dumps(sorted(payload, key=lambda c: c["name"]), sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- autocomplete --------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _zones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def _choices(pairs: list[tuple[str, Any]]) -> list[app_commands.Choice]:
    return [app_commands.Choice(name=name[:100], value=value) for name, value in pairs[:25]]


def autocompletes(bot: CoachBot) -> dict[str, Any]:
    coach = bot.coach

    async def conversation(interaction: discord.Interaction, current: str
                           ) -> list[app_commands.Choice[str]]:
        needle = current.casefold().strip()
        moderator = bot.is_moderator(interaction)
        flows = ([coach.library.get(i) for i in coach.library.ids()] if moderator
                 else coach.library.listed())
        pairs = []
        for flow in flows:
            if flow is None:
                continue
            title = flow.title.for_language(str(interaction.locale))[0]
            if needle in flow.id or needle in title.casefold():
                pairs.append((f"{title} ({flow.id})", flow.id))
        return _choices(pairs)

    async def timezone(interaction: discord.Interaction, current: str
                       ) -> list[app_commands.Choice[str]]:
        needle = current.casefold().replace(" ", "_").strip()
        zones = [z for z in _zones() if needle in z.casefold()] if needle else [
            "Europe/London", "Europe/Paris", "America/New_York", "America/Chicago",
            "America/Los_Angeles", "Asia/Tokyo", "Asia/Kolkata", "Australia/Sydney", "UTC"]
        return _choices([(z, z) for z in zones])

    async def goal(interaction: discord.Interaction, current: str
                   ) -> list[app_commands.Choice[int]]:
        member = await coach.members.find("discord", str(interaction.user.id))
        if member is None:
            return []
        rows = await coach.db.fetchall(
            "SELECT number, what, status FROM goals WHERE member_id = ? AND status != 'dropped'"
            " ORDER BY number", (member.id,))
        needle = current.casefold().lstrip("#").strip()
        pairs = [(f"#{r['number']} {r['what']}" + ("" if r["status"] == "active"
                                                    else f" ({r['status']})"), r["number"])
                 for r in rows]
        return _choices([p for p in pairs if needle in p[0].casefold()])

    return {"conversation": conversation, "timezone": timezone, "goal": goal}
