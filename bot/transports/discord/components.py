"""Buttons and selects that survive restarts: `DynamicItem`s whose custom ids carry what
they need (session id, step id, value, and the member they belong to).

Nothing is kept in memory between sending a question and the press, so a press after a
restart works the same. The member id in the custom id is checked against whoever
presses; someone else's press gets a kind, private answer and changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import discord

from bot.messages import AnswerRef, Choice, Question

if TYPE_CHECKING:
    from bot.transports.discord.client import CoachBot

CUSTOM_ID_LIMIT = 100
NOT_YOURS = ("This button belongs to someone else's conversation, so it does nothing for "
             "you. Send me a direct message or use /coach start to begin your own.")


def _fits(custom_id: str) -> bool:
    return len(custom_id) <= CUSTOM_ID_LIMIT


async def _mine(interaction: discord.Interaction, owner: int) -> bool:
    if interaction.user.id == owner:
        return True
    await interaction.response.send_message(NOT_YOURS, ephemeral=True)
    return False


def _bot(interaction: discord.Interaction) -> CoachBot:
    return interaction.client  # type: ignore[return-value]


class AnswerButton(discord.ui.DynamicItem[discord.ui.Button],
                   template=r"cb:a:(?P<session>\d+):(?P<step>[^:]+):(?P<user>\d+):(?P<value>.*)"):
    """One answer to one question of one session."""

    def __init__(self, session_id: int, step_id: str, user_id: int, value: str,
                 label: str = "") -> None:
        custom_id = f"cb:a:{session_id}:{step_id}:{user_id}:{value}"
        super().__init__(discord.ui.Button(label=(label or value)[:80],
                                           style=discord.ButtonStyle.secondary,
                                           custom_id=custom_id))
        self.ref = AnswerRef(session_id, step_id, value)
        self.user_id = user_id

    @classmethod
    def make(cls, question: Question, choice: Choice, index: int, user_id: int
             ) -> AnswerButton | None:
        for value in (choice.value, str(index + 1)):
            if _fits(f"cb:a:{question.session_id}:{question.step_id}:{user_id}:{value}"):
                return cls(question.session_id, question.step_id, user_id, value, choice.label)
        return None

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str]) -> AnswerButton:
        return cls(int(match["session"]), match["step"], int(match["user"]), match["value"],
                   item.label or "")

    async def callback(self, interaction: discord.Interaction) -> Any:
        if await _mine(interaction, self.user_id):
            label = self.item.label or self.ref.value
            await _bot(interaction).answer_pressed(interaction, self.ref, label)


class AnswerSelect(discord.ui.DynamicItem[discord.ui.Select],
                   template=r"cb:s:(?P<session>\d+):(?P<step>[^:]+):(?P<user>\d+)"):
    """A menu of up to 25 answers to one question."""

    def __init__(self, session_id: int, step_id: str, user_id: int,
                 options: Sequence[discord.SelectOption] = ()) -> None:
        select: discord.ui.Select = discord.ui.Select(
            custom_id=f"cb:s:{session_id}:{step_id}:{user_id}",
            placeholder="Choose an answer", options=list(options) or
            [discord.SelectOption(label="-", value="-")])
        super().__init__(select)
        self.session_id = session_id
        self.step_id = step_id
        self.user_id = user_id

    @classmethod
    def make(cls, question: Question, choices: Sequence[Choice], user_id: int
             ) -> AnswerSelect | None:
        if not _fits(f"cb:s:{question.session_id}:{question.step_id}:{user_id}"):
            return None
        by_value = all(0 < len(c.value) <= 100 for c in choices)
        options = [discord.SelectOption(label=c.label[:100] or c.value[:100],
                                        value=c.value if by_value else str(i + 1))
                   for i, c in enumerate(choices)]
        return cls(question.session_id, question.step_id, user_id, options)

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Select,
                             match: re.Match[str]) -> AnswerSelect:
        made = cls(int(match["session"]), match["step"], int(match["user"]), item.options)
        return made

    async def callback(self, interaction: discord.Interaction) -> Any:
        if not await _mine(interaction, self.user_id):
            return
        values = (interaction.data or {}).get("values") or []  # type: ignore[union-attr]
        if not values:
            await interaction.response.send_message("Please pick one of the answers.",
                                                    ephemeral=True)
            return
        value = str(values[0])
        label = next((o.label for o in self.item.options if o.value == value), value)
        await _bot(interaction).answer_pressed(
            interaction, AnswerRef(self.session_id, self.step_id, value), label)


class ConfirmButton(discord.ui.DynamicItem[discord.ui.Button],
                    template=r"cb:(?P<kind>[cx]):(?P<token>[0-9a-f]+):(?P<user>\d+)"):
    """Confirm (or cancel) a command that asked "are you sure?"."""

    def __init__(self, kind: str, token: str, user_id: int) -> None:
        confirm = kind == "c"
        super().__init__(discord.ui.Button(
            label="Confirm" if confirm else "Cancel",
            style=discord.ButtonStyle.danger if confirm else discord.ButtonStyle.secondary,
            custom_id=f"cb:{kind}:{token}:{user_id}"))
        self.kind = kind
        self.token = token
        self.user_id = user_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str]) -> ConfirmButton:
        return cls(match["kind"], match["token"], int(match["user"]))

    async def callback(self, interaction: discord.Interaction) -> Any:
        if await _mine(interaction, self.user_id):
            await _bot(interaction).confirm_pressed(interaction, self.token, self.kind == "c")


def confirm_view(token: str, user_id: int) -> discord.ui.View | None:
    if not _fits(f"cb:c:{token}:{user_id}") or not re.fullmatch(r"[0-9a-f]+", token):
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(ConfirmButton("c", token, user_id))
    view.add_item(ConfirmButton("x", token, user_id))
    return view


def disabled_copy(message: discord.Message, picked: str | None = None
                  ) -> discord.ui.View | None:
    """The message's components, all disabled, with the picked answer highlighted."""
    if not message.components:
        return None
    view = discord.ui.View.from_message(message, timeout=None)
    for child in view.children:
        if isinstance(child, discord.ui.Button):
            child.disabled = True
            if picked is not None and child.label == picked:
                child.style = discord.ButtonStyle.primary
        elif isinstance(child, discord.ui.Select):
            child.disabled = True
            if picked is not None:
                child.placeholder = picked[:150]
    return view


ITEMS = (AnswerButton, AnswerSelect, ConfirmButton)
