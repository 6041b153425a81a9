"""`/mydata export` and `/mydata delete` through the router, with a real SQLite file."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pytest

from bot.clock import FakeClock, iso
from bot.config import Config
from bot.messages import CommandCall, Inbound, Tone
from bot.privacy import PostRef, privacy_of
from bot.transports.terminal import TerminalChat
from tests.privacy.helpers import (
    MARKER,
    Talk,
    finish_diary,
    open_coach,
    raw_database_bytes,
    table_dump,
    with_transport_features,
    write_flows,
)


@pytest.fixture
def flows(tmp_path: Path) -> Path:
    return write_flows(tmp_path / "flows")


async def export_of(talk: Talk) -> dict:
    replies = await talk.send("/mydata export")
    files = [m.attachment for m in replies if m.attachment is not None]
    assert len(files) == 1, [m.text for m in replies]
    assert files[0].filename.endswith(".json") and files[0].description
    return json.loads(files[0].data.decode("utf-8"))


def strings(value: object) -> list[str]:
    """Every piece of text in a JSON value (JSON text inside text is opened too)."""
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    if isinstance(value, str):
        try:
            inner = json.loads(value)
        except ValueError:
            return [value]
        return [value, *strings(inner)] if isinstance(inner, dict | list) else [value]
    return []


async def stored_texts(coach, member_id: int) -> set[tuple[str, str]]:
    """(table, text) for every text holding the marker in a row that belongs to the member."""
    tables = [r[0] for r in await coach.db.fetchall(
        "SELECT m.name FROM sqlite_master AS m WHERE m.type = 'table' AND EXISTS"
        " (SELECT 1 FROM pragma_table_info(m.name) AS c WHERE c.name = 'member_id')")]
    found = set()
    for table in tables:
        for row in await coach.db.fetchall(f'SELECT * FROM "{table}" WHERE member_id = ?',
                                           (member_id,)):
            found |= {(table, text) for text in strings(list(row)) if MARKER in text
                      and not text.lstrip().startswith(("{", "["))}
    row = await coach.db.fetchone("SELECT * FROM members WHERE id = ?", (member_id,))
    found |= {("members", text) for text in strings(list(row)) if MARKER in text}
    return found


async def test_export_holds_every_feature_and_everything_typed(config: Config, clock: FakeClock,
                                                               flows: Path) -> None:
    async with open_coach(config, clock, flows) as coach:
        sam = Talk(coach, name=f"Sam {MARKER}")
        await finish_diary(sam, MARKER, goal=True)
        await sam(f"/settings language {MARKER}")
        document = await export_of(sam)

        assert document["exported_at"] == iso(clock.now())
        # every feature registered now or later appears, with what it stores in plain words
        names = [f.name for f in coach.datarights.features()]
        assert sorted(document["features"]) == sorted(names)
        for feature in coach.datarights.features():
            assert document["features"][feature.name]["stores"] == feature.stores
        # every piece of text stored about Sam, in any table, is in the file
        exported = set(strings(document))
        stored = await stored_texts(coach, await sam.member_id())
        assert len(stored) >= 7  # answers, goal, plan, setting, name
        missing = {table for table, text in stored if text not in exported}
        assert not missing, f"stored but not exported, in tables {sorted(missing)}"
        sessions = document["features"]["conversations"]["data"]
        assert sessions[0]["flow_id"] == "diary"
        assert sessions[0]["answers"]["win"] == f"I helped a friend {MARKER}"
        profile = document["features"]["profile"]["data"]
        assert profile["language"] == MARKER and profile["display_name"] == f"Sam {MARKER}"

        # another member's export holds nothing of Sam's
        alex = Talk(coach, "alex", "Alex")
        await alex("hello")
        assert MARKER not in json.dumps(await export_of(alex), ensure_ascii=False)


async def test_export_in_a_server_and_in_the_terminal_file(config: Config, clock: FakeClock,
                                                          flows: Path, tmp_path: Path) -> None:
    async with open_coach(config, clock, flows) as coach:
        kim = Talk(coach, "42", "Kim", platform="discord")
        replies = await kim.send(command=CommandCall(("mydata", "export")), private=False,
                                 guild_id="9", channel_id="10")
        assert replies[0].attachment is not None  # the transport sends it privately
        out = io.StringIO()
        chat = TerminalChat(coach, "sam", stdin=io.StringIO("/mydata export\n"), stdout=out,
                            data_dir=tmp_path / "exports")
        assert await chat.run() == 0
        saved = list((tmp_path / "exports").glob("*.json"))
        assert len(saved) == 1 and f"File saved to {saved[0]}" in out.getvalue()
        assert json.loads(saved[0].read_text(encoding="utf-8"))["features"]["profile"]


async def test_every_member_table_is_deleted_by_some_feature(coach) -> None:
    """A table with a member_id column that no feature deletes from fails here, so a new
    table cannot be forgotten by /mydata delete."""
    with_transport_features(coach)
    tables = [r[0] for r in await coach.db.fetchall(
        "SELECT m.name FROM sqlite_master AS m WHERE m.type = 'table' AND EXISTS"
        " (SELECT 1 FROM pragma_table_info(m.name) AS c WHERE c.name = 'member_id')")]
    assert "sessions" in tables
    touched: set[str] = set()

    def watch(action: int, arg1: str | None, arg2: str | None, *_: object) -> int:
        if action == sqlite3.SQLITE_DELETE or (action == sqlite3.SQLITE_UPDATE
                                               and arg2 == "member_id"):
            touched.add(arg1 or "")
        return sqlite3.SQLITE_OK

    member = await coach.members.ensure(Talk(coach).speaker, coach.clock.now())
    await coach.db.conn.set_authorizer(watch)
    try:
        async with coach.db.transaction() as conn:
            for feature in coach.datarights.features():
                await feature.delete(conn, member.id)
    finally:
        await coach.db.conn.set_authorizer(None)
    missing = sorted(set(tables) - touched)
    assert not missing, f"tables with a member_id that no feature's delete removes: {missing}"


async def test_delete_asks_first_and_only_yes_confirms(config: Config, clock: FakeClock,
                                                       flows: Path) -> None:
    async with open_coach(config, clock, flows) as coach:
        sam = Talk(coach)
        await finish_diary(sam, MARKER)
        before = await table_dump(coach)
        for answer in ("no", "y", "yes please", "", "/help"):
            replies = await sam.send("/mydata delete")
            assert replies[0].tone == Tone.ASK and replies[0].confirm
            assert "cannot be undone" in replies[0].text and "yes" in replies[0].text
            reply = await sam(answer)
            if answer != "/help":
                assert "Cancelled. Nothing was changed." in reply
            assert await table_dump(coach) == before
        await sam("/mydata delete")
        assert "deleted everything" in await sam("  YeS ")
        assert MARKER not in json.dumps(await table_dump(coach))


async def test_end_of_input_cancels_a_delete_in_the_terminal(config: Config, clock: FakeClock,
                                                             flows: Path) -> None:
    async with open_coach(config, clock, flows) as coach:
        await finish_diary(Talk(coach), MARKER)
        before = await table_dump(coach)
        out = io.StringIO()
        chat = TerminalChat(coach, "sam", stdin=io.StringIO("/mydata delete\n"), stdout=out)
        assert await chat.run() == 0
        assert "Type yes to confirm" in out.getvalue()
        after = await table_dump(coach)
        assert after.pop("members")[0][:3] == before.pop("members")[0][:3]
        assert after == before


async def test_deleted_words_are_gone_from_the_file_itself(config: Config, clock: FakeClock,
                                                           flows: Path) -> None:
    async with open_coach(config, clock, flows) as coach:
        sam = Talk(coach, name=f"Sam {MARKER}")
        other = f"Keep{MARKER[::-1]}"
        alex = Talk(coach, "alex", "Alex")
        await finish_diary(alex, other, goal=True)
        await finish_diary(sam, MARKER, goal=True)
        await sam(f"/settings language {MARKER}")
        await sam("/coach start diary")
        await sam(f"half-way {MARKER}")  # an unfinished conversation too
        await coach.db.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        raw = raw_database_bytes(config.database)
        assert MARKER.encode() in raw  # the check below can see the marker when it is there

        await sam("/mydata delete")
        reply = await sam("yes")
        assert "deleted everything" in reply and "Backups" in reply

        raw = raw_database_bytes(config.database)
        assert MARKER.encode() not in raw
        assert MARKER.encode("utf-16-le") not in raw
        assert other.encode() in raw  # Alex's words are untouched
        # and not in anything shown later: a fresh start, an export, a summary
        sam = Talk(coach)  # the same person, back under a name without the marker
        assert MARKER not in json.dumps(await export_of(sam), ensure_ascii=False)
        await sam("/coach start diary")
        await sam("a new day")
        for answer in ("5", "slow down", "yes"):
            await sam(answer)
        summary = await sam("rest")
        assert "a new day" in summary and MARKER not in summary
        assert "Would you like to turn this into a goal" in summary
        alex_export = json.dumps(await export_of(alex), ensure_ascii=False)
        assert alex_export.count(other) >= 4


async def test_posts_made_for_the_member_are_removed_after_the_commit(
        config: Config, clock: FakeClock, flows: Path) -> None:
    async with open_coach(config, clock, flows) as coach:
        sam = Talk(coach, "77", "Sam", platform="discord")
        await sam("hi")
        sam_id = await sam.member_id()
        posts = [PostRef("discord", "500", "9001"), PostRef("discord", "500", "9002")]
        removed: list[list[PostRef]] = []

        async def find(db, member_id: int) -> list[PostRef]:
            # a feature that posts in channels reads its own table here
            assert await db.fetchval("SELECT COUNT(*) FROM members WHERE id = ?",
                                     (member_id,)) == 1
            return posts

        async def remove(refs: list[PostRef]) -> int:
            # runs after the commit: the member is already gone from the database
            assert await coach.members.get(sam_id) is None
            removed.append(refs)
            return len(refs)

        privacy = privacy_of(coach)
        privacy.post_finders.append(find)
        privacy.remove_posts = remove
        asked = await sam.send(command=CommandCall(("mydata", "delete")))
        assert asked[0].confirm and removed == []
        reply = await coach.router.confirm(Inbound(sam.speaker), asked[0].confirm)
        assert removed == [posts]
        assert "couldn't remove" not in reply[0].text

        # the platform refuses: the data is deleted anyway and the member is told
        kim = Talk(coach, "78", "Kim", platform="discord")
        await kim("hi")
        kim_id = await kim.member_id()

        async def refuse(refs: list[PostRef]) -> int:
            raise ConnectionError("platform unreachable")

        privacy.remove_posts = refuse
        reply = await kim.send(command=CommandCall(("mydata", "delete"), confirmed=True))
        assert "couldn't remove 2 of the posts" in reply[0].text
        assert await coach.members.get(kim_id) is None


async def test_a_moderators_changes_are_in_their_export_and_lose_their_name_on_delete(
        config: Config, clock: FakeClock, flows: Path) -> None:
    from bot.messages import Upload
    async with open_coach(config, clock, flows) as coach:
        mo = Talk(coach, "4242", "Mo Moderator", platform="discord")
        edited = (flows / "diary.yaml").read_text(encoding="utf-8").replace(
            "Q1:", "Question 1:")
        server = {"private": False, "guild_id": "77", "is_moderator": True}
        reply = await mo(command=CommandCall(("conversations", "upload"), {
            "file": Upload("diary.yaml", edited)}), **server)
        assert reply.startswith("Updated diary (change #1)"), reply

        exported = await export_of(mo)
        [change] = exported["features"]["conversation_changes"]["data"]
        assert (change["flow_id"], change["action"]) == ("diary", "upload")

        await mo.send("/mydata delete", **server)
        assert "deleted everything" in await mo("yes", **server)
        history = await Talk(coach, "99", "Other Mod", platform="discord")(
            command=CommandCall(("conversations", "history"), {}), **server)
        assert "#1" in history and "a moderator who has since deleted their data" in history
        assert "Mo Moderator" not in history and "4242" not in history
        dump = json.dumps(await table_dump(coach))
        assert "Mo Moderator" not in dump and "4242" not in dump
        rolled = await Talk(coach, "99", "Other Mod", platform="discord")(
            command=CommandCall(("conversations", "rollback"), {"name": "diary"}), **server)
        assert rolled.startswith("Rolled back diary"), rolled
