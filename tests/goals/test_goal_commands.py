"""Goal commands through the router, typed as in the terminal, with a real SQLite file."""

from __future__ import annotations

from datetime import timedelta

from bot.app import Coach
from bot.clock import FakeClock
from bot.goals import store
from bot.messages import CommandCall, Inbound, Tone
from tests.nudges.fakes import Chat


async def add_goal(chat: Chat, what: str = "Walk every morning", *, why: str = "energy",
                   measure: str = "", plan: str = "If it is 7am, then I will put my shoes on",
                   due: str = "") -> str:
    await chat("/goal add")
    await chat(what)
    await chat(why)
    await chat(measure)
    await chat(plan)
    return await chat(due)


async def test_add_asks_field_by_field_then_the_life_area(coach: Coach) -> None:
    chat = Chat(coach)
    first = await chat("/goal add")
    assert "What is your goal?" in first
    assert "optional" in await chat("Run a 5k in spring")
    await chat("I want to feel strong")
    await chat("")  # skip the measure
    await chat("If it is Saturday morning, then I will run 3 km")
    reply = await chat("2026-04-30")
    assert "Saved as goal 1: Run a 5k in spring" in reply
    assert "If it is Saturday morning, then I will run 3 km" in reply
    area = chat.last[-1]
    assert area.tone is Tone.ASK and area.command is not None
    assert area.command.path == ("goal", "area") and dict(area.command.args) == {"goal": "1"}
    assert "health" in [c.value for c in area.choices]
    assert "health" in (await chat("health")).lower()
    member = await chat.member()
    goal = await store.get_goal(coach.db, member.id, 1)
    assert goal is not None
    assert (goal.what, goal.why, goal.measure, goal.due_date, goal.area, goal.status) == (
        "Run a 5k in spring", "I want to feel strong", None, "2026-04-30", "health", "active")


async def test_area_select_answers_through_a_command_call(coach: Coach) -> None:
    chat = Chat(coach, "dee", "Dee")
    await add_goal(chat)
    ref = chat.last[-1].command
    assert ref is not None
    call = CommandCall(ref.path, {**dict(ref.args), ref.param: "career"})
    reply = await coach.handle(Inbound(chat.speaker, command=call, private=True))
    assert "career" in reply[-1].text
    goal = await store.get_goal(coach.db, (await chat.member()).id, 1)
    assert goal is not None and goal.area == "career"


async def test_a_bad_due_date_is_explained_and_the_goal_is_kept(coach: Coach) -> None:
    chat = Chat(coach)
    reply = await add_goal(chat, due="next friday")
    assert "Saved as goal 1" in reply
    assert "couldn't read" in reply and "YYYY" not in reply and "2026-03-31" in reply
    past = await add_goal(chat, "Second", due="2020-01-01")
    assert "already passed" in past
    goals = await store.list_goals(coach.db, (await chat.member()).id)
    assert [g.due_date for g in goals] == [None, None]


async def test_numbers_are_per_member_and_a_wrong_number_lists_goals(coach: Coach) -> None:
    ana, ben = Chat(coach, "ana", "Ana"), Chat(coach, "ben", "Ben")
    await add_goal(ana, "Ana's goal")
    await ana("skip")
    await add_goal(ben, "Ben's first")
    await ben("skip")
    await add_goal(ben, "Ben's second")
    assert "Saved as goal 2: Ben's second" in ben.last[0].text
    wrong = await ana("/goal show 7")
    assert "couldn't find goal 7" in wrong and "1. Ana's goal" in wrong
    assert "Ben" not in wrong


async def test_checkin_then_what_helped_and_show(coach: Coach, clock: FakeClock) -> None:
    chat = Chat(coach)
    await add_goal(chat)
    await chat("skip")
    reply = await chat("/goal checkin 1 7 felt good")
    assert "goal 1 at 7 out of 10" in reply and "What helped" in reply
    assert "saved what helped" in await chat("walking with a friend")
    clock.advance(days=7)
    await chat("/goal checkin 1 8")
    await chat("skip")
    shown = await chat("/goal show 1")
    assert "7/10: felt good" in shown and "What helped: walking with a friend" in shown
    assert "up from 7 to 8 over one week" not in shown  # a week is "seven days"
    assert "up from 7 to 8 over seven days" in shown
    bad = await chat("/goal checkin 1 11")
    assert "at most 10" in bad


