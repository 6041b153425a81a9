"""Slash commands, autocomplete, buttons, selects, DynamicItem and modals, end to end."""

from __future__ import annotations

import asyncio
import re

import aiohttp
import discord
import pytest
from discord import app_commands

from tests.fakediscord import FakeDiscord
from tests.fakediscord.pytest_plugin import make_bot, running

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.timeout(30)]

PUT_GLOBAL = "/applications/{application_id}/commands"


class GoalDone(discord.ui.DynamicItem[discord.ui.Button], template=r"goal:(?P<goal>\d+)"):
    def __init__(self, goal: int) -> None:
        super().__init__(discord.ui.Button(label="Done", custom_id=f"goal:{goal}"))
        self.goal = goal

    @classmethod
    async def from_custom_id(cls, interaction, item, match: re.Match[str]):
        return cls(int(match["goal"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"goal {self.goal} done", ephemeral=True)


class Reflection(discord.ui.Modal, title="Weekly reflection"):
    went_well = discord.ui.TextInput(label="What went well?", custom_id="went_well")
    next_step = discord.ui.TextInput(label="Next step", custom_id="next_step", required=False)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            f"saved {len(self.went_well.value)}/{len(self.next_step.value)}", ephemeral=True
        )


class MoodView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=60)
        self.choice: str | None = None

    @discord.ui.select(
        custom_id="mood",
        options=[discord.SelectOption(label=m, value=m) for m in ("calm", "tired", "great")],
    )
    async def mood(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
        self.choice = select.values[0]
        await interaction.response.edit_message(content=f"mood: {self.choice}", view=None)

    @discord.ui.button(label="Skip", custom_id="skip")
    async def skip(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.edit_message(content="skipped", view=None)


def coaching_bot() -> discord.Client:
    bot = make_bot()
    bot.add_dynamic_items(GoalDone)

    @bot.tree.command(description="Check in")
    async def checkin(interaction: discord.Interaction, mood: str, energy: int = 5) -> None:
        await interaction.response.send_message(f"{mood}/{energy}", ephemeral=True)

    coach = app_commands.Group(name="coach", description="Coaching")
    plan = app_commands.Group(name="plan", description="Plans", parent=coach)

    @plan.command(name="show", description="Show a plan")
    async def show(interaction: discord.Interaction, week: int, member: discord.User) -> None:
        await interaction.response.send_message(f"week {week} for {member.id}")

    async def goal_names(interaction: discord.Interaction, current: str):
        return [
            app_commands.Choice(name=g, value=g)
            for g in ("run", "read", "rest")
            if g.startswith(current)
        ]

    @bot.tree.command(description="Pick a goal")
    @app_commands.autocomplete(goal=goal_names)
    async def goal(interaction: discord.Interaction, goal: str) -> None:
        await interaction.response.send_message(goal, view=MoodView())

    @bot.tree.command(description="Reflect")
    async def reflect(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Reflection())

    @bot.tree.command(description="Slow answer")
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.followup.send("first")
        await interaction.followup.send("second")

    @bot.tree.command(description="Post a goal")
    async def post(interaction: discord.Interaction) -> None:
        view = discord.ui.View(timeout=None)
        view.add_item(GoalDone(7))
        await interaction.channel.send("your goal", view=view)
        await interaction.response.send_message("posted", ephemeral=True)

    @bot.tree.command(description="Draft then edit")
    async def draft(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("draft")
        await interaction.edit_original_response(content="final")
        original = await interaction.original_response()
        extra = await interaction.followup.send(f"original says {original.content}", wait=True)
        await extra.delete()

    bot.tree.add_command(coach)
    return bot


async def test_slash_commands_synced_once_and_answered_ephemeral(
    fake_discord: FakeDiscord, bot_identity
):
    guild = await fake_discord.add_guild("g", bots=[bot_identity])
    user = fake_discord.add_user("ana")
    await fake_discord.add_member(guild, user)
    async with running(fake_discord, coaching_bot(), bot_identity) as bot:
        await bot.tree.sync()
        puts = fake_discord.requests("PUT", PUT_GLOBAL)
        assert len(puts) == 1 and puts[0]["status"] == 200
        names = {c["name"] for c in fake_discord.commands(bot_identity)}
        assert names == {"checkin", "coach", "goal", "reflect", "slow", "post", "draft"}

        handle = await fake_discord.slash(
            user, "checkin", {"mood": "ok", "energy": 3}, guild=guild, bot=bot_identity
        )
        answer = await handle.response()
        assert answer.type == 4 and answer.content == "ok/3" and answer.ephemeral
        assert handle.original().ephemeral

        handle = await fake_discord.slash(
            user, "coach plan show", {"week": 2, "member": user}, guild=guild, bot=bot_identity
        )
        answer = await handle.response()
        assert answer.content == f"week 2 for {user.id}" and not answer.ephemeral
        assert handle.original() in fake_discord.messages_in(fake_discord.text_channels(guild)[0])


async def test_unregistered_commands_cannot_be_invoked(fake_discord: FakeDiscord, bot_identity):
    user = fake_discord.add_user("x")
    with pytest.raises(LookupError):
        await fake_discord.slash(user, "checkin", {"mood": "ok"}, bot=bot_identity)


async def test_autocomplete_select_and_button(fake_discord: FakeDiscord, bot_identity):
    user = fake_discord.add_user("sam")
    async with running(fake_discord, coaching_bot(), bot_identity) as bot:
        await bot.tree.sync()
        handle = await fake_discord.autocomplete(
            user, "goal", {"goal": "r"}, focused="goal", bot=bot_identity
        )
        answer = await handle.response()
        assert answer.type == 8
        assert [c["value"] for c in answer.data["choices"]] == ["run", "read", "rest"]

        handle = await fake_discord.slash(user, "goal", {"goal": "read"}, bot=bot_identity)
        await handle.response()
        message = handle.original()
        assert message.content == "read" and message.components

        picked = await fake_discord.select(user, message, "mood", ["great"])
        answer = await picked.response()
        assert answer.type == 7
        assert fake_discord.world.messages[message.id].content == "mood: great"
        assert fake_discord.world.messages[message.id].components == []
        with pytest.raises(LookupError):
            await fake_discord.press(user, message, "skip")


async def test_dynamic_item_button_survives_without_a_stored_view(
    fake_discord: FakeDiscord, bot_identity
):
    user = fake_discord.add_user("dyn")
    async with running(fake_discord, coaching_bot(), bot_identity) as bot:
        await bot.tree.sync()
        handle = await fake_discord.slash(user, "post", bot=bot_identity)
        assert (await handle.response()).content == "posted"
        channel = fake_discord.dm_channel(user, bot_identity)
        posted = next(m for m in fake_discord.messages_in(channel) if m.content == "your goal")
        pressed = await fake_discord.press(user, posted, "goal:7")
        answer = await pressed.response()
        assert answer.content == "goal 7 done" and answer.ephemeral


async def test_modal_open_and_submit(fake_discord: FakeDiscord, bot_identity):
    user = fake_discord.add_user("mo")
    async with running(fake_discord, coaching_bot(), bot_identity) as bot:
        await bot.tree.sync()
        opened = await fake_discord.slash(user, "reflect", bot=bot_identity)
        modal = await opened.response()
        assert modal.type == 9 and modal.data["title"] == "Weekly reflection"
        with pytest.raises(ValueError):
            await fake_discord.submit_modal(user, opened, {"next_step": "x"})
        submitted = await fake_discord.submit_modal(
            user, opened, {"went_well": "ran twice", "next_step": "rest"}
        )
        answer = await submitted.response()
        assert answer.content == "saved 9/4" and answer.ephemeral


async def test_defer_then_followups(fake_discord: FakeDiscord, bot_identity):
    user = fake_discord.add_user("fu")
    async with running(fake_discord, coaching_bot(), bot_identity) as bot:
        await bot.tree.sync()
        handle = await fake_discord.slash(user, "slow", bot=bot_identity)
        assert (await handle.response()).type == 5
        followups = await handle.wait_followups(1)
        original = handle.original()
    assert original.content == "first" and not original.flags & (1 << 7)
    assert [m.content for m in followups] == ["second"]


async def test_late_second_and_unknown_callbacks(fake_discord: FakeDiscord, bot_identity):
    user = fake_discord.add_user("late")
    errors: asyncio.Queue[BaseException] = asyncio.Queue()
    bot = coaching_bot()

    @bot.tree.error
    async def on_error(interaction, error):
        errors.put_nowait(error.original if hasattr(error, "original") else error)

    async with running(fake_discord, bot, bot_identity):
        await bot.tree.sync()
        fake_discord.rest.callback_deadline = 0.0
        try:
            await fake_discord.slash(user, "checkin", {"mood": "meh"}, bot=bot_identity)
            error = await asyncio.wait_for(errors.get(), 5)
        finally:
            fake_discord.rest.callback_deadline = 3.0
        assert isinstance(error, discord.NotFound) and error.code == 10062

        handle = await fake_discord.slash(user, "checkin", {"mood": "ok"}, bot=bot_identity)
        await handle.response()
    url = f"{fake_discord.api_base}/interactions/{handle.id}/{handle.token}/callback"
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json={"type": 4, "data": {"content": "again"}}) as resp:
            assert resp.status == 400 and (await resp.json())["code"] == 40060
        async with session.post(url.replace(handle.token, "nope"), json={"type": 6}) as resp:
            assert resp.status == 404 and (await resp.json())["code"] == 10062


async def test_edit_fetch_and_delete_through_the_interaction_webhook(
    fake_discord: FakeDiscord, bot_identity
):
    user = fake_discord.add_user("ed")
    async with running(fake_discord, coaching_bot(), bot_identity) as bot:
        await bot.tree.sync()
        handle = await fake_discord.slash(user, "draft", bot=bot_identity)
        await fake_discord.wait_for(lambda: handle.followups and handle.followups[0].deleted)
    assert handle.original().content == "final"
    assert handle.original().edited_timestamp is not None
    assert handle.followups[0].content == "original says final"
    routes = {r["route"] for r in fake_discord.requests()}
    assert "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}" in routes
