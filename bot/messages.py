"""What crosses the line between the coach and a transport (Discord, the terminal, tests).

The coach sees only `Inbound` and answers only with `Outbound`; it never learns which
platform a person is on. Bot text is plain text: a transport escapes it for its own markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class Speaker:
    """Who sent a message, as the platform knows them."""

    platform: str  # "discord", "terminal", ...
    user_id: str  # the platform's id, as text
    display_name: str
    locale: str | None = None  # the platform's language hint, e.g. "en-US"


@dataclass(frozen=True, slots=True)
class AnswerRef:
    """A pressed button or picked option that answers one step of one session."""

    session_id: int
    step_id: str
    value: str


@dataclass(frozen=True, slots=True)
class Upload:
    """A file attached to a command, as text (the transport checks its size and encoding).

    Not a plain `str`: a moderator's conversation file is not a message from a member, so
    the safety check does not read it.
    """

    filename: str
    text: str


@dataclass(frozen=True, slots=True)
class CommandCall:
    """A structured command from a platform that parses arguments itself (slash commands)."""

    path: tuple[str, ...]
    args: dict[str, object] = field(default_factory=dict)
    form: dict[str, str] | None = None  # filled in a modal; None: not asked yet
    confirmed: bool = False  # the member pressed the confirm button


@dataclass(frozen=True, slots=True)
class Inbound:
    speaker: Speaker
    text: str = ""
    private: bool = True  # a DM or the terminal; False in a server channel
    guild_id: str | None = None
    channel_id: str | None = None
    answer: AnswerRef | None = None
    command: CommandCall | None = None
    is_moderator: bool = False  # the transport decides (Manage Server or a moderator role)


class Tone(StrEnum):
    SAY = "say"  # information, nothing expected back
    ASK = "ask"  # a question; the next message answers it
    CRISIS = "crisis"  # the safety response
    ERROR = "error"  # something went wrong; says what to do next


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True, slots=True)
class Question:
    """What a transport needs to turn a question into buttons or a menu that survive restarts."""

    session_id: int
    step_id: str
    kind: str  # "choice", "scale", "yes_no", "reflect"


@dataclass(frozen=True, slots=True)
class CommandRef:
    """Choices whose pick runs a command: a nudge's quick answers, a goal's life area.

    A transport carries `path` and `args` in the component's custom id (they survive a
    restart) and, when a choice is picked, sends `CommandCall(path, {**args, param: value})`.
    The text of the message also says how to type the answer, for the terminal.
    """

    path: tuple[str, ...]
    args: tuple[tuple[str, str], ...] = ()
    param: str = "answer"


@dataclass(frozen=True, slots=True)
class Image:
    filename: str
    data: bytes
    alt_text: str  # says everything the picture shows, for screen readers


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    data: bytes
    description: str


@dataclass(frozen=True, slots=True)
class Outbound:
    text: str
    tone: Tone = Tone.SAY
    choices: tuple[Choice, ...] = ()
    question: Question | None = None
    image: Image | None = None
    attachment: Attachment | None = None
    confirm: str | None = None  # a token; the transport offers a confirm button for it
    command: CommandRef | None = None  # the choices answer a command, not a conversation


def say(text: str, **kwargs: object) -> Outbound:
    return Outbound(text=text, **kwargs)  # type: ignore[arg-type]
