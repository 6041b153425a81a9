"""One registry of member and moderator commands, read by every transport.

A command is defined once: its words (`/goal checkin`), its parameters, an optional form
(asked field by field in the terminal, a modal on Discord), where it may be used, and the
coroutine that answers it. The terminal parses typed text with `CommandRegistry.parse`;
the Discord transport builds slash commands from the same definitions.
"""

from __future__ import annotations

import shlex
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.messages import Inbound, Outbound

if TYPE_CHECKING:
    from bot.app import Coach
    from bot.members import Member

DM, SERVER, TERMINAL = "dm", "server", "terminal"
EVERYWHERE = frozenset({DM, SERVER, TERMINAL})
SERVER_ONLY = frozenset({SERVER})

PARAM_KINDS = ("text", "integer", "choice", "timezone", "conversation", "goal", "attachment",
               "channel", "user")


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    description: str
    kind: str = "text"
    required: bool = True
    choices: tuple[str, ...] = ()
    min_value: int | None = None
    max_value: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in PARAM_KINDS:
            raise ValueError(f"unknown parameter kind {self.kind!r}")


@dataclass(frozen=True, slots=True)
class FormField:
    name: str
    label: str  # 45 characters at most (a Discord modal label)
    required: bool = True
    long: bool = False
    max_length: int = 1000
    placeholder: str = ""


@dataclass
class CommandContext:
    coach: Coach
    member: Member
    inbound: Inbound
    where: str
    args: dict[str, Any] = field(default_factory=dict)
    form: dict[str, str] = field(default_factory=dict)


Handler = Callable[[CommandContext], Awaitable[list[Outbound]]]


@dataclass(frozen=True, slots=True)
class Command:
    path: tuple[str, ...]
    summary: str  # 100 characters at most (a Discord description)
    handler: Handler
    params: tuple[Param, ...] = ()
    form: tuple[FormField, ...] = ()
    where: frozenset[str] = EVERYWHERE
    moderator: bool = False
    confirm: str | None = None  # asked before the handler runs; only "yes" goes on

    @property
    def name(self) -> str:
        return "/" + " ".join(self.path)

    def usage(self) -> str:
        parts = [self.name]
        for p in self.params:
            parts.append(f"<{p.name}>" if p.required else f"[{p.name}]")
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class CommandError:
    message: str


class CommandRegistry:
    def __init__(self) -> None:
        self._commands: dict[tuple[str, ...], Command] = {}

    def add(self, command: Command) -> Command:
        if command.path in self._commands:
            raise ValueError(f"command {command.name} is defined twice")
        if len(command.summary) > 100:
            raise ValueError(f"{command.name}: summary over 100 characters")
        if len(command.form) > 5:
            raise ValueError(f"{command.name}: a form holds at most 5 fields")
        for f in command.form:
            if len(f.label) > 45:
                raise ValueError(f"{command.name}: form label {f.label!r} over 45 characters")
        self._commands[command.path] = command
        return command

    def command(self, *path: str, summary: str, **kwargs: Any
                ) -> Callable[[Handler], Handler]:
        def decorate(handler: Handler) -> Handler:
            self.add(Command(path=tuple(path), summary=summary, handler=handler, **kwargs))
            return handler
        return decorate

    def get(self, path: Iterable[str]) -> Command | None:
        return self._commands.get(tuple(path))

    def all(self) -> list[Command]:
        return sorted(self._commands.values(), key=lambda c: c.path)

    def available(self, where: str, *, moderator: bool = False) -> list[Command]:
        return [c for c in self.all() if where in c.where and (moderator or not c.moderator)]

    def parse(self, text: str) -> tuple[Command, dict[str, Any]] | CommandError:
        """Parse a typed command such as `/goal checkin 2 7 felt good`.

        Parameters are positional; the last text parameter takes the rest of the line.
        """
        body = text.strip()[1:]
        try:
            words = shlex.split(body)
        except ValueError:
            words = body.split()
        if not words:
            return CommandError("Type /help to see the commands.")
        words_lower = [w.lower() for w in words]
        for size in range(min(3, len(words)), 0, -1):
            command = self._commands.get(tuple(words_lower[:size]))
            if command is not None:
                return self._bind(command, words[size:])
        group = [c for c in self._commands.values() if c.path[0] == words_lower[0]]
        if group:
            names = ", ".join(c.name for c in sorted(group, key=lambda c: c.path))
            return CommandError(f"{'/' + words_lower[0]} needs one more word. Try: {names}")
        return CommandError(f"I don't know the command /{words[0]}. Type /help to see them all.")

    def _bind(self, command: Command, words: list[str]) -> tuple[Command, dict[str, Any]] | CommandError:
        args: dict[str, Any] = {}
        params = list(command.params)
        named = self._bind_named(command, words)
        if named is not None:
            return named
        for i, param in enumerate(params):
            if not words:
                if param.required:
                    return CommandError(f"{command.name} needs {param.name}: "
                                        f"{param.description}. Usage: {command.usage()}")
                break
            last_text = param.kind == "text" and all(p.kind != "text" for p in params[i + 1:])
            if last_text and i == len(params) - 1:
                raw, words = " ".join(words), []
            else:
                raw, words = words[0], words[1:]
            value = convert(param, raw)
            if isinstance(value, CommandError):
                return CommandError(f"{value.message} Usage: {command.usage()}")
            args[param.name] = value
        if words:
            return CommandError(f"{command.name} got more than it needs. Usage: {command.usage()}")
        return command, args


    def _bind_named(self, command: Command, words: list[str]
                    ) -> tuple[Command, dict[str, Any]] | CommandError | None:
        """`/settings country GB timezone Europe/Paris` or `country=GB`: named parameters.

        Used only when the first word names a parameter of a command with several of them.
        """
        names = {p.name: p for p in command.params}
        if len(names) < 2 or not words or words[0].split("=", 1)[0].lower() not in names:
            return None
        args: dict[str, Any] = {}
        queue = list(words)
        while queue:
            word = queue.pop(0)
            key, _, value = word.partition("=")
            param = names.get(key.lower())
            if param is None:
                return CommandError(f"{command.name} has no setting called {key!r}. "
                                    f"Usage: {command.usage()}")
            if not value:
                if not queue:
                    return CommandError(f"{key} needs a value. Usage: {command.usage()}")
                value = queue.pop(0)
            converted = convert(param, value)
            if isinstance(converted, CommandError):
                return CommandError(f"{converted.message} Usage: {command.usage()}")
            args[param.name] = converted
        for param in command.params:
            if param.required and param.name not in args:
                return CommandError(f"{command.name} needs {param.name}. "
                                    f"Usage: {command.usage()}")
        return command, args


def convert(param: Param, raw: str) -> Any:
    """Turn typed text into the parameter's value, or a kind error."""
    if param.kind in ("integer", "goal"):
        text = raw.lstrip("#")
        try:
            value = int(text)
        except ValueError:
            what = "a goal number, like 1" if param.kind == "goal" else "a whole number"
            return CommandError(f"{param.name} should be {what}, not {raw!r}.")
        if param.min_value is not None and value < param.min_value:
            return CommandError(f"{param.name} should be at least {param.min_value}.")
        if param.max_value is not None and value > param.max_value:
            return CommandError(f"{param.name} should be at most {param.max_value}.")
        return value
    if param.kind == "choice":
        lowered = raw.lower()
        for choice in param.choices:
            if choice.lower() == lowered:
                return choice
        return CommandError(f"{param.name} should be one of: {', '.join(param.choices)}.")
    return raw
