"""A command's form as a Discord modal (the terminal asks the same fields one by one)."""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING, Any

import discord

from bot.commands import Command
from bot.messages import CommandCall

if TYPE_CHECKING:
    from bot.transports.discord.client import CoachBot

log = logging.getLogger(__name__)


class FormModal(discord.ui.Modal):
    def __init__(self, bot: CoachBot, command: Command, args: dict[str, Any],
                 ephemeral: bool) -> None:
        title = command.summary if len(command.summary) <= 45 else command.name
        super().__init__(title=title[:45], timeout=15 * 60,
                         custom_id=f"cb:m:{secrets.token_hex(6)}")
        self.bot = bot
        self.command = command
        self.args = args
        self.ephemeral = ephemeral
        self.inputs: dict[str, discord.ui.TextInput] = {}
        for field in command.form:
            text_input: discord.ui.TextInput = discord.ui.TextInput(
                label=field.label[:45], custom_id=field.name, required=field.required,
                style=discord.TextStyle.paragraph if field.long else discord.TextStyle.short,
                max_length=min(field.max_length, 4000),
                placeholder=field.placeholder[:100] or None)
            self.inputs[field.name] = text_input
            self.add_item(text_input)

    async def on_submit(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        from bot.transports.discord.client import _is_bot_dm
        await interaction.response.defer(ephemeral=self.ephemeral, thinking=True)
        from bot.messages import Outbound, Tone
        from bot.transports.discord.moderation import UploadProblem, convert_args
        try:
            args = await convert_args(self.args)
        except UploadProblem as exc:
            await self.bot.follow_up(interaction, [Outbound(str(exc), tone=Tone.ERROR)],
                                     self.ephemeral)
            return
        form = {name: item.value.strip() for name, item in self.inputs.items()}
        call = CommandCall(self.command.path, args, form=form)
        await self.bot.command_call(interaction, call, self.ephemeral, _is_bot_dm(interaction))

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        log.error("form failed command=%s user=%s: %s", self.command.name, interaction.user.id,
                  type(error).__name__)
        from bot.transports.discord.client import SORRY
        try:
            if interaction.response.is_done():
                await interaction.followup.send(SORRY, ephemeral=True)
            else:
                await interaction.response.send_message(SORRY, ephemeral=True)
        except discord.HTTPException:
            pass
