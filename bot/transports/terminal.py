"""The terminal chat: the same coach as on Discord, at a terminal or with piped input.

Only the bot's words go to standard output (so transcripts can be piped and compared);
errors and logs go to standard error. One answer per line; end of input pauses the
conversation and exits 0.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from bot.app import Coach
from bot.messages import Inbound, Outbound, Speaker

PLATFORM = "terminal"


class TerminalChat:
    def __init__(self, coach: Coach, user: str, *, stdin: TextIO = sys.stdin,
                 stdout: TextIO = sys.stdout, stderr: TextIO = sys.stderr,
                 data_dir: Path | None = None) -> None:
        self.coach = coach
        self.speaker = Speaker(PLATFORM, user, user)
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.data_dir = data_dir or Path(coach.config.data_dir)
        self.interactive = stdin.isatty()

    async def run(self, flow_id: str | None = None) -> int:
        coach = self.coach
        member = await coach.members.ensure(self.speaker, coach.clock.now())
        if flow_id is not None:
            if coach.library.get(flow_id) is None:
                known = ", ".join(coach.library.ids()) or "none"
                print(f"coachbot: no conversation called {flow_id!r} (loaded: {known})",
                      file=self.stderr)
                return 2
            self.show(await coach.engine.start(member, flow_id))
        else:
            assert coach.router is not None
            self.show(await coach.router.greet(member))
        while True:
            if self.interactive:
                print("you> ", end="", file=self.stderr, flush=True)
            line = await asyncio.to_thread(self.stdin.readline)
            if line == "":
                await self.pause_at_end()
                return 0
            reply = await coach.handle(Inbound(self.speaker, text=line.rstrip("\r\n")))
            self.show(reply)

    async def pause_at_end(self) -> None:
        member = await self.coach.members.ensure(self.speaker, self.coach.clock.now())
        assert self.coach.router is not None
        if self.coach.router.cancel(member.id):
            print("Cancelled. Nothing was changed.", file=self.stdout)
        session = await self.coach.engine.sessions.active(member.id)
        if session is not None:
            await self.coach.engine.pause(session)
            if self.interactive:
                print("\nPaused. Run coachbot chat again to pick up where you left off.",
                      file=self.stdout)

    def show(self, messages: Sequence[Outbound]) -> None:
        for message in messages:
            self.stdout.write(render(message, self.save))
            self.stdout.write("\n")
        self.stdout.flush()

    def save(self, filename: str, data: bytes) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / filename
        path.write_bytes(data)
        return path


def render(message: Outbound, save: object) -> str:
    lines = [message.text] if message.text else []
    question = message.question
    if message.choices and question is not None:
        if question.kind == "choice":
            lines += [f"  {i}. {c.label}" for i, c in enumerate(message.choices, 1)]
        elif question.kind == "scale":
            lines.append(f"  (a number from {message.choices[0].label} to "
                         f"{message.choices[-1].label})")
        else:
            lines.append("  (yes or no)")
    if message.image is not None:
        path = save(message.image.filename, message.image.data)  # type: ignore[operator]
        lines.append(f"Picture saved to {path}. What it shows: {message.image.alt_text}")
    if message.attachment is not None:
        path = save(message.attachment.filename, message.attachment.data)  # type: ignore[operator]
        lines.append(f"File saved to {path} ({message.attachment.description}).")
    return "\n".join(lines)


async def run_chat(coach: Coach, user: str, flow_id: str | None) -> int:
    return await TerminalChat(coach, user).run(flow_id)
