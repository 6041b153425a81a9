"""The `/group`, `/partner` and `/peer` commands, the scheduled work and the data rights.

Discord only (the terminal has no channels), except `/peer`, which also works in direct
messages and the terminal chat (the terminal is one local community).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.commands import DM, EVERYWHERE, SERVER, SERVER_ONLY, FormField, Param
from bot.groups import channels, departures, partners, peers
from bot.groups.core import Groups
from bot.groups.due import run_due
from bot.groups.prompts import load_prompts
from bot.privacy.erase import privacy_of

if TYPE_CHECKING:
    from bot.app import Coach
    from bot.nudges.queue import DeliveryQueue

SERVER_OR_DM = frozenset({SERVER, DM})
ON_OFF = ("on", "off")
YES_NO = ("yes", "no")


def register(coach: Coach) -> None:
    groups = Groups(coach, load_prompts())
    coach.groups = groups  # type: ignore[attr-defined]
    add = coach.registry.command
    channel = Param("channel", "The accountability channel", kind="channel", required=False)
    group = Param("group", "The group's number (see /group list)", kind="integer",
                  required=False, min_value=1)
    schedule = (Param("cadence", "weekly:mon, days:mon,thu, weekdays or daily",
                      required=False),
                Param("time", "Local time of the prompt, like 09:00", required=False),
                Param("timezone", "The channel's timezone, like Europe/Paris", kind="timezone",
                      required=False),
                Param("prompt", "Which prompt wording: " + ", ".join(groups.wording.keys()),
                      required=False),
                Param("summary", "Post a weekly summary", kind="choice", choices=ON_OFF,
                      required=False),
                Param("read_messages", "Crisis check on ordinary messages (message content "
                      "intent)", kind="choice", choices=ON_OFF, required=False))
    add("group", "setup", summary="Moderators: make a channel an accountability channel",
        params=(Param("channel", "The channel to use (this one if left out)", kind="channel",
                      required=False), *schedule),
        where=SERVER_ONLY, moderator=True)(channels.group_setup)
    add("group", "settings", summary="Moderators: see or change an accountability channel",
        params=(channel, *schedule), where=SERVER_ONLY, moderator=True)(channels.group_settings)
    add("group", "remove", summary="Moderators: stop a channel's accountability check-ins",
        params=(Param("channel", "The channel (this one if left out)", kind="channel",
                      required=False),), where=SERVER_ONLY,
        moderator=True, confirm="This ends the accountability check-ins in that channel and "
        "deletes the check-ins kept for it. Members are told kindly.")(channels.group_remove)
    add("group", "join", summary="Join this channel's accountability group",
        params=(Param("listed", "Name me in the weekly summary", kind="choice",
                      choices=YES_NO, required=False),
                Param("reminders", "One gentle DM if I haven't checked in by Friday",
                      kind="choice", choices=YES_NO, required=False)),
        where=SERVER_ONLY)(channels.group_join)
    add("group", "leave", summary="Leave an accountability group", params=(group,),
        where=SERVER_OR_DM)(channels.group_leave)
    add("group", "skip", summary="Take a week (or a few) off reminders",
        params=(group, Param("weeks", "How many weeks, starting this one", kind="integer",
                             required=False, min_value=1, max_value=8)),
        where=SERVER_OR_DM)(channels.group_skip)
    add("group", "list", summary="See the accountability groups", where=SERVER_OR_DM
        )(channels.group_list)
    add("group", "checkin", summary="Check in with your group (private unless you post it)",
        params=(group,), form=(FormField("update", "Your check-in", long=True, max_length=1500,
                                         placeholder="How did it go? What's next?"),),
        where=SERVER_OR_DM)(channels.group_checkin)
    add("group", "share", summary="Post a check-in in the channel, or keep it private",
        params=(Param("checkin", "The check-in's number", kind="integer"),
                Param("choice", "post or keep", kind="choice", choices=("post", "keep"))),
        where=SERVER_OR_DM)(channels.group_share)
    add("group", "goal", summary="Share a goal with a group, to celebrate it when it's done",
        params=(Param("goal", "The goal's number", kind="goal"),
                Param("share", "yes to share, no to take it back", kind="choice",
                      choices=YES_NO, required=False), group),
        where=SERVER_OR_DM)(channels.group_goal)

    add("partner", "join", summary="Find an accountability partner",
        params=(Param("focus", "What you're working on, like health or study"),
                Param("timezone", "Your timezone, like Europe/Paris", kind="timezone",
                      required=False)), where=SERVER_ONLY)(partners.partner_join)
    add("partner", "leave", summary="Stop partnering (your partner is told kindly)",
        where=SERVER_OR_DM)(partners.partner_leave)
    add("partner", "new", summary="Ask for a different accountability partner",
        where=SERVER_ONLY)(partners.partner_new)
    add("partner", "answer", summary="Answer a partner suggestion (its buttons do this)",
        params=(Param("pair", "The suggestion's number", kind="integer"),
                Param("answer", "accept or decline", kind="choice",
                      choices=("accept", "decline"))), where=SERVER_OR_DM
        )(partners.partner_answer)
    add("partner", "nudge", summary="Send your partner a friendly nudge",
        where=SERVER_OR_DM)(partners.partner_nudge)
    add("partner", "block", summary="End the partnership for good, and report if you wish",
        params=(Param("report", "Also tell the moderators (ids only)", kind="choice",
                      choices=YES_NO, required=False),), where=SERVER_OR_DM
        )(partners.partner_block)

    adult = Param("adult", "I confirm I am 18 or older", kind="choice", choices=("yes",))
    match = Param("match", "The peer coaching's number", kind="integer")
    add("peer", "register", summary="Offer to coach peers in your focus areas",
        params=(adult, Param("focus", "Your focus areas"),
                Param("lived_experience", "Optional: your lived experience, in your words",
                      required=False)), where=EVERYWHERE)(peers.peer_register)
    add("peer", "pause", summary="Pause or resume being suggested as a peer coach",
        where=EVERYWHERE)(peers.peer_pause)
    add("peer", "remove", summary="Stop being a peer coach", where=EVERYWHERE
        )(peers.peer_remove)
    add("peer", "request", summary="Ask for a peer coach (nothing is shared until you agree)",
        params=(adult,),
        form=(FormField("topic", "What would you like help with?", long=True,
                        max_length=1000),
              FormField("share", "What may I share with the coach you pick?", required=False,
                        long=True, max_length=1000)), where=EVERYWHERE)(peers.peer_request)
    add("peer", "choose", summary="Pick a suggested peer coach (its buttons do this)",
        params=(Param("request", "Your request's number", kind="integer"),
                Param("coach", "The coach's number", kind="integer")), where=EVERYWHERE
        )(peers.peer_choose)
    add("peer", "answer", summary="Answer a peer coaching request (its buttons do this)",
        params=(Param("match", "The request's number", kind="integer"),
                Param("answer", "accept or decline", kind="choice",
                      choices=("accept", "decline"))), where=EVERYWHERE)(peers.peer_answer)
    add("peer", "end", summary="End a peer coaching", params=(match,), where=EVERYWHERE
        )(peers.peer_end)
    add("peer", "block", summary="End a peer coaching for good, and report if you wish",
        params=(match, Param("report", "Also tell the moderators (ids only)", kind="choice",
                             choices=YES_NO, required=False)), where=EVERYWHERE
        )(peers.peer_block)
    add("peer", "list", summary="Moderators: the peer coaches in this server",
        where=SERVER_ONLY, moderator=True)(peers.peer_list)
    add("peer", "remove-member", summary="Moderators: remove someone's peer coach registration",
        params=(Param("user", "The peer coach", kind="user", required=False),),
        where=SERVER_ONLY,
        moderator=True)(peers.peer_remove_member)

    async def due(now: datetime, queue: DeliveryQueue) -> int:
        return await run_due(coach, now, queue)
    nudger = getattr(coach, "nudger", None)
    if nudger is not None:
        nudger.due_work.append(due)

    rights = coach.datarights
    rights.register("groups", stores=departures.GROUPS_STORES,
                    export=departures.export_groups, delete=departures.delete_groups)
    rights.register("partners", stores=departures.PARTNERS_STORES,
                    export=departures.export_partners, delete=departures.delete_partners)
    rights.register("peers", stores=departures.PEERS_STORES,
                    export=departures.export_peers, delete=departures.delete_peers)
    privacy_of(coach).post_finders.append(departures.find_posts)
