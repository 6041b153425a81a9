"""Peer coaches: members who offer to coach others, and members who ask for one.

Both sides confirm they are adults before any match. A request's "what I want help with"
stays private to the member; a peer coach sees only what the member chose to share, and
only after the member picked them. Nobody is introduced until both agree.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bot.clock import iso
from bot.flows.answers import visible
from bot.groups.core import groups_of
from bot.groups.matching import Coach as Candidate
from bot.groups.matching import rank_coaches
from bot.groups.partners import block_and_report
from bot.messages import Choice, CommandRef, Outbound, Tone

if TYPE_CHECKING:
    from bot.app import Coach
    from bot.commands import CommandContext
    from bot.members import Member

log = logging.getLogger(__name__)

ADULT = "yes"
NEED_ADULT = ("Peer coaching here is only between adults, so please confirm you are 18 or "
              "older (adult:yes). If you're younger, a trusted adult or /resources can help.")
NO_SERVER = ("Use this command once in your server first, so I know which community's peer "
             "coaches to look at.")
ANSWERS = (Choice("accept", "Yes, I'll coach them"), Choice("decline", "Not this time"))


def _adult(ctx: CommandContext) -> bool:
    return str(ctx.args.get("adult") or "").strip().casefold() == ADULT


async def peer_register(ctx: CommandContext) -> list[Outbound]:
    if not _adult(ctx):
        return [Outbound(NEED_ADULT, tone=Tone.ERROR)]
    communities = await groups_of(ctx.coach).communities(ctx)
    if not communities:
        return [Outbound(NO_SERVER, tone=Tone.ERROR)]
    focus = " ".join(str(ctx.args.get("focus") or "").split())[:200]
    if not focus:
        return [Outbound("Please add your focus areas, like study habits, career change or "
                         "living with chronic pain.", tone=Tone.ERROR)]
    lived = visible(str(ctx.args.get("lived_experience") or ""))[:500] or None
    stamp = iso(ctx.coach.clock.now())
    async with ctx.coach.db.transaction() as conn:
        for guild_id in communities:
            await conn.execute(
                "INSERT INTO peer_coaches (guild_id, member_id, focus, lived_experience,"
                " status, adult_confirmed_at, registered_at, updated_at)"
                " VALUES (?, ?, ?, ?, 'active', ?, ?, ?) ON CONFLICT (guild_id, member_id)"
                " DO UPDATE SET focus = excluded.focus, lived_experience ="
                " excluded.lived_experience, status = 'active', adult_confirmed_at ="
                " excluded.adult_confirmed_at, updated_at = excluded.updated_at",
                (guild_id, ctx.member.id, focus, lived, stamp, stamp, stamp))
    log.info("peer coach registered member=%s communities=%s", ctx.member.id, len(communities))
    text = (f"Thank you for offering to coach your peers. Your focus: {focus}. ")
    text += ("Your lived experience, in your words, is shown to members looking for a coach; "
             "register again to change it, or leave it out." if lived else
             "You can add lived experience in your own words any time by registering again.")
    text += (" Members see your display name and these words only when they look for a "
             "coach; you learn about them only if they pick you, and only what they choose to "
             "share. /peer pause takes a break; /peer remove ends it.")
    return [Outbound(text)]


async def peer_pause(ctx: CommandContext) -> list[Outbound]:
    communities = await groups_of(ctx.coach).communities(ctx)
    rows = [r for g in communities for r in await ctx.coach.db.fetchall(
        "SELECT status FROM peer_coaches WHERE guild_id = ? AND member_id = ?",
        (g, ctx.member.id))]
    if not rows:
        return [Outbound("You're not registered as a peer coach. /peer register offers it.")]
    paused = all(r["status"] == "paused" for r in rows)
    status = "active" if paused else "paused"
    for guild_id in communities:
        await ctx.coach.db.execute("UPDATE peer_coaches SET status = ?, updated_at = ? WHERE"
                                   " guild_id = ? AND member_id = ?",
                                   (status, iso(ctx.coach.clock.now()), guild_id,
                                    ctx.member.id))
    if status == "paused":
        return [Outbound("Paused: nobody new will be suggested your name. The members you "
                         "already coach are unchanged. /peer pause again to come back.")]
    return [Outbound("Welcome back: members can be suggested your name again.")]


async def end_coaching(coach: Coach, coach_id: int, guild_ids: list[str] | None, note: str
                       ) -> int:
    """End a peer coach's matches (in these servers, or all) and tell the members kindly."""
    sql = ("SELECT m.id, r.member_id FROM peer_matches m JOIN peer_requests r ON"
           " r.id = m.request_id WHERE m.coach_id = ? AND m.status IN ('offered', 'active')")
    params: list[Any] = [coach_id]
    if guild_ids is not None:
        sql += f" AND r.guild_id IN ({','.join('?' * len(guild_ids))})"
        params += guild_ids
    rows = await coach.db.fetchall(sql, params)
    for row in rows:
        await coach.db.execute("UPDATE peer_matches SET status = 'ended', updated_at = ? WHERE"
                               " id = ?", (iso(coach.clock.now()), row["id"]))
        member = await coach.members.get(row["member_id"])
        if member is not None:
            groups_of(coach).tell_later(member, [Outbound(note)])
    return len(rows)


