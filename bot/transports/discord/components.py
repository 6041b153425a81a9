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

from bot.messages import AnswerRef, Choice, CommandRef, Question

if TYPE_CHECKING:
    from bot.transports.discord.client import CoachBot

CUSTOM_ID_LIMIT = 100
MAX_BUTTONS = 5  # more choices than this read better as a menu
NOT_YOURS = ("This button belongs to someone else's conversation, so it does nothing for "
             "you. Send me a direct message or use /coach start to begin your own.")


def _fits(custom_id: str) -> bool:
    return len(custom_id) <= CUSTOM_ID_LIMIT


async def _mine(interaction: discord.Interaction, owner: int) -> bool:
    if interaction.user.id == owner:
        return True
    await interaction.response.send_message(NOT_YOURS, ephemeral=True)
    return False


async def _picked(interaction: discord.Interaction, select: discord.ui.Select
                  ) -> tuple[str, str] | None:
    """The value and label picked in a menu, or None (the member was asked to pick one)."""
    values = (interaction.data or {}).get("values") or []  # type: ignore[union-attr]
    if not values:
        await interaction.response.send_message("Please pick one of the answers.",
                                                ephemeral=True)
        return None
    value = str(values[0])
    return value, next((o.label for o in select.options if o.value == value), value)


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
        picked = await _picked(interaction, self.item)
        if picked is None:
            return
        value, label = picked
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


# -- choices that run a command (CommandRef): a nudge's quick answers, a group's buttons ------

_ARG = re.compile(r"^[A-Za-z0-9_.-]*$")
GONE = "That button no longer does anything. Type /help to see the commands."


def _pack(ref: CommandRef) -> str | None:
    """`path` and `args` as custom-id text, or None if they cannot be carried safely."""
    parts = [f"{k}={v}" for k, v in ref.args]
    if not all(_ARG.match(p.replace("=", "", 1)) for p in parts) or \
            not all(_ARG.match(w) for w in ref.path) or not _ARG.match(ref.param):
        return None
    return f"{'.'.join(ref.path)}:{','.join(parts)}:{ref.param}"


def _unpack(path: str, args: str, param: str) -> CommandRef:
    pairs = tuple(tuple(a.split("=", 1)) for a in args.split(",") if "=" in a)
    return CommandRef(tuple(path.split(".")), pairs, param)  # type: ignore[arg-type]


async def run_command_choice(interaction: discord.Interaction, ref: CommandRef, value: str,
                             label: str, *, owned: bool) -> None:
    """A pressed choice runs its command as the presser (a form opens as a modal)."""
    from bot.messages import CommandCall
    from bot.transports.discord.client import _is_bot_dm
    from bot.transports.discord.forms import FormModal
    bot = _bot(interaction)
    command = bot.coach.registry.get(ref.path)
    if command is None:
        await interaction.response.send_message(GONE, ephemeral=True)
        return
    args: dict[str, Any] = dict(ref.args)
    if ref.param:
        args[ref.param] = value
    in_dm = _is_bot_dm(interaction)
    if command.form:
        await interaction.response.send_modal(FormModal(bot, command, args, not in_dm))
        return
    message = interaction.message
    view = disabled_copy(message, label) if owned and message is not None else None
    if view is not None:
        view.stop()
        await interaction.response.edit_message(view=view)
    else:
        await interaction.response.defer(ephemeral=not in_dm, thinking=True)
    await bot.command_call(interaction, CommandCall(command.path, args), not in_dm, in_dm)


