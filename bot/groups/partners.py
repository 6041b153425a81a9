"""Accountability partners: members opt in, the bot proposes a pair by timezone and focus
area, and introduces them by DM only after both accept.

A proposal names neither person: it says what their focus areas have in common and how far
apart their clocks are. Either partner can leave, ask for a new partner, send a nudge
through the bot, or block (and report) the other; a blocked pair is never proposed again.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bot.clock import iso, parse_iso
from bot.groups.core import groups_of
from bot.groups.matching import Seeker, best_partner, common_focus, hours_apart
from bot.messages import Choice, CommandRef, Outbound, Tone
from bot.server_settings import settings_of

if TYPE_CHECKING:
    from bot.app import Coach
    from bot.commands import CommandContext
    from bot.members import Member

log = logging.getLogger(__name__)

NUDGE_GAP_HOURS = 12
ANSWERS = (Choice("accept", "Yes, let's be partners"), Choice("decline", "Not this time"))
OPEN = ("proposed", "active")
NO_PARTNER = "You don't have an accountability partner right now. /partner join finds one."


async def _open_pair(coach: Coach, member_id: int, guild_id: str | None) -> Any:
    """The member's proposed or active pair (in this server, or the latest anywhere)."""
    sql = ("SELECT * FROM partner_pairs WHERE (a_id = ? OR b_id = ?) AND status IN"
           " ('proposed', 'active')")
    params: list[Any] = [member_id, member_id]
    if guild_id is not None:
        sql += " AND guild_id = ?"
        params.append(guild_id)
    return await coach.db.fetchone(sql + " ORDER BY id DESC LIMIT 1", params)


def other_of(pair: Any, member_id: int) -> int:
    return pair["b_id"] if pair["a_id"] == member_id else pair["a_id"]


async def propose(coach: Coach, guild_id: str, member_id: int) -> bool:
    """Find the best waiting partner for a member and ask both; True if a pair was proposed."""
    db = coach.db
    rows = await db.fetchall(
        "SELECT p.* FROM partner_pool p WHERE p.guild_id = ? AND NOT EXISTS (SELECT 1 FROM"
        " partner_pairs x WHERE x.guild_id = p.guild_id AND x.status IN ('proposed', 'active')"
        " AND (x.a_id = p.member_id OR x.b_id = p.member_id)) ORDER BY p.joined_at",
        (guild_id,))
    seekers = {r["member_id"]: Seeker(r["member_id"], r["timezone"], r["focus"], r["joined_at"])
               for r in rows}
    me = seekers.get(member_id)
    if me is None:
        return False
    excluded = {r[0] for r in await db.fetchall(
        "SELECT blocked_id FROM member_blocks WHERE blocker_id = ? UNION"
        " SELECT blocker_id FROM member_blocks WHERE blocked_id = ? UNION"
        " SELECT CASE WHEN a_id = ? THEN b_id ELSE a_id END FROM partner_pairs"
        " WHERE guild_id = ? AND (a_id = ? OR b_id = ?) AND status IN ('declined', 'ended')",
        (member_id, member_id, member_id, guild_id, member_id, member_id))}
    now = coach.clock.now()
    other = best_partner(me, seekers.values(), now, frozenset(excluded))
    if other is None:
        return False
    stamp = iso(now)
    pair_id = await db.execute(
        "INSERT INTO partner_pairs (guild_id, a_id, b_id, status, created_at, updated_at)"
        " VALUES (?, ?, ?, 'proposed', ?, ?)", (guild_id, me.member_id, other.member_id,
                                                  stamp, stamp))
    log.info("partner pair proposed pair=%s guild=%s", pair_id, guild_id)
    groups = groups_of(coach)
    shared = common_focus(me.focus, other.focus)
    apart = round(hours_apart(me.timezone, other.timezone, now))
    for person in (me, other):
        member = await coach.members.get(person.member_id)
        if member is None:
            continue
        about = (f"their focus has {', '.join(shared)} in common with yours"
                 if shared else "their focus is different from yours, which can help too")
        clock = "the same time as you" if apart == 0 else (
            f"{apart} hour{'s' if apart > 1 else ''} apart from you")
        text = (f"I found a possible accountability partner for you: another member of your "
                f"server whose clock is {clock}; {about}. Would you like to be partners? "
                "I'll introduce you to each other only if you both say yes; until then, "
                f"neither of you learns who the other is. (To type it: /partner answer "
                f"{pair_id} accept, or decline.)")
        groups.tell_later(member, [Outbound(text, tone=Tone.ASK, choices=ANSWERS, command=
                                            CommandRef(("partner", "answer"),
                                                       (("pair", str(pair_id)),), "answer"))])
    return True


