"""One inbound path for every transport: Inbound -> safety -> commands or engine -> Outbound.

The safety check runs first on every piece of text a member sends, before anything else
sees it: free text, command arguments, form fields and answers to buttons.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from bot.commands import DM, SERVER, TERMINAL, Command, CommandContext, CommandError
from bot.crisis import wants_to_continue
from bot.flows.answers import printable, visible
from bot.flows.sessions import Session
from bot.messages import CommandCall, Inbound, Outbound, Tone
from bot.storage import StorageError

if TYPE_CHECKING:
    from bot.app import Coach
    from bot.members import Member

log = logging.getLogger(__name__)

ONBOARDING = "onboarding"
# Commands that change conversations or data themselves: no reminder of the question after.
KEEP_CONTEXT = frozenset({"coach", "mydata"})
TRY_AGAIN = ("Sorry, I couldn't save that just now, so nothing changed. Please try again in a "
             "moment; everything you told me before is safe.")
OOPS = ("Sorry, something went wrong on my side. Please try again. If it keeps happening, "
        "a moderator can look into it.")


@dataclass
class Pending:
    """A command waiting for more input: form fields (terminal) or a confirmation."""

    command: Command
    args: dict[str, Any]
    form: dict[str, str] = field(default_factory=dict)
    awaiting_confirm: bool = False
    token: str = ""


# Features add these: notes shown before the reply to a member's next message (missed
# reminders, closed DMs), and one-off follow-up answers (a typed "what helped?"). A follow-up
# returns None when the text is not an answer, and the message is handled as usual.
NoticeSource = Callable[["Member", str], Awaitable[list[Outbound]]]
FollowUp = Callable[["Member", str], Awaitable[list[Outbound] | None]]


def where_of(inbound: Inbound) -> str:
    if inbound.speaker.platform == TERMINAL:
        return TERMINAL
    return DM if inbound.private else SERVER


def texts_of(inbound: Inbound) -> list[str]:
    """Every piece of text in a message: what the safety check reads."""
    parts = [inbound.text]
    if inbound.command is not None:
        parts += [v for v in inbound.command.args.values() if isinstance(v, str)]
        if inbound.command.form:
            parts += [v for v in inbound.command.form.values() if isinstance(v, str)]
    return parts


class Router:
    def __init__(self, coach: Coach) -> None:
        self.coach = coach
        self._pending: dict[int, Pending] = {}
        self._follow_ups: dict[int, FollowUp] = {}
        self.notice_sources: list[NoticeSource] = []

    def expect(self, member_id: int, follow_up: FollowUp) -> None:
        """The member's next typed line (not a command) goes to `follow_up` first."""
        self._follow_ups[member_id] = follow_up

    async def handle(self, inbound: Inbound) -> list[Outbound]:
        coach = self.coach
        clean = printable(inbound.text)  # terminal escapes and bells never travel further
        if clean != inbound.text:
            inbound = replace(inbound, text=clean)
        assessment = coach.crisis.assess(texts_of(inbound))
        if assessment.crisis:
            member = None
            try:
                member = await coach.members.ensure(inbound.speaker, coach.clock.now())
                self._pending.pop(member.id, None)
            except Exception as exc:
                log.error("member not loaded on the crisis path: %s", type(exc).__name__)
            return await coach.crisis.respond(member, assessment, inbound.guild_id)
        try:
            return await self._handle(inbound)
        except StorageError as exc:
            log.warning("storage error user=%s: %s", inbound.speaker.user_id, type(exc).__name__)
            return [Outbound(TRY_AGAIN, tone=Tone.ERROR)]
        except Exception:
            log.exception("failed to handle a message user=%s", inbound.speaker.user_id)
            return [Outbound(OOPS, tone=Tone.ERROR)]

    async def _handle(self, inbound: Inbound) -> list[Outbound]:
        coach = self.coach
        arrival = await coach.members.arrive(inbound.speaker, coach.clock.now())
        try:
            member = arrival.member
            notices = [o for source in self.notice_sources
                       for o in await source(member, where_of(inbound))]
            return [*notices, *await self._reply(member, inbound, arrival.session)]
        finally:
            coach.members.settle(arrival)

    async def _reply(self, member: Member, inbound: Inbound, active: Session | None
                     ) -> list[Outbound]:
        coach = self.coach
        pending = self._pending.get(member.id)
        follow_up = self._follow_ups.pop(member.id, None)
        if inbound.command is not None:
            self._pending.pop(member.id, None)
            return await self._call(member, inbound, inbound.command)
        text = inbound.text
        if (follow_up is not None and pending is None and inbound.answer is None
                and not text.strip().startswith("/")):
            answered = await follow_up(member, text)
            if answered is not None:
                return answered
        if pending is not None and inbound.answer is None:
            return await self._continue_pending(member, inbound, pending)
        if text.strip().startswith("/") and inbound.answer is None:
            parsed = coach.registry.parse(text)
            if isinstance(parsed, CommandError):
                return [Outbound(parsed.message, tone=Tone.ERROR)]
            command, args = parsed
            replies = await self._run(member, inbound, command, args, None, confirmed=False)
            if active is not None and inbound.private and command.path[0] not in KEEP_CONTEXT:
                replies += await self._back_to_conversation(member)
            return replies
        if member.in_crisis_pause:
            if wants_to_continue(text):
                return await self.continue_after_crisis(member)
            return coach.crisis.follow_up(member, inbound.guild_id)
        if not inbound.private:
            return [Outbound("Coaching happens in private. Send me a direct message, or use "
                             "/coach start here and I'll answer only you.")]
        if active is not None:  # read together with the member, in the same statement
            return await coach.engine.answer(member, active, text, inbound.answer)
        if inbound.answer is not None:
            return [Outbound("That button belongs to a conversation that has ended, so there "
                             "is nothing to change. Type /coach list to start a new one.")]
        return await self.greet(member, fresh_message=True)

    async def _back_to_conversation(self, member: Member) -> list[Outbound]:
        """After a command typed in the middle of a conversation, the question again."""
        if member.id in self._pending:  # the command is still asking for something
            return []
        session = await self.coach.engine.sessions.active(member.id)
        if session is None:
            return []
        return [Outbound("Back to our conversation:"),
                *await self.coach.engine.show_current(member, session)]

    async def greet(self, member: Member, *, fresh_message: bool = False) -> list[Outbound]:
        """What a member sees when they arrive with nothing in progress."""
        coach = self.coach
        if member.in_crisis_pause:
            return coach.crisis.follow_up(member)
        session = await coach.engine.sessions.resumable(member.id)
        if session is not None and not fresh_message:
            flow = coach.library.get(session.flow_id)
            title = flow.title.for_language(member.preferred_language)[0] if flow else "a talk"
            return [Outbound(f"Welcome back, {member.display_name}. We were in the middle of "
                             f"\"{title}\". Here is where we left off:"),
                    *await coach.engine.show_current(member, session)]
        if not member.onboarded and coach.library.get(ONBOARDING) is not None:
            await coach.members.update(member.id, onboarded=1)
            return await coach.engine.start(member, ONBOARDING)
        return self.menu(member, paused=session is not None)

    def menu(self, member: Member, *, paused: bool = False) -> list[Outbound]:
        lines = [f"Hi {member.display_name}. Here are the conversations you can start:"]
        for flow in self.coach.library.listed():
            title = flow.title.for_language(member.preferred_language)[0]
            about = flow.description.for_language(member.preferred_language)[0]
            lines.append(f"- /coach start {flow.id} : {title}. {about}")
        if paused:
            lines.append("You also have a paused conversation: type /coach resume to go on.")
        lines.append("Type /help to see everything I can do.")
        return [Outbound("\n".join(lines))]

    async def continue_after_crisis(self, member: Member) -> list[Outbound]:
        coach = self.coach
        await coach.crisis.continue_coaching(member)
        member = await coach.members.update(member.id)
        session = await coach.engine.sessions.resumable(member.id)
        intro = Outbound("Thank you for letting me know. We can go on whenever you're ready, "
                         "and /resources is always there if you need it.")
        if session is None:
            return [intro, *self.menu(member)]
        return [intro, *await coach.engine.show_current(member, session)]

    # -- commands --------------------------------------------------------------------------

    async def _call(self, member: Member, inbound: Inbound, call: CommandCall
                    ) -> list[Outbound]:
        command = self.coach.registry.get(call.path)
        if command is None:
            return [Outbound("That command no longer exists. Type /help to see the commands.",
                             tone=Tone.ERROR)]
        return await self._run(member, inbound, command, dict(call.args), call.form,
                               confirmed=call.confirmed)

    async def _run(self, member: Member, inbound: Inbound, command: Command,
                   args: dict[str, Any], form: dict[str, str] | None, *, confirmed: bool
                   ) -> list[Outbound]:
        where = where_of(inbound)
        if where not in command.where:
            places = {DM: "in a direct message", SERVER: "in a server channel",
                      TERMINAL: "in the terminal chat"}
            allowed = " or ".join(places[w] for w in (DM, SERVER, TERMINAL) if w in command.where)
            return [Outbound(f"{command.name} works only {allowed}.", tone=Tone.ERROR)]
        if command.moderator and not inbound.is_moderator:
            log.info("moderator command refused member=%s command=%s", member.id, command.name)
            return [Outbound(f"{command.name} is for moderators (people with Manage Server or "
                             "the moderator role).", tone=Tone.ERROR)]
        if command.form and form is None:
            pending = Pending(command, args)
            self._pending[member.id] = pending
            return [self._form_prompt(pending)]
        if command.confirm and not confirmed:
            token = secrets.token_hex(8)
            self._pending[member.id] = Pending(command, args, form or {}, True, token)
            return [Outbound(f"{command.confirm} Type yes to confirm; anything else cancels.",
                             tone=Tone.ASK, confirm=token)]
        ctx = CommandContext(coach=self.coach, member=member, inbound=inbound, where=where,
                             args=args, form=form or {})
        log.info("command member=%s command=%s", member.id, command.name)
        return await command.handler(ctx)

    def cancel(self, member_id: int) -> bool:
        """Drop a command waiting for a form field or a confirmation. True if there was one."""
        return self._pending.pop(member_id, None) is not None

    async def confirm(self, inbound: Inbound, token: str) -> list[Outbound]:
        """A confirm button was pressed (transports without typed answers)."""
        member = await self.coach.members.ensure(inbound.speaker, self.coach.clock.now())
        pending = self._pending.get(member.id)
        if pending is None or not pending.awaiting_confirm or pending.token != token:
            return [Outbound("That confirmation has expired, so nothing was done. Please run "
                             "the command again if you still want to.")]
        del self._pending[member.id]
        return await self._run(member, inbound, pending.command, pending.args, pending.form,
                               confirmed=True)

    async def _continue_pending(self, member: Member, inbound: Inbound, pending: Pending
                                ) -> list[Outbound]:
        text = inbound.text
        if pending.awaiting_confirm:
            del self._pending[member.id]
            if text.strip().casefold() == "yes":
                return await self._run(member, inbound, pending.command, pending.args,
                                       pending.form, confirmed=True)
            return [Outbound("Cancelled. Nothing was changed.")]
        if text.strip().casefold() in ("cancel", "stop"):
            del self._pending[member.id]
            return [Outbound(f"Cancelled {pending.command.name}. Nothing was saved.")]
        field_ = pending.command.form[len(pending.form)]
        value = printable(text).strip() if visible(text) else ""
        if not value and field_.required:
            return [Outbound(f"{field_.label} is needed. Please write a few words, or type "
                             "cancel.", tone=Tone.ERROR)]
        if len(value) > field_.max_length:
            return [Outbound(f"That is a bit long: please keep it under {field_.max_length} "
                             "characters.", tone=Tone.ERROR)]
        pending.form[field_.name] = value
        if len(pending.form) < len(pending.command.form):
            return [self._form_prompt(pending)]
        del self._pending[member.id]
        return await self._run(member, inbound, pending.command, pending.args, pending.form,
                               confirmed=False)

    @staticmethod
    def _form_prompt(pending: Pending) -> Outbound:
        field_ = pending.command.form[len(pending.form)]
        note = ""
        if not field_.required:
            note = (" (press Enter to skip)" if "optional" in field_.label.lower()
                    else " (optional: press Enter to skip)")
        end = "" if field_.label.rstrip().endswith(("?", ".", ")")) and not note else "."
        example = f" For example: {field_.placeholder}" if field_.placeholder else ""
        return Outbound(f"{field_.label}{note}{end}{example}", tone=Tone.ASK)
