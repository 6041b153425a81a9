"""The validated shape of a coaching conversation (a `Flow` of `Step`s).

Built only by `bot.flows.loader` from a YAML file that passed validation, so the engine can
trust every reference in it: step ids exist, branches end in `else`, variables are saved
before they are used.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

STEP_TYPES = ("message", "text", "choice", "scale", "number", "yes_no", "time", "reflect",
              "goal", "call", "end")
END = "end"  # the reserved `next` target
DEFAULT_LANGUAGE = "en"
GOAL_FIELDS = ("what", "why", "measure", "plan", "area", "due")

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class Condition(Protocol):
    def evaluate(self, answers: Mapping[str, Any]) -> bool: ...

    def variables(self) -> frozenset[str]: ...


@dataclass(frozen=True, slots=True)
class Text:
    """Words shown to a member: one or more variants per language.

    `variants["en"] == ("How are you?", "How is it going?")`. A variant is picked at random
    (seedable) each time the text is shown.
    """

    variants: Mapping[str, tuple[str, ...]]

    @classmethod
    def plain(cls, text: str) -> Text:
        return cls({DEFAULT_LANGUAGE: (text,)})

    def languages(self) -> frozenset[str]:
        return frozenset(self.variants)

    def pick(self, language: str | None, rng: random.Random) -> str:
        options = self.for_language(language)
        return options[0] if len(options) == 1 else rng.choice(options)

    def for_language(self, language: str | None) -> tuple[str, ...]:
        if language:
            if language in self.variants:
                return self.variants[language]
            base = language.split("-")[0].lower()
            if base in self.variants:
                return self.variants[base]
        if DEFAULT_LANGUAGE in self.variants:
            return self.variants[DEFAULT_LANGUAGE]
        return next(iter(self.variants.values()))

    def placeholders(self) -> frozenset[str]:
        return frozenset(name for options in self.variants.values() for text in options
                         for name in _PLACEHOLDER.findall(text))


def render(template: str, values: Mapping[str, Any]) -> str:
    """Fill `{name}` placeholders with earlier answers, literally.

    Never `str.format`: a member's own words (`{0.__class__}`, `%s`, `{member}`) are inserted
    as they are and never interpreted. Unknown names are left as written.
    """

    def fill(match: re.Match[str]) -> str:
        name = match[1]
        if name not in values:
            return match[0]
        return show(values[name])

    return _PLACEHOLDER.sub(fill, template)


def show(value: Any) -> str:
    if value is None:
        return "(skipped)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


@dataclass(frozen=True, slots=True)
class Option:
    value: str
    label: Text


@dataclass(frozen=True, slots=True)
class Branch:
    condition: Condition | None  # None for the final `else`
    target: str  # a step id or END
    source: str = ""  # the condition as written, for messages


@dataclass(frozen=True, slots=True)
class Step:
    id: str
    type: str
    prompt: Text | None = None
    save_as: str | None = None  # where the answer is kept; defaults to the step id
    next: str | tuple[Branch, ...] | None = None  # None: the following step in the list
    optional: bool = False  # the member may type `skip`
    help: Text | None = None  # shown on `help`
    min: int | None = None  # scale (required) and number
    max: int | None = None
    options: tuple[Option, ...] = ()  # choice
    of: str | None = None  # reflect: the answer whose words are reflected
    retry_prompt: Text | None = None  # reflect: asked when the member says it does not fit
    conversation: str | None = None  # call: the conversation to run and come back from
    goal: Mapping[str, str] = field(default_factory=dict)  # goal: field -> template
    profile: str | None = None  # also save the answer to the member's profile (timezone, ...)
    line: int = 0

    @property
    def variable(self) -> str | None:
        """The answer name this step saves, if it saves one."""
        if self.type in ("message", "end", "call"):
            return None
        if self.type == "reflect":
            return self.of  # a restated answer replaces the original words
        return self.save_as or self.id

    @property
    def asks(self) -> bool:
        return self.type not in ("message", "end", "call")


@dataclass(frozen=True, slots=True)
class Flow:
    id: str
    title: Text
    description: Text
    steps: tuple[Step, ...]
    content_hash: str  # the version of the file this was built from
    source: str = ""  # the file it came from
    listed: bool = True  # shown in /coach list
    summary: Text | None = None  # the closing reflection; built from answers when absent
    offer_goal: bool = True  # offer to turn the conversation into a goal at the end
    _index: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self._index:
            object.__setattr__(self, "_index", {s.id: i for i, s in enumerate(self.steps)})

    @property
    def first(self) -> Step:
        return self.steps[0]

    def has(self, step_id: str) -> bool:
        return step_id in self._index

    def step(self, step_id: str) -> Step:
        return self.steps[self._index[step_id]]

    def following(self, step: Step) -> str:
        """The step after `step` in list order, or END."""
        i = self._index[step.id] + 1
        return self.steps[i].id if i < len(self.steps) else END

    def next_id(self, step: Step, answers: Mapping[str, Any]) -> str:
        if step.type == "end":
            return END
        if step.next is None:
            return self.following(step)
        if isinstance(step.next, str):
            return step.next
        for branch in step.next:
            if branch.condition is None or branch.condition.evaluate(answers):
                return branch.target
        return END  # unreachable for a validated flow: the last branch is `else`

    def languages(self) -> frozenset[str]:
        found = set(self.title.languages())
        for s in self.steps:
            if s.prompt:
                found |= s.prompt.languages()
        return frozenset(found)
