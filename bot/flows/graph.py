"""Checks over a conversation's whole step graph, run by `bot.flows.loader`.

Targets exist, every step can be reached and can reach the end, every `{name}` is saved on
every path before it is used (a must-be-saved data-flow analysis over list order, `next` and
branches), and conditions compare answers only with values they can take.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from bot.flows.conditions import Compare, InList, Literal, Node, Truthy, Var
from bot.flows.model import END
from bot.yamlfile import did_you_mean

if TYPE_CHECKING:
    from bot.flows.loader import _Checker, _StepInfo, _Use

MEMBER = "member"  # always available: the member's display name
NUMERIC_TYPES = ("scale", "number")


def join_words(words: Iterable[str]) -> str:
    words = list(words)
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


class StepGraph:
    """Checks over the whole step graph: targets, reachability and saved-before-use."""

    def __init__(self, checker: _Checker, infos: list[_StepInfo],
                 summary_uses: list[_Use]) -> None:
        self.c = checker
        self.infos = infos
        self.summary_uses = summary_uses
        self.by_id: dict[str, _StepInfo] = {}

    def check(self) -> None:
        c = self.c
        for info in self.infos:
            if info.id is None:
                continue
            if info.id in self.by_id:
                first = c.doc.mark((*self.by_id[info.id].path, "id")).line
                c.error((*info.path, "id"), f"the step id {info.id!r} is used twice",
                        f"it is already used on line {first}; step ids must be unique")
            else:
                self.by_id[info.id] = info
        ids = list(self.by_id)
        succ: dict[int, list[int]] = {}
        exits: set[int] = set()
        for info in self.infos:
            out: list[int] = []
            for target, tpath in info.targets:
                if target == END:
                    exits.add(info.index)
                elif target in self.by_id:
                    out.append(self.by_id[target].index)
                else:
                    c.graph_sound = False
                    c.error(tpath, f"there is no step {target!r}",
                            did_you_mean(target, [*ids, END]) or
                            f"use a step id from this file, or end (steps: {', '.join(ids)})")
            if info.falls_through:
                if info.index + 1 < len(self.infos):
                    out.append(info.index + 1)
                else:
                    exits.add(info.index)
            if info.type == "end":
                exits.add(info.index)
            succ[info.index] = out
        reachable = self._reach(0, succ)
        if c.graph_sound:  # with a broken edge these would only echo that mistake
            for info in self.infos:
                if info.index not in reachable:
                    c.error((*info.path, "id"), f"step {info.id!r} can never be reached",
                            "no step leads here: steps run in list order unless 'next' says "
                            "otherwise; point a 'next' or 'goto' at it, or remove it")
            finishing = self._finishing(succ, exits)
            for info in self.infos:
                if info.index in reachable and info.index not in finishing:
                    c.error((*info.path, "id"), f"from step {info.id!r} the conversation can "
                                                "never finish",
                            "every loop needs a way out: add a branch to a later step or end")
                    break
        self._saved_before_use(succ, exits, reachable)

    @staticmethod
    def _reach(start: int, succ: dict[int, list[int]]) -> set[int]:
        seen = {start}
        todo = [start]
        while todo:
            for nxt in succ[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    @staticmethod
    def _finishing(succ: dict[int, list[int]], exits: set[int]) -> set[int]:
        pred: dict[int, list[int]] = {i: [] for i in succ}
        for i, outs in succ.items():
            for j in outs:
                pred[j].append(i)
        seen = set(exits)
        todo = list(exits)
        while todo:
            for p in pred[todo.pop()]:
                if p not in seen:
                    seen.add(p)
                    todo.append(p)
        return seen

    def _saved_before_use(self, succ: dict[int, list[int]], exits: set[int],
                          reachable: set[int]) -> None:
        saves: dict[int, str | None] = {i.index: i.saves for i in self.infos}
        savers: dict[str, list[str]] = {}
        for info in self.infos:
            var = saves[info.index]
            if var and info.type != "reflect":
                savers.setdefault(var, []).append(info.id or "")
        known = {MEMBER, *savers}
        pred: dict[int, list[int]] = {i: [] for i in reachable}
        for i in reachable:
            for j in succ[i]:
                pred[j].append(i)
        everything = frozenset(known)
        before: dict[int, frozenset[str]] = {i: everything for i in reachable}
        before[0] = frozenset({MEMBER})
        after = {i: before[i] | {saves[i]} - {None} for i in reachable}
        order = sorted(reachable)
        changed = True
        while changed:
            changed = False
            for i in order:
                if i == 0:
                    continue
                new = frozenset.intersection(*(after[p] for p in pred[i]))
                if new != before[i]:
                    before[i] = new
                    after[i] = new | ({saves[i]} - {None})
                    changed = True
        for info in self.infos:
            own = saves[info.index]
            for use in info.uses:
                if info.index not in reachable:
                    have = everything  # only names no step saves are reported here
                else:
                    have = after[info.index] if use.in_condition else before[info.index]
                self._check_use(use, have, known, savers, info, pred, after, own)
            self._types(info, savers)
        if self.summary_uses:
            ending = [after[i] for i in exits if i in reachable]
            have = frozenset.intersection(*ending) if ending else everything
            for use in self.summary_uses:
                self._check_use(use, have, known, savers, None, pred, after, None)

    def _check_use(self, use: _Use, have: frozenset[str], known: set[str],
                   savers: dict[str, list[str]], info: _StepInfo | None,
                   pred: dict[int, list[int]], after: dict[int, frozenset[str]],
                   own: str | None) -> None:
        c = self.c
        mark = c.mark_in(use.path, use.offset)
        shown = f"{use.name!r}" if use.in_condition else f"{{{use.name}}}"
        if use.name not in known:
            hint = did_you_mean(use.name, known)
            if use.in_condition and hint is None:
                hint = f"no step saves {use.name!r}; if you meant the text, put it in " \
                       f"quotes: '{use.name}'"
            c.error_at(mark, f"unknown variable {shown}: no step saves an answer by that name",
                       hint or f"saved answers: {', '.join(sorted(known))}")
            return
        if use.name in have:
            return
        where = "the summary" if info is None else f"step {info.id!r}"
        if info is not None and use.name == own and not use.in_condition:
            c.error_at(mark, f"{shown} is the answer to this very step, so it is not known "
                             "when the step is shown",
                       "use an answer saved by an earlier step")
            return
        saved_by = join_words(repr(s) for s in savers.get(use.name, []))
        if info is None:
            hint = f"it is saved by {saved_by}, which does not run on every path to the end; " \
                   "the summary can use only answers that every path saves"
        elif info.index == 0:
            hint = "nothing is answered before the first step"
        else:
            gap = next((p for p in (pred.get(info.index, []) if info else [])
                        if use.name not in after[p]), None)
            via = f" coming from step {self.infos[gap].id!r}" if gap is not None else ""
            hint = f"it is saved by {saved_by}, which does not run before this on every " \
                   f"path{via}; ask it earlier, or use it only after it"
        c.error_at(mark, f"{shown} may not be answered yet at {where}: it is not saved on "
                         f"every path before it", hint)

    def _types(self, info: _StepInfo, savers: dict[str, list[str]]) -> None:
        """Compare answers only with values they can take (a choice's values, numbers...)."""
        for node, path in info.conditions:
            for test in node.tests():
                self._type_test(test, path)

    def _kind(self, name: str) -> tuple[str | None, set[str]]:
        kinds: set[str] = set()
        values: set[str] = set()
        for info in self.infos:
            if info.step is None or info.step.variable != name or info.type == "reflect":
                continue
            kinds.add("number" if info.type in NUMERIC_TYPES else info.type or "")
            values.update(o.value for o in info.step.options)
        return (kinds.pop() if len(kinds) == 1 else None), values

    def _type_test(self, test: Node, path: tuple[Any, ...]) -> None:
        c = self.c
        if isinstance(test, Truthy):
            kind, _ = self._kind(test.var.name)
            if kind not in (None, "yes_no", "goal"):
                c.error_at(c.mark_in(path, test.var.column),
                           f"{test.var.name!r} is a {_kind_word(kind)} answer, not yes/no",
                           f"compare it, e.g. {test.var.name} == ...")
            return
        pairs: list[tuple[Var, Literal, str]] = []
        if isinstance(test, Compare):
            if isinstance(test.left, Var) and isinstance(test.right, Literal):
                pairs.append((test.left, test.right, test.op))
            elif isinstance(test.right, Var) and isinstance(test.left, Literal):
                pairs.append((test.right, test.left, test.op))
        elif isinstance(test, InList) and isinstance(test.operand, Var):
            pairs.extend((test.operand, item, "in") for item in test.items)
        for var, lit, op in pairs:
            kind, values = self._kind(var.name)
            value = lit.value_
            if kind is None or kind == "goal" or value is None:
                continue
            mark = c.mark_in(path, lit.column)
            if kind == "yes_no":
                if not isinstance(value, bool) or op in ("<", "<=", ">", ">="):
                    c.error_at(mark, f"{var.name!r} is a yes/no answer",
                               f"test it with {var.name} == true or {var.name} == false")
            elif kind == "number":
                if not isinstance(value, (int, float)) or isinstance(value, bool):
                    hint = "write the number without quotes" if isinstance(value, str) and \
                        value.strip().lstrip("-").isdigit() else "compare it with a number"
                    c.error_at(mark, f"{var.name!r} is a number, but {value!r} is not", hint)
            elif not isinstance(value, str):
                c.error_at(mark, f"{var.name!r} is a {_kind_word(kind)} answer, "
                                 f"but {value!r} is not text", f"put it in quotes: '{value}'")
            elif kind == "choice" and value not in values:
                c.error_at(mark, f"{var.name!r} is never {value!r}: it is one of "
                                 f"{', '.join(repr(v) for v in sorted(values))}",
                           did_you_mean(value, values) or "use one of the option values")


def _kind_word(kind: str | None) -> str:
    return {"number": "number", "choice": "choice", "text": "text", "time": "time",
            "yes_no": "yes/no"}.get(kind or "", kind or "")
