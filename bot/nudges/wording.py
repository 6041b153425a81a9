"""The moderator-editable words of nudges (`bot/nudges/data/nudges.yaml`), checked strictly.

Templates may use only the placeholders they are documented to take; member text is put in
by plain replacement, never by `str.format`, so whatever a goal says is shown as written.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path

from bot.yamlfile import FileProblems, check_mapping, load_yaml_file

BUNDLED = Path(__file__).parent / "data" / "nudges.yaml"
QUESTION_FIELDS = frozenset({"name", "number", "goal"})
REPLY_FIELDS = {"progress": frozenset(), "snooze": frozenset({"when"}),
                "skip": frozenset(), "stop": frozenset()}


class WordingError(FileProblems):
    """The check-in wording file has problems."""


@dataclass(frozen=True, slots=True)
class Wording:
    questions: tuple[str, ...]
    replies: dict[str, str]

    def question(self, pick: int, *, name: str, number: int, goal: str) -> str:
        template = self.questions[pick % len(self.questions)]
        return fill(template, {"name": name, "number": str(number), "goal": goal})

    def reply(self, kind: str, **values: str) -> str:
        return fill(self.replies[kind], values)


def fill(template: str, values: dict[str, str]) -> str:
    """Replace `{field}` placeholders in one pass; values are never read as templates."""
    out = []
    for literal, field, _spec, _conv in string.Formatter().parse(template):
        out.append(literal)
        if field is not None:
            out.append(values.get(field, ""))
    return "".join(out)


def _check_template(text: str, allowed: frozenset[str]) -> str | None:
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        return "a lone { or } in the text; write {{ or }} for a brace"
    for _literal, field, spec, conv in parsed:
        if field is None:
            continue
        if field not in allowed or spec or conv:
            names = ", ".join("{" + a + "}" for a in sorted(allowed)) or "none"
            return f"unknown placeholder {{{field}}} (allowed here: {names})"
    return None


def load_wording(path: Path | None = None) -> Wording:
    path = path or BUNDLED
    doc, problems = load_yaml_file(path)
    if doc is None:
        raise WordingError(problems)
    top = check_mapping(doc, (), problems, required=("question", "replies"),
                        what="the nudge wording file")
    questions: list[str] = []
    replies: dict[str, str] = {}
    if top is not None and "question" in top:
        items = top["question"]
        if isinstance(items, str):
            items, paths = [items], [("question",)]
        elif isinstance(items, list) and items:
            paths = [("question", i) for i in range(len(items))]
        else:
            problems.append(doc.problem(("question",), "question should be a list of texts"))
            paths = []
        for p in paths:
            value = doc.text(p, problems, what="a question")
            if value is None:
                continue
            problem = _check_template(value, QUESTION_FIELDS)
            if problem:
                problems.append(doc.problem(p, problem))
            elif len(value) > 1200:
                problems.append(doc.problem(p, "this question is over 1,200 characters"))
            else:
                questions.append(value)
    if top is not None and "replies" in top:
        mapping = check_mapping(doc, ("replies",), problems, required=tuple(REPLY_FIELDS),
                                what="the replies section")
        for key in REPLY_FIELDS if mapping is not None else ():
            if key not in mapping:
                continue
            value = doc.text(("replies", key), problems, what="a reply")
            if value is None:
                continue
            problem = _check_template(value, REPLY_FIELDS[key])
            if problem:
                problems.append(doc.problem(("replies", key), problem))
            else:
                replies[key] = value
    if problems:
        raise WordingError(sorted(problems, key=lambda p: (p.line, p.col)))
    return Wording(tuple(questions), replies)
