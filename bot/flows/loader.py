"""Read one conversation file into a validated `Flow`, reporting every problem in one pass.

Each problem names the line and column of the key or value at fault and, where it can, a
hint (a did-you-mean for keys, step ids, variables, step types and conversation ids). A file
with any problem gives no `Flow` at all, so the engine only ever runs checked conversations.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.flows.conditions import (
    ConditionError,
    Node,
    Var,
    parse_condition,
)
from bot.flows.graph import MEMBER, NUMERIC_TYPES, StepGraph, join_words
from bot.flows.model import END, GOAL_FIELDS, STEP_TYPES, Branch, Flow, Option, Step, Text
from bot.yamlfile import Mark, Problem, YamlDocument, describe, did_you_mean, load_yaml

SNAKE_CASE = re.compile(r"^[a-z][a-z0-9_]*$")
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
MAX_OPTIONS = 25  # Discord: options in one select menu
MAX_LABEL = 80  # Discord: characters in a button label
MAX_MESSAGE = 2000  # Discord: characters in one message
PROFILE_FIELDS = {"timezone": ("text", "choice"), "country": ("text", "choice"),
                  "language": ("text", "choice"), "alert_consent": ("yes_no",)}

TOP_REQUIRED = ("id", "title", "description", "steps")
TOP_OPTIONAL = ("listed", "summary", "offer_goal")
_ASK = ("save_as", "next", "optional", "help")
STEP_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # type: (required keys, optional keys); `id` and `type` are always required
    "message": (("prompt",), ("next",)),
    "text": (("prompt",), (*_ASK, "profile")),
    "choice": (("prompt", "options"), (*_ASK, "profile")),
    "scale": (("prompt", "min", "max"), _ASK),
    "number": (("prompt",), ("min", "max", *_ASK)),
    "yes_no": (("prompt",), (*_ASK, "profile")),
    "time": (("prompt",), _ASK),
    "reflect": (("of",), ("prompt", "retry_prompt", "next", "optional", "help")),
    "goal": (("goal",), ("prompt", *_ASK)),
    "call": (("conversation",), ("next",)),
    "end": ((), ("prompt",)),
}
_KEY_HINTS = {
    ("end", "next"): "an end step finishes the conversation; remove 'next'",
    ("call", "prompt"): "a call step says nothing itself; put a message step before it",
    ("message", "save_as"): "a message step asks nothing, so it saves nothing",
}


def content_hash(data: bytes) -> str:
    """The version of a conversation file: the first 16 hex characters of its sha256."""
    return hashlib.sha256(data).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class CheckedFile:
    """The outcome of checking one file, with what a library needs to resolve calls."""

    flow: Flow | None
    problems: list[Problem]
    source: str
    calls: tuple[tuple[str, Mark], ...] = ()  # (called conversation id, where it is named)


def load_flow_file(path: Path, source: str | None = None,
                   known_flows: Collection[str] | None = None
                   ) -> tuple[Flow | None, list[Problem]]:
    """Read and check `path`; the expected id is the file name without its extension."""
    result = check_file(path, source, known_flows)
    return result.flow, result.problems


def load_flow_text(text: str, source: str, *, expected_id: str | None,
                   known_flows: Collection[str] | None = None
                   ) -> tuple[Flow | None, list[Problem]]:
    """Check the text of one conversation file. `source` names it in problems."""
    result = check_text(text, source, expected_id=expected_id, known_flows=known_flows)
    return result.flow, result.problems


def check_file(path: Path, source: str | None = None,
               known_flows: Collection[str] | None = None) -> CheckedFile:
    source = str(path) if source is None else source
    try:
        data = path.read_bytes()
    except OSError as exc:
        return CheckedFile(None, [Problem(source, 1, 1, "cannot read this file: "
                                                        f"{exc.strerror or exc}")], source)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return CheckedFile(None, [Problem(source, 1, 1, "this file is not UTF-8 text "
                                                        f"(byte {exc.start})",
                                          "save it with UTF-8 encoding")], source)
    return check_text(text, source, expected_id=path.stem, known_flows=known_flows,
                      flow_source=str(path), digest=content_hash(data))


def check_text(text: str, source: str, *, expected_id: str | None,
               known_flows: Collection[str] | None = None, flow_source: str | None = None,
               digest: str | None = None) -> CheckedFile:
    doc, problems = load_yaml(text, source)
    flow = None
    calls: tuple[tuple[str, Mark], ...] = ()
    if doc is not None:
        checker = _Checker(doc, text, problems, expected_id, known_flows)
        flow = checker.check(digest or content_hash(text.encode("utf-8")),
                             source if flow_source is None else flow_source)
        calls = tuple(checker.calls)
    unique = sorted(set(problems), key=lambda p: (p.line, p.col, p.message))
    return CheckedFile(flow if not unique else None, unique, source, calls)


# ---------------------------------------------------------------------------------------


@dataclass
class _Use:
    """A `{name}` (or a reflect's `of`) that must be saved before its step runs."""

    name: str
    path: tuple[Any, ...]
    offset: int | None  # where in the text value, when known
    in_condition: bool = False


@dataclass
class _StepInfo:
    index: int
    path: tuple[Any, ...]
    id: str | None = None
    type: str | None = None
    targets: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    falls_through: bool = False  # `next` unset: the following step
    uses: list[_Use] = field(default_factory=list)
    conditions: list[tuple[Node, tuple[Any, ...]]] = field(default_factory=list)
    step: Step | None = None
    saves: str | None = None  # the answer this step saves, as far as it can be read


class _Checker:
    def __init__(self, doc: YamlDocument, text: str, problems: list[Problem],
                 expected_id: str | None, known_flows: Collection[str] | None) -> None:
        self.doc = doc
        self.lines = text.splitlines()
        self.problems = problems
        self.expected_id = expected_id
        self.known_flows = known_flows
        self.flow_id: str | None = None
        self.graph_sound = True  # every step has an id, a type and readable `next` targets
        self.calls: list[tuple[str, Mark]] = []

    # -- reporting helpers ---------------------------------------------------------------

    def error(self, path: Iterable[Any], message: str, hint: str | None = None, *,
              at_key: bool = False) -> None:
        self.problems.append(self.doc.problem(tuple(path), message, hint, at_key=at_key))

    def error_at(self, mark: Mark, message: str, hint: str | None = None) -> None:
        self.problems.append(Problem(self.doc.source, mark.line, mark.col, message, hint))

    def mark_in(self, path: tuple[Any, ...], offset: int | None) -> Mark:
        """The position of character `offset` of the text value at `path`, when it is known."""
        start = self.doc.mark(path)
        info = self.doc.scalars.get(path)
        if offset is None or info is None or "\n" in info.raw:
            return start
        if not 0 < start.line <= len(self.lines):
            return start
        line = self.lines[start.line - 1]
        col = start.col - 1
        if not info.plain:
            if col >= len(line) or line[col] not in "'\"":
                return start  # a block scalar: the column is not on this line
            col += 1
        if line[col:col + len(info.raw)] != info.raw:
            return start  # escapes or folding: fall back to where the value starts
        return Mark(start.line, col + offset + 1)

    # -- values --------------------------------------------------------------------------

    def get(self, path: tuple[Any, ...]) -> Any:
        data = self.doc.data
        for part in path:
            data = data[part]
        return data

    def string(self, path: tuple[Any, ...], what: str = "text") -> str | None:
        return self.doc.text(path, self.problems, what)

    def name(self, path: tuple[Any, ...], what: str) -> str | None:
        value = self.string(path, what)
        if value is None:
            return None
        if not SNAKE_CASE.match(value):
            self.error(path, f"{what} {value!r} must be snake_case: lowercase letters, digits "
                             f"and underscores, starting with a letter",
                       f"try {_snake(value)!r}" if _snake(value) else None)
            return None
        return value

    def boolean(self, path: tuple[Any, ...], default: bool) -> bool:
        mapping = self.get(path[:-1])
        if path[-1] not in mapping:
            return default
        value = mapping[path[-1]]
        if isinstance(value, bool):
            return value
        self.error(path, f"{path[-1]!r} should be true or false, found {describe(value)}",
                   "write true or false without quotes")
        return default

    def integer(self, path: tuple[Any, ...]) -> int | None:
        value = self.get(path)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        hint = "write it without quotes" if isinstance(value, str) and \
            value.strip().lstrip("-").isdigit() else None
        self.error(path, f"{path[-1]!r} should be a whole number, found {describe(value)}", hint)
        return None

    def text(self, path: tuple[Any, ...], uses: list[_Use] | None, what: str,
             limit: int = MAX_MESSAGE) -> Text | None:
        """A text value: a string, a list of variants, or a mapping of language -> either."""
        value = self.get(path)
        if isinstance(value, dict):
            if not value:
                self.error(path, f"{what} has no languages", "write e.g. en: \"...\"")
                return None
            variants: dict[str, tuple[str, ...]] = {}
            for lang in value:
                if not isinstance(lang, str) or not LANGUAGE_CODE.match(lang):
                    self.error((*path, lang), f"{lang!r} is not a language code",
                               "use codes like en, es or pt-BR", at_key=True)
                    continue
                got = self.variants((*path, lang), uses, what, limit)
                if got:
                    variants[lang] = got
            return Text(variants) if len(variants) == len(value) else None
        got = self.variants(path, uses, what, limit)
        return Text({"en": got}) if got else None

    def variants(self, path: tuple[Any, ...], uses: list[_Use] | None, what: str,
                 limit: int) -> tuple[str, ...] | None:
        value = self.get(path)
        paths = [(*path, i) for i in range(len(value))] if isinstance(value, list) else [path]
        if isinstance(value, list) and not value:
            self.error(path, f"{what} is an empty list", "give at least one wording")
            return None
        found: list[str] = []
        for p in paths:
            s = self.string(p, what)
            if s is None:
                continue
            if not s.strip():
                self.error(p, f"{what} is empty", "write the words, or remove the key")
                continue
            if len(s) > limit:
                self.error(p, f"{what} is {len(s)} characters long; the limit is {limit}",
                           "shorten it" + (" or split it over two steps" if limit ==
                                           MAX_MESSAGE else ""))
                continue
            if uses is not None:
                uses.extend(_Use(m[1], p, m.start()) for m in PLACEHOLDER.finditer(s))
            found.append(s)
        return tuple(found) if len(found) == len(paths) else None

    # -- the file ------------------------------------------------------------------------

    def check(self, digest: str, flow_source: str) -> Flow | None:
        data = self.doc.data
        if not isinstance(data, dict):
            self.error((), f"a conversation file should be a mapping of keys (id, title, "
                           f"description, steps), found {describe(data)}")
            return None
        self.check_keys((), data, TOP_REQUIRED, TOP_OPTIONAL, "the conversation")
        flow_id = self.name(("id",), "the conversation id") if "id" in data else None
        if flow_id and self.expected_id is not None and flow_id != self.expected_id:
            self.error(("id",), f"the id {flow_id!r} does not match the file name "
                                f"{self.expected_id!r}",
                       f"rename the file to {flow_id}.yaml or change the id to "
                       f"{self.expected_id!r}")
        self.flow_id = flow_id or self.expected_id
        title = self.text(("title",), None, "the title", 100) if "title" in data else None
        description = self.text(("description",), None, "the description") \
            if "description" in data else None
        listed = self.boolean(("listed",), True)
        offer_goal = self.boolean(("offer_goal",), True)
        summary_uses: list[_Use] = []
        summary = self.text(("summary",), summary_uses, "the summary") \
            if "summary" in data else None
        steps = data.get("steps")
        infos: list[_StepInfo] = []
        if "steps" in data:
            if not isinstance(steps, list) or not steps:
                self.error(("steps",), "'steps' should be a list of steps, found "
                                       f"{'an empty list' if steps == [] else describe(steps)}",
                           "start each step with '- id: ...'")
            else:
                infos = [self.step(i) for i in range(len(steps))]
                StepGraph(self, infos, summary_uses).check()
        if self.problems or title is None or description is None:
            return None
        return Flow(id=flow_id or "", title=title, description=description,
                    steps=tuple(i.step for i in infos if i.step is not None),
                    content_hash=digest, source=flow_source, listed=listed,
                    summary=summary, offer_goal=offer_goal)

    def check_keys(self, path: tuple[Any, ...], value: dict[Any, Any],
                   required: Iterable[str], optional: Iterable[str], what: str,
                   step_type: str | None = None) -> None:
        required, optional = tuple(required), tuple(optional)
        known = (*required, *optional)
        for key in value:
            if key in known:
                continue
            hint = _KEY_HINTS.get((step_type or "", key))
            if hint is None and step_type is not None:
                owners = [t for t, (r, o) in STEP_KEYS.items() if key in r or key in o]
                if owners:
                    hint = f"{key!r} is used on {join_words(owners)} steps, not on {step_type} steps"
            hint = hint or did_you_mean(key, known) or f"allowed keys: {', '.join(known)}"
            self.error((*path, key), f"unknown key {key!r} in {what}", hint, at_key=True)
        for key in required:
            if key not in value:
                self.error(path, f"{what} is missing the key {key!r}")

    # -- one step ------------------------------------------------------------------------

    def step(self, index: int) -> _StepInfo:
        path: tuple[Any, ...] = ("steps", index)
        info = _StepInfo(index, path)
        raw = self.get(path)
        if not isinstance(raw, dict):
            self.error(path, f"step {index + 1} should be a mapping of keys, found "
                             f"{describe(raw)}", "start it with '- id: ...'")
            self.graph_sound = False
            return info
        what = f"step {index + 1}"
        if "id" in raw:
            info.id = self.name((*path, "id"), "the step id")
            if info.id == END:
                self.error((*path, "id"), "'end' is reserved for finishing the conversation",
                           "choose another step id")
                info.id = None
            if info.id:
                what = f"step {info.id!r}"
        else:
            self.error(path, f"{what} is missing the key 'id'", "add e.g. 'id: ask_goal'")
        kind = None
        if "type" in raw:
            kind = self.string((*path, "type"), "a step type")
            if kind is not None and kind not in STEP_TYPES:
                self.error((*path, "type"), f"unknown step type {kind!r}",
                           did_you_mean(kind, STEP_TYPES) or
                           f"the types are: {', '.join(STEP_TYPES)}")
                kind = None
        else:
            self.error(path, f"{what} is missing the key 'type'",
                       f"the types are: {', '.join(STEP_TYPES)}")
        info.type = kind
        if info.id is None:
            self.graph_sound = False
        if kind is None:
            # keep checking what can be checked, assuming the step saves its answer
            save_as = raw.get("save_as")
            info.saves = save_as if isinstance(save_as, str) else info.id
            if "next" in raw:
                self.next(info, raw)
            else:
                info.falls_through = True
            return info
        required, optional = STEP_KEYS[kind]
        self.check_keys(path, raw, ("id", "type", *required), optional, what, kind)
        uses = info.uses
        values: dict[str, Any] = {}
        for key in ("prompt", "help", "retry_prompt"):
            if key in raw and key in (*required, *optional):
                values[key] = self.text((*path, key), uses, f"the {key.replace('_', ' ')}")
        if "save_as" in raw and "save_as" in optional:
            values["save_as"] = self.name((*path, "save_as"), "save_as")
            if values["save_as"] == MEMBER:
                self.error((*path, "save_as"), "'member' is reserved for the member's name",
                           "choose another name")
        if "optional" in optional:
            values["optional"] = self.boolean((*path, "optional"), False)
        if "profile" in raw and "profile" in optional:
            values["profile"] = self.profile(path, kind)
        if kind == "choice" and "options" in raw:
            values["options"] = self.options(path, uses)
        if kind in NUMERIC_TYPES:
            values.update(self.bounds(path, raw, kind))
        if kind == "reflect" and "of" in raw:
            values["of"] = self.name((*path, "of"), "'of'")
            if values["of"]:
                uses.append(_Use(values["of"], (*path, "of"), None))
        if kind == "goal" and "goal" in raw:
            values["goal"] = self.goal(path, uses)
        if kind == "call" and "conversation" in raw:
            values["conversation"] = self.call(path)
        next_value: Any = None
        if "next" in raw and "next" in optional:
            next_value = self.next(info, raw)
        else:
            info.falls_through = kind != "end"
        info.step = Step(
            id=info.id or "", type=kind, prompt=values.get("prompt"),
            save_as=values.get("save_as"), next=next_value,
            optional=values.get("optional", False), help=values.get("help"),
            min=values.get("min"), max=values.get("max"), options=values.get("options", ()),
            of=values.get("of"), retry_prompt=values.get("retry_prompt"),
            conversation=values.get("conversation"), goal=values.get("goal", {}),
            profile=values.get("profile"), line=self.doc.mark(path).line)
        info.saves = info.step.variable
        return info

    def profile(self, path: tuple[Any, ...], kind: str) -> str | None:
        value = self.string((*path, "profile"), "a profile field")
        if value is None:
            return None
        if value not in PROFILE_FIELDS:
            self.error((*path, "profile"), f"unknown profile field {value!r}",
                       did_you_mean(value, PROFILE_FIELDS) or
                       f"the fields are: {', '.join(PROFILE_FIELDS)}")
        elif kind not in PROFILE_FIELDS[value]:
            self.error((*path, "profile"), f"profile {value!r} cannot be saved from a {kind} "
                                           f"step", f"use a {join_words(PROFILE_FIELDS[value])} step")
        return value

    def options(self, path: tuple[Any, ...], uses: list[_Use]) -> tuple[Option, ...]:
        opath = (*path, "options")
        raw = self.get(opath)
        if not isinstance(raw, list) or not raw:
            self.error(opath, "'options' should be a list of {value, label} entries, found "
                              f"{'an empty list' if raw == [] else describe(raw)}",
                       "write e.g. - {value: rest, label: \"Plan real rest\"}")
            return ()
        if len(raw) > MAX_OPTIONS:
            self.error((*opath, MAX_OPTIONS), f"a choice can have at most {MAX_OPTIONS} options "
                                              f"(Discord's limit); this one has {len(raw)}",
                       "split the choice in two, or ask a text question")
        result: list[Option] = []
        seen: dict[str, int] = {}
        for i, entry in enumerate(raw):
            epath = (*opath, i)
            if not isinstance(entry, dict):
                self.error(epath, f"option {i + 1} should be a mapping with value and label, "
                                  f"found {describe(entry)}",
                           "write e.g. - {value: rest, label: \"Plan real rest\"}")
                continue
            self.check_keys(epath, entry, ("value", "label"), (), f"option {i + 1}")
            value = self.string((*epath, "value"), "an option value") \
                if "value" in entry else None
            if value is not None:
                if value in seen:
                    self.error((*epath, "value"), f"the option value {value!r} is used twice",
                               f"it is already used on line {seen[value]}; values must differ")
                else:
                    seen[value] = self.doc.mark((*epath, "value")).line
            label = self.text((*epath, "label"), uses, "the label", MAX_LABEL) \
                if "label" in entry else None
            if value is not None and label is not None:
                result.append(Option(value, label))
        return tuple(result)

    def bounds(self, path: tuple[Any, ...], raw: dict[str, Any], kind: str) -> dict[str, int]:
        found: dict[str, int] = {}
        for key in ("min", "max"):
            if key in raw:
                number = self.integer((*path, key))
                if number is not None:
                    found[key] = number
        lo, hi = found.get("min"), found.get("max")
        if lo is not None and hi is not None:
            if lo >= hi:
                self.error((*path, "max"), f"max ({hi}) must be greater than min ({lo})")
            elif kind == "scale" and hi - lo + 1 > MAX_OPTIONS:
                self.error((*path, "max"), f"a scale can have at most {MAX_OPTIONS} values "
                                           f"(Discord's limit); {lo} to {hi} has {hi - lo + 1}",
                           "use a number step for a wide range")
        return found

    def goal(self, path: tuple[Any, ...], uses: list[_Use]) -> dict[str, str]:
        gpath = (*path, "goal")
        raw = self.get(gpath)
        if not isinstance(raw, dict):
            self.error(gpath, f"'goal' should be a mapping of {', '.join(GOAL_FIELDS)}, found "
                              f"{describe(raw)}", "write e.g. goal: {what: \"{wish}\"}")
            return {}
        self.check_keys(gpath, raw, ("what",), GOAL_FIELDS[1:], "the goal")
        templates: dict[str, str] = {}
        for key in GOAL_FIELDS:
            if key in raw:
                value = self.string((*gpath, key), "text")
                if value is not None:
                    templates[key] = value
                    uses.extend(_Use(m[1], (*gpath, key), m.start())
                                for m in PLACEHOLDER.finditer(value))
        return templates

    def call(self, path: tuple[Any, ...]) -> str | None:
        target = self.name((*path, "conversation"), "the conversation id")
        if target is None:
            return None
        self.calls.append((target, self.doc.mark((*path, "conversation"))))
        if target == self.flow_id:
            self.error((*path, "conversation"), "this conversation calls itself",
                       "call a different conversation, or use 'next' to loop")
        elif self.known_flows is not None and target not in self.known_flows:
            self.error((*path, "conversation"), f"there is no conversation {target!r}",
                       did_you_mean(target, self.known_flows) or
                       f"add conversations/{target}.yaml or fix the id")
        return target

    def next(self, info: _StepInfo, raw: dict[str, Any]) -> str | tuple[Branch, ...] | None:
        npath = (*info.path, "next")
        value = raw["next"]
        if isinstance(value, str):
            info.targets.append((value, npath))
            return value
        if not isinstance(value, list) and self.string(npath, "a step id") is None:
            self.graph_sound = False
            return None
        if not isinstance(value, list) or not value:
            self.error(npath, "'next' should be a step id, end, or a list of branches, found "
                              f"{'an empty list' if value == [] else describe(value)}",
                       "write e.g. next: end")
            self.graph_sound = False
            return None
        branches: list[Branch] = []
        for i, entry in enumerate(value):
            bpath = (*npath, i)
            last = i == len(value) - 1
            if not isinstance(entry, dict):
                self.error(bpath, f"branch {i + 1} should be '- if: ...' with 'goto:', or "
                                  f"'- else: ...', found {describe(entry)}")
                self.graph_sound = False
                continue
            if "else" in entry:
                self.check_keys(bpath, entry, ("else",), (), f"branch {i + 1}")
                if not last:
                    self.error(bpath, "'else' must be the last branch",
                               "the branches after it can never run; move it to the end",
                               at_key=False)
                target = self.string((*bpath, "else"), "a step id")
                if target is not None:
                    info.targets.append((target, (*bpath, "else")))
                    branches.append(Branch(None, target, "else"))
                else:
                    self.graph_sound = False
                continue
            self.check_keys(bpath, entry, ("if", "goto"), (), f"branch {i + 1}")
            cond = self.condition((*bpath, "if"), info) if "if" in entry else None
            target = self.string((*bpath, "goto"), "a step id") if "goto" in entry else None
            if target is not None:
                info.targets.append((target, (*bpath, "goto")))
            else:
                self.graph_sound = False
            if last:
                self.error(bpath, "the branches have no final 'else'",
                           "add '- else: <step id or end>' as the last branch")
            if cond is not None and target is not None:
                branches.append(Branch(cond, target, str(entry["if"])))
        return tuple(branches)

    def condition(self, path: tuple[Any, ...], info: _StepInfo) -> Node | None:
        source = self.string(path, "a condition")
        if source is None:
            return None
        try:
            node = parse_condition(source)
        except ConditionError as exc:
            self.error_at(self.mark_in(path, exc.column),
                          f"cannot read the condition: {exc.message}", exc.hint)
            return None
        info.conditions.append((node, path))
        for operand in node.operands():
            if isinstance(operand, Var):
                info.uses.append(_Use(operand.name, path, operand.column, in_condition=True))
        return node


def _snake(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", value.strip().lower()).strip("_")