COACH_LEFT = ("Your peer coach is no longer coaching here, so your peer coaching has ended. "
              "Thank you for reaching out; /peer request finds another coach whenever you "
              "like.")


async def peer_remove(ctx: CommandContext) -> list[Outbound]:
    communities = await groups_of(ctx.coach).communities(ctx)
    ended = await end_coaching(ctx.coach, ctx.member.id, communities, COACH_LEFT)
    for guild_id in communities:
        await ctx.coach.db.execute("DELETE FROM peer_coaches WHERE guild_id = ? AND"
                                   " member_id = ?", (guild_id, ctx.member.id))
    return [Outbound("Done: you're no longer registered as a peer coach"
                     + (f", and the {ended} member(s) you coached were told kindly"
                        if ended else "") + ". Thank you for what you gave.")]


async def peer_request(ctx: CommandContext) -> list[Outbound]:
    coach = ctx.coach
    if not _adult(ctx):
        return [Outbound(NEED_ADULT, tone=Tone.ERROR)]
    communities = await groups_of(coach).communities(ctx)
    if not communities:
        return [Outbound(NO_SERVER, tone=Tone.ERROR)]
    topic = visible(ctx.form.get("topic", ""))[:1000]
    if not topic:
        return [Outbound("Please write a few words about what you'd like help with.",
                         tone=Tone.ERROR)]
    shared = visible(ctx.form.get("share", ""))[:1000] or None
    guild_id = communities[0]
    stamp = iso(coach.clock.now())
    request_id = await coach.db.execute(
        "INSERT INTO peer_requests (guild_id, member_id, topic, shared, adult_confirmed_at,"
        " status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'open', ?, ?)",
        (guild_id, ctx.member.id, topic, shared, stamp, stamp, stamp))
    log.info("peer request opened request=%s member=%s", request_id, ctx.member.id)
    return await suggestions(coach, ctx.member, request_id)


async def suggestions(coach: Coach, member: Member, request_id: int) -> list[Outbound]:
    request = await coach.db.fetchone("SELECT * FROM peer_requests WHERE id = ?", (request_id,))
    rows = await coach.db.fetchall(
        "SELECT c.member_id, c.focus, c.lived_experience, m.display_name FROM peer_coaches c"
        " JOIN members m ON m.id = c.member_id WHERE c.guild_id = ? AND c.status = 'active'"
        " AND c.member_id != ? AND NOT EXISTS (SELECT 1 FROM member_blocks b WHERE"
        " (b.blocker_id = ? AND b.blocked_id = c.member_id) OR (b.blocker_id = c.member_id"
        " AND b.blocked_id = ?)) AND NOT EXISTS (SELECT 1 FROM peer_matches x WHERE"
        " x.request_id = ? AND x.coach_id = c.member_id) ORDER BY c.registered_at",
        (request["guild_id"], member.id, member.id, member.id, request_id))
    by_id = {r["member_id"]: r for r in rows}
    ranked = rank_coaches(request["topic"], [Candidate(r["member_id"], r["focus"])
                                             for r in rows])
    if not ranked:
        return [Outbound("Thank you. I saved your request privately, but no peer coach is "
                         "available right now. Try /peer request again in a few days; "
                         "nothing was shared with anyone.")]
    lines = ["Thank you. Nothing is shared yet. Here are peer coaches who might fit; pick one "
             "and I'll ask them. They'll see only what you chose to share, and I'll "
             "introduce you only if they agree:"]
    choices = []
    for candidate in ranked:
        row = by_id[candidate.member_id]
        line = f"- coach {row['member_id']}: {row['display_name']}, focus: {row['focus']}"
        if row["lived_experience"]:
            line += f". In their words: {row['lived_experience']}"
        lines.append(line)
        choices.append(Choice(str(row["member_id"]), f"Ask {row['display_name']}"[:80]))
    lines.append(f"(To type it: /peer choose {request_id} and the coach's number.)")
    return [Outbound("\n".join(lines), tone=Tone.ASK, choices=tuple(choices),
                     command=CommandRef(("peer", "choose"), (("request", str(request_id)),),
                                        "coach"))]


