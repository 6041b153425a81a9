"""The set of conversations a coach can run, read from one directory of YAML files.

One bad file never stops the others from loading. A reload or an upload that would bring in
a broken file changes nothing: members keep the last good set.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import bot
from bot.flows.loader import SNAKE_CASE, CheckedFile, check_file, check_text
from bot.flows.model import Flow
from bot.yamlfile import Mark, Problem

SUFFIXES = (".yaml", ".yml")


def conversation_files(directory: Path) -> list[Path]:
    """The conversation files in `directory`, in name order (hidden files are skipped)."""
    return sorted(p for p in directory.iterdir()
                  if p.suffix in SUFFIXES and not p.name.startswith(".") and p.is_file())


@dataclass(frozen=True, slots=True)
class _State:
    flows: Mapping[str, Flow] = field(default_factory=dict)
    paths: Mapping[str, Path] = field(default_factory=dict)


class FlowLibrary:
    """Conversations by id. Swapping in a new set is one assignment, so readers never see
    half of a reload."""

    def __init__(self, directory: Path, flows: Mapping[str, Flow] | None = None,
                 paths: Mapping[str, Path] | None = None) -> None:
        self._directory = Path(directory)
        self._state = _State(dict(flows or {}), dict(paths or {}))

    # -- reading -------------------------------------------------------------------------

    @classmethod
    def load(cls, directory: Path) -> tuple[FlowLibrary, list[Problem]]:
        """Load every `*.yaml`/`*.yml` file; bad files are skipped and reported."""
        directory = Path(directory)
        state, problems = _read(directory)
        return cls(directory, state.flows, state.paths), problems

    @staticmethod
    def bundled_directory() -> Path:
        """The conversations shipped with coachbot (installed package or source checkout)."""
        package = Path(bot.__file__).parent
        installed = package / "_bundled" / "conversations"
        return installed if installed.is_dir() else package.parent / "conversations"

    @property
    def directory(self) -> Path:
        return self._directory

    def get(self, flow_id: str) -> Flow | None:
        return self._state.flows.get(flow_id)

    def ids(self) -> list[str]:
        return sorted(self._state.flows)

    def listed(self) -> list[Flow]:
        """The conversations shown in `/coach list`, sorted by title."""
        flows = [f for f in self._state.flows.values() if f.listed]
        return sorted(flows, key=lambda f: (f.title.for_language(None)[0].casefold(), f.id))

    def __contains__(self, flow_id: object) -> bool:
        return flow_id in self._state.flows

    def __len__(self) -> int:
        return len(self._state.flows)

    def text_of(self, flow_id: str) -> str:
        """The current text of a conversation's file (raises KeyError when there is none)."""
        path = self._path_for(flow_id)
        try:
            return path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise KeyError(flow_id) from None

    # -- changing ------------------------------------------------------------------------

    def reload(self) -> list[Problem]:
        """Re-read the directory. With any problem the current set stays as it is."""
        state, problems = _read(self._directory)
        if problems:
            return problems
        self._state = state
        return []

    def install(self, flow_id: str, text: str) -> list[Problem]:
        """Check `text` as `<flow_id>.yaml` against the current set; if it is clean, write
        it atomically and swap it in. Otherwise nothing changes."""
        source = f"{flow_id}.yaml"
        if not isinstance(flow_id, str) or not SNAKE_CASE.match(flow_id):
            return [Problem(source, 1, 1, f"{flow_id!r} is not a valid conversation id",
                            "use lowercase letters, digits and underscores")]
        current = self._state
        path = self._path_for(flow_id)
        source = path.name
        known = {*current.flows, flow_id}
        checked = check_text(text, source, expected_id=flow_id, known_flows=known,
                             flow_source=str(path))
        if checked.problems or checked.flow is None:
            return checked.problems
        flows = {**current.flows, flow_id: checked.flow}
        calls = _calls_of(current, exclude=flow_id)
        calls[flow_id] = checked
        kept, problems = _resolve_calls(flows, calls, broken=set())
        if problems:
            return problems
        _write_atomically(path, text.encode("utf-8"))
        self._state = _State(kept, {**current.paths, flow_id: path})
        return []

    def _path_for(self, flow_id: str) -> Path:
        path = self._state.paths.get(flow_id)
        if path is not None:
            return path
        for suffix in SUFFIXES:
            candidate = self._directory / f"{flow_id}{suffix}"
            if candidate.exists():
                return candidate
        return self._directory / f"{flow_id}.yaml"


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read(directory: Path) -> tuple[_State, list[Problem]]:
    if not directory.is_dir():
        return _State(), [Problem(str(directory), 1, 1,
                                  "the conversations directory does not exist",
                                  "create it, or set the conversations directory in the config")]
    files = [(path, str(path)) for path in conversation_files(directory)]
    flows, checked, problems = check_files(files)
    paths = {flow_id: Path(flow.source) for flow_id, flow in flows.items()}
    return _State(flows, paths), problems


