"""The conversation engine: asks a flow's steps, reads answers, and saves before it speaks.

Every answer and the new position are written to SQLite in one transaction before the next
prompt is returned, so a restart resumes exactly where the member was.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import aiosqlite

from bot.clock import Clock
from bot.flows import answers as parse
from bot.flows.model import END, Flow, Step, Text, render
from bot.flows.sessions import Session, Sessions
from bot.goals.store import create_goal
from bot.messages import AnswerRef, Choice, Outbound, Question, Tone
from bot.places import country_problem, find_country, find_timezone, timezone_problem

if TYPE_CHECKING:
    from bot.flows.library import FlowLibrary
    from bot.members import Member
    from bot.storage import Database

log = logging.getLogger(__name__)

KEYWORDS = ("stop", "pause", "skip", "back", "help")
MAX_TRIES = 3
OFFER_GOAL = "_offer_goal"
GOAL_WHAT = "_goal_what"
GOAL_PLAN = "_goal_plan"

Write = Callable[[aiosqlite.Connection], Awaitable[None]]

GENERIC_HELP = (
    "Answer in your own words; there are no wrong answers. You can also type one of these "
    "as a whole message: pause (come back later), stop (end this conversation), back (the "
    "question before), skip (only for optional questions), help (this message). If you need "
    "support beyond coaching, type /resources.")
YES_NO = (Choice("yes", "Yes"), Choice("no", "No"))
_SHARED_RNG = random.Random()  # seeding a new Random from the OS per prompt costs more than the prompt


def keyword(text: str) -> str | None:
    """`stop`, `pause`, `skip`, `back` or `help` when it is the whole message, any case."""
    word = text.strip().casefold()
    return word if word in KEYWORDS else None


class Engine:
    def __init__(self, db: Database, library: FlowLibrary, clock: Clock, *,
                 seed: int | None = None) -> None:
        self.db = db
        self.library = library
        self.clock = clock
        self.sessions = Sessions(db)
        self.seed = seed

    # -- starting and resuming -------------------------------------------------------------

    async def start(self, member: Member, flow_id: str) -> list[Outbound]:
        flow = self.library.get(flow_id)
        if flow is None:
            return [Outbound(f"I don't have a conversation called {flow_id!r}. "
                             "Type /coach list to see them.", tone=Tone.ERROR)]
        async with self.db.transaction() as conn:
            session = await self.sessions.create(conn, member.id, flow.id, flow.content_hash,
                                                 flow.first.id, member.preferred_language,
                                                 self.clock.now())
        log.info("session started member=%s session=%s flow=%s", member.id, session.id, flow.id)
        out: list[Outbound] = []
        writes: list[Write] = []
        await self._run(member, session, flow, out, writes)
        await self._save(session, writes)
        return out

    async def show_current(self, member: Member, session: Session) -> list[Outbound]:
        """The question the member is on, asked again (after a restart or a resume)."""
        out: list[Outbound] = []
        flow = self._check_version(session, out)
        if flow is None:
            await self._save(session, [])
            return out
        writes: list[Write] = []
        if session.status != "active":
            session.status = "active"

            async def pause_others(conn: aiosqlite.Connection) -> None:
                # In the save's transaction: if the save is refused, nothing was paused.
                await conn.execute("UPDATE sessions SET status = 'paused' WHERE member_id = ?"
                                   " AND status = 'active' AND id != ?", (member.id, session.id))
            writes.append(pause_others)
        await self._run(member, session, flow, out, writes)
        await self._save(session, writes)
        return out

    async def pause(self, session: Session, status: str = "paused") -> None:
        await self.sessions.set_status(session.id, status, self.clock.now())

    # -- answering -------------------------------------------------------------------------

    async def answer(self, member: Member, session: Session, text: str,
                     ref: AnswerRef | None = None) -> list[Outbound]:
        out: list[Outbound] = []
        flow = self._check_version(session, out)
        if flow is None:
            await self._save(session, [])
            return out
        if out:  # the file changed under the member: show where we are now
            writes: list[Write] = []
            await self._run(member, session, flow, out, writes)
            await self._save(session, writes)
            return out
        current = session.state.get("phase") if session.step_id == END else session.step_id
        if ref is not None:
            if ref.session_id != session.id or ref.step_id != current:
                return [Outbound("That button belongs to a question we have already moved past,"
                                 " so I left your answer as it was. Here is where we are now:"),
                        *await self.show_current(member, session)]
            text = ref.value
        writes = []
        if session.step_id == END:
            await self._answer_closing(member, session, flow, text, out, writes)
        else:
            step = flow.step(session.step_id)
            moved = await self._answer_step(member, session, flow, step, text, out, writes)
            if moved:
                await self._run(member, session, flow, out, writes)
        await self._save(session, writes)
        return out

    async def _answer_step(self, member: Member, session: Session, flow: Flow, step: Step,
                           text: str, out: list[Outbound], writes: list[Write]) -> bool:
        """Handle one answer. True when the session moved on to another step."""
        word = keyword(text)
        if word == "stop":
            session.status = "stopped"
            out.append(Outbound("Okay, I've ended this conversation. Your answers are kept. "
                                "Type /coach list whenever you'd like to start another."))
            return False
        if word == "pause":
            session.status = "paused"
            out.append(Outbound("Paused. Take all the time you need. Type /coach resume when "
                                "you'd like to pick up where we left off."))
            return False
        if word == "help":
            out.append(Outbound(self._text(step.help, session, member) if step.help
                                else GENERIC_HELP))
            out.append(self._question(member, session, flow, step))
            return False
        if word == "back":
            if not session.history:
                out.append(Outbound("This is the first question, so there is nothing before it."))
                out.append(self._question(member, session, flow, step))
                return False
            session.step_id = session.history.pop()
            session.state.pop("reflect", None)
            session.state["tries"] = 0
            return True
        if word == "skip":
            if not step.optional:
                out.append(Outbound("This question can't be skipped. You can type pause to come "
                                    "back later, or stop to end the conversation."))
                out.append(self._question(member, session, flow, step))
                return False
            if step.variable:
                session.answers[step.variable] = None
            return self._move_on(session, flow, step)

        if step.type == "reflect":
            return self._answer_reflect(member, session, flow, step, text, out)

        value = self._read(step, text, session.language)
        if isinstance(value, parse.Invalid):
            tries = session.state.get("tries", 0) + 1
            session.state["tries"] = tries
            hint = value.hint
            if tries >= MAX_TRIES:
                hint += (" If this question doesn't fit right now, you can type pause and come "
                         "back later, or help for more.")
            out.append(Outbound(hint, tone=Tone.ERROR))
            return False
        if step.type == "goal":
            if value:
                fields = {name: render(template, self._values(session, member))
                          for name, template in step.goal.items()}
                writes.append(self._goal_writer(member, session, fields, out))
                session.state["goal_created"] = True
            else:
                out.append(Outbound("That's fine. Nothing is saved as a goal."))
        profile_problem = self._profile(member, step, value, writes)
        if profile_problem:
            out.append(Outbound(profile_problem, tone=Tone.ERROR))
            return False
        if step.variable:
            session.answers[step.variable] = value
        return self._move_on(session, flow, step)

    def _answer_reflect(self, member: Member, session: Session, flow: Flow, step: Step,
                        text: str, out: list[Outbound]) -> bool:
        assert step.of is not None
        if session.state.get("reflect") == "restate":
            restated = parse.parse_text(text)
            if isinstance(restated, parse.Invalid):
                out.append(Outbound(restated.hint, tone=Tone.ERROR))
                return False
            session.answers[step.of] = restated
            session.state["reflect"] = None
            session.state["reflect_rounds"] = session.state.get("reflect_rounds", 0) + 1
            out.append(self._question(member, session, flow, step))
            return False
        fits = parse.parse_yes_no(text)
        if isinstance(fits, parse.Invalid):
            out.append(Outbound("Does it fit? Please answer yes or no.", tone=Tone.ERROR))
            return False
        if fits or session.state.get("reflect_rounds", 0) >= MAX_TRIES:
            session.state.pop("reflect", None)
            session.state.pop("reflect_rounds", None)
            return self._move_on(session, flow, step)
        session.state["reflect"] = "restate"
        retry = step.retry_prompt or Text.plain("Thank you for telling me. How would you put it, "
                                                "in your own words?")
        out.append(Outbound(self._text(retry, session, member), tone=Tone.ASK))
        return False

    def _move_on(self, session: Session, flow: Flow, step: Step) -> bool:
        session.history.append(step.id)
        session.state["tries"] = 0
        session.step_id = flow.next_id(step, session.answers)
        return True

    # -- running steps until the next question ---------------------------------------------

    async def _run(self, member: Member, session: Session, flow: Flow, out: list[Outbound],
                   writes: list[Write]) -> None:
        for _ in range(10_000):  # a validated flow always reaches a question or the end
            if session.status != "active":
                return
            if session.step_id == END:
                if session.state.get("phase"):
                    out.append(self._closing_question(session))
                    return
                returned = self._return_from_call(session)
                if returned is None:
                    self._finish(member, session, flow, out)
                    return
                flow = returned
                continue
            step = flow.step(session.step_id)
            if step.type == "message":
                out.append(Outbound(self._text(step.prompt, session, member)))
                session.step_id = flow.next_id(step, session.answers)
            elif step.type == "end":
                if step.prompt:
                    out.append(Outbound(self._text(step.prompt, session, member)))
                session.step_id = END
            elif step.type == "call":
                callee = self.library.get(step.conversation or "")
                back_to = flow.next_id(step, session.answers)
                if callee is None:
                    log.warning("call to a missing conversation flow=%s", step.conversation)
                    session.step_id = back_to
                    continue
                session.stack.append({"flow_id": flow.id, "flow_hash": flow.content_hash,
                                      "return_to": back_to, "answers": session.answers,
                                      "history": session.history})
                session.flow_id, session.flow_hash = callee.id, callee.content_hash
                session.answers, session.step_id = {}, callee.first.id
                session.state["history"] = []
                flow = callee
            else:
                out.append(self._question(member, session, flow, step))
                return
        raise RuntimeError(f"flow {flow.id} did not reach a question")

    def _return_from_call(self, session: Session) -> Flow | None:
        while session.stack:
            frame = session.stack.pop()
            caller = self.library.get(frame["flow_id"])
            if caller is None:
                continue
            merged = dict(frame["answers"])
            for key, value in session.answers.items():
                merged.setdefault(key, value)
            session.flow_id, session.flow_hash = caller.id, caller.content_hash
            session.answers, session.step_id = merged, frame["return_to"]
            session.state["history"] = frame.get("history", [])
            if session.step_id != END and not caller.has(session.step_id):
                session.step_id = END
            return caller
        return None

    def _finish(self, member: Member, session: Session, flow: Flow, out: list[Outbound]) -> None:
        flow = self.library.get(session.flow_id) or flow
        summary = self._summary(member, session, flow)
        if summary:
            out.append(Outbound(summary))
        if flow.offer_goal and not session.state.get("goal_created"):
            session.state["phase"] = OFFER_GOAL
            out.append(self._closing_question(session))
            return
        self._close(session, out)

    def _close(self, session: Session, out: list[Outbound]) -> None:
        session.status = "finished"
        session.state.pop("phase", None)
        out.append(Outbound("Thank you for taking this time for yourself. Type /coach list "
                            "whenever you'd like another conversation."))

    def _summary(self, member: Member, session: Session, flow: Flow) -> str | None:
        if flow.summary is not None:
            return self._text(flow.summary, session, member)
        words = []
        for step_id in session.history:
            if flow.has(step_id):
                step = flow.step(step_id)
                if step.type == "text" and isinstance(session.answers.get(step.variable or ""),
                                                      str):
                    words.append(session.answers[step.variable or ""])
        if not words:
            return None
        lines = "\n".join(f"- \"{w}\"" for w in words[-3:])
        return f"Here is some of what you said today, in your own words:\n{lines}"

    def _closing_question(self, session: Session) -> Outbound:
        phase = session.state.get("phase")
        if phase == OFFER_GOAL:
            return Outbound("Would you like to turn this into a goal you can check in on?",
                            tone=Tone.ASK, choices=YES_NO,
                            question=Question(session.id, OFFER_GOAL, "yes_no"))
        if phase == GOAL_WHAT:
            return Outbound("What is the goal, in a few words?", tone=Tone.ASK)
        return Outbound("What is your plan? Try the form \"If (a moment or cue), then I will "
                        "(an action)\". Or type skip.", tone=Tone.ASK)

    async def _answer_closing(self, member: Member, session: Session, flow: Flow, text: str,
                              out: list[Outbound], writes: list[Write]) -> None:
        phase = session.state.get("phase")
        word = keyword(text)
        if word in ("stop", "pause") or (phase == GOAL_PLAN and word == "skip"
                                        and session.state.get("goal_what")):
            if phase == GOAL_PLAN and word == "skip":
                fields = {"what": session.state.pop("goal_what")}
                writes.append(self._goal_writer(member, session, fields, out))
            self._close(session, out)
            return
        if phase == OFFER_GOAL:
            wants = parse.parse_yes_no(text)
            if isinstance(wants, parse.Invalid):
                out.append(Outbound(wants.hint, tone=Tone.ERROR))
                return
            if not wants:
                self._close(session, out)
                return
            session.state["phase"] = GOAL_WHAT
        elif phase == GOAL_WHAT:
            what = parse.parse_text(text)
            if isinstance(what, parse.Invalid):
                out.append(Outbound(what.hint, tone=Tone.ERROR))
                return
            session.state["goal_what"] = what
            session.state["phase"] = GOAL_PLAN
        else:
            plan = parse.parse_text(text)
            if isinstance(plan, parse.Invalid):
                out.append(Outbound(plan.hint, tone=Tone.ERROR))
                return
            fields = {"what": session.state.pop("goal_what", "My goal"), "plan": plan}
            writes.append(self._goal_writer(member, session, fields, out))
            self._close(session, out)
            return
        out.append(self._closing_question(session))

    # -- pieces ----------------------------------------------------------------------------

    def _question(self, member: Member, session: Session, flow: Flow, step: Step) -> Outbound:
        prompt = self._text(step.prompt, session, member) if step.prompt else ""
        if step.type == "reflect":
            if not step.prompt:
                prompt = render(f"Here is what I heard: \"{{{step.of}}}\". Does that fit?",
                                self._values(session, member))
            return Outbound(prompt, tone=Tone.ASK, choices=YES_NO,
                            question=Question(session.id, step.id, "reflect"))
        if step.type == "goal":
            values = self._values(session, member)
            preview = [f"Goal: {render(step.goal['what'], values)}"]
            if "plan" in step.goal:
                preview.append(f"Plan: {render(step.goal['plan'], values)}")
            ask = prompt or "Would you like to save this as a goal?"
            return Outbound("\n".join([*preview, ask]), tone=Tone.ASK, choices=YES_NO,
                            question=Question(session.id, step.id, "yes_no"))
        if step.type == "choice":
            choices = tuple(Choice(o.value, o.label.pick(session.language, self._rng(session)))
                            for o in step.options)
            return Outbound(prompt, tone=Tone.ASK, choices=choices,
                            question=Question(session.id, step.id, "choice"))
        if step.type == "scale":
            low, high = step.min or 0, step.max or 10
            choices = tuple(Choice(str(n), str(n)) for n in range(low, high + 1))
            return Outbound(prompt, tone=Tone.ASK, choices=choices,
                            question=Question(session.id, step.id, "scale"))
        if step.type == "yes_no":
            return Outbound(prompt, tone=Tone.ASK, choices=YES_NO,
                            question=Question(session.id, step.id, "yes_no"))
        return Outbound(prompt, tone=Tone.ASK)

    def _read(self, step: Step, text: str, language: str | None) -> Any:
        if step.type == "choice":
            return parse.parse_choice(step, text, language)
        if step.type == "scale":
            return parse.parse_scale(step, text)
        if step.type == "number":
            return parse.parse_number(step, text)
        if step.type in ("yes_no", "goal"):
            return parse.parse_yes_no(text)
        if step.type == "time":
            return parse.parse_time(text)
        return parse.parse_text(text)

    def _profile(self, member: Member, step: Step, value: Any, writes: list[Write]
                 ) -> str | None:
        field = step.profile
        if not field or value is None:
            return None
        if field == "timezone":
            zone = find_timezone(str(value))
            if zone is None:
                return timezone_problem(str(value)) + " You can also type skip."
            value = zone
        elif field == "country":
            code = find_country(str(value))
            if code is None:
                return country_problem(str(value)) + " You can also type skip."
            value = code
        elif field == "alert_consent":
            value = 1 if value else 0
        elif field == "language":
            value = str(value)[:10]
        column = {"timezone": "timezone", "country": "country", "language": "language",
                  "alert_consent": "alert_consent"}[field]

        async def write(conn: aiosqlite.Connection) -> None:
            await conn.execute(f"UPDATE members SET {column} = ? WHERE id = ?",  # noqa: S608
                               (value, member.id))
        writes.append(write)
        return None

    def _goal_writer(self, member: Member, session: Session, fields: dict[str, Any],
                     out: list[Outbound]) -> Write:
        reply = Outbound("Saved as a goal. You can see it with /goal list and check in on it "
                         "with /goal checkin.")
        out.append(reply)

        async def write(conn: aiosqlite.Connection) -> None:
            await create_goal(conn, member.id, fields, self.clock.now(), session_id=session.id)
        return write

    def _check_version(self, session: Session, out: list[Outbound]) -> Flow | None:
        flow = self.library.get(session.flow_id)
        if flow is None:
            session.status = "abandoned"
            out.append(Outbound("The conversation you were in is no longer available. Your "
                                "answers are kept. Type /coach list to pick another one."))
            return None
        if flow.content_hash == session.flow_hash:
            return flow
        session.flow_hash = flow.content_hash
        if session.step_id == END or flow.has(session.step_id):
            return flow
        log.info("session restarted after an edit session=%s flow=%s", session.id, flow.id)
        session.step_id = flow.first.id
        session.state = {"history": []}
        out.append(Outbound("This conversation was updated since we last talked, and the "
                            "question we were on has changed. Let's start it again from the "
                            "top. I've kept your earlier answers."))
        return flow

    def _values(self, session: Session, member: Member) -> dict[str, Any]:
        return {**session.answers, "member": member.display_name}

    def _rng(self, session: Session) -> random.Random:
        if self.seed is None:
            return _SHARED_RNG
        visits = len(session.history)
        return random.Random(f"{self.seed}:{session.id}:{session.step_id}:{visits}")

    def _text(self, text: Text | None, session: Session, member: Member) -> str:
        if text is None:
            return ""
        template = text.pick(session.language, self._rng(session))
        return render(template, self._values(session, member))

    async def _save(self, session: Session, writes: list[Write]) -> None:
        session.synced = False
        if not writes:  # the common case: one statement, atomic on its own
            await self.sessions.store(session, self.clock.now())
        else:
            async with self.db.transaction() as conn:
                for write in writes:
                    await write(conn)
                await Sessions.save(conn, session, self.clock.now())
        session.synced = True