async def test_status_changes_are_kept_in_history(coach: Coach, clock: FakeClock) -> None:
    chat = Chat(coach)
    await add_goal(chat)
    await chat("skip")
    assert "paused" in await chat("/goal pause 1")
    clock.advance(days=1)
    assert "active again" in await chat("/goal resume 1")
    assert "dropped" in await chat("/goal drop 1")
    assert "active again" in await chat("/goal resume 1")
    done = await chat("/goal done 1")
    assert "Well done" in done and "What did you learn" in done
    assert "Saved with the goal" in await chat("Small steps work for me")
    listed = await chat("/goal list")
    assert "Done:" in listed and "1. Walk every morning" in listed
    history = await store.history(coach.db, (await store.list_goals(
        coach.db, (await chat.member()).id))[0].id)
    kinds = [(h["kind"], h["detail"].get("status", [None, None])[1]) for h in history]
    assert kinds == [("created", None), ("status", "paused"), ("status", "active"),
                     ("status", "dropped"), ("status", "active"), ("status", "done"),
                     ("learned", None)]
    assert "what you learned: Small steps work for me" in await chat("/goal show 1")


async def test_edit_keeps_empty_fields_and_clears_with_a_dash(coach: Coach) -> None:
    chat = Chat(coach)
    await add_goal(chat, why="old why", measure="old measure")
    await chat("skip")
    await chat("/goal edit 1")
    await chat("")  # keep what
    await chat("-")  # clear why
    await chat("new measure")
    await chat("")  # keep plan
    reply = await chat("2027-01-31")
    assert "Saved." in reply and "new measure" in reply and "old why" not in reply
    goal = (await store.list_goals(coach.db, (await chat.member()).id))[0]
    assert (goal.what, goal.why, goal.measure, goal.due_date) == (
        "Walk every morning", None, "new measure", "2027-01-31")
    edits = [h for h in await store.history(coach.db, goal.id) if h["kind"] == "edited"]
    assert edits[0]["detail"]["measure"] == ["old measure", "new measure"]


async def test_delete_asks_first(coach: Coach) -> None:
    chat = Chat(coach)
    await add_goal(chat)
    await chat("skip")
    await chat("/goal checkin 1 5")
    await chat("skip")
    assert "Type yes to confirm" in await chat("/goal delete 1")
    assert "Cancelled" in await chat("no")
    assert len(await store.list_goals(coach.db, (await chat.member()).id)) == 1
    await chat("/goal delete 1")
    assert "deleted" in await chat("yes")
    member = await chat.member()
    assert await store.list_goals(coach.db, member.id) == []
    assert await coach.db.fetchval("SELECT COUNT(*) FROM checkins WHERE member_id = ?",
                                   (member.id,)) == 0


async def test_member_text_is_stored_and_shown_literally(coach: Coach) -> None:
    chat = Chat(coach)
    tricky = ["Robert'); DROP TABLE goals;--", "{0.__class__} {goal} %s", "🏃 run 💪",
              "أريد أن أركض كل يوم", "x" * 300]
    for i, what in enumerate(tricky, 1):
        await add_goal(chat, what, why="{name}" + "w" * 900)
        await chat("skip")
        goal = await store.get_goal(coach.db, (await chat.member()).id, i)
        assert goal is not None and goal.what == what
    listed = await chat("/goal list")
    assert "Robert'); DROP TABLE goals;--" in listed and "{0.__class__} {goal} %s" in listed
    assert "🏃 run 💪" in listed and "أريد أن أركض كل يوم" in listed
    long_note = "n" * 3900
    await chat(f"/goal checkin 2 6 {long_note}")
    await chat("{0.__class__}")
    shown = await chat("/goal show 2")
    assert long_note in shown and "What helped: {0.__class__}" in shown


async def test_a_conversations_goal_step_makes_a_numbered_goal(coach: Coach,
                                                               clock: FakeClock) -> None:
    chat = Chat(coach)
    await add_goal(chat, "A goal before the talk")
    await chat("skip")
    await chat("/coach start woop")
    member = await chat.member()
    for _ in range(30):
        if len(await store.list_goals(coach.db, member.id)) == 2:
            break
        question = chat.last[-1].question
        kind = question.kind if question is not None else "text"
        await chat({"yes_no": "yes", "reflect": "yes", "scale": "8"}.get(kind,
                                                                         "Read more books"))
    goals = await store.list_goals(coach.db, (await chat.member()).id)
    assert len(goals) == 2 and goals[1].number == 2
    assert goals[1].plan is not None and goals[1].plan.startswith("If ")
    history = await store.history(coach.db, goals[1].id)
    assert history[0]["detail"] == {"from": "conversation"}
    clock.advance(timedelta(minutes=1))
    assert "2. " in await chat("/goal list")
