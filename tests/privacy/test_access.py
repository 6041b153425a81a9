"""A member can never see or change another member's data, and moderator commands refuse
everyone else. Ids that arrive in command arguments and button ids are checked against the
member who acts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.commands import DM, SERVER, TERMINAL, Command
from bot.config import Config
from bot.messages import AnswerRef, CommandCall, Outbound, Tone
from bot.router import OOPS
from tests.privacy.helpers import Talk, finish_diary, open_coach, table_dump, write_flows

SECRET = "Mx4Lt8Pq"


@pytest.fixture
def flows(tmp_path: Path) -> Path:
    return write_flows(tmp_path / "flows", with_bundled=True)


def sample(param) -> object:
    """A plausible value for a parameter other than the goal number."""
    if param.choices:
        return param.choices[0]
    if param.kind == "integer":
        return param.min_value if param.min_value is not None else 5
    if param.kind == "timezone":
        return "Europe/Paris"
    if param.kind == "conversation":
        return "diary"
    return "fine"


async def call_with_goal(talk: Talk, command: Command, number: int) -> list[Outbound]:
    """Run a command on goal `number` the way a button or a slash command would, past any
    form and confirmation, so the handler itself must check whose goal it is."""
    args = {p.name: number if p.kind == "goal" else sample(p)
            for p in command.params if p.kind == "goal" or p.required}
    form = {f.name: "fine" for f in command.form} if command.form else None
    where = TERMINAL if TERMINAL in command.where else DM if DM in command.where else SERVER
    extra = {} if where != SERVER else {"private": False, "guild_id": "5", "channel_id": "6"}
    if where != TERMINAL:
        talk = Talk(talk.coach, talk.speaker.user_id, talk.speaker.display_name,
                    platform="discord")
    return await talk.send(command=CommandCall(command.path, args, form, confirmed=True),
                           **extra)


async def test_goal_numbers_belong_to_the_member_who_acts(config: Config, clock: FakeClock,
                                                          flows: Path) -> None:
    async with open_coach(config, clock, flows) as coach:
        commands = [c for c in coach.registry.all()
                    if any(p.kind == "goal" for p in c.params) and not c.moderator]
        if not commands:
            pytest.skip("no command takes a goal number yet")
        anns = []
        for platform in ("terminal", "discord"):
            ann = Talk(coach, "ann", "Ann", platform=platform)
            await finish_diary(ann, SECRET, goal=True)
            await finish_diary(ann, SECRET, goal=True)
            anns.append(await ann.member_id())
        marks = ", ".join("?" for _ in anns)

        async def anns_rows() -> list:
            return [[tuple(r) for r in await coach.db.fetchall(
                f"SELECT * FROM {table} WHERE member_id IN ({marks}) ORDER BY id", anns)]
                for table in ("goals", "checkins")]
        before = await anns_rows()
        ben = Talk(coach, "ben", "Ben")
        await finish_diary(ben, "of my own", goal=True)  # Ben has a goal 1 as well
        ben_id = await ben.member_id()
        bens = "SELECT * FROM goals WHERE member_id = ? ORDER BY id"
        ben_before = [tuple(r) for r in await coach.db.fetchall(bens, (ben_id,))]
        for command in commands:
            for number in (1, 2, 0, -1, 10**12):
                replies = await call_with_goal(ben, command, number)
                assert replies and all(m.text.strip() and m.text != OOPS for m in replies)
                assert SECRET not in " ".join(m.text for m in replies), command.name
                assert all(m.attachment is None or SECRET.encode() not in m.attachment.data
                           for m in replies)
        assert await anns_rows() == before
        assert len(before[0]) == 4
        # the same commands did reach Ben's own goal 1 (a check-in, done, deleted...)
        assert [tuple(r) for r in await coach.db.fetchall(bens, (ben_id,))] != ben_before


async def test_a_button_carrying_another_members_session_is_refused(
        config: Config, clock: FakeClock, flows: Path) -> None:
    async with open_coach(config, clock, flows) as coach:
        ann = Talk(coach, "ann", "Ann", platform="discord")
        await ann("/coach start diary")
        await ann(f"my secret {SECRET}")
        ann_session = await ann.session()
        ben = Talk(coach, "ben", "Ben", platform="discord")
        forged = AnswerRef(ann_session.id, "energy", "9")
        # Ben has no conversation going
        replies = await ben.send("9", answer=forged)
        assert replies[0].text.startswith("That button belongs to a conversation that has "
                                          "ended") and replies[0].tone != Tone.ERROR
        # Ben is in a conversation of his own at the same question
        await ben("/coach start diary")
        await ben("my own words")
        replies = await ben.send("9", answer=forged)
        text = " ".join(m.text for m in replies)
        assert "already moved past" in text and SECRET not in text
        assert (await ann.session()).answers == ann_session.answers
        assert (await ann.session()).step_id == "energy"
        assert (await ben.session()).answers == {"win": "my own words"}


async def test_my_data_is_always_my_own(config: Config, clock: FakeClock, flows: Path) -> None:
    async with open_coach(config, clock, flows) as coach:
        ann = Talk(coach, "ann", "Ann")
        await finish_diary(ann, SECRET, goal=True)
        ben = Talk(coach, "ben", "Ben")
        await ben("hello")
        # arguments the commands don't take are refused, not used to pick someone else
        for text in ("/mydata export ann", "/mydata delete 1", "/mydata export 1"):
            replies = await ben.send(text)
            assert replies[0].tone == Tone.ERROR and "more than it needs" in replies[0].text
        replies = await ben.send(command=CommandCall(("mydata", "export"),
                                                     {"member": "ann", "member_id": 1}))
        assert SECRET not in json.dumps(json.loads(replies[0].attachment.data))
        ann_id = await ann.member_id()

        async def anns() -> list:
            return [[tuple(r) for r in await coach.db.fetchall(
                f"SELECT * FROM {table} WHERE member_id = ? ORDER BY id", (ann_id,))]
                for table in ("goals", "sessions")]
        before = await anns()
        assert before[0] and before[1]
        await ben.send(command=CommandCall(("mydata", "delete"), {"member_id": ann_id},
                                           confirmed=True))
        assert await coach.members.find("terminal", "ben") is None
        assert await anns() == before
        assert await coach.members.get(ann_id) is not None


async def test_every_moderator_command_refuses_members(config: Config, clock: FakeClock,
                                                       flows: Path) -> None:
    async with open_coach(config, clock, flows) as coach:
        commands = [c for c in coach.registry.all() if c.moderator]
        if not commands:
            pytest.skip("no moderator commands are registered")
        member = Talk(coach, "300", "Member", platform="discord")
        await member("hi")
        before = await table_dump(coach)
        library = sorted(coach.library.ids())
        for command in commands:
            args = {p.name: sample(p) for p in command.params if p.required}
            form = {f.name: "fine" for f in command.form} if command.form else None
            for where in sorted(command.where):
                extra = ({"private": False, "guild_id": "5", "channel_id": "6"}
                         if where == SERVER else {"private": True})
                speaker = member if where != TERMINAL else Talk(coach, "300t", "Member")
                for inbound in ({"command": CommandCall(command.path, args, form,
                                                        confirmed=True)},
                                {"text": " ".join([command.name, *map(str, args.values())])}):
                    replies = await speaker.send(**inbound, **extra)
                    assert len(replies) == 1, (command.name, replies)
                    assert replies[0].tone == Tone.ERROR
                    assert "is for moderators" in replies[0].text, (command.name,
                                                                    replies[0].text)
                    assert replies[0].attachment is None
        after = await table_dump(coach)
        after.pop("members"), before.pop("members")  # last seen times and the terminal member
        assert after == before
        assert sorted(coach.library.ids()) == library
        # the same calls from a moderator get past the check
        for command in commands:
            args = {p.name: sample(p) for p in command.params if p.required}
            form = {f.name: "fine" for f in command.form} if command.form else None
            where = sorted(command.where)[0]
            extra = ({"private": False, "guild_id": "5", "channel_id": "6"}
                     if where == SERVER else {"private": True})
            replies = await member.send(command=CommandCall(command.path, args, form,
                                                            confirmed=True),
                                        is_moderator=True, **extra)
            assert "is for moderators" not in replies[0].text, command.name
