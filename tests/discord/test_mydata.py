"""Data rights on Discord, through the real client and the fake server: the export file
arrives in the member's DMs (attached privately in the server when DMs are closed), and
deleting everything asks first with a button, then leaves nothing in the database file."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from bot.transports.discord.client import EXPIRED, FILE_HERE, SENT_TO_DMS

from .conftest import Env, replies

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.timeout(30)]

GOAL_TEXT = "Run a half marathon in the spring"


def buttons(message: Any) -> dict[str, str]:
    return {c["label"]: c["custom_id"] for row in message.components
            for c in row.get("components", []) if c.get("type") == 2}






async def with_a_goal(env: Env, name: str) -> Any:
    """A server member who added a goal in the server (and never wrote in DMs)."""
    user = env.fake.add_user(name)
    await env.fake.add_member(env.guild, user)
    handle = await env.slash(user, "goal add", guild=True)
    assert (await handle.response()).type == 9
    submitted = await env.fake.submit_modal(user, handle, {"what": GOAL_TEXT})
    [saved] = await replies(submitted)
    assert "Saved as goal 1" in saved.content
    return user


def exported(attachment: Any) -> dict[str, Any]:
    assert attachment.filename.endswith(".json")
    return json.loads(attachment.data.decode("utf-8"))


def goal_texts(document: dict[str, Any]) -> list[str]:
    return [g["what"] for g in document["features"]["goals"]["data"]]


def bot_posts_in_channel(env: Env) -> list[Any]:
    channel = env.fake.text_channels(env.guild)[0]
    return [m for m in env.fake.messages_in(channel)
            if m.author_id == env.identity.user.id and not m.ephemeral]


def database_bytes(env: Env) -> bytes:
    path = Path(env.coach.config.database)
    files = [path, path.with_name(path.name + "-wal")]
    return b"".join(f.read_bytes() for f in files if f.exists())


async def test_export_in_a_server_arrives_as_a_dm_attachment(env: Env) -> None:
    ida = await with_a_goal(env, "ida")
    answer = await env.answer(ida, "mydata export", guild=True)
    assert answer.ephemeral and answer.content == SENT_TO_DMS and answer.attachments == []
    [dm] = env.fake.messages_to(ida, env.identity)
    assert not dm.ephemeral and "everything I keep about you" in dm.content
    [file] = dm.attachments
    document = exported(file)
    assert goal_texts(document) == [GOAL_TEXT]
    assert file.description == "everything I keep about you, as a JSON file"
    member = await env.coach.members.find("discord", str(ida.id))
    assert member is not None and member.dm_channel_id == str(env.dm_channel(ida).id)
    assert bot_posts_in_channel(env) == []


async def test_export_with_closed_dms_is_attached_privately_in_the_server(env: Env) -> None:
    jon = await with_a_goal(env, "jon")
    env.fake.close_dms(jon)
    answer = await env.answer(jon, "mydata export", guild=True)
    assert answer.ephemeral and answer.content.startswith(FILE_HERE)
    [file] = answer.attachments
    assert goal_texts(exported(file)) == [GOAL_TEXT]
    assert env.fake.messages_to(jon, env.identity) == []
    assert bot_posts_in_channel(env) == []


async def test_export_in_a_dm_is_attached_there(env: Env) -> None:
    kim = await with_a_goal(env, "kim")
    answer = await env.answer(kim, "mydata export")
    assert not answer.ephemeral and answer.channel_id == env.dm_channel(kim).id
    [file] = answer.attachments
    assert goal_texts(exported(file)) == [GOAL_TEXT]


async def test_delete_asks_with_buttons_cancel_keeps_and_confirm_erases_everything(
        env: Env) -> None:
    lou = await with_a_goal(env, "lou")
    await env.dm(lou, "hi")
    member = await env.coach.members.find("discord", str(lou.id))
    assert member is not None

    ask = await env.answer(lou, "mydata delete", guild=True)
    assert ask.ephemeral and "It cannot be undone" in ask.content
    assert set(buttons(ask)) == {"Confirm", "Cancel"}
    cancel = await env.fake.press(lou, ask, buttons(ask)["Cancel"])
    [cancelled] = await cancel.wait_followups(1)
    assert cancelled.ephemeral and cancelled.content == "Cancelled. Nothing was changed."
    assert await env.coach.members.find("discord", str(lou.id)) is not None
    assert GOAL_TEXT.encode() in database_bytes(env)

    ask = await env.answer(lou, "mydata delete", guild=True)
    confirm = buttons(ask)["Confirm"]
    first, second = await asyncio.gather(env.fake.press(lou, ask, confirm),
                                         env.fake.press(lou, ask, confirm))
    answers = [(await first.wait_followups(1))[0], (await second.wait_followups(1))[0]]
    assert all(a.ephemeral for a in answers)
    texts = sorted(a.content for a in answers)
    assert texts[0].startswith("Done. I have deleted everything I kept about you")
    assert texts[1] == EXPIRED
    assert await env.coach.members.find("discord", str(lou.id)) is None  # not made again
    goals = await env.coach.db.fetchone("SELECT COUNT(*) AS n FROM goals WHERE member_id = ?",
                                        (member.id,))
    assert goals["n"] == 0
    assert GOAL_TEXT.encode() not in database_bytes(env)
    assert bot_posts_in_channel(env) == []

    # Coming back starts fresh, and the bot stores the new member's DM channel again.
    await env.dm(lou, "hello")
    again = await env.coach.members.find("discord", str(lou.id))
    assert again is not None and again.dm_channel_id == str(env.dm_channel(lou).id)
