"""Strict YAML reading for every file a person edits by hand.

PyYAML alone keeps the last of two duplicate keys, turns `yes`, `off` and `22:30` into
booleans and numbers, and forgets where each value stood. Moderators need errors that name
the file, line and column, so this module composes the node tree itself and keeps a mark for
every value and every key. Consumers walk plain Python data and ask the document where a
path stood when they report a problem.
"""

from __future__ import annotations

import difflib
import os
import pathlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[Any, ...]  # where a value stands: keys and list indexes
PathLike = str | os.PathLike[str]


@dataclass(frozen=True, slots=True)
class Mark:
    line: int  # 1-based
    col: int  # 1-based


@dataclass(frozen=True, slots=True)
class Problem:
    """One error in a file a person edits, printed as `path:line:col: message (hint)`."""

    source: str
    line: int
    col: int
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        text = f"{self.source}:{self.line}:{self.col}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


class FileProblems(Exception):
    """A file a person edits could not be used: every problem found in it, one per line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True, slots=True)
class Scalar:
    raw: str
    plain: bool  # written without quotes
    tag: str


_BOOL_TAG = "tag:yaml.org,2002:bool"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_NULL_TAG = "tag:yaml.org,2002:null"


@dataclass
class YamlDocument:
    source: str
    data: Any
    value_marks: dict[Path, Mark] = field(default_factory=dict)
    key_marks: dict[Path, Mark] = field(default_factory=dict)
    scalars: dict[Path, Scalar] = field(default_factory=dict)

    def mark(self, path: Path) -> Mark:
        """Where the value at `path` starts, or the nearest enclosing value."""
        path = tuple(path)
        while path:
            if path in self.value_marks:
                return self.value_marks[path]
            path = path[:-1]
        return self.value_marks.get((), Mark(1, 1))

    def key_mark(self, path: Path) -> Mark:
        """Where the key of the entry at `path` stands (falls back to its value)."""
        return self.key_marks.get(tuple(path)) or self.mark(path)

    def problem(self, path: Path, message: str, hint: str | None = None, *, at_key: bool = False
                ) -> Problem:
        m = self.key_mark(path) if at_key else self.mark(path)
        return Problem(self.source, m.line, m.col, message, hint)

    def text(self, path: Path, problems: list[Problem], what: str = "text") -> str | None:
        """The value at `path` read as text, reporting YAML 1.1 surprises.

        `yes`, `no`, `on`, `off` become booleans and `22:30` a number when written without
        quotes; where text is expected that is almost never what the author meant.
        """
        value = _get(self.data, path)
        info = self.scalars.get(tuple(path))
        if isinstance(value, str):
            return value
        if info is not None and info.plain and info.tag in (_BOOL_TAG, _INT_TAG, _FLOAT_TAG):
            kind = "a yes/no value" if info.tag == _BOOL_TAG else "a number"
            problems.append(self.problem(
                path, f"{info.raw!r} was read as {kind}, not as {what}",
                f'put it in quotes: "{info.raw}"'))
            return None
        if value is None:
            problems.append(self.problem(path, f"expected {what} here, found nothing"))
            return None
        problems.append(self.problem(path, f"expected {what} here, found {describe(value)}"))
        return None


def _get(data: Any, path: Path) -> Any:
    for part in path:
        data = data[part]
    return data


def describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a yes/no value"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping of keys"
    return type(value).__name__


def _mark(node: yaml.Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    def __init__(self, doc: YamlDocument, problems: list[Problem]) -> None:
        self.doc = doc
        self.problems = problems
        self.constructor = yaml.SafeLoader("")

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.doc.value_marks[path] = _mark(node)
        if isinstance(node, yaml.MappingNode):
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    m = _mark(key_node)
                    self.problems.append(Problem(self.doc.source, m.line, m.col,
                                                 "merge keys (<<) are not supported",
                                                 "write the keys out in full"))
                    continue
                key = self.build_scalar_key(key_node)
                if key is _UNHASHABLE:
                    continue
                if key in result:
                    m = _mark(key_node)
                    first = self.doc.key_marks[(*path, key)]
                    self.problems.append(Problem(
                        self.doc.source, m.line, m.col, f"duplicate key {key!r}",
                        f"it is already set on line {first.line}; keep only one"))
                    continue
                self.doc.key_marks[(*path, key)] = _mark(key_node)
                result[key] = self.build(value_node, (*path, key))
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, (*path, i)) for i, child in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        self.doc.scalars[path] = Scalar(node.value, node.style in (None, ""), node.tag)
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            m = _mark(node)
            self.problems.append(Problem(self.doc.source, m.line, m.col,
                                         f"cannot read this value: {exc}"))
            return node.value

    def build_scalar_key(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            m = _mark(node)
            self.problems.append(Problem(self.doc.source, m.line, m.col,
                                         "a key must be a plain word, not a list or mapping"))
            return _UNHASHABLE
        value = self.constructor.construct_object(node)
        if node.style in (None, "") and node.tag == _BOOL_TAG:
            # `on:`/`yes:` keys silently become True; keep the text the author wrote.
            return node.value
        return value


_UNHASHABLE = object()


def load_yaml(text: str, source: str) -> tuple[YamlDocument | None, list[Problem]]:
    """Parse one YAML document strictly. Returns the document (or None) and every problem."""
    problems: list[Problem] = []
    doc = YamlDocument(source=source, data=None)
    try:
        nodes = _compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = (exc.problem or "this is not valid YAML").strip()
        if exc.context:
            message = f"{exc.context.strip()}: {message}"
        problems.append(Problem(source, line, col, f"YAML syntax error, {message}",
                                _syntax_hint(message)))
        return None, problems
    except yaml.YAMLError as exc:  # pragma: no cover - reader errors without marks
        problems.append(Problem(source, 1, 1, f"YAML error: {exc}"))
        return None, problems
    if len(nodes) > 1:
        m = _mark(nodes[1])
        problems.append(Problem(source, m.line, m.col, "only one YAML document per file",
                                "remove the extra '---' line"))
    if not nodes or nodes[0] is None:
        doc.data = None
        doc.value_marks[()] = Mark(1, 1)
        return doc, problems
    doc.data = _Builder(doc, problems).build(nodes[0], ())
    return doc, problems


_FAST_LOADER = getattr(yaml, "CSafeLoader", None)


def _compose(text: str) -> list[yaml.Node]:
    """Compose with libyaml when it is there (about ten times faster); on any error, parse
    again in pure Python so every installation reports the same messages."""
    if _FAST_LOADER is not None:
        try:
            return list(yaml.compose_all(text, Loader=_FAST_LOADER))
        except yaml.YAMLError:
            pass
    return list(yaml.compose_all(text, Loader=yaml.SafeLoader))


def load_yaml_file(path: PathLike, source: str | None = None
                   ) -> tuple[YamlDocument | None, list[Problem]]:
    """`load_yaml` for a file; a file that cannot be read is one problem, not an exception."""
    source = source or str(path)
    try:
        text = pathlib.Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(source, 1, 1, f"cannot read the file: {exc}")]
    return load_yaml(text, source)


def _syntax_hint(message: str) -> str | None:
    if "tab" in message or "'\\t'" in message:
        return "indent with spaces, not tabs"
    if "mapping values are not allowed" in message:
        return "put text that contains ': ' in quotes"
    if "indentation" in message or "expected <block end>" in message:
        return "check that this line is indented like its neighbours"
    if "found character '%'" in message or "found character '@'" in message:
        return "put this text in quotes"
    return None


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """A hint naming the closest candidate, if one is close enough."""
    match = difflib.get_close_matches(str(word), list(candidates), n=1, cutoff=0.6)
    return f"did you mean {match[0]!r}?" if match else None


def check_mapping(doc: YamlDocument, path: Path, problems: list[Problem], *,
                  required: Sequence[str] = (), optional: Sequence[str] = (),
                  what: str = "this entry") -> dict[str, Any] | None:
    """Check that the value at `path` is a mapping with only known keys and all required ones."""
    value = _get(doc.data, path)
    if not isinstance(value, dict):
        problems.append(doc.problem(path, f"{what} should be a mapping of keys, "
                                          f"found {describe(value)}"))
        return None
    known = [*required, *optional]
    for key in value:
        if key not in known:
            problems.append(doc.problem((*path, key), f"unknown key {key!r} in {what}",
                                        did_you_mean(key, known) or
                                        f"allowed keys: {', '.join(known)}", at_key=True))
    for key in required:
        if key not in value:
            problems.append(doc.problem(path, f"{what} is missing the key {key!r}"))
    return value
