"""Between two messages the coach keeps a member's conversation in memory (it then needs no
read before the next save). What a member must never notice: an answer that is not in the
file, a change made elsewhere that is ignored or undone, an answer lost to two messages
sent at once, or a deleted conversation coming back."""

from __future__ import annotations

import asyncio
import json
import sqlite3

from bot.app import Coach
from bot.config import Config
from tests.core.conftest import SAM, Talk

TRY_AGAIN = "couldn't save that just now, so nothing changed"


def stored(config: Config) -> list[tuple[str, str, dict[str, object]]]:
    """Sam's conversations as another program reading the file sees them."""
    with sqlite3.connect(config.database) as conn:
        rows = conn.execute(
            "SELECT s.status, s.step_id, s.answers FROM sessions s JOIN members m"
            " ON m.id = s.member_id WHERE m.external_id = ? ORDER BY s.id",
            (SAM.user_id,)).fetchall()
    return [(status, step, json.loads(answers)) for status, step, answers in rows]


def answer(value: object) -> object:
    return value["value"] if isinstance(value, dict) and "value" in value else value


async def test_every_answer_is_in_the_file_before_the_next_question(
        energy: Coach, config: Config) -> None:
    talk = Talk(energy)
    await talk.start("energy_audit")
    assert "How much did deadlines drain you" in await talk("deadlines")
    [(status, step, answers)] = stored(config)
    assert (status, step, answer(answers["drainer"])) == ("active", "level", "deadlines")
    assert "What would help most?" in await talk("8")
    [(status, step, answers)] = stored(config)
    assert (step, answer(answers["level"])) == ("big", 8)
    assert "Here is what I heard" in await talk("1")
    [(status, step, answers)] = stored(config)
    assert answer(answers["big"]) == "rest"


async def test_a_pause_made_elsewhere_in_the_bot_is_seen_by_the_next_message(
        energy: Coach) -> None:
    talk = Talk(energy)
    await talk.start("energy_audit")
    await talk("deadlines")
    member = await energy.members.find(SAM.platform, SAM.user_id)
    assert member is not None
    session = await energy.engine.sessions.active(member.id)
    assert session is not None
    await energy.engine.pause(session)  # e.g. /coach stop pressed on another device
    reply = await talk("8")
    assert "What would help most?" not in reply
    assert "paused conversation" in reply


async def test_a_change_by_another_program_is_not_undone(energy: Coach, config: Config
                                                         ) -> None:
    talk = Talk(energy)
    await talk.start("energy_audit")
    await talk("deadlines")
    with sqlite3.connect(config.database) as conn:  # another process, e.g. an admin script
        conn.execute("UPDATE sessions SET status = 'stopped'")
    reply = await talk("8")
    assert TRY_AGAIN in reply  # asked to send it again, nothing half-saved
    [(status, step, answers)] = stored(config)
    assert (status, step) == ("stopped", "level") and "level" not in answers
    again = await talk("8")
    assert "What would help most?" not in again
    assert "/coach start" in again


async def test_two_messages_sent_at_once_lose_nothing(energy: Coach, config: Config) -> None:
    talk = Talk(energy)
    await talk.start("energy_audit")
    replies = await asyncio.gather(talk("deadlines"), talk("meetings"))
    taken = [word for word, reply in zip(("deadlines", "meetings"), replies, strict=True)
             if f"How much did {word} drain you" in reply]
    assert len(taken) == 1  # one is the answer; the other is asked for again, not dropped
    assert sum(TRY_AGAIN in reply for reply in replies) == 1
    [(_, step, answers)] = stored(config)
    assert (step, answer(answers["drainer"])) == ("level", taken[0])
    assert "What would help most?" in await talk("9")


async def test_a_deleted_conversation_does_not_come_back_from_memory(
        energy: Coach, config: Config) -> None:
    talk = Talk(energy)
    await talk.start("energy_audit")
    await talk("deadlines")
    assert "confirm" in (await talk("/mydata delete")).lower()
    await talk("yes")
    assert stored(config) == []
    reply = await talk("8")
    assert "/coach start energy_audit" in reply  # met as someone new: the menu
    assert TRY_AGAIN not in reply and "What would help most?" not in reply


