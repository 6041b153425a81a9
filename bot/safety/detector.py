"""Recognising crisis language in a message, offline and in a few microseconds.

The detector reads a message once into tokens (`normalize.py`), looks each token up in an
index of the lexicon's phrases by their first word, and only when a phrase matches does it
look at the context: a negation just before it, an exception it overlaps (a film title, "die
of embarrassment"), a context that gives the words another sense (a game, prevention work,
a recovered past), and markers that make it urgent (a time, a means, a goodbye).

`check()` is what callers use: it never raises and, if anything goes wrong inside, answers
`concern` with the category `unknown`, so a bug can only make the bot more careful.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from bot.safety.lexicon import (
    Candidate,
    Lexicon,
    LexiconError,
    Rule,
    bundled_paths,
    expand_paths,
    load_lexicon,
    validate_lexicon,
)
from bot.safety.normalize import BOUNDARIES, SENTENCE
from bot.safety.patterns import match

log = logging.getLogger(__name__)


class Level(StrEnum):
    NONE = "none"
    WATCH = "watch"
    CONCERN = "concern"
    URGENT = "urgent"


_RANK = {Level.NONE: 0, Level.WATCH: 1, Level.CONCERN: 2, Level.URGENT: 3}
_LEVEL_RANK = {"watch": 1, "concern": 2, "urgent": 3}


@dataclass(frozen=True, slots=True)
class Assessment:
    level: Level
    category: str | None  # None exactly when level is NONE

    @property
    def crisis(self) -> bool:
        return self.level is Level.CONCERN or self.level is Level.URGENT

    def as_dict(self) -> dict[str, object]:
        return {"crisis": self.crisis, "level": str(self.level), "category": self.category}


NO_CRISIS = Assessment(Level.NONE, None)
FAIL_CLOSED = Assessment(Level.CONCERN, "unknown")

# When two findings have the same level, the first of these names the message.
_PRIORITY = {c: i for i, c in enumerate((
    "overdose_or_medical", "abuse_or_danger", "plan_or_means", "goodbye", "suicidal_ideation",
    "self_harm", "harm_to_others", "hopelessness", "third_party", "distress",
))}
# What a past, recovered experience silences: the member's own risk, not someone else's.
_SELF = frozenset(("suicidal_ideation", "plan_or_means", "goodbye", "self_harm",
                   "overdose_or_medical", "hopelessness"))
# A recovered past also covers abuse that is over.
_OWN = _SELF | {"abuse_or_danger"}
# Ideation plus a time, a means or a goodbye becomes that urgent category.
_ESCALATE_INTO = frozenset(("suicidal_ideation", "hopelessness"))
# These keep their category and become urgent.
_ESCALATE_LEVEL = frozenset(("third_party", "harm_to_others"))
_NEGATION_WINDOW = 3
_CACHE_LIMIT = 100_000

Hit = tuple[int, int, int]  # entry index, start token, end token (exclusive)


class CrisisDetector:
    def __init__(self, lexicon: Lexicon) -> None:
        self._lex = lexicon
        self._tokens = lexicon.normalizer.tokens
        self._entries = lexicon.entries
        self._stops = lexicon.gap_stops
        self._main_cache: dict[str, tuple[Candidate, ...]] = {}
        self._aux_cache: dict[str, tuple[Candidate, ...]] = {}
        self._concept_cache: dict[str, tuple[Candidate, ...]] = {}
        self._rules = lexicon.rules
        # Words that put the member in a finding ("i", "myself", "je", "mich"): with someone
        # else at risk in the message, a finding without them is about that person.
        self._first_person = frozenset(
            w for w, cands in lexicon.concept.items()
            if any(lexicon.entries[c[0]].name == "i" for c in cands)) | {"myself", "kms"}

    @classmethod
    def load(cls, extra_paths: Sequence[Path] = ()) -> CrisisDetector:
        """The bundled lexicon plus moderator files (or folders of them)."""
        lexicon, problems = load_lexicon([*bundled_paths(), *expand_paths(extra_paths)])
        if lexicon is None:
            raise LexiconError(problems)
        return cls(lexicon)

    def check(self, text: str) -> Assessment:
        """Like `assess`, but never raises: any failure counts as a crisis (concern)."""
        try:
            return self.assess(text)
        except Exception as exc:  # noqa: BLE001 - failing closed is the point
            log.error("crisis check failed with %s; treating the message as concern",
                      type(exc).__name__)
            return FAIL_CLOSED

    def tokens(self, text: str) -> list[str]:
        """The normalised tokens of a message (what the phrases are matched against)."""
        return self._tokens(text)

    def assess(self, text: str) -> Assessment:
        toks = self._tokens(text)
        lex = self._lex
        hits = self._scan(toks, self._main_cache, lex.main, lex.main_prefix)
        if self._rules and self._triggered(toks):
            concepts = self._scan(toks, self._concept_cache, lex.concept, lex.concept_prefix)
            if concepts:
                hits.extend(self._combine(toks, concepts))
        if not hits:
            return NO_CRISIS
        return self._decide(toks, hits)

    # -- concepts and rules -----------------------------------------------------------------

    def _triggered(self, toks: list[str]) -> bool:
        """Whether the message holds a word some rule cannot match without."""
        words = self._lex.rule_triggers
        prefixes = self._lex.rule_trigger_prefixes
        for t in toks:
            if t in words or (prefixes and t[:3] in prefixes):
                return True
        return False

    def _combine(self, toks: list[str], concepts: list[Hit]) -> list[Hit]:
        """The rules whose concepts appear together; each as a hit over the words it used."""
        entries = self._entries
        found: dict[str, list[tuple[int, int]]] = {}
        for idx, s, e in concepts:
            if self._negated(toks, s, e):
                continue
            found.setdefault(entries[idx].name, []).append((s, e))
        if not found:
            return []
        out: list[Hit] = []
        windows: dict[str, list[int]] = {}
        for rule in self._rules:
            if not rule.needs.issubset(found.keys()):
                continue
            if rule.any and rule.any.isdisjoint(found.keys()):
                continue
            wid = windows.get(rule.scope)
            if wid is None:
                wid = windows[rule.scope] = _window_ids(toks, rule.scope)
            span = _fire(rule, found, wid)
            if span is not None:
                out.append((rule.entry, span[0], span[1]))
        return out

    # -- matching ---------------------------------------------------------------------------

    def _scan(self, toks: list[str], cache: dict[str, tuple[Candidate, ...]],
              index: dict[str, list[Candidate]],
              prefix: dict[str, list[Candidate]]) -> list[Hit]:
        hits: list[Hit] = []
        stops = self._stops
        present: set[str] | None = None
        for i, t in enumerate(toks):
            cands = cache.get(t)
            if cands is None:
                cands = _candidates(t, index, prefix)
                if len(cache) >= _CACHE_LIMIT:
                    cache.clear()
                cache[t] = cands
            if cands:
                if present is None:
                    present = set(toks)
                for idx, variant, required in cands:
                    for words in required:
                        if words.isdisjoint(present):
                            break
                    else:
                        end = match(variant, 0, toks, i, stops)
                        if end >= 0:
                            hits.append((idx, i, end))
        return hits

    def _negated(self, toks: list[str], start: int, end: int = -1) -> bool:
        """A negation just before `start`, unless the match itself already holds one: "ne
        vois plus aucune raison de vivre", "no sé para qué sigo viviendo" are negative
        statements, not negated ones."""
        lex = self._lex
        if end > start and not lex.negators.isdisjoint(toks[start:end]):
            return False
        j = start - 1
        steps = 0
        while j >= 0 and steps < _NEGATION_WINDOW:
            t = toks[j]
            if t in BOUNDARIES or t in lex.scope_breakers:
                return False
            if t in lex.negators and (j + 1 >= len(toks)
                                      or toks[j + 1] not in lex.negation_breakers):
                return True
            j -= 1
            steps += 1
        return False

    # -- deciding ---------------------------------------------------------------------------

    def _decide(self, toks: list[str], hits: list[Hit]) -> Assessment:
        lex = self._lex
        entries = self._entries
        aux = self._scan(toks, self._aux_cache, lex.aux, lex.aux_prefix)
        exceptions: list[tuple[int, int]] = []
        contexts: dict[str, list[int]] = {}
        escalations: list[str] = []
        for idx, s, e in aux:
            entry = entries[idx]
            if entry.kind == "exception":
                exceptions.append((s, e))
            elif self._negated(toks, s):
                continue
            elif entry.kind == "context":
                contexts.setdefault(entry.name, []).append(s)
            else:
                escalations.append(entry.name)

        found: list[tuple[int, str]] = []  # (rank, category)
        others = [(s, e) for idx, s, e in hits if entries[idx].name == "third_party"]
        for idx, s, e in hits:
            entry = entries[idx]
            if self._negated(toks, s, e):
                continue
            if any(xs < e and s < xe for xs, xe in exceptions):
                continue
            if entry.unless and self._in_scope(toks, s, contexts, entry.unless, "sentence"):
                continue
            if entry.kind != "watch" and self._suppressed(toks, s, entry.name, entry.level,
                                                           contexts):
                continue
            if (entry.name in _OWN and "long_ago" in contexts
                    and self._in_scope(toks, s, contexts, ("long_ago",), "clause")
                    and not self._in_scope(toks, s, contexts, ("relapse",), "clause")):
                continue  # "three years ago I attempted suicide": told as long past
            if (entry.name in _SELF and others
                    and (any(os_ < e and s < oe for os_, oe in others)
                         or not any(t in self._first_person for t in toks[s:e]))):
                continue  # "my friend wants to kill himself", "she sent a goodbye text"
            found.append((_LEVEL_RANK[entry.level], entry.name))
        if not found:
            return NO_CRISIS

        if "recovery" in contexts and "past" in contexts and "relapse" not in contexts:
            found = [f for f in found if f[1] not in _OWN]
            if not found:
                return Assessment(Level.WATCH, "distress")

        if escalations:
            into = min(escalations, key=_priority)
            found = [_escalate(rank, cat, into) for rank, cat in found]

        rank, category = max(found, key=lambda f: (f[0], -_priority(f[1])))
        level = (Level.WATCH, Level.CONCERN, Level.URGENT)[rank - 1]
        return Assessment(level, category)

    def _suppressed(self, toks: list[str], start: int, category: str, level: str,
                    contexts: dict[str, list[int]]) -> bool:
        for name, ctx in self._lex.contexts.items():
            if (category in ctx.suppress and name in contexts
                    and _LEVEL_RANK[level] <= _LEVEL_RANK[ctx.up_to]
                    and self._in_scope(toks, start, contexts, (name,), ctx.scope)):
                return True
        return False

    def _in_scope(self, toks: list[str], start: int, contexts: dict[str, list[int]],
                  names: Sequence[str] | frozenset[str], scope: str) -> bool:
        positions = [p for n in names for p in contexts.get(n, ())]
        if not positions:
            return False
        if scope == "message":
            return True
        ends = BOUNDARIES if scope == "clause" else (SENTENCE,)
        lo = start
        while lo > 0 and toks[lo - 1] not in ends:
            lo -= 1
        hi = start
        while hi < len(toks) and toks[hi] not in ends:
            hi += 1
        return any(lo <= p < hi for p in positions)


def _window_ids(toks: list[str], scope: str) -> list[int]:
    """For each token, the number of the clause, sentence or message it belongs to."""
    if scope == "message":
        return [0] * len(toks)
    stops = BOUNDARIES if scope == "clause" else (SENTENCE,)
    out: list[int] = []
    n = 0
    for t in toks:
        if t in stops:
            n += 1
        out.append(n)
    return out


def _present(names: frozenset[str], found: dict[str, list[tuple[int, int]]], wid: list[int],
             w: int) -> list[str]:
    """Which of these concepts occur in window `w`."""
    return [n for n in names if any(wid[s] == w for s, _ in found.get(n, ()))]


def _fire(rule: Rule, found: dict[str, list[tuple[int, int]]],
          wid: list[int]) -> tuple[int, int] | None:
    """The span of a match of the rule, or None."""
    if rule.seq:
        starts = found[rule.seq[0]]
    else:
        starts = [h for n in rule.all for h in found[n]]
    for s, e in starts:
        w = wid[s]
        if rule.seq:
            end = _follow(rule.seq, 1, found, wid, w, e, rule.near)
            if end < 0:
                continue
        else:
            end = e
        if rule.all and len(_present(rule.all, found, wid, w)) < len(rule.all):
            continue
        if rule.any and not _present(rule.any, found, wid, w):
            continue
        if rule.none and _present(rule.none, found, wid, w):
            continue
        return s, end
    return None


def _follow(seq: tuple[str, ...], k: int, found: dict[str, list[tuple[int, int]]],
            wid: list[int], w: int, prev_end: int, near: int) -> int:
    if k == len(seq):
        return prev_end
    for s, e in found[seq[k]]:
        if s >= prev_end and s - prev_end <= near and wid[s] == w:
            end = _follow(seq, k + 1, found, wid, w, e, near)
            if end >= 0:
                return end
    return -1


def _candidates(token: str, index: dict[str, list[Candidate]],
                prefix: dict[str, list[Candidate]]) -> tuple[Candidate, ...]:
    out = list(index.get(token, ()))
    if len(token) >= 3:
        seen = {id(c[1]) for c in out}
        for cand in prefix.get(token[:3], ()):
            if id(cand[1]) not in seen:
                seen.add(id(cand[1]))
                out.append(cand)
    return tuple(out)


def _priority(category: str) -> int:
    return _PRIORITY.get(category, len(_PRIORITY))


def _escalate(rank: int, category: str, into: str) -> tuple[int, str]:
    if rank == 2 and category in _ESCALATE_INTO:
        return 3, into
    if rank == 2 and category in _ESCALATE_LEVEL:
        return 3, category
    return rank, category


__all__ = ["FAIL_CLOSED", "Assessment", "CrisisDetector", "Level", "LexiconError",
           "validate_lexicon"]
