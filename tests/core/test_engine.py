"""The engine through the router, with real YAML files and a real SQLite file."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

from bot.app import Coach
from bot.clock import FakeClock
from bot.config import Config
from bot.messages import AnswerRef, Speaker
from tests.core.conftest import ENERGY, SAM, Talk


async def test_a_conversation_follows_its_branches_and_reflects_words(energy: Coach) -> None:
    talk = Talk(energy)
    assert "What drained your energy" in await talk.start("energy_audit")
    assert "How much did long meetings drain you" in await talk("long meetings")
    assert "Please answer with a whole number from 1 to 10" in await talk("eleven")
    reply = await talk("8")
    assert "What would help most?" in reply
    assert [c.label for c in talk.last[-1].choices] == ["Plan real rest", "Ask someone for help"]
    assert "Here is what I heard: \"long meetings\". Does that fit?" in await talk("2")
    assert "How would you put it" in await talk("no")
    assert "\"back-to-back meetings\"" in await talk("back-to-back meetings")
    assert "Thanks. You named back-to-back meetings." in await talk("yes")


async def test_low_level_takes_the_other_branch_and_skip_works_where_optional(
        energy: Coach) -> None:
    talk = Talk(energy)
    await talk.start("energy_audit")
    await talk("noise")
    assert "keep an eye on it" in await talk("3")
    assert "Here is what I heard" in await talk("SKIP")


async def test_keywords_back_help_and_unskippable(energy: Coach) -> None:
    talk = Talk(energy)
    await talk.start("energy_audit")
    assert "can't be skipped" in await talk("skip")
    assert "pause (come back later)" in await talk("Help")
    await talk("email")
    assert "What drained your energy" in await talk("back")
    assert "How much did chores drain you" in await talk("chores")


async def test_member_text_is_inserted_literally(energy: Coach) -> None:
    talk = Talk(energy)
    await talk.start("energy_audit")
    reply = await talk("{0.__class__} %s {member} {level}")
    assert "How much did {0.__class__} %s {member} {level} drain you" in reply


async def test_a_restart_resumes_at_the_same_question(config: Config, clock: FakeClock,
                                                      flows_dir: Path) -> None:
    config = replace(config, conversations_dir=str(flows_dir))
    coach = await Coach.open(config, clock=clock, seed=3)
    talk = Talk(coach)
    await talk.start("energy_audit")
    await talk("deadlines")
    await coach.close()

    coach = await Coach.open(config, clock=clock, seed=3)
    try:
        member = await coach.members.ensure(SAM, clock.now())
        assert coach.router is not None
        greeting = "\n".join(m.text for m in await coach.router.greet(member))
        assert "We were in the middle of \"Energy audit\"" in greeting
        assert "How much did deadlines drain you" in greeting
        assert "What would help most?" in await Talk(coach)("9")
    finally:
        await coach.close()


async def test_pause_and_resume(energy: Coach) -> None:
    talk = Talk(energy)
    await talk.start("energy_audit")
    assert "Paused" in await talk("pause")
    assert "/coach resume" in await talk("hello?")
    assert "What drained your energy" in await talk("/coach resume")


async def test_an_old_button_gets_a_kind_answer(energy: Coach) -> None:
    talk = Talk(energy)
    await talk.start("energy_audit")
    await talk("sleep")
    await talk("8")
    question = talk.last[-1].question
    assert question is not None
    first = AnswerRef(question.session_id, question.step_id, "rest")
    assert "Here is what I heard" in await talk(answer=first)
    again = await talk(answer=first)  # the same button pressed twice
    assert "already moved past" in again
    assert "Here is what I heard" in again


async def test_an_edited_file_continues_or_restarts_kindly(energy: Coach, flows_dir: Path
                                                          ) -> None:
    talk = Talk(energy)
    await talk.start("energy_audit")
    await talk("commuting")
    # Same step ids, new wording: the member continues where they were.
    (flows_dir / "energy_audit.yaml").write_text(ENERGY.replace("from 1 to 10?", "(1-10)?"))
    assert energy.library.reload() == []
    assert "What would help most?" in await talk("8")
    # The step they are on disappears: told kindly, restarted, answers kept.
    edited = ENERGY.replace("id: big", "id: large").replace("goto: big", "goto: large")
    (flows_dir / "energy_audit.yaml").write_text(edited)
    assert energy.library.reload() == []
    reply = await talk("rest")
    assert "question we were on has changed" in reply
    assert "What drained your energy" in reply


async def test_new_members_get_onboarding_and_known_ones_the_menu(coach: Coach) -> None:
    talk = Talk(coach, Speaker("terminal", "ana", "Ana"))
    first = await talk("hi")
    assert "coach" in first.lower() and "therapy" in first.lower()
    await talk("stop")
    menu = await talk("hello again")
    assert "/coach start grow" in menu


async def test_crisis_mid_conversation_pauses_and_stores_no_text(energy: Coach,
                                                                config: Config) -> None:
    talk = Talk(energy)
    await talk.start("energy_audit")
    secret = "honestly I want to kill myself tonight"
    reply = await talk(secret)
    assert talk.last[0].tone == "crisis"
    assert "findahelpline.com" in reply or "988" in reply
    assert "How much did" not in reply
    # Any other reply gets resources again, not the next question.
    again = await talk("ok")
    assert talk.last[0].tone == "crisis" and "How much did" not in again
    # Only an explicit request resumes coaching.
    assert "What drained your energy" in await talk("continue")
    await energy.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = Path(config.database).read_bytes()  # noqa: ASYNC240
    assert b"kill myself" not in raw
    with sqlite3.connect(config.database) as conn:
        levels = conn.execute("SELECT level, category FROM crisis_events").fetchall()
    assert levels and levels[0][0] in ("concern", "urgent")