async def partner_join(ctx: CommandContext) -> list[Outbound]:
    from bot.groups.channels import _zone
    coach = ctx.coach
    guild_id = ctx.inbound.guild_id
    assert guild_id is not None
    zone = str(ctx.args.get("timezone") or ctx.member.timezone or "").strip()
    if not zone or _zone(zone) is None:
        return [Outbound("Please add your timezone (timezone:Europe/Paris, for example), so I "
                         "can find someone whose day looks like yours.", tone=Tone.ERROR)]
    focus = " ".join(str(ctx.args.get("focus") or "").split())[:100]
    if not focus:
        return [Outbound("Please add a focus area, like health, study or career.",
                         tone=Tone.ERROR)]
    await coach.db.execute(
        "INSERT INTO partner_pool (guild_id, member_id, timezone, focus, joined_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (guild_id, member_id) DO UPDATE SET"
        " timezone = excluded.timezone, focus = excluded.focus",
        (guild_id, ctx.member.id, zone, focus, iso(coach.clock.now())))
    pair = await _open_pair(coach, ctx.member.id, guild_id)
    if pair is not None and pair["status"] == "active":
        return [Outbound("Saved your timezone and focus. You already have a partner; "
                         "/partner new asks for a different one.")]
    if pair is not None:
        return [Outbound("Saved. A partner suggestion is waiting for answers; check your "
                         "direct messages.")]
    if await propose(coach, guild_id, ctx.member.id):
        return [Outbound("You're in. I found someone who might fit and sent you both a "
                         "private message: I'll introduce you only if you both say yes.")]
    return [Outbound("You're on the list. When someone with a nearby timezone joins, I'll "
                     "send you a private message to ask if you'd like to pair up. "
                     "/partner leave takes you off the list.")]


async def partner_answer(ctx: CommandContext) -> list[Outbound]:
    coach = ctx.coach
    try:
        pair_id = int(str(ctx.args.get("pair", "")).lstrip("#"))
    except ValueError:
        pair_id = 0
    pair = await coach.db.fetchone("SELECT * FROM partner_pairs WHERE id = ? AND (a_id = ? OR"
                                   " b_id = ?)", (pair_id, ctx.member.id, ctx.member.id))
    if pair is None:
        return [Outbound("I couldn't find that suggestion. /partner join finds a partner.",
                         tone=Tone.ERROR)]
    if pair["status"] != "proposed":
        return [Outbound("That suggestion has already been settled, so nothing changed.")]
    side = "a" if pair["a_id"] == ctx.member.id else "b"
    other = await coach.members.get(other_of(pair, ctx.member.id))
    stamp = iso(coach.clock.now())
    if str(ctx.args.get("answer", "")).casefold() != "accept":
        await coach.db.execute("UPDATE partner_pairs SET status = 'declined', updated_at = ?"
                               " WHERE id = ?", (stamp, pair_id))
        log.info("partner pair declined pair=%s", pair_id)
        if other is not None:
            groups_of(coach).tell_later(other, [Outbound(
                "The partner suggestion I sent didn't work out this time. That's completely "
                "fine: I'll let you know when I find someone else.")])
            await propose(coach, pair["guild_id"], other.id)
        await propose(coach, pair["guild_id"], ctx.member.id)
        return [Outbound("No problem: I won't introduce you. You stay on the list for another "
                         "suggestion; /partner leave takes you off it.")]
    await coach.db.execute(f"UPDATE partner_pairs SET {side}_accepted = 1, updated_at = ?"  # noqa: S608
                           " WHERE id = ?", (stamp, pair_id))
    pair = await coach.db.fetchone("SELECT * FROM partner_pairs WHERE id = ?", (pair_id,))
    if not (pair["a_accepted"] and pair["b_accepted"]):
        return [Outbound("Thank you. I'll introduce you as soon as the other member says yes "
                         "too.")]
    await coach.db.execute("UPDATE partner_pairs SET status = 'active', updated_at = ? WHERE"
                           " id = ?", (stamp, pair_id))
    log.info("partner pair active pair=%s", pair_id)
    if other is not None:
        groups_of(coach).tell_later(other, [_intro(ctx.member)])
    return [_intro(other) if other else Outbound("You're partners now.")]


def _intro(partner: Member) -> Outbound:
    return Outbound(f"You both said yes! Your accountability partner is {partner.display_name}. "
                    "Say hello to them in your server, share what you're working on, and "
                    "check in with each other each week. /partner nudge sends them a friendly "
                    "nudge through me; /partner leave or /partner new ends the pairing at any "
                    "time; /partner block ends it for good (report:yes also tells the "
                    "moderators).")


async def end_pair(coach: Coach, pair: Any, leaver_id: int, note: str) -> None:
    """End a pair and tell the other member kindly (never why, if they were blocked)."""
    await coach.db.execute("UPDATE partner_pairs SET status = 'ended', updated_at = ? WHERE"
                           " id = ?", (iso(coach.clock.now()), pair["id"]))
    log.info("partner pair ended pair=%s", pair["id"])
    other = await coach.members.get(other_of(pair, leaver_id))
    if other is not None:
        groups_of(coach).tell_later(other, [Outbound(note)])


ENDED = ("Your accountability partnership has ended: your partner stepped away. Thank you for "
         "showing up for each other. /partner new looks for someone else whenever you like.")