class CommandButton(discord.ui.DynamicItem[discord.ui.Button],
                    template=r"cb:k:(?P<user>\d+):(?P<path>[^:]+):(?P<args>[^:]*)"
                             r":(?P<param>[^:]*):(?P<value>.*)"):
    """One choice of a command's answer. User 0: anyone may press (a post in a channel)."""

    def __init__(self, ref: CommandRef, user_id: int, value: str, label: str = "") -> None:
        packed = _pack(ref) or ""
        super().__init__(discord.ui.Button(label=(label or value)[:80],
                                           style=discord.ButtonStyle.secondary,
                                           custom_id=f"cb:k:{user_id}:{packed}:{value}"))
        self.ref = ref
        self.user_id = user_id
        self.value = value

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str]) -> CommandButton:
        return cls(_unpack(match["path"], match["args"], match["param"]), int(match["user"]),
                   match["value"], item.label or "")

    async def callback(self, interaction: discord.Interaction) -> Any:
        if self.user_id and not await _mine(interaction, self.user_id):
            return
        await run_command_choice(interaction, self.ref, self.value,
                                 self.item.label or self.value, owned=bool(self.user_id))


class CommandSelect(discord.ui.DynamicItem[discord.ui.Select],
                    template=r"cb:ks:(?P<user>\d+):(?P<path>[^:]+):(?P<args>[^:]*)"
                             r":(?P<param>[^:]*)"):
    """More than five choices of a command's answer, as a menu."""

    def __init__(self, ref: CommandRef, user_id: int,
                 options: Sequence[discord.SelectOption] = ()) -> None:
        select: discord.ui.Select = discord.ui.Select(
            custom_id=f"cb:ks:{user_id}:{_pack(ref) or ''}", placeholder="Choose an answer",
            options=list(options) or [discord.SelectOption(label="-", value="-")])
        super().__init__(select)
        self.ref = ref
        self.user_id = user_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Select,
                             match: re.Match[str]) -> CommandSelect:
        return cls(_unpack(match["path"], match["args"], match["param"]), int(match["user"]),
                   item.options)

    async def callback(self, interaction: discord.Interaction) -> Any:
        if self.user_id and not await _mine(interaction, self.user_id):
            return
        picked = await _picked(interaction, self.item)
        if picked is None:
            return
        value, label = picked
        await run_command_choice(interaction, self.ref, value, label, owned=bool(self.user_id))


def _menu_kind(choices: Sequence[Choice]) -> str | None:
    """The kind (`progress` in `progress:7`) of the most choices, if they are too many for
    buttons and the others fit in four rows of buttons under their menu."""
    counts: dict[str, int] = {}
    for choice in choices:
        kind, colon, _ = choice.value.partition(":")
        if colon:
            counts[kind] = counts.get(kind, 0) + 1
    if not counts:
        return None
    kind, count = max(counts.items(), key=lambda item: item[1])
    return kind if count > MAX_BUTTONS and len(choices) - count <= 4 * MAX_BUTTONS else None


def command_view(ref: CommandRef, choices: Sequence[Choice], user_id: int
                 ) -> discord.ui.View | None:
    """Buttons (5 or fewer) or a menu (up to 25) whose pick runs `ref`'s command.

    When most choices are of one kind (a nudge's `progress:0` ... `progress:10`), that kind
    is a menu of its own and the other choices (done, snooze, skip, stop) stay buttons, one
    press each.
    """
    packed = _pack(ref)
    if packed is None or not choices or len(choices) > 25:
        return None
    in_menu: list[Choice] = []
    if len(choices) > MAX_BUTTONS:
        kind = _menu_kind(choices)
        in_menu = [c for c in choices if kind is None or c.value.startswith(f"{kind}:")]
    as_buttons = [c for c in choices if c not in in_menu]
    view = discord.ui.View(timeout=None)
    if in_menu:
        if not _fits(f"cb:ks:{user_id}:{packed}") or any(len(c.value) > 100 for c in in_menu):
            return None
        options = [discord.SelectOption(label=c.label[:100] or c.value, value=c.value)
                   for c in in_menu]
        view.add_item(CommandSelect(ref, user_id, options))
    for choice in as_buttons:
        if not _fits(f"cb:k:{user_id}:{packed}:{choice.value}"):
            return None
        view.add_item(CommandButton(ref, user_id, choice.value, choice.label))
    return view


ITEMS = (AnswerButton, AnswerSelect, ConfirmButton, CommandButton, CommandSelect)
