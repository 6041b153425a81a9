"""When a member leaves a server, or the bot leaves it: their group memberships, pairings and
peer-coach registrations there end, and the people on the other side are told kindly.

Also the data rights of the groups feature: export and delete everything it stores for a
member, and the posts it made for them in channels (found here, removed by the transport).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bot.datarights import rows
from bot.groups.core import groups_of
from bot.groups.partners import end_pair
from bot.groups.peers import end_coaching
from bot.messages import Outbound
from bot.privacy.erase import PostRef

if TYPE_CHECKING:
    import aiosqlite

    from bot.app import Coach
    from bot.storage import Database

log = logging.getLogger(__name__)

PARTNER_LEFT = ("Your accountability partner is no longer in your server, so your "
                "partnership there has ended. Thank you for showing up for each other. "
                "/partner new looks for someone else whenever you like.")
COACH_LEFT = ("Your peer coach is no longer in your server, so your peer coaching there has "
              "ended. Thank you for reaching out; /peer request finds another coach whenever "
              "you like.")
MEMBER_LEFT = ("The member you were peer coaching is no longer in your server, so that "
               "coaching has ended. Thank you for the time you gave.")
BOT_LEFT = ("I'm no longer in one of your servers, so what we had set up there has ended: "
            "{what}. Thank you for taking part. Everything else you keep with me is "
            "unchanged.")


async def member_left(coach: Coach, platform: str, guild_id: str, external_id: str) -> None:
    member = await coach.members.find(platform, external_id)
    if member is None:
        return
    db = coach.db
    groups = await groups_of(coach).groups_of_guild(platform, guild_id)
    ids = [g.id for g in groups]
    async with db.transaction() as conn:
        if ids:
            marks = ",".join("?" * len(ids))
            await conn.execute(f"DELETE FROM group_members WHERE member_id = ? AND"  # noqa: S608
                               f" group_id IN ({marks})", (member.id, *ids))
        await conn.execute("DELETE FROM partner_pool WHERE guild_id = ? AND member_id = ?",
                           (guild_id, member.id))
        await conn.execute("DELETE FROM peer_coaches WHERE guild_id = ? AND member_id = ?",
                           (guild_id, member.id))
    for pair in await db.fetchall(
            "SELECT * FROM partner_pairs WHERE guild_id = ? AND (a_id = ? OR b_id = ?) AND"
            " status IN ('proposed', 'active')", (guild_id, member.id, member.id)):
        await end_pair(coach, pair, member.id, PARTNER_LEFT)
    await end_coaching(coach, member.id, [guild_id], COACH_LEFT)
    for match in await db.fetchall(
            "SELECT m.id, m.coach_id FROM peer_matches m JOIN peer_requests r ON"
            " r.id = m.request_id WHERE r.member_id = ? AND r.guild_id = ? AND m.status IN"
            " ('offered', 'active')", (member.id, guild_id)):
        await _end_match(coach, match, match["coach_id"], MEMBER_LEFT)
    await db.execute("UPDATE peer_requests SET status = 'closed' WHERE member_id = ? AND"
                     " guild_id = ? AND status = 'open'", (member.id, guild_id))
    log.info("member left a server: group ties ended member=%s guild=%s", member.id, guild_id)


async def _end_match(coach: Coach, match: Any, tell_id: int, note: str) -> None:
    from bot.clock import iso
    await coach.db.execute("UPDATE peer_matches SET status = 'ended', updated_at = ? WHERE"
                           " id = ?", (iso(coach.clock.now()), match["id"]))
    other = await coach.members.get(tell_id)
    if other is not None:
        groups_of(coach).tell_later(other, [Outbound(note)])


async def guild_left(coach: Coach, platform: str, guild_id: str) -> None:
    """The bot left (or was removed from) a server: everything there ends."""
    db = coach.db
    told: dict[int, set[str]] = {}

    def note(member_id: int, what: str) -> None:
        told.setdefault(member_id, set()).add(what)

    for row in await db.fetchall(
            "SELECT gm.member_id FROM group_members gm JOIN group_channels g ON"
            " g.id = gm.group_id WHERE g.platform = ? AND g.guild_id = ?", (platform, guild_id)):
        note(row["member_id"], "your accountability group")
    for pair in await db.fetchall("SELECT * FROM partner_pairs WHERE guild_id = ? AND status IN"
                                  " ('proposed', 'active')", (guild_id,)):
        note(pair["a_id"], "your accountability partnership")
        note(pair["b_id"], "your accountability partnership")
    for match in await db.fetchall(
            "SELECT m.coach_id, r.member_id FROM peer_matches m JOIN peer_requests r ON"
            " r.id = m.request_id WHERE r.guild_id = ? AND m.status IN ('offered', 'active')",
            (guild_id,)):
        note(match["coach_id"], "your peer coaching")
        note(match["member_id"], "your peer coaching")
    async with db.transaction() as conn:
        await conn.execute("DELETE FROM group_channels WHERE platform = ? AND guild_id = ?",
                           (platform, guild_id))
        await conn.execute("UPDATE partner_pairs SET status = 'ended' WHERE guild_id = ? AND"
                           " status IN ('proposed', 'active')", (guild_id,))
        await conn.execute("DELETE FROM partner_pool WHERE guild_id = ?", (guild_id,))
        await conn.execute("UPDATE peer_matches SET status = 'ended' WHERE status IN"
                           " ('offered', 'active') AND request_id IN (SELECT id FROM"
                           " peer_requests WHERE guild_id = ?)", (guild_id,))
        await conn.execute("UPDATE peer_requests SET status = 'closed' WHERE guild_id = ? AND"
                           " status = 'open'", (guild_id,))
        await conn.execute("DELETE FROM peer_coaches WHERE guild_id = ?", (guild_id,))
    groups = groups_of(coach)
    for member_id, what in told.items():
        member = await coach.members.get(member_id)
        if member is not None:
            words = " and ".join(sorted(what))
            groups.tell_later(member, [Outbound(BOT_LEFT.format(what=words))])
    log.info("left a server: group ties ended guild=%s told=%s", guild_id, len(told))


# -- data rights -------------------------------------------------------------------------------

GROUPS_STORES = ("the accountability channels you joined and your choices there (named in "
                 "summaries, reminders, weeks off), your group check-ins and whether you "
                 "posted them, the goals you shared with a group, and the ids of the posts I "
                 "made for you")
PARTNERS_STORES = ("your accountability partner settings (timezone, focus), your "
                   "partnerships and the members you blocked")
PEERS_STORES = ("your peer coach registration (focus, lived experience in your words, when "
                "you confirmed you are an adult), your requests for a peer coach (what you "
                "wanted help with and what you chose to share) and your matches")


async def export_groups(db: Database, member_id: int) -> Any:
    return {
        "memberships": rows(await db.fetchall(
            "SELECT g.guild_id, g.channel_id, g.name, gm.listed, gm.reminders, gm.skip_until,"
            " gm.joined_at FROM group_members gm JOIN group_channels g ON g.id = gm.group_id"
            " WHERE gm.member_id = ?", (member_id,))),
        "checkins": rows(await db.fetchall(
            "SELECT c.at, c.week, c.text, c.shared, c.source, g.name AS channel FROM"
            " group_checkins c JOIN group_channels g ON g.id = c.group_id WHERE c.member_id = ?"
            " ORDER BY c.at", (member_id,))),
        "shared_goals": rows(await db.fetchall(
            "SELECT g.number AS goal, s.shared_at FROM group_shared_goals s JOIN goals g ON"
            " g.id = s.goal_id WHERE s.member_id = ?", (member_id,))),
        "posts": rows(await db.fetchall(
            "SELECT kind, platform, channel_id, message_id, at FROM group_posts WHERE"
            " member_id = ? ORDER BY at", (member_id,))),
    }


async def delete_groups(conn: aiosqlite.Connection, member_id: int) -> None:
    for table in ("group_posts", "group_shared_goals", "group_checkins", "group_members"):
        await conn.execute(f"DELETE FROM {table} WHERE member_id = ?", (member_id,))  # noqa: S608


async def export_partners(db: Database, member_id: int) -> Any:
    return {
        "looking": rows(await db.fetchall("SELECT guild_id, timezone, focus, joined_at FROM"
                                          " partner_pool WHERE member_id = ?", (member_id,))),
        "pairs": rows(await db.fetchall(
            "SELECT guild_id, status, created_at, updated_at FROM partner_pairs WHERE"
            " a_id = ? OR b_id = ? ORDER BY id", (member_id, member_id))),
        "blocked": len(await db.fetchall("SELECT 1 FROM member_blocks WHERE blocker_id = ?",
                                         (member_id,))),
    }


async def delete_partners(conn: aiosqlite.Connection, member_id: int) -> None:
    await conn.execute("DELETE FROM partner_pool WHERE member_id = ?", (member_id,))
    await conn.execute("DELETE FROM partner_pairs WHERE a_id = ? OR b_id = ?",
                       (member_id, member_id))
    await conn.execute("DELETE FROM member_blocks WHERE blocker_id = ? OR blocked_id = ?",
                       (member_id, member_id))


async def export_peers(db: Database, member_id: int) -> Any:
    return {
        "registrations": rows(await db.fetchall(
            "SELECT guild_id, focus, lived_experience, status, adult_confirmed_at,"
            " registered_at FROM peer_coaches WHERE member_id = ?", (member_id,))),
        "requests": rows(await db.fetchall(
            "SELECT guild_id, topic, shared, status, adult_confirmed_at, created_at FROM"
            " peer_requests WHERE member_id = ? ORDER BY id", (member_id,))),
        "coaching": rows(await db.fetchall(
            "SELECT status, created_at, updated_at FROM peer_matches WHERE coach_id = ?",
            (member_id,))),
    }


async def delete_peers(conn: aiosqlite.Connection, member_id: int) -> None:
    await conn.execute("DELETE FROM peer_matches WHERE coach_id = ? OR request_id IN (SELECT"
                       " id FROM peer_requests WHERE member_id = ?)", (member_id, member_id))
    await conn.execute("DELETE FROM peer_requests WHERE member_id = ?", (member_id,))
    await conn.execute("DELETE FROM peer_coaches WHERE member_id = ?", (member_id,))


async def find_posts(db: Database, member_id: int) -> list[PostRef]:
    return [PostRef(r["platform"], r["channel_id"], r["message_id"]) for r in await db.fetchall(
        "SELECT platform, channel_id, message_id FROM group_posts WHERE member_id = ?",
        (member_id,))]