async def peer_choose(ctx: CommandContext) -> list[Outbound]:
    coach = ctx.coach
    request = await coach.db.fetchone("SELECT * FROM peer_requests WHERE id = ? AND"
                                      " member_id = ?", (_int(ctx.args.get("request")),
                                                         ctx.member.id))
    if request is None or request["status"] != "open":
        return [Outbound("That request is no longer open. /peer request starts a new one.")]
    coach_id = _int(ctx.args.get("coach"))
    peer = await coach.db.fetchone(
        "SELECT * FROM peer_coaches WHERE guild_id = ? AND member_id = ? AND status ="
        " 'active'", (request["guild_id"], coach_id))
    target = await coach.members.get(coach_id)
    if peer is None or target is None or coach_id == ctx.member.id:
        return [Outbound("That peer coach isn't available. Please pick another one.",
                         tone=Tone.ERROR)]
    if await coach.db.fetchval("SELECT 1 FROM peer_matches WHERE request_id = ? AND"
                               " status = 'offered'", (request["id"],)):
        return [Outbound("I've already asked a peer coach for this request; I'll tell you "
                         "as soon as they answer.")]
    stamp = iso(coach.clock.now())
    match_id = await coach.db.execute(
        "INSERT INTO peer_matches (request_id, coach_id, status, created_at, updated_at)"
        " VALUES (?, ?, 'offered', ?, ?)", (request["id"], coach_id, stamp, stamp))
    log.info("peer match offered match=%s", match_id)
    what = (f"They chose to share this with you: \"{request['shared']}\""
            if request["shared"] else "They chose not to share details yet.")
    groups_of(coach).tell_later(target, [Outbound(
        f"A member is looking for a peer coach and picked you. {what} They confirmed they are "
        "an adult. Would you like to coach them? I'll introduce you to each other only if you "
        f"say yes. (To type it: /peer answer {match_id} accept, or decline.)", tone=Tone.ASK,
        choices=ANSWERS, command=CommandRef(("peer", "answer"), (("match", str(match_id)),),
                                            "answer"))])
    return [Outbound(f"I've asked {target.display_name}. They'll see only what you chose to "
                     "share, and I'll introduce you if they agree.")]


def _int(value: Any) -> int:
    try:
        return int(str(value).lstrip("#"))
    except ValueError:
        return 0


async def peer_answer(ctx: CommandContext) -> list[Outbound]:
    coach = ctx.coach
    match = await coach.db.fetchone(
        "SELECT m.*, r.member_id, r.guild_id FROM peer_matches m JOIN peer_requests r ON"
        " r.id = m.request_id WHERE m.id = ? AND m.coach_id = ?",
        (_int(ctx.args.get("match")), ctx.member.id))
    if match is None:
        return [Outbound("I couldn't find that request.", tone=Tone.ERROR)]
    if match["status"] != "offered":
        return [Outbound("That request has already been settled, so nothing changed.")]
    member = await coach.members.get(match["member_id"])
    stamp = iso(coach.clock.now())
    groups = groups_of(coach)
    if str(ctx.args.get("answer", "")).casefold() != "accept":
        await coach.db.execute("UPDATE peer_matches SET status = 'declined', updated_at = ?"
                               " WHERE id = ?", (stamp, match["id"]))
        if member is not None:
            groups.tell_later(member, [Outbound(
                "The peer coach you picked can't take this on right now. That's about their "
                "time, not about you."), *await suggestions(coach, member, match["request_id"])])
        return [Outbound("Thank you for answering. I won't share anything about you; the "
                         "member will be offered someone else.")]
    async with coach.db.transaction() as conn:
        await conn.execute("UPDATE peer_matches SET status = 'active', updated_at = ? WHERE"
                           " id = ?", (stamp, match["id"]))
        await conn.execute("UPDATE peer_requests SET status = 'matched', updated_at = ? WHERE"
                           " id = ?", (stamp, match["request_id"]))
    log.info("peer match active match=%s", match["id"])
    if member is not None:
        groups.tell_later(member, [Outbound(
            f"Good news: {ctx.member.display_name} agreed to be your peer coach. Say hello to "
            "them in your server. You choose what to share and when. /peer end "
            f"{match['id']} ends it any time; /peer block {match['id']} also stops any future "
            "match.")])
    name = member.display_name if member else "the member"
    return [Outbound(f"Thank you! You're now peer coach for {name}; I've let them know, and "
                     "they'll say hello. Remember: you're a peer, not a therapist. If they "
                     "seem in danger, point them to /resources. /peer end "
                     f"{match['id']} ends it any time.")]


