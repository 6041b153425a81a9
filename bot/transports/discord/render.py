"""Outbound -> what discord.py sends: escaped text split under 2,000 characters, buttons or a
select for choices, files for images and attachments, and never a mention.

The coach writes plain text; everything is passed through `escape_markdown`, so a member's
own words repeated in a reflection (`**x**`, `@everyone`) show exactly as they were typed
and ping nobody (`AllowedMentions.none()` goes with every message).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field

import discord
from discord.utils import escape_markdown

from bot.messages import Outbound, Tone
from bot.transports.discord import components

LIMIT = 2000
NO_MENTIONS = discord.AllowedMentions.none()
MAX_BUTTONS = 5
SCALE_BUTTONS = 10  # a 1-10 scale reads well as two rows of five buttons


@dataclass
class Piece:
    """One Discord message."""

    content: str
    view: discord.ui.View | None = None
    files: list[discord.File] = field(default_factory=list)
    crisis: bool = False

    def kwargs(self) -> dict[str, object]:
        out: dict[str, object] = {"content": self.content or None,
                                  "allowed_mentions": NO_MENTIONS}
        if self.view is not None:
            out["view"] = self.view
        if self.files:
            out["files"] = self.files
        return out


def escape(text: str) -> str:
    return escape_markdown(text)


def split(text: str, limit: int = LIMIT) -> list[str]:
    """Split at line breaks, else at spaces, else anywhere (never inside an escape)."""
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = window.rfind("\n")
        if cut < limit // 2:
            space = window.rfind(" ")
            cut = space if space >= limit // 2 else cut
        if cut <= 0:
            cut = limit
            while cut > 1 and window[cut - 1] == "\\":
                cut -= 1
        chunk, rest = rest[:cut].rstrip(), rest[cut:].lstrip("\n ")
        if chunk:
            chunks.append(chunk)
    if rest.strip() or not chunks:
        chunks.append(rest)
    return chunks


def _file(name: str, data: bytes, description: str) -> discord.File:
    return discord.File(io.BytesIO(data), filename=name, description=description[:1024])


def view_for(outbound: Outbound, user_id: int) -> discord.ui.View | None:
    """Buttons (5 or fewer, or a short scale) or a select (up to 25) for a question."""
    if outbound.command is not None:
        return components.command_view(outbound.command, outbound.choices, user_id)
    question = outbound.question
    if question is None or not outbound.choices:
        return None
    choices = outbound.choices
    if len(choices) > 25:
        return None
    view = discord.ui.View(timeout=None)
    as_buttons = len(choices) <= MAX_BUTTONS or (
        question.kind == "scale" and len(choices) <= SCALE_BUTTONS)
    if as_buttons:
        for index, choice in enumerate(choices):
            item = components.AnswerButton.make(question, choice, index, user_id)
            if item is None:
                return None
            view.add_item(item)
    else:
        item = components.AnswerSelect.make(question, choices, user_id)
        if item is None:
            return None
        view.add_item(item)
    return view


def render(outbounds: Sequence[Outbound], user_id: int) -> list[Piece]:
    """Turn the coach's answers into as few Discord messages as read well.

    Consecutive plain texts are joined (one request instead of several); a message with
    buttons, a file or a confirmation ends the run, so its components sit under its text.
    """
    pieces: list[Piece] = []
    buffer: list[str] = []
    crisis = False

    def flush(view: discord.ui.View | None = None, files: list[discord.File] | None = None
              ) -> None:
        nonlocal buffer, crisis
        text = "\n\n".join(buffer)
        chunks = split(text) if text else [""]
        for chunk in chunks[:-1]:
            pieces.append(Piece(chunk, crisis=crisis))
        last = Piece(chunks[-1], view, files or [], crisis)
        if last.content or last.view or last.files:
            pieces.append(last)
        buffer = []
        crisis = False

    for out in outbounds:
        buffer.append(escape(out.text))
        crisis = crisis or out.tone == Tone.CRISIS
        files = []
        if out.image is not None:
            files.append(_file(out.image.filename, out.image.data, out.image.alt_text))
        if out.attachment is not None:
            files.append(_file(out.attachment.filename, out.attachment.data,
                               out.attachment.description))
        view = view_for(out, user_id)
        if out.confirm:
            view = components.confirm_view(out.confirm, user_id)
        if view is not None or files:
            flush(view, files)
    if buffer:
        flush()
    return pieces


def is_crisis(outbounds: Sequence[Outbound]) -> bool:
    return any(o.tone == Tone.CRISIS for o in outbounds)
