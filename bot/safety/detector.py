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
from itertools import accumulate
from operator import itemgetter
from pathlib import Path
from sys import intern

from bot.safety.classifier import CONCEPT, MODEL_PATH, Classifier
from bot.safety.lexicon import (
    Context,
    Lexicon,
    LexiconError,
    Rule,
    bundled_paths,
    expand_paths,
    load_lexicon,
    validate_lexicon,
)
from bot.safety.normalize import BOUNDARIES, SENTENCE
from bot.safety.scan import Hit, PhraseScanner, layout

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
# The level the model's category gets when the rules found nothing: what that category usually
# means (docs/safety.md), raised by the same markers (a time, a means, a goodbye) as the rules.
_MODEL_RANK = {"plan_or_means": 3, "goodbye": 3, "overdose_or_medical": 3, "abuse_or_danger": 3}
# Contexts that, found in the message, hold the model back unless it is very sure: the words
# are about a film, prevention work, a question answered elsewhere, a recovered or long past,
# a game or a chore.
_VETO_CONTEXTS = frozenset(("prevention", "fiction", "title", "quoted", "asked", "long_ago",
                            "past", "recovery", "gaming", "tasks"))


class CrisisDetector(PhraseScanner):
    def __init__(self, lexicon: Lexicon, classifier: Classifier | None = None) -> None:
        self._lex = lexicon
        self.classifier = classifier
        self._tokens = lexicon.normalizer.tokens
        self._entries = lexicon.entries
        self._stops = lexicon.gap_stops
        self._rules = lexicon.rules
        self._negators = lexicon.negators
        # Words that put the member in a finding ("i", "myself", "je", "mich"): with someone
        # else at risk in the message, a finding without them is about that person.
        self._first_person = frozenset(
            w for w, cands in lexicon.concept.items()
            if any(lexicon.entries[c[0]].name == "i" for c in cands)) | {"myself", "kms"}
        # Concepts that gate the rules: a rule cannot match unless one of its gates is in the
        # message, so the other concepts (first person, wanting, a time...) are only looked for
        # when a phrase or a gate was found.
        gates: set[str] = set()
        for rule in lexicon.rules:
            rare = sorted(rule.needs - _FREQUENT_CONCEPTS)
            if rare:
                gates.add(rare[0])
            elif rule.any and not rule.any & _FREQUENT_CONCEPTS:
                gates |= rule.any
            else:
                gates |= rule.needs
        entries = lexicon.entries

        def tier_of(idx: int) -> int:
            entry = entries[idx]
            if entry.kind == "concept":
                return 0 if entry.name in gates else 1
            return 0 if entry.kind in ("crisis", "watch") else 2

        self._init_index(lexicon, tier_of)
        self._suppressors: dict[str, list[tuple[str, Context]]] = {}
        for name, ctx in lexicon.contexts.items():
            for category in ctx.suppress:
                self._suppressors.setdefault(category, []).append((name, ctx))
        self._is_concept = [e.kind == "concept" for e in lexicon.entries]
        self._names = [intern(e.name) for e in lexicon.entries]
        self._kinds = [intern(e.kind) for e in lexicon.entries]
        self._concept_key = [intern(CONCEPT + e.name) if e.kind == "concept" else "" for e in
                             lexicon.entries]
        # One bit per concept: the concepts a message holds are one small integer, and a rule
        # is tested against it before anything else.
        self._concept_bit: dict[str, int] = {}
        for rule in lexicon.rules:
            for name in sorted(rule.needs | rule.any):
                self._concept_bit.setdefault(name, 1 << len(self._concept_bit))
        # Each rule under one concept it needs: only rules whose key concept was found are
        # looked at.
        self._rules_by_key: dict[str, list[tuple[int, int, int, Rule]]] = {}
        for rule in lexicon.rules:
            key = min(sorted(rule.needs), key=lambda n: n in _FREQUENT_CONCEPTS)
            self._rules_by_key.setdefault(key, []).append(
                (rule.entry, self._mask(rule.needs), self._mask(rule.any), rule))

    def _mask(self, names: frozenset[str]) -> int:
        bits = self._concept_bit
        return sum(bits[n] for n in names)

    @classmethod
    def load(cls, extra_paths: Sequence[Path] = (),
             model_path: Path | None = MODEL_PATH) -> CrisisDetector:
        """The bundled lexicon plus moderator files (or folders of them), and the model
        (`model_path=None`: the rules alone)."""
        lexicon, problems = load_lexicon([*bundled_paths(), *expand_paths(extra_paths)])
        if lexicon is None:
            raise LexiconError(problems)
        return cls(lexicon, Classifier.load(model_path) if model_path is not None else None)

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
        """The rules first; when they find no crisis, the model may still find one."""
        toks = self._tokens(text)
        found, concepts = self.analyse(toks)
        model = self.classifier
        if model is None or found.level is Level.CONCERN or found.level is Level.URGENT:
            return found
        flagged = model.screen(toks, concepts)
        if flagged is None:
            return found
        p_none, category = flagged
        vetoable, finding = self.model_finding(toks, category)
        if vetoable and p_none >= model.veto_threshold:
            return found
        return finding

    def model_finding(self, toks: list[str], category: str) -> tuple[bool, Assessment]:
        """What a crisis category from the model means in this message: whether something the
        rules found silences it (a negation, an exception, a film, prevention work, a past
        that is over) and the assessment with the category's usual level."""
        text, offsets, positions = layout(toks)
        present = set(positions)
        entries = self._entries
        hits = self._scan(toks, text, offsets, 0, positions, present)
        hits += self._scan(toks, text, offsets, 1, positions, present)
        negates = not self._negators.isdisjoint(present)
        vetoable = negates and any(self._negated(toks, s, e) for _, s, e in hits)
        contexts: set[str] = set()
        escalations: list[str] = []
        for idx, s, e in self._scan(toks, text, offsets, 2, positions, present):
            entry = entries[idx]
            if entry.kind == "exception":
                vetoable = True
            elif negates and self._negated(toks, s, e):
                continue
            elif entry.kind == "context":
                contexts.add(entry.name)
            else:
                escalations.append(entry.name)
        if "disclosed" not in contexts:
            live = contexts & _VETO_CONTEXTS
            if "relapse" in contexts:
                live -= {"long_ago", "past", "recovery"}
            vetoable = vetoable or bool(live)
        rank = _MODEL_RANK.get(category, 2)
        if escalations:
            rank, category = _escalate(rank, category, min(escalations, key=_priority))
        return vetoable, Assessment(Level.URGENT if rank == 3 else Level.CONCERN, category)

    def analyse(self, toks: list[str]) -> tuple[Assessment, list[str]]:
        """What the rules say about a message's tokens, and the concepts they found (the
        model's concept features)."""
        text, offsets, positions = layout(toks)
        present = set(positions)
        hits = self._scan(toks, text, offsets, 0, positions, present)
        if not hits:
            return NO_CRISIS, _NO_CONCEPTS
        main: list[Hit] = []
        concepts: list[Hit] = []
        is_concept = self._is_concept
        for hit in hits:
            (concepts if is_concept[hit[0]] else main).append(hit)
        aux: list[Hit] | None = None
        names = _NO_CONCEPTS
        # Without a negator in the message nothing in it can be negated.
        negates = not self._negators.isdisjoint(present)
        if concepts:
            concepts.extend(self._scan(toks, text, offsets, 1, positions, present))
            aux = self._scan(toks, text, offsets, 2, positions, present)
            # Words an exception explains ("morir de risa", "kill time") are no concept either.
            kept = [(s, e) for idx, s, e in aux if self._entries[idx].kind == "exception"]
            if kept:
                concepts = [h for h in concepts
                            if not any(xs < h[2] and h[1] < xe for xs, xe in kept)]
            # By place, then by lexicon entry: the model's concept pairs come out the same
            # whatever order the scan found them in (it follows set order, which varies
            # from one process to the next).
            concepts.sort(key=_PLACE)
            key = self._concept_key
            names = [key[h[0]] for h in concepts]
            main.extend(self._combine(toks, concepts, negates))
        if not main:
            return NO_CRISIS, names
        if aux is None:
            aux = self._scan(toks, text, offsets, 2, positions, present)
        # `_decide` reads the hits in any order.
        return self._decide(toks, main, aux, negates), names

    # -- concepts and rules -----------------------------------------------------------------

    def _combine(self, toks: list[str], concepts: list[Hit], negates: bool = True) -> list[Hit]:
        """The rules whose concepts appear together; each as a hit over the words it used."""
        name_of = self._names
        found: dict[str, list[tuple[int, int]]] = {}
        get = found.get
        for idx, s, e in concepts:
            if negates and self._negated(toks, s, e):
                continue
            name = name_of[idx]
            at = get(name)
            if at is None:
                found[name] = [(s, e)]
            else:
                at.append((s, e))
        if not found:
            return []
        by_key = self._rules_by_key
        rules = [r for name in found if name in by_key for r in by_key[name]]
        if not rules:
            return []
        if len(rules) > 1:
            rules.sort(key=_ENTRY)
        bits = self._concept_bit
        held = 0
        for name in found:
            held |= bits.get(name, 0)
        out: list[Hit] = []
        windows: dict[str, list[int]] = {}
        for _, needs, any_of, rule in rules:
            if held & needs != needs or (any_of and not held & any_of):
                continue
            wid = windows.get(rule.scope)
            if wid is None:
                wid = windows[rule.scope] = _window_ids(toks, rule.scope)
            span = _fire(rule, found, wid)
            if span is not None:
                out.append((rule.entry, span[0], span[1]))
        return out

    # -- matching ---------------------------------------------------------------------------

    def _negated(self, toks: list[str], start: int, end: int = -1) -> bool:
        """A negation just before `start`, unless the match itself already holds one: "ne
        vois plus aucune raison de vivre", "no sé para qué sigo viviendo" are negative
        statements, not negated ones."""
        lex = self._lex
        negators = self._negators
        if end > start and not negators.isdisjoint(toks[start:end]):
            return False
        j = start - 1
        steps = 0
        while j >= 0 and steps < _NEGATION_WINDOW:
            t = toks[j]
            if t in BOUNDARIES or t in lex.scope_breakers:
                return False
            if t in negators and (j + 1 >= len(toks)
                                      or toks[j + 1] not in lex.negation_breakers):
                return True
            j -= 1
            steps += 1
        return False

    # -- deciding ---------------------------------------------------------------------------

    def _decide(self, toks: list[str], hits: list[Hit], aux: list[Hit],
                negates: bool = True) -> Assessment:
        entries = self._entries
        kinds = self._kinds
        name_of = self._names
        exceptions: list[tuple[int, int]] = []
        contexts: dict[str, list[int]] = {}
        escalations: list[str] = []
        for idx, s, e in aux:
            kind = kinds[idx]
            if kind == "exception":
                exceptions.append((s, e))
            elif negates and self._negated(toks, s, e):
                continue
            elif kind == "context":
                contexts.setdefault(name_of[idx], []).append(s)
            else:
                escalations.append(name_of[idx])

        found: list[tuple[int, str]] = []  # (rank, category)
        others = [(s, e) for idx, s, e in hits if name_of[idx] == "third_party"]
        for idx, s, e in hits:
            if negates and self._negated(toks, s, e):
                continue
            entry = entries[idx]
            if exceptions and any(xs < e and s < xe for xs, xe in exceptions):
                continue
            if contexts:
                if entry.unless and self._in_scope(toks, s, contexts, entry.unless,
                                                   "sentence"):
                    continue
                if entry.kind != "watch" and self._suppressed(toks, s, entry.name,
                                                               entry.level, contexts):
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
        if "disclosed" in contexts:
            return False  # "I lied and said no": nothing in the message silences it
        for name, ctx in self._suppressors.get(category, ()):
            if (name in contexts
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


_NO_CONCEPTS: list[str] = []
_PLACE = itemgetter(1, 2, 0)
_ENTRY = itemgetter(0)
_IS_BOUNDARY = BOUNDARIES.__contains__
_IS_SENTENCE_END = frozenset((SENTENCE,)).__contains__


def _window_ids(toks: list[str], scope: str) -> list[int]:
    """For each token, the number of the clause, sentence or message it belongs to (a
    boundary opens the next one)."""
    if scope == "message":
        return [0] * len(toks)
    return list(accumulate(map(_IS_BOUNDARY if scope == "clause" else _IS_SENTENCE_END, toks),
                           initial=0))[1:]


def _any_in(names: frozenset[str], found: dict[str, list[tuple[int, int]]], wid: list[int],
            w: int) -> bool:
    """Whether one of these concepts occurs in window `w`."""
    for n in names:
        for s, _ in found.get(n, ()):
            if wid[s] == w:
                return True
    return False


def _all_in(names: frozenset[str], found: dict[str, list[tuple[int, int]]], wid: list[int],
            w: int) -> bool:
    """Whether each of these concepts occurs in window `w`."""
    for n in names:
        for s, _ in found.get(n, ()):
            if wid[s] == w:
                break
        else:
            return False
    return True


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
        if rule.all and not _all_in(rule.all, found, wid, w):
            continue
        if rule.any and not _any_in(rule.any, found, wid, w):
            continue
        if rule.none and _any_in(rule.none, found, wid, w):
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


# Concepts found in most messages: a rule is keyed by another of its concepts when it can be.
_FREQUENT_CONCEPTS = frozenset(("i", "desire", "intent", "time", "time_now", "other", "report",
                                "third", "body", "harm_intent", "danger3", "danger_now", "means",
                                "sh_context", "on_purpose", "symptoms", "finality", "harm_boost"))

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
