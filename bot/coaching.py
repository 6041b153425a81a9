"""The core commands: conversations, help, resources and a member's own settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import aiosqlite

from bot.commands import EVERYWHERE, CommandContext, Param
from bot.datarights import rows
from bot.messages import Outbound, Tone
from bot.places import (
    country_name,
    country_problem,
    find_country,
    find_timezone,
    timezone_problem,
)

if TYPE_CHECKING:
    from bot.app import Coach
    from bot.storage import Database

ABOUT = (
    "I'm a coaching bot. Coaching works with what is right with you: your strengths, your own "
    "goals and your next steps. You set the agenda; I ask questions, reflect your words back, "
    "and help you turn ideas into if-then plans and check-ins.\n"
    "I am not therapy and not a crisis service. If you are struggling or might be in danger, "
    "type /resources for people who can help right now.")


async def coach_list(ctx: CommandContext) -> list[Outbound]:
    flows = ctx.coach.library.listed()
    if not flows:
        return [Outbound("There are no conversations available right now. A moderator can add "
                         "some.")]
    language = ctx.member.preferred_language
    lines = ["Conversations you can start:"]
    for flow in flows:
        lines.append(f"- {flow.id}: {flow.title.for_language(language)[0]}. "
                     f"{flow.description.for_language(language)[0]}")
    lines.append("Type /coach start followed by a name, for example /coach start "
                 f"{flows[0].id}")
    return [Outbound("\n".join(lines))]


async def coach_start(ctx: CommandContext) -> list[Outbound]:
    name = str(ctx.args.get("conversation") or "").strip()
    if not name:
        return await coach_list(ctx)
    library = ctx.coach.library
    flow = library.get(name.lower()) or next(
        (f for f in library.listed()
         if f.title.for_language(ctx.member.preferred_language)[0].casefold()
         == name.casefold()), None)
    if flow is None:
        from bot.yamlfile import did_you_mean
        hint = did_you_mean(name, library.ids())
        return [Outbound(f"I don't have a conversation called \"{name}\". "
                         f"{(hint.capitalize() + ' ') if hint else ''}"
                         "Type /coach list to see them all.", tone=Tone.ERROR)]
    if ctx.member.in_crisis_pause:
        await ctx.coach.crisis.continue_coaching(ctx.member)
    return await ctx.coach.engine.start(ctx.member, flow.id)


async def coach_resume(ctx: CommandContext) -> list[Outbound]:
    router = ctx.coach.router
    assert router is not None
    if ctx.member.in_crisis_pause:  # an explicit request to continue
        return await router.continue_after_crisis(ctx.member)
    session = await ctx.coach.engine.sessions.resumable(ctx.member.id)
    if session is None:
        return [Outbound("There is no paused conversation to go back to. Type /coach list to "
                         "start one.")]
    return await ctx.coach.engine.show_current(ctx.member, session)


async def coach_stop(ctx: CommandContext) -> list[Outbound]:
    session = await ctx.coach.engine.sessions.resumable(ctx.member.id, include_crisis=True)
    if session is None:
        return [Outbound("There is no conversation in progress.")]
    await ctx.coach.engine.pause(session, "stopped")
    return [Outbound("Okay, I've ended that conversation. Your answers are kept. Type /coach "
                     "list whenever you'd like to start another.")]


async def show_help(ctx: CommandContext) -> list[Outbound]:
    commands = ctx.coach.registry.available(ctx.where, moderator=ctx.inbound.is_moderator)
    lines = [ABOUT, "", "Commands:"]
    lines += [f"- {c.usage()}: {c.summary}" for c in commands]
    lines.append("")
    lines.append("Inside a conversation you can also type pause, stop, back, skip or help.")
    return [Outbound("\n".join(lines))]


async def show_resources(ctx: CommandContext) -> list[Outbound]:
    return [ctx.coach.crisis.resources_message(ctx.member, ctx.inbound.guild_id)]


async def settings(ctx: CommandContext) -> list[Outbound]:
    member = ctx.member
    changes: dict[str, Any] = {}
    problems = []
    if ctx.args.get("country"):
        code = find_country(str(ctx.args["country"]))
        if code is None:
            problems.append(country_problem(str(ctx.args["country"])))
        else:
            changes["country"] = code
    if ctx.args.get("timezone"):
        zone = find_timezone(str(ctx.args["timezone"]))
        if zone is None:
            problems.append(timezone_problem(str(ctx.args["timezone"])))
        else:
            changes["timezone"] = zone
    if ctx.args.get("language"):
        changes["language"] = str(ctx.args["language"]).strip()[:10]
    if ctx.args.get("alerts"):
        changes["alert_consent"] = 1 if ctx.args["alerts"] == "on" else 0
    if problems:
        return [Outbound(" ".join(problems) + " Nothing was changed.", tone=Tone.ERROR)]
    if changes:
        member = await ctx.coach.members.update(member.id, **changes)
    alerts = "on" if member.alert_consent else "off"
    lines = ["Saved. " if changes else "", "Your settings:\n",
             f"- country: {country_name(member.country)} (used to show helplines near you)\n",
             f"- language: {member.language or 'from your app (' + (member.locale or 'en') + ')'}\n",
             f"- timezone: {member.timezone or 'not set'}\n",
             f"- moderator alerts: {alerts} (if on, and the community allows it, a moderator "
             "is told your name and that you may need support if I ever see you might be in "
             "danger; never what you wrote)\n",
             "Change one with, for example, /settings country GB, or /settings alerts off."]
    return [Outbound("".join(lines))]


async def timezone(ctx: CommandContext) -> list[Outbound]:
    name = str(ctx.args.get("name") or "").strip()
    if not name:
        current = ctx.member.timezone
        return [Outbound(f"Your timezone is {current}." if current else
                         "You haven't set a timezone yet. Set one with /timezone followed by "
                         "its name, for example /timezone Europe/Paris.")]
    zone = find_timezone(name)
    if zone is None:
        return [Outbound(timezone_problem(name), tone=Tone.ERROR)]
    await ctx.coach.members.update(ctx.member.id, timezone=zone)
    return [Outbound(f"Saved: your timezone is now {zone}. Check-ins will follow your local "
                     "time.")]


# -- data rights ---------------------------------------------------------------------------

async def export_profile(db: Database, member_id: int) -> Any:
    row = await db.fetchone("SELECT * FROM members WHERE id = ?", (member_id,))
    return rows([row])[0] if row else None


async def export_sessions(db: Database, member_id: int) -> Any:
    records = await db.fetchall("SELECT * FROM sessions WHERE member_id = ? ORDER BY id",
                                (member_id,))
    import json
    out = rows(records, drop=("member_id",))
    for item in out:
        for key in ("answers", "stack", "state"):
            item[key] = json.loads(item[key])
    return out


async def delete_sessions(conn: aiosqlite.Connection, member_id: int) -> None:
    await conn.execute("DELETE FROM sessions WHERE member_id = ?", (member_id,))


async def export_crisis(db: Database, member_id: int) -> Any:
    return rows(await db.fetchall("SELECT level, category, at FROM crisis_events"
                                  " WHERE member_id = ? ORDER BY at", (member_id,)))


async def delete_crisis(conn: aiosqlite.Connection, member_id: int) -> None:
    await conn.execute("DELETE FROM crisis_events WHERE member_id = ?", (member_id,))


async def _no_delete(conn: aiosqlite.Connection, member_id: int) -> None:
    """The member row itself is removed last by DataRights.delete."""


def register(coach: Coach) -> None:
    add = coach.registry.command
    add("coach", "list", summary="See the coaching conversations you can start")(coach_list)
    add("coach", "start", summary="Start a coaching conversation",
        params=(Param("conversation", "Which conversation (see /coach list)",
                      kind="conversation", required=False),))(coach_start)
    add("coach", "resume", summary="Go back to your paused conversation")(coach_resume)
    add("coach", "stop", summary="End the conversation you are in (answers are kept)")(coach_stop)
    add("help", summary="What this bot is and is not, and its commands")(show_help)
    add("resources", summary="Crisis and therapy resources, any time")(show_resources)
    add("settings", summary="Your country, language, timezone and moderator-alert choice",
        params=(Param("country", "Your country, for helplines near you", required=False),
                Param("language", "A language code such as en or es", required=False),
                Param("timezone", "Your timezone, such as Europe/Paris", kind="timezone",
                      required=False),
                Param("alerts", "Moderator alerts if you may be in danger", kind="choice",
                      choices=("on", "off"), required=False)),
        where=EVERYWHERE)(settings)
    add("timezone", summary="Show or set your timezone",
        params=(Param("name", "Timezone, such as Europe/Paris", kind="timezone",
                      required=False),))(timezone)
    rights = coach.datarights
    rights.register("profile", stores="your display name, language, country, timezone and "
                    "choices", export=export_profile, delete=_no_delete)
    rights.register("conversations", stores="where you are in each conversation and your "
                    "answers", export=export_sessions, delete=delete_sessions)
    rights.register("crisis_events", stores="when the safety check paused coaching (level and "
                    "category only, never what you wrote)", export=export_crisis,
                    delete=delete_crisis)