async def test_many_members_answering_at_once_are_all_saved(energy: Coach,
                                                           config: Config) -> None:
    """Answers that arrive together are written together; each is checked on its own."""
    from bot.messages import Speaker
    talks = [Talk(energy, Speaker("terminal", f"m{i}", f"Member {i}")) for i in range(40)]
    for talk in talks:
        await talk.start("energy_audit")
    await asyncio.gather(*(talk(f"task {i}") for i, talk in enumerate(talks)))
    with sqlite3.connect(config.database) as conn:  # one of them changed by another program
        conn.execute("UPDATE sessions SET status = 'stopped' WHERE member_id ="
                     " (SELECT id FROM members WHERE external_id = 'm7')")
    replies = await asyncio.gather(*(talk(str(i % 10 + 1)) for i, talk in enumerate(talks)))
    for i, reply in enumerate(replies):
        if i == 7:
            assert TRY_AGAIN in reply
        else:
            expected = "What would help most?" if i % 10 + 1 >= 7 else "keep an eye on it"
            assert expected in reply, (i, reply)
    with sqlite3.connect(config.database) as conn:
        rows = conn.execute("SELECT m.external_id, s.status, s.answers FROM sessions s"
                            " JOIN members m ON m.id = s.member_id").fetchall()
    assert len(rows) == 40
    for external_id, status, answers in rows:
        i = int(external_id[1:])
        saved = {k: answer(v) for k, v in json.loads(answers).items()}
        assert saved["drainer"] == f"task {i}"
        if i == 7:
            assert status == "stopped" and "level" not in saved
        else:
            assert status == "active" and saved["level"] == i % 10 + 1


async def test_any_other_change_drops_every_copy_kept_in_memory(energy: Coach) -> None:
    """A member's words kept between messages do not stay in memory once data changes
    elsewhere (here a deletion of someone else's data)."""
    from bot.messages import Speaker
    sam, ana = Talk(energy), Talk(energy, Speaker("terminal", "ana", "Ana"))
    for talk in (sam, ana):
        await talk.start("energy_audit")
        await talk("my private words")
        await talk("8")
    held = [session for _, session in energy.members._warm.values()]  # noqa: SLF001
    assert {answer(s.answers["drainer"]) for s in held} == {"my private words"}
    assert "confirm" in (await ana("/mydata delete")).lower()
    await ana("yes")
    assert energy.members._warm == {}  # noqa: SLF001
    assert "Here is what I heard" in await sam("1")  # Sam goes on, read from the file


async def test_a_reminder_check_with_nothing_due_keeps_the_copies(energy: Coach) -> None:
    """The reminder scheduler looks for due work every half minute; when nothing is due it
    changes nothing, and members in a conversation keep being answered from memory. A
    change to a member (here their language) drops every copy."""
    from bot.nudges import nudger_of
    from tests.nudges.fakes import FakePace, RecordingDelivery
    talk = Talk(energy)
    await talk.start("energy_audit")
    await talk("deadlines")
    assert len(energy.members._warm) == 1  # noqa: SLF001
    nudger = nudger_of(energy)
    nudger.attach(RecordingDelivery(), bucket=FakePace().bucket())
    try:
        result = await nudger.tick(energy.clock.now())
        assert result.queued == 0
        assert len(energy.members._warm) == 1  # noqa: SLF001
        member = await energy.members.find(SAM.platform, SAM.user_id)
        assert member is not None
        await energy.members.update(member.id, language="en")
        assert energy.members._warm == {}  # noqa: SLF001
        assert "What would help most?" in await talk("8")
    finally:
        assert nudger.queue is not None
        await nudger.queue.stop()


async def test_a_save_interrupted_at_shutdown_leaves_nobody_waiting(energy: Coach) -> None:
    """The batch writer stopped before it ran (as at shutdown): the member waiting on it is
    told to try again at once, and the next save starts a new writer."""
    talk = Talk(energy)
    await talk.start("energy_audit")
    sessions = energy.engine.sessions
    answering = asyncio.create_task(talk("deadlines"))
    # Turn by turn (never a timed sleep, which would let the writer start): the writer is
    # cancelled in the turn after the save created it, before its first step.
    for _ in range(1_000_000):  # the answer's one read may take a while on a busy machine
        await asyncio.sleep(0)
        if sessions._flusher is not None:  # noqa: SLF001
            break
    assert sessions._flusher is not None  # noqa: SLF001
    sessions._flusher.cancel()  # noqa: SLF001
    assert TRY_AGAIN in await asyncio.wait_for(answering, 5)
    assert "How much did deadlines drain you" in await talk("deadlines")


async def test_another_member_writing_again_keeps_the_copies(energy: Coach, clock) -> None:
    """A member's own row is refreshed now and then (when they were last seen, their name):
    that drops nobody else's copy, and their new name is used at once."""
    from datetime import timedelta

    from bot.messages import Speaker
    talk = Talk(energy)
    await talk.start("energy_audit")
    await talk("deadlines")
    held = dict(energy.members._warm)  # noqa: SLF001
    assert len(held) == 1
    ana = Talk(energy, Speaker("terminal", "ana", "Ana"))
    await ana("hello")  # first contact: her row is created
    clock.advance(timedelta(minutes=5))
    renamed = Talk(energy, Speaker("terminal", "ana", "Ana Maria"))
    assert "Hi Ana Maria." in await renamed("hi again")  # her row written again
    assert energy.members._warm == held  # noqa: SLF001
    assert "What would help most?" in await talk("8")