async def partner_leave(ctx: CommandContext) -> list[Outbound]:
    coach = ctx.coach
    guild_id = ctx.inbound.guild_id
    pair = await _open_pair(coach, ctx.member.id, guild_id)
    if pair is not None:
        await end_pair(coach, pair, ctx.member.id, ENDED)
        guild_id = pair["guild_id"]
    sql = "DELETE FROM partner_pool WHERE member_id = ?"
    params: list[Any] = [ctx.member.id]
    if guild_id is not None:
        sql += " AND guild_id = ?"
        params.append(guild_id)
    await coach.db.execute(sql, params)
    return [Outbound("Done: you're off the partner list" + (" and your partnership has ended; "
                     "your partner was told kindly" if pair is not None else "")
                     + ". /partner join brings you back.")]


async def partner_new(ctx: CommandContext) -> list[Outbound]:
    coach = ctx.coach
    guild_id = ctx.inbound.guild_id
    assert guild_id is not None
    in_pool = await coach.db.fetchval("SELECT 1 FROM partner_pool WHERE guild_id = ? AND"
                                      " member_id = ?", (guild_id, ctx.member.id))
    if not in_pool:
        return [Outbound("You're not on the partner list yet: /partner join with your "
                         "timezone and focus.", tone=Tone.ERROR)]
    pair = await _open_pair(coach, ctx.member.id, guild_id)
    if pair is not None:
        await end_pair(coach, pair, ctx.member.id, ENDED)
        await propose(coach, guild_id, other_of(pair, ctx.member.id))
    if await propose(coach, guild_id, ctx.member.id):
        return [Outbound("I found someone new who might fit and sent you both a private "
                         "message.")]
    return [Outbound("You're on the list for a new partner; I'll message you when I find "
                     "someone.")]


async def partner_nudge(ctx: CommandContext) -> list[Outbound]:
    coach = ctx.coach
    pair = await _open_pair(coach, ctx.member.id, ctx.inbound.guild_id)
    if pair is None or pair["status"] != "active":
        return [Outbound(NO_PARTNER)]
    side = "a" if pair["a_id"] == ctx.member.id else "b"
    last = pair[f"last_nudge_{side}"]
    now = coach.clock.now()
    if last and (now - parse_iso(last)).total_seconds() < NUDGE_GAP_HOURS * 3600:
        return [Outbound("You sent a nudge recently; one every 12 hours is plenty. Your "
                         "partner knows you're thinking of them.")]
    other = await coach.members.get(other_of(pair, ctx.member.id))
    if other is None:
        return [Outbound(NO_PARTNER)]
    from bot.delivery import DeliveryResult
    result = await groups_of(coach).tell(other, [Outbound(
        f"{ctx.member.display_name}, your accountability partner, sent you a nudge: they're "
        "cheering you on this week. (/partner nudge sends one back.)")])
    if result is not DeliveryResult.SENT:
        return [Outbound("I couldn't reach your partner by direct message just now. You could "
                         "say hello to them in your server instead.", tone=Tone.ERROR)]
    await coach.db.execute(f"UPDATE partner_pairs SET last_nudge_{side} = ? WHERE id = ?",  # noqa: S608
                           (iso(now), pair["id"]))
    return [Outbound(f"Sent. {other.display_name} will see your nudge in their direct "
                     "messages.")]


async def block_and_report(coach: Coach, blocker: Member, blocked_id: int, guild_id: str,
                           report: bool, what: str) -> bool:
    """Record a block; with `report`, tell the server's alert channel (ids only)."""
    await coach.db.execute("INSERT INTO member_blocks (blocker_id, blocked_id, at)"
                           " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                           (blocker.id, blocked_id, iso(coach.clock.now())))
    if not report:
        return False
    blocked = await coach.members.get(blocked_id)
    setting = settings_of(coach).get(guild_id)
    if blocked is None or setting is None or not setting.alert_channel_id:
        return False
    text = (f"A member reported their {what}. Reporter: user id {blocker.external_id}. "
            f"Reported: user id {blocked.external_id}. Time: {iso(coach.clock.now())}. The "
            "pairing has ended and they won't be matched again. Nothing they wrote is shared; "
            "please reach out to them privately.")
    result, _ids = await groups_of(coach).post(setting.alert_channel_id, [Outbound(text)])
    log.info("member report sent guild=%s result=%s", guild_id, result)
    from bot.delivery import DeliveryResult
    return result is DeliveryResult.SENT


async def partner_block(ctx: CommandContext) -> list[Outbound]:
    coach = ctx.coach
    pair = await _open_pair(coach, ctx.member.id, ctx.inbound.guild_id)
    if pair is None:
        return [Outbound(NO_PARTNER)]
    other_id = other_of(pair, ctx.member.id)
    await end_pair(coach, pair, ctx.member.id, ENDED)
    reported = await block_and_report(coach, ctx.member, other_id, pair["guild_id"],
                                      str(ctx.args.get("report") or "").casefold() == "yes",
                                      "accountability partner")
    text = ("Done. The partnership has ended and I'll never pair you two again. They were "
            "only told that it ended.")
    if str(ctx.args.get("report") or "").casefold() == "yes":
        text += (" I told the server's moderators (your ids only, nothing you wrote)."
                 if reported else " I couldn't reach the moderators (this server has no alert "
                 "channel set); you can contact a moderator directly.")
    return [Outbound(text)]
