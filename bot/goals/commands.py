"""Goal commands, the same words in the terminal and on Discord: /goal add, list, show, ...

Members see their goals by small numbers (1, 2, 3 ...), never database ids. Everything a
member types is stored and shown as they wrote it (parameterised SQL, no templates).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.clock import parse_iso
from bot.commands import CommandContext, FormField, Param
from bot.flows.answers import visible
from bot.goals import store
from bot.goals.progress import parse_times, streak_words, trend_words, weekly_streak
from bot.goals.store import LIFE_AREAS, Goal, create_goal
from bot.messages import Choice, CommandRef, Image, Outbound, Tone

if TYPE_CHECKING:
    from bot.app import Coach
    from bot.members import Member

log = logging.getLogger(__name__)

AREA_LABELS = {"relationships": "Relationships", "spirituality": "Spirituality",
               "health": "Health", "career": "Career", "finances": "Money and finances",
               "fun": "Fun and rest", "growth": "Personal growth",
               "environment": "Surroundings"}
SKIP_WORDS = frozenset({"", "skip", "none", "no", "-", "pass", "nothing", "n/a"})
CLEAR = "-"  # typed in an edit form to empty an optional field
SHORT = 80  # goal text in lists is cut to this many characters

GOAL_FORM = (
    FormField("what", "What is your goal?", max_length=300,
              placeholder="Walk 20 minutes a day"),
    FormField("why", "Why does it matter to you?", required=False, long=True,
              placeholder="I want more energy for my kids"),
    FormField("measure", "How will you know you got there?", required=False, long=True,
              placeholder="I walk at least 5 days a week for a month"),
    FormField("plan", "If ..., then I will ...", required=False, long=True,
              placeholder="If it is 7am on a weekday, then I will put my shoes on"),
    FormField("due", "Due date (YYYY-MM-DD, optional)", required=False, max_length=40,
              placeholder="2026-03-31"),
)
EDIT_FORM = tuple(
    FormField(f.name, label, required=False, long=f.long, max_length=f.max_length,
              placeholder=f.placeholder)
    for f, label in zip(GOAL_FORM, (
        "Goal (Enter keeps it)", "Why it matters (Enter keeps, - clears)",
        "How you'll know (Enter keeps, - clears)", "If ..., then I will ... (- clears)",
        "Due date YYYY-MM-DD (- clears)"), strict=True))

GOAL_PARAM = Param("goal", "The goal's number (see /goal list)", kind="goal", min_value=1)


# -- helpers ----------------------------------------------------------------------------------

def short(text: str | None, limit: int = SHORT) -> str:
    text = (text or "").replace("\n", " ").strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def label(goal: Goal) -> str:
    return f"{goal.number}. {short(goal.what)}"


def member_zone(member: Member) -> ZoneInfo:
    try:
        return ZoneInfo(member.timezone) if member.timezone else ZoneInfo("UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def local_day(member: Member, when: datetime) -> str:
    local = when.astimezone(member_zone(member))
    return f"{local:%a} {local.day} {local:%b %Y}"


def parse_due(text: str, today: date) -> tuple[str | None, str | None]:
    """(date, problem): a kind problem when the text is not a future YYYY-MM-DD date."""
    text = text.strip()
    if not text:
        return None, None
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if match:
        try:
            due = date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return None, f"\"{short(text, 20)}\" is not a date in the calendar"
        if due < today:
            return None, f"{due.isoformat()} has already passed"
        return due.isoformat(), None
    return None, f"I couldn't read \"{short(text, 20)}\" as a date"


def parse_area(text: str) -> str | None:
    """An area from its name, its label or its number in the list; None if not one."""
    word = visible(text).casefold().strip().rstrip(".")
    if word.isdigit() and 1 <= int(word) <= len(LIFE_AREAS):
        return LIFE_AREAS[int(word) - 1]
    for key, name in AREA_LABELS.items():
        if word in (key, name.casefold()) or word == key.replace("_", " "):
            return key
    aliases = {"money": "finances", "personal growth": "growth", "rest": "fun",
               "work": "career", "family": "relationships", "friends": "relationships",
               "home": "environment", "meaning": "spirituality", "fitness": "health"}
    return aliases.get(word)


async def find_goal(ctx: CommandContext) -> Goal | list[Outbound]:
    """The goal the member named, or a kind message listing their goals."""
    raw = ctx.args.get("goal")
    try:
        number = int(str(raw).lstrip("#"))
    except ValueError:
        number = 0
    goal = await store.get_goal(ctx.coach.db, ctx.member.id, number) if number > 0 else None
    if goal is not None:
        return goal
    goals = await store.list_goals(ctx.coach.db, ctx.member.id)
    if not goals:
        return [Outbound("You don't have any goals yet. Add one with /goal add.",
                         tone=Tone.ERROR)]
    lines = [f"I couldn't find goal {short(str(raw), 12)}. Your goals are:"]
    lines += [f"- {label(g)} ({g.status})" for g in goals]
    return [Outbound("\n".join(lines), tone=Tone.ERROR)]


def area_question(goal: Goal) -> Outbound:
    options = "; ".join(f"{i}. {AREA_LABELS[a]}" for i, a in enumerate(LIFE_AREAS, 1))
    return Outbound(
        f"Which part of life is goal {goal.number} about? {options}. Type its name or number, "
        f"or skip. You can also set it later with /goal area {goal.number} health.",
        tone=Tone.ASK,
        choices=(*[Choice(a, AREA_LABELS[a]) for a in LIFE_AREAS], Choice("skip", "Skip")),
        command=CommandRef(("goal", "area"), (("goal", str(goal.number)),), "area"))


def describe(goal: Goal) -> list[str]:
    lines = [f"Goal {goal.number}: {goal.what}", f"Status: {goal.status}"]
    if goal.why:
        lines.append(f"Why it matters: {goal.why}")
    if goal.measure:
        lines.append(f"How you'll know: {goal.measure}")
    if goal.plan:
        lines.append(f"Your plan: {goal.plan}")
    if goal.due_date:
        lines.append(f"Due: {goal.due_date}")
    if goal.area:
        lines.append(f"Life area: {AREA_LABELS.get(goal.area, goal.area)}")
    return lines


# -- commands ---------------------------------------------------------------------------------

async def goal_add(ctx: CommandContext) -> list[Outbound]:
    coach, member, form = ctx.coach, ctx.member, ctx.form
    now = coach.clock.now()
    what = visible(form.get("what", ""))
    if not what:
        return [Outbound("A goal needs a few words saying what it is. Try /goal add again.",
                         tone=Tone.ERROR)]
    due, problem = parse_due(form.get("due", ""), now.astimezone(member_zone(member)).date())
    fields = {"what": what, "why": visible(form.get("why", "")) or None,
              "measure": visible(form.get("measure", "")) or None,
              "plan": visible(form.get("plan", "")) or None, "due": due}
    async with coach.db.transaction() as conn:
        number = await create_goal(conn, member.id, fields, now)
    goal = await store.get_goal(coach.db, member.id, number)
    assert goal is not None
    log.info("goal added member=%s goal=%s", member.id, number)
    text = f"Saved as goal {number}: {goal.what}"
    if goal.plan:
        text += f"\nYour plan: {goal.plan}. Saying it to yourself once or twice helps it stick."
    else:
        text += ("\nTip: a plan in the form \"If ..., then I will ...\" makes action more "
                 f"likely. Add one with /goal edit {number}.")
    if problem:
        text += (f"\nAbout the due date: {problem}, so I saved the goal without one. Add a date "
                 f"like 2026-03-31 with /goal edit {number}.")
    out = [Outbound(text)]
    out.append(area_question(goal))
    expect_area(coach, member, goal.number)
    return out


def expect_area(coach: Coach, member: Member, number: int) -> None:
    async def answer(member: Member, text: str) -> list[Outbound] | None:
        word = visible(text).casefold()
        if word in SKIP_WORDS:
            return [Outbound(f"Okay, no life area for goal {number}. Check in any time with "
                             f"/goal checkin {number} followed by a number from 0 to 10.")]
        area = parse_area(text)
        if area is None:
            return None  # not an answer: handled as a normal message
        return await set_area(coach, member, number, area)
    assert coach.router is not None
    coach.router.expect(member.id, answer)


async def set_area(coach: Coach, member: Member, number: int, area: str | None
                   ) -> list[Outbound]:
    goal = await store.get_goal(coach.db, member.id, number)
    if goal is None:
        return [Outbound(f"I couldn't find goal {number}. Type /goal list to see your goals.",
                         tone=Tone.ERROR)]
    await store.update_goal(coach.db, goal, {"area": area}, coach.clock.now(), kind="area")
    if area is None:
        return [Outbound(f"Okay, goal {number} has no life area.")]
    return [Outbound(f"Saved: goal {number} is about {AREA_LABELS[area].lower()}. Check in any "
                     f"time with /goal checkin {number} followed by a number from 0 to 10.")]


async def goal_area(ctx: CommandContext) -> list[Outbound]:
    goal = await find_goal(ctx)
    if isinstance(goal, list):
        return goal
    text = str(ctx.args.get("area") or "")
    if visible(text).casefold() in SKIP_WORDS:
        return await set_area(ctx.coach, ctx.member, goal.number, None)
    area = parse_area(text)
    if area is None:
        names = ", ".join(LIFE_AREAS)
        return [Outbound(f"I don't know that life area. Choose one of: {names}.",
                         tone=Tone.ERROR)]
    return await set_area(ctx.coach, ctx.member, goal.number, area)


async def goal_list(ctx: CommandContext) -> list[Outbound]:
    goals = await store.list_goals(ctx.coach.db, ctx.member.id)
    if not goals:
        return [Outbound("You don't have any goals yet. Add one with /goal add, or save one "
                         "at the end of a conversation (/coach list).")]
    lines = ["Your goals:"]
    for status, title in (("active", "Active"), ("paused", "Paused"), ("done", "Done"),
                          ("dropped", "Dropped")):
        group = [g for g in goals if g.status == status]
        if group:
            lines.append(f"{title}:")
            lines += [f"- {label(g)}" + (f" (due {g.due_date})" if g.due_date else "")
                      for g in group]
    lines.append("See one with /goal show 1, or check in with /goal checkin 1 7.")
    return [Outbound("\n".join(lines))]


async def goal_show(ctx: CommandContext) -> list[Outbound]:
    goal = await find_goal(ctx)
    if isinstance(goal, list):
        return goal
    db, member = ctx.coach.db, ctx.member
    lines = describe(goal)
    recent = await store.checkins(db, goal.id, limit=5)
    if recent:
        lines.append("Recent check-ins:")
        for c in recent:
            extra = f": {c.note}" if c.note else ""
            lines.append(f"- {local_day(member, parse_iso(c.at))}: {c.progress}/10{extra}")
            if c.helped:
                lines.append(f"  What helped: {c.helped}")
        lines.append(f"Trend: {trend_words([(parse_iso(c.at), c.progress) for c in recent])}.")
    events = await store.history(db, goal.id)
    if events:
        lines.append("History:")
        for e in events[-8:]:
            lines.append(f"- {local_day(member, parse_iso(e['at']))}: {event_words(e)}")
    return [Outbound("\n".join(lines))]


def event_words(event: dict[str, Any]) -> str:
    kind, detail = event["kind"], event["detail"]
    if kind == "created":
        return "added" + (" in a conversation" if detail.get("from") == "conversation" else "")
    if kind == "status":
        return f"marked {detail.get('status', ['', '?'])[1]}"
    if kind == "learned":
        return f"what you learned: {detail.get('text', '')}"
    if kind == "area":
        return "life area set"
    names = {"what": "goal", "why": "why", "measure": "measure", "plan": "plan",
             "due_date": "due date"}
    return "edited " + ", ".join(names.get(k, k) for k in detail)


async def goal_edit(ctx: CommandContext) -> list[Outbound]:
    goal = await find_goal(ctx)
    if isinstance(goal, list):
        return goal
    coach, member, form = ctx.coach, ctx.member, ctx.form
    changes: dict[str, str | None] = {}
    problem = None
    for name in ("what", "why", "measure", "plan", "due"):
        value = visible(form.get(name, ""))
        if not value:
            continue
        column = "due_date" if name == "due" else name
        if value == CLEAR:
            if name != "what":
                changes[column] = None
            continue
        if name == "due":
            today = coach.clock.now().astimezone(member_zone(member)).date()
            due, problem = parse_due(value, today)
            if due:
                changes[column] = due
            continue
        changes[column] = value
    if not changes:
        text = f"Nothing changed in goal {goal.number}."
        if problem:
            text += f" About the due date: {problem}. Use a date like 2026-03-31."
        return [Outbound(text)]
    goal = await store.update_goal(coach.db, goal, changes, coach.clock.now())
    text = "Saved.\n" + "\n".join(describe(goal))
    if problem:
        text += f"\nThe due date stayed as it was: {problem}. Use a date like 2026-03-31."
    return [Outbound(text)]


async def edit_defaults(coach: Coach, member: Member, number: int) -> dict[str, str]:
    """Current values to prefill the edit form where the platform can (a Discord modal)."""
    goal = await store.get_goal(coach.db, member.id, number)
    if goal is None:
        return {}
    return {"what": goal.what, "why": goal.why or "", "measure": goal.measure or "",
            "plan": goal.plan or "", "due": goal.due_date or ""}


async def goal_checkin(ctx: CommandContext) -> list[Outbound]:
    goal = await find_goal(ctx)
    if isinstance(goal, list):
        return goal
    progress = int(ctx.args["progress"])
    note = visible(str(ctx.args.get("note") or "")) or None
    return await record_checkin(ctx.coach, ctx.member, goal, progress, note)


async def record_checkin(coach: Coach, member: Member, goal: Goal, progress: int,
                         note: str | None, *, source: str = "command") -> list[Outbound]:
    if not 0 <= progress <= 10:
        return [Outbound("Progress is a number from 0 to 10.", tone=Tone.ERROR)]
    now = coach.clock.now()
    checkin_id = await store.add_checkin(coach.db, goal, progress, note, now, source=source)
    log.info("checkin member=%s goal=%s", member.id, goal.number)
    streak = weekly_streak(parse_times(await store.checkin_times(coach.db, member.id)), now,
                           member_zone(member))
    text = f"Saved: goal {goal.number} at {progress} out of 10. {streak_words(streak)}"
    if goal.status != "active":
        text += f" (This goal is {goal.status}; /goal resume {goal.number} makes it active.)"

    async def helped(member: Member, answer: str) -> list[Outbound] | None:
        value = visible(answer)
        if value.casefold() in SKIP_WORDS:
            return [Outbound("That's fine. See you at the next check-in.")]
        await store.set_helped(coach.db, member.id, checkin_id, value[:4000])
        return [Outbound("Thank you, I saved what helped. Knowing it makes the next step "
                         "easier.")]
    assert coach.router is not None
    coach.router.expect(member.id, helped)
    return [Outbound(text), Outbound("What helped you get there? (Type skip to leave it.)",
                                     tone=Tone.ASK)]


async def change_status(ctx: CommandContext, status: str, allowed_from: tuple[str, ...]
                        ) -> Goal | list[Outbound]:
    goal = await find_goal(ctx)
    if isinstance(goal, list):
        return goal
    if goal.status == status:
        return [Outbound(f"Goal {goal.number} is already {status}.")]
    if goal.status not in allowed_from:
        return [Outbound(f"Goal {goal.number} is {goal.status}, so it can't be marked "
                         f"{status}. /goal resume {goal.number} makes it active again.",
                         tone=Tone.ERROR)]
    return await store.update_goal(ctx.coach.db, goal, {"status": status},
                                   ctx.coach.clock.now(), kind="status")


async def goal_done(ctx: CommandContext) -> list[Outbound]:
    goal = await change_status(ctx, "done", ("active", "paused"))
    if isinstance(goal, list):
        return goal
    return celebrate(ctx.coach, ctx.member, goal)


def celebrate(coach: Coach, member: Member, goal: Goal) -> list[Outbound]:
    async def learned(member: Member, answer: str) -> list[Outbound] | None:
        value = visible(answer)
        if value.casefold() in SKIP_WORDS:
            return [Outbound("That's fine. Well done again.")]
        await store.add_learned(coach.db, goal, value[:4000], coach.clock.now())
        return [Outbound("Saved with the goal. Thank you for sharing it.")]
    assert coach.router is not None
    coach.router.expect(member.id, learned)
    return [Outbound(f"You did it: goal {goal.number} is done. Well done! Take a moment to "
                     "notice what you achieved."),
            Outbound("What did you learn along the way? (Type skip to leave it.)",
                     tone=Tone.ASK)]


async def goal_pause(ctx: CommandContext) -> list[Outbound]:
    goal = await change_status(ctx, "paused", ("active",))
    if isinstance(goal, list):
        return goal
    return [Outbound(f"Goal {goal.number} is paused. Check-in reminders leave it out until "
                     f"you type /goal resume {goal.number}.")]


async def goal_resume(ctx: CommandContext) -> list[Outbound]:
    goal = await change_status(ctx, "active", ("paused", "dropped", "done"))
    if isinstance(goal, list):
        return goal
    return [Outbound(f"Goal {goal.number} is active again.")]


async def goal_drop(ctx: CommandContext) -> list[Outbound]:
    goal = await change_status(ctx, "dropped", ("active", "paused"))
    if isinstance(goal, list):
        return goal
    return [Outbound(f"Goal {goal.number} is dropped. Letting go of a goal that no longer fits "
                     f"is a choice too. It stays in /goal list; /goal resume {goal.number} "
                     "brings it back.")]


async def goal_delete(ctx: CommandContext) -> list[Outbound]:
    goal = await find_goal(ctx)
    if isinstance(goal, list):
        return goal
    await store.delete_goal(ctx.coach.db, goal)
    log.info("goal deleted member=%s goal=%s", ctx.member.id, goal.number)
    return [Outbound(f"Goal {goal.number} and its check-ins are deleted.")]


async def goal_review(ctx: CommandContext) -> list[Outbound]:
    from bot.goals.chart import WHEEL_AREAS, Series, draw_review
    coach, member = ctx.coach, ctx.member
    now = coach.clock.now()
    goals = await store.list_goals(coach.db, member.id, status="active")
    wheel = await latest_wheel(coach, member.id)
    if not goals and not wheel:
        return [Outbound("You have no active goals to review yet. Add one with /goal add.")]
    lines = ["Your review:"]
    progress_alt = []
    series = []
    for goal in goals:
        recent = await store.checkins(coach.db, goal.id, limit=8)
        points = [(parse_iso(c.at), c.progress) for c in recent]
        trend = trend_words(points)
        lines.append(f"Goal {label(goal)}: {trend}.")
        if recent:
            lines.append("  Recent: " + ", ".join(
                f"{local_day(member, t)} {p}/10" for t, p in points[-4:]))
            series.append(Series(goal.number, points))
            progress_alt.append(f"Goal {goal.number} ({short(goal.what, 40)}): {trend}.")
    streak = weekly_streak(parse_times(await store.checkin_times(coach.db, member.id)), now,
                           member_zone(member))
    lines.append(streak_words(streak))
    alt = []
    if series:
        alt = ["A line chart of progress from 0 to 10 over time.", *progress_alt]
    if wheel:
        scores, when = wheel
        words = ", ".join(f"{name.lower()} {scores[key]}" for key, name in WHEEL_AREAS
                          if key in scores)
        lines.append(f"Your latest Wheel of Life ({local_day(member, when)}): {words}.")
        alt.append(f"A wheel of life areas from {local_day(member, when)}, each out of 10: "
                   f"{words}.")
    out = [Outbound("\n".join(lines))]
    if alt:
        png = await asyncio.to_thread(draw_review, series, wheel[0] if wheel else None)
        alt_text = " ".join(alt)
        if len(alt_text) > 1000:
            alt_text = alt_text[:999] + "…"
        out.append(Outbound("Here is the picture of your review.",
                            image=Image(f"review-{now.strftime('%Y%m%d')}.png", png, alt_text)))
    else:
        out.append(Outbound("Check in with /goal checkin to see a picture of your progress "
                            "here next time."))
    return out


async def latest_wheel(coach: Coach, member_id: int) -> tuple[dict[str, int], datetime] | None:
    """The latest Wheel of Life scores saved by the wheel_of_life conversation."""
    records = await coach.db.fetchall(
        "SELECT answers, updated_at FROM sessions WHERE member_id = ? AND flow_id ="
        " 'wheel_of_life' ORDER BY updated_at DESC, id DESC LIMIT 5", (member_id,))
    for record in records:
        try:
            answers = json.loads(record["answers"])
        except ValueError:
            continue
        scores = {}
        for key in LIFE_AREAS:
            value = answers.get(f"score_{key}") if isinstance(answers, dict) else None
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                scores[key] = int(value)
            elif isinstance(value, str) and value.strip().isdigit():
                scores[key] = int(value.strip())
        if len(scores) >= 3:
            return scores, parse_iso(record["updated_at"])
    return None


# -- registration -----------------------------------------------------------------------------

def register(coach: Coach) -> None:
    add = coach.registry.command
    add("goal", "add", summary="Add a goal with why, a measure and an if-then plan",
        form=GOAL_FORM)(goal_add)
    add("goal", "list", summary="See your goals")(goal_list)
    add("goal", "show", summary="See one goal, its check-ins and history",
        params=(GOAL_PARAM,))(goal_show)
    add("goal", "edit", summary="Change a goal's words, plan or due date",
        params=(GOAL_PARAM,), form=EDIT_FORM)(goal_edit)
    add("goal", "area", summary="Set which part of life a goal is about",
        params=(GOAL_PARAM, Param("area", "A life area, or skip", kind="choice",
                                  choices=(*LIFE_AREAS, "skip"))))(goal_area)
    add("goal", "checkin", summary="Record progress on a goal, from 0 to 10",
        params=(GOAL_PARAM,
                Param("progress", "How far along, from 0 to 10", kind="integer",
                      min_value=0, max_value=10),
                Param("note", "A short note", required=False)))(goal_checkin)
    add("goal", "done", summary="Mark a goal done and celebrate it",
        params=(GOAL_PARAM,))(goal_done)
    add("goal", "pause", summary="Pause a goal (reminders leave it out)",
        params=(GOAL_PARAM,))(goal_pause)
    add("goal", "resume", summary="Make a paused, dropped or done goal active again",
        params=(GOAL_PARAM,))(goal_resume)
    add("goal", "drop", summary="Let go of a goal (it stays in your list)",
        params=(GOAL_PARAM,))(goal_drop)
    add("goal", "delete", summary="Delete a goal and its check-ins for good",
        params=(GOAL_PARAM,),
        confirm="This deletes the goal, its check-ins and its history for good.")(goal_delete)
    add("goal", "review", summary="Your goals' progress in words and a picture")(goal_review)
    from bot.goals.data import register_data
    register_data(coach)