async def _my_match(ctx: CommandContext) -> Any:
    return await ctx.coach.db.fetchone(
        "SELECT m.*, r.member_id, r.guild_id FROM peer_matches m JOIN peer_requests r ON"
        " r.id = m.request_id WHERE m.id = ? AND (m.coach_id = ? OR r.member_id = ?)"
        " AND m.status IN ('offered', 'active')",
        (_int(ctx.args.get("match")), ctx.member.id, ctx.member.id))


async def _finish(ctx: CommandContext, *, block: bool) -> list[Outbound]:
    match = await _my_match(ctx)
    if match is None:
        return [Outbound("I couldn't find an ongoing peer coaching with that number.",
                         tone=Tone.ERROR)]
    coach = ctx.coach
    other_id = match["member_id"] if match["coach_id"] == ctx.member.id else match["coach_id"]
    await coach.db.execute("UPDATE peer_matches SET status = 'ended', updated_at = ? WHERE"
                           " id = ?", (iso(coach.clock.now()), match["id"]))
    other = await coach.members.get(other_id)
    if other is not None:
        groups_of(coach).tell_later(other, [Outbound(
            "Your peer coaching has ended: the other person stepped away. Thank you for the "
            "time you shared.")])
    text = "Done: your peer coaching has ended, and they were told kindly."
    if block:
        report = str(ctx.args.get("report") or "").casefold() == "yes"
        sent = await block_and_report(coach, ctx.member, other_id, match["guild_id"], report,
                                      "peer coaching partner")
        text += " I won't match you two again."
        if report:
            text += (" I told the server's moderators (ids only, nothing you wrote)." if sent
                     else " I couldn't reach the moderators (no alert channel is set); you "
                     "can contact a moderator directly.")
    return [Outbound(text)]


async def peer_end(ctx: CommandContext) -> list[Outbound]:
    return await _finish(ctx, block=False)


async def peer_block(ctx: CommandContext) -> list[Outbound]:
    return await _finish(ctx, block=True)


# -- moderators --------------------------------------------------------------------------------

async def peer_list(ctx: CommandContext) -> list[Outbound]:
    rows = await ctx.coach.db.fetchall(
        "SELECT c.*, m.display_name, m.external_id FROM peer_coaches c JOIN members m ON"
        " m.id = c.member_id WHERE c.guild_id = ? ORDER BY c.registered_at",
        (ctx.inbound.guild_id,))
    if not rows:
        return [Outbound("Nobody is registered as a peer coach in this server.")]
    lines = ["Peer coaches in this server:"]
    for r in rows:
        line = (f"- {r['display_name']} (user id {r['external_id']}), {r['status']}, since "
                f"{r['registered_at'][:10]}, focus: {r['focus']}")
        if r["lived_experience"]:
            line += f"; lived experience: {r['lived_experience']}"
        lines.append(line)
    lines.append("Remove one with /peer remove-member and the person.")
    return [Outbound("\n".join(lines))]


async def peer_remove_member(ctx: CommandContext) -> list[Outbound]:
    coach = ctx.coach
    guild_id = ctx.inbound.guild_id
    assert guild_id is not None
    if not ctx.args.get("user"):
        return [Outbound("Name the peer coach to remove: /peer remove-member user:@name. "
                         "/peer list shows them.", tone=Tone.ERROR)]
    target = await coach.members.find(ctx.member.platform, str(ctx.args["user"]))
    found = target is not None and await coach.db.fetchval(
        "SELECT 1 FROM peer_coaches WHERE guild_id = ? AND member_id = ?", (guild_id, target.id))
    if not found or target is None:
        return [Outbound("That person isn't registered as a peer coach here.",
                         tone=Tone.ERROR)]
    ended = await end_coaching(coach, target.id, [guild_id], COACH_LEFT)
    await coach.db.execute("DELETE FROM peer_coaches WHERE guild_id = ? AND member_id = ?",
                           (guild_id, target.id))
    log.info("peer coach removed by moderator guild=%s member=%s by=%s", guild_id, target.id,
             ctx.member.id)
    groups_of(coach).tell_later(target, [Outbound(
        "A moderator of your server has ended your registration as a peer coach there. Thank "
        "you for the time you gave; if you have questions, please ask the moderators.")])
    return [Outbound(f"Removed {target.display_name}'s peer coach registration. They were "
                     f"told kindly" + (f", and {ended} member(s) they coached too" if ended
                                       else "") + ".")]