def check_files(files: Iterable[tuple[Path, str]], context: Iterable[Path] = ()
                ) -> tuple[dict[str, Flow], dict[str, CheckedFile], list[Problem]]:
    """Check `files` (path, name shown in problems) as one set of conversations.

    `context` files are loaded quietly so calls into them resolve; their own problems are
    not reported. Returns the good flows (context ones included), each file's result by id,
    and the problems of `files`.
    """
    files = list(files)
    given = set(files)
    context = [p for p in context if p.stem not in {f.stem for f, _ in files}]
    known = {p.stem for p, _ in files} | {p.stem for p in context}
    problems: list[Problem] = []
    checked: dict[str, CheckedFile] = {}
    broken: set[str] = set()
    reported: set[str] = set()
    for path, source in [*files, *((p, str(p)) for p in context)]:
        quiet = (path, source) not in given
        result = check_file(path, source, known)
        if path.stem in checked:
            if not quiet:
                first = checked[path.stem].source
                problems.append(Problem(source, 1, 1, f"the conversation id {path.stem!r} is "
                                                      f"already used by {first}",
                                        "rename or remove one of the two files"))
            continue
        checked[path.stem] = result
        if not quiet:
            reported.add(source)
            problems.extend(result.problems)
        if result.flow is None:
            broken.add(path.stem)
    flows = {fid: r.flow for fid, r in checked.items() if r.flow is not None}
    kept, call_problems = _resolve_calls(flows, checked, broken)
    problems.extend(p for p in call_problems if p.source in reported)
    return kept, checked, problems


def _calls_of(state: _State, exclude: str) -> dict[str, CheckedFile]:
    return {fid: CheckedFile(flow, [], flow.source, tuple(
        (s.conversation, Mark(s.line, 1)) for s in flow.steps
        if s.type == "call" and s.conversation))
        for fid, flow in state.flows.items() if fid != exclude}


def _resolve_calls(flows: Mapping[str, Flow], checked: Mapping[str, CheckedFile],
                   broken: set[str]) -> tuple[dict[str, Flow], list[Problem]]:
    """Drop flows in call cycles and flows that call a conversation that cannot run."""
    problems: list[Problem] = []
    kept = dict(flows)
    graph = {fid: [t for t, _ in checked[fid].calls] for fid in kept}
    for cycle in _cycles(graph):
        members = set(cycle)
        for fid in cycle:
            for target, mark in checked[fid].calls:
                if target in members:
                    loop = " -> ".join([fid, *_path(graph, target, fid, members)])
                    problems.append(Problem(checked[fid].source, mark.line, mark.col,
                                            f"calling {target!r} makes a loop of calls: "
                                            f"{loop}",
                                            "a conversation cannot call itself, directly or "
                                            "through others"))
        for fid in cycle:
            kept.pop(fid, None)
    changed = True
    while changed:
        changed = False
        for fid in list(kept):
            for target, mark in checked[fid].calls:
                if target not in kept and (target in broken or target in flows):
                    problems.append(Problem(checked[fid].source, mark.line, mark.col,
                                            f"this calls {target!r}, which has errors",
                                            f"fix {target!r} first"))
                    kept.pop(fid, None)
                    changed = True
                    break
    return kept, problems


def _path(graph: Mapping[str, list[str]], start: str, goal: str, within: set[str]
          ) -> list[str]:
    """The shortest chain of calls from `start` to `goal` inside one loop."""
    came_from: dict[str, str | None] = {start: None}
    todo = [start]
    while todo:
        node = todo.pop(0)
        if node == goal:
            break
        for nxt in graph.get(node, []):
            if nxt in within and nxt not in came_from:
                came_from[nxt] = node
                todo.append(nxt)
    chain: list[str] = []
    node: str | None = goal
    while node is not None and node in came_from:
        chain.append(node)
        node = came_from[node]
    return chain[::-1]


def _cycles(graph: Mapping[str, list[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one conversation (Tarjan), in call order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, []):
            if nxt not in graph:
                continue
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group: list[str] = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                found.append(group[::-1])

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found
