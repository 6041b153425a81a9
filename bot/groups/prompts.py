"""The moderator-editable words of accountability channels (`bot/groups/data/prompts.yaml`).

Checked strictly at start: every problem names the file, line and column. The texts take no
placeholders, so nothing a member writes is ever read as part of a template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bot.yamlfile import FileProblems, Problem, check_mapping, load_yaml_file

BUNDLED = Path(__file__).parent / "data" / "prompts.yaml"
KEY = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
MAX_TEXT = 1500
MAX_TITLE = 80


class PromptError(FileProblems):
    """The group prompts file has problems."""


@dataclass(frozen=True, slots=True)
class Prompt:
    key: str
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class GroupWording:
    prompts: dict[str, Prompt]
    reminder: str
    summary_intro: str

    def prompt(self, key: str) -> Prompt:
        """The prompt for `key`; the first one if a moderator removed that key since."""
        return self.prompts.get(key) or next(iter(self.prompts.values()))

    def keys(self) -> list[str]:
        return list(self.prompts)


def _text(doc, path, problems: list[Problem], what: str, limit: int) -> str | None:  # noqa: ANN001
    value = doc.text(path, problems, what=what)
    if value is None:
        return None
    value = value.strip()
    if not value:
        problems.append(doc.problem(path, f"{what} is empty"))
        return None
    if len(value) > limit:
        problems.append(doc.problem(path, f"{what} is over {limit:,} characters"))
        return None
    return value


def load_prompts(path: Path | None = None) -> GroupWording:
    path = path or BUNDLED
    doc, problems = load_yaml_file(path)
    if doc is None:
        raise PromptError(problems)
    top = check_mapping(doc, (), problems, required=("prompts", "reminder", "summary_intro"),
                        what="the group wording file")
    prompts: dict[str, Prompt] = {}
    reminder = intro = None
    if top is not None and "prompts" in top:
        mapping = top["prompts"]
        if not isinstance(mapping, dict):
            problems.append(doc.problem(("prompts",), "the prompts section should be a mapping "
                                        "of prompt keys, like weekly:"))
            mapping = None
        elif not mapping:
            problems.append(doc.problem(("prompts",), "the prompts section needs at least one "
                                                      "prompt"))
        for key in mapping or {}:
            if not isinstance(key, str) or not KEY.match(key):
                problems.append(doc.problem(("prompts", key), f"the prompt key {key!r} should "
                                            "be one lowercase word, like weekly", at_key=True))
                continue
            entry = check_mapping(doc, ("prompts", key), problems, required=("title", "text"),
                                  what=f"the prompt {key!r}")
            if entry is None or "title" not in entry or "text" not in entry:
                continue
            title = _text(doc, ("prompts", key, "title"), problems, "a title", MAX_TITLE)
            body = _text(doc, ("prompts", key, "text"), problems, "a prompt", MAX_TEXT)
            if title is not None and body is not None:
                prompts[key] = Prompt(key, title, body)
    if top is not None and "reminder" in top:
        reminder = _text(doc, ("reminder",), problems, "the reminder", MAX_TEXT)
    if top is not None and "summary_intro" in top:
        intro = _text(doc, ("summary_intro",), problems, "the summary's first line", MAX_TEXT)
    if problems:
        raise PromptError(sorted(problems, key=lambda p: (p.line, p.col)))
    assert reminder is not None and intro is not None
    return GroupWording(prompts, reminder, intro)
