"""Property tests over the engine (through the router, real YAML and SQLite) and the command
parser: random input never crashes, never leaves a session at a step that does not exist,
and always gets a non-empty plain-text reply."""

from __future__ import annotations

import asyncio
import itertools
import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.app import Coach
from bot.clock import FakeClock
from bot.commands import CommandError
from bot.config import Config
from bot.flows.model import END
from bot.messages import AnswerRef, Inbound, Outbound, Speaker
from bot.router import OOPS, TRY_AGAIN
from tests.privacy.helpers import write_flows

WORDS = ["stop", "pause", "skip", "back", "help", "STOP", " Back ", "yes", "no", "y", "nope",
         "1", "2", "3", "5", "7", "10", "11", "0", "-3", "seven", "7/10", "07:30", "6pm", "25:99",
         "continue", "/coach resume", "/coach stop", "/coach list", "/help", "/coach start",
         "/settings", "/timezone Europe/Paris", "/timezone Mars/Base", "/mydata export", "",
         "   ", "\u200b", "{member}", "{0.__class__}", "%s", "'; DROP TABLE members; --",
         "🙂", "שלום", "x" * 4000]
TYPED = st.one_of(st.sampled_from(WORDS), st.text(max_size=40))
# ("button", n): press the n-th option of a question shown earlier (maybe long ago)
PRESS = st.tuples(st.just("button"), st.integers(0, 40), st.integers(0, 20))
ANSWERS = st.lists(st.one_of(TYPED, TYPED, PRESS), max_size=25)


def plain(message: Outbound) -> None:
    """Non-empty text without control characters, even when the member typed some."""
    text = message.text
    assert isinstance(text, str) and text.strip(), message
    assert text not in (OOPS, TRY_AGAIN), text
    assert "Traceback" not in text
    for ch in text:
        assert ch in "\n\t" or unicodedata.category(ch) != "Cc", repr(text)


@pytest.fixture
def flows(tmp_path: Path) -> Path:
    return write_flows(tmp_path / "flows", with_bundled=True)


def test_random_answers_never_break_a_conversation(config: Config, flows: Path) -> None:
    with asyncio.Runner() as runner:
        coach = runner.run(Coach.open(replace(config, conversations_dir=str(flows)),
                                      clock=FakeClock(), seed=3))
        flow_ids = sorted(coach.library.ids())
        people = itertools.count()

        async def converse(flow_id: str, answers: list) -> None:
            speaker = Speaker("terminal", f"m{next(people)}", "Robin")
            asked = []
            for item in [f"/coach start {flow_id}", *answers]:
                answer = None
                text = item
                if isinstance(item, tuple):
                    if not asked:
                        continue
                    question, choices = asked[-1 - item[1] % len(asked)]
                    value = choices[item[2] % len(choices)].value
                    answer, text = AnswerRef(question.session_id, question.step_id, value), value
                replies = await coach.handle(Inbound(speaker, text=text, answer=answer))
                assert replies, item
                for message in replies:
                    plain(message)
                    if message.question is not None and message.choices:
                        asked.append((message.question, message.choices))
                member = await coach.members.find("terminal", speaker.user_id)
                rows = await coach.db.fetchall("SELECT * FROM sessions WHERE member_id = ?",
                                               (member.id,))
                assert sum(r["status"] == "active" for r in rows) <= 1
                for row in rows:
                    session = await coach.engine.sessions.get(row["id"])
                    if session.status in ("finished", "stopped", "abandoned"):
                        continue
                    flow = coach.library.get(session.flow_id)
                    assert flow is not None
                    assert session.step_id == END or flow.has(session.step_id), session
                    if session.step_id == END and session.status == "active":
                        assert session.state.get("phase"), session

        @given(flow_id=st.sampled_from(flow_ids), answers=ANSWERS)
        def check(flow_id: str, answers: list) -> None:
            runner.run(converse(flow_id, answers))

        try:
            check()
            assert runner.run(coach.db.fetchval("PRAGMA integrity_check")) == "ok"
        finally:
            runner.run(coach.close())


def test_the_command_parser_never_raises(config: Config, flows: Path) -> None:
    with asyncio.Runner() as runner:
        coach = runner.run(Coach.open(replace(config, conversations_dir=str(flows)),
                                      clock=FakeClock()))
        runner.run(coach.close())
    registry = coach.registry
    words = sorted({w for c in registry.all() for w in c.path})
    names = sorted({p.name for c in registry.all() for p in c.params})
    token = st.one_of(st.sampled_from(words), st.sampled_from(names),
                      st.sampled_from(['"', "'", "=", "#1", "-1", "0", "99999999999999999999",
                                       "\\", "on", "OFF", "Europe/Paris", "", "\u200b"]),
                      st.text(max_size=12))
    typed = st.one_of(st.lists(token, max_size=8).map(" ".join),
                      st.text(max_size=80))

    @given(typed)
    def check(text: str) -> None:
        for line in ("/" + text, text):
            result = registry.parse(line)
            if isinstance(result, CommandError):
                assert result.message.strip() and "Traceback" not in result.message
                continue
            command, args = result
            for param in command.params:
                if param.required:
                    assert param.name in args, (line, command.name)
                if param.name not in args:
                    continue
                value = args[param.name]
                if param.kind in ("integer", "goal"):
                    assert isinstance(value, int)
                    assert param.min_value is None or value >= param.min_value
                    assert param.max_value is None or value <= param.max_value
                elif param.kind == "choice":
                    assert value in param.choices
                else:
                    assert isinstance(value, str)

    check()


async def test_control_characters_typed_are_not_shown_back(config: Config, flows: Path) -> None:
    coach = await Coach.open(replace(config, conversations_dir=str(flows)), clock=FakeClock())
    try:
        speaker = Speaker("terminal", "esc", "Robin")
        await coach.handle(Inbound(speaker, text="/coach start diary"))
        replies = await coach.handle(Inbound(speaker, text="a walk\x1b[2J\x07"))
        assert "Q2:" in replies[-1].text
        session = await coach.engine.sessions.active(
            (await coach.members.find("terminal", "esc")).id)
        assert session.answers["win"] == "a walk[2J"
    finally:
        await coach.close()
