"""Reading, checking and compiling the lexicon files (see docs/safety.md for the format)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.safety.normalize import BOUNDARIES, Normalizer, collapse, emoji_key
from bot.safety.patterns import (
    GAP_WORDS,
    LIT,
    Choice,
    PhraseError,
    Variant,
    compile_phrase,
    fold,
    literal_words,
    parse_alternative,
    required_words,
    starts,
)
from bot.yamlfile import (
    FileProblems,
    Problem,
    YamlDocument,
    check_mapping,
    describe,
    did_you_mean,
    load_yaml,
)

# A phrase to try at a token: entry index, compiled phrase, word sets the message must contain.
Candidate = tuple[int, Variant, tuple[frozenset[str], ...]]

BUNDLED_DIR = Path(__file__).parent / "data" / "lexicon"

CRISIS_CATEGORIES = (
    "suicidal_ideation", "plan_or_means", "goodbye", "self_harm", "harm_to_others",
    "abuse_or_danger", "overdose_or_medical", "third_party", "hopelessness",
)
WATCH_CATEGORIES = ("distress",)
CRISIS_LEVELS = ("concern", "urgent")
RESERVED_CONTEXTS = ("past", "recovery", "relapse", "long_ago", "disclosed")
SCOPES = ("sentence", "message")
RULE_SCOPES = ("clause", "sentence", "message")
RULE_KEYS = ("category", "level", "seq", "all", "any", "none", "scope", "near", "unless")
DEFAULT_NEAR = 4
TOP_KEYS = ("language", "rewrite", "fillers", "negators", "negation_breakers", "scope_breakers",
            "sets", "crisis", "watch", "escalate", "exceptions", "contexts", "emoji",
            "concepts", "rules")
_SET_REF = re.compile(r"(<[^<>\s]+>)")
_LANGUAGE = re.compile(r"^(any|[a-z]{2,3}(-[A-Za-z0-9]{2,8})?)$")


@dataclass(frozen=True, slots=True)
class Entry:
    kind: str  # crisis | watch | exception | context | escalate
    name: str  # category, context name, or "" for exceptions
    level: str  # concern | urgent | watch | ""
    phrase: str
    unless: frozenset[str] = frozenset()


@dataclass(slots=True)
class Context:
    scope: str = "sentence"
    suppress: frozenset[str] = frozenset()
    up_to: str = "concern"


@dataclass(frozen=True, slots=True)
class Rule:
    """Concepts that together, inside one clause, sentence or message, mean a crisis."""

    entry: int  # index of the rule's Entry (category, level, unless)
    seq: tuple[str, ...]  # concepts in this order, each within `near` tokens of the previous
    all: frozenset[str]  # concepts anywhere in the scope
    any: frozenset[str]  # at least one of these in the scope (when not empty)
    none: frozenset[str]  # none of these in the scope
    scope: str
    near: int
    needs: frozenset[str]  # every concept the rule cannot match without


@dataclass(slots=True)
class Lexicon:
    """Everything the detector needs, compiled."""

    normalizer: Normalizer
    entries: list[Entry]
    main: dict[str, list[Candidate]]
    main_prefix: dict[str, list[Candidate]]
    aux: dict[str, list[Candidate]]
    aux_prefix: dict[str, list[Candidate]]
    negators: frozenset[str]
    negation_breakers: frozenset[str]
    scope_breakers: frozenset[str]
    contexts: dict[str, Context]
    gap_stops: frozenset[str] = field(default_factory=frozenset)
    concept: dict[str, list[Candidate]] = field(default_factory=dict)
    concept_prefix: dict[str, list[Candidate]] = field(default_factory=dict)
    rules: list[Rule] = field(default_factory=list)


class LexiconError(FileProblems):
    """A crisis lexicon file has problems."""


def bundled_paths() -> list[Path]:
    return sorted(BUNDLED_DIR.glob("*.yaml"))


def expand_paths(paths: Sequence[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        out.extend(sorted(p.glob("*.yaml")) if p.is_dir() else [p])
    return out


@dataclass(slots=True)
class _Phrase:
    doc: YamlDocument
    path: tuple[Any, ...]
    entry: Entry


@dataclass(slots=True)
class _Raw:
    """Everything read from the files before compiling."""

    rewrite: list[tuple[YamlDocument, tuple[Any, ...], str, str]] = field(default_factory=list)
    fillers: list[str] = field(default_factory=list)
    negators: list[str] = field(default_factory=list)
    negation_breakers: list[str] = field(default_factory=list)
    scope_breakers: list[str] = field(default_factory=list)
    sets: dict[str, list[tuple[YamlDocument, tuple[Any, ...], str]]] = field(default_factory=dict)
    phrases: list[_Phrase] = field(default_factory=list)
    contexts: dict[str, Context] = field(default_factory=dict)
    context_marks: list[tuple[YamlDocument, tuple[Any, ...], str]] = field(default_factory=list)
    emoji: dict[str, str] = field(default_factory=dict)
    concepts: dict[str, list[tuple[YamlDocument, tuple[Any, ...]]]] = field(default_factory=dict)
    rules: list[_RawRule] = field(default_factory=list)


@dataclass(slots=True)
class _RawRule:
    doc: YamlDocument
    path: tuple[Any, ...]
    category: str
    level: str
    lists: dict[str, list[tuple[tuple[Any, ...], str]]]
    scope: str
    near: int
    unless: frozenset[str]


def _text_list(doc: YamlDocument, path: tuple[Any, ...], problems: list[Problem],
               what: str) -> list[tuple[tuple[Any, ...], str]]:
    value = doc.data
    for part in path:
        if not isinstance(value, (dict, list)) or (isinstance(value, dict) and part not in value):
            return []
        value = value[part]
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append(doc.problem(path, f"{what} should be a list, found {describe(value)}",
                                    "write one entry per line, each starting with '- '"))
        return []
    out: list[tuple[tuple[Any, ...], str]] = []
    for i in range(len(value)):
        text = doc.text((*path, i), problems, what="a word or phrase")
        if text is None:
            continue
        if not text.strip():
            problems.append(doc.problem((*path, i), "empty phrase", "remove this line"))
            continue
        out.append(((*path, i), text.strip()))
    return out


def _read_file(path: Path, raw: _Raw, problems: list[Problem]) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(str(path), 1, 1, f"cannot read this file: {exc}"))
        return
    doc, found = load_yaml(text, str(path))
    problems.extend(found)
    if doc is None:
        return
    if doc.data is None:
        problems.append(doc.problem((), "the file is empty", "start with 'language: en'"))
        return
    top = check_mapping(doc, (), problems, required=("language",), optional=TOP_KEYS[1:],
                        what="a lexicon file")
    if top is None:
        return
    if "language" in top:
        lang = doc.text(("language",), problems, what="a language code")
        if lang is not None and not _LANGUAGE.match(lang):
            problems.append(doc.problem(("language",), f"{lang!r} is not a language code",
                                        "use a code like en, es, pt-BR, or 'any'"))
    for key, target in (("fillers", raw.fillers), ("negators", raw.negators),
                        ("negation_breakers", raw.negation_breakers),
                        ("scope_breakers", raw.scope_breakers)):
        if key in top:
            target.extend(t for _, t in _text_list(doc, (key,), problems, key))
    if "rewrite" in top and _mapping(doc, ("rewrite",), problems, "rewrite"):
        for word in top["rewrite"]:
            to = doc.text(("rewrite", word), problems, what="the words it stands for")
            if to is not None:
                if not to.strip() or not str(word).strip():
                    problems.append(doc.problem(("rewrite", word), "empty rewrite",
                                                "write the word and what it stands for"))
                    continue
                raw.rewrite.append((doc, ("rewrite", word), str(word), to))
    if "emoji" in top and _mapping(doc, ("emoji",), problems, "emoji"):
        for symbol in top["emoji"]:
            word = doc.text(("emoji", symbol), problems, what="a word")
            if emoji_key(str(symbol)) is None:
                problems.append(doc.problem(("emoji", symbol), f"{symbol!r} is not one emoji",
                                            "write a single emoji as the key", at_key=True))
            elif word is not None and word.strip():
                raw.emoji[str(symbol)] = word.strip()
    if "sets" in top and _mapping(doc, ("sets",), problems, "sets"):
        for name in top["sets"]:
            if not _named(doc, ("sets", name), "set", problems):
                continue
            items = _text_list(doc, ("sets", name), problems, f"set {name!r}")
            raw.sets.setdefault(str(name), []).extend((doc, p, t) for p, t in items)
    if "crisis" in top and _mapping(doc, ("crisis",), problems, "crisis"):
        for category in top["crisis"]:
            if not _known(doc, ("crisis", category), CRISIS_CATEGORIES, "category", problems):
                continue
            levels = check_mapping(doc, ("crisis", category), problems,
                                   optional=CRISIS_LEVELS, what=f"category {category!r}")
            for level in (levels or {}):
                if level in CRISIS_LEVELS:
                    _entries(doc, ("crisis", category, level), "crisis", category, level, raw,
                             problems)
    if "watch" in top and _mapping(doc, ("watch",), problems, "watch"):
        for category in top["watch"]:
            if not _known(doc, ("watch", category), WATCH_CATEGORIES, "watch category",
                          problems):
                continue
            _entries(doc, ("watch", category), "watch", category, "watch", raw, problems)
    if "escalate" in top and _mapping(doc, ("escalate",), problems, "escalate"):
        for category in top["escalate"]:
            if not _known(doc, ("escalate", category), CRISIS_CATEGORIES, "category", problems):
                continue
            _entries(doc, ("escalate", category), "escalate", category, "urgent", raw, problems)
    if "exceptions" in top:
        _entries(doc, ("exceptions",), "exception", "", "", raw, problems)
    if "contexts" in top and _mapping(doc, ("contexts",), problems, "contexts"):
        for name in top["contexts"]:
            _read_context(doc, str(name), raw, problems)
    if "concepts" in top and _mapping(doc, ("concepts",), problems, "concepts"):
        for name in top["concepts"]:
            if not _named(doc, ("concepts", name), "concept", problems):
                continue
            raw.concepts.setdefault(str(name), []).append((doc, ("concepts", name)))
            _entries(doc, ("concepts", name), "concept", str(name), "", raw, problems)
    if "rules" in top:
        _read_rules(doc, raw, problems)


def _read_rules(doc: YamlDocument, raw: _Raw, problems: list[Problem]) -> None:
    value = doc.data["rules"]
    if value is None:
        return
    if not isinstance(value, list):
        problems.append(doc.problem(("rules",), f"rules should be a list, found {describe(value)}",
                                    "write one rule per item, each starting with '- '"))
        return
    for i in range(len(value)):
        p = ("rules", i)
        body = check_mapping(doc, p, problems, required=("category", "level"),
                             optional=RULE_KEYS[2:], what="a rule")
        if body is None:
            continue
        category = doc.text((*p, "category"), problems, what="a category")
        level = doc.text((*p, "level"), problems, what="a level")
        ok = True
        if category is not None and category not in CRISIS_CATEGORIES:
            problems.append(doc.problem((*p, "category"), f"unknown category {category!r}",
                                        did_you_mean(category, CRISIS_CATEGORIES)
                                        or f"categories: {', '.join(CRISIS_CATEGORIES)}"))
            ok = False
        if level is not None and level not in CRISIS_LEVELS:
            problems.append(doc.problem((*p, "level"), f"unknown level {level!r}",
                                        did_you_mean(level, CRISIS_LEVELS) or "concern or urgent"))
            ok = False
        scope = "sentence"
        if "scope" in body:
            found = doc.text((*p, "scope"), problems, what="a scope")
            if found is not None and found not in RULE_SCOPES:
                problems.append(doc.problem((*p, "scope"), f"unknown scope {found!r}",
                                            did_you_mean(found, RULE_SCOPES)
                                            or "clause, sentence or message"))
                ok = False
            elif found is not None:
                scope = found
        near = DEFAULT_NEAR
        if "near" in body:
            n = body["near"]
            if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= 20:
                problems.append(doc.problem((*p, "near"), f"near should be a whole number of "
                                            f"words from 0 to 20, found {describe(n)}"))
                ok = False
            else:
                near = n
        lists = {key: _text_list(doc, (*p, key), problems, key)
                 for key in ("seq", "all", "any", "none")}
        if not lists["seq"] and not lists["all"]:
            problems.append(doc.problem(p, "a rule needs concepts in 'seq' or 'all'",
                                        "for example seq: [self, desire, death]"))
            ok = False
        unless = frozenset(t for up, t in _text_list(doc, (*p, "unless"), problems, "unless")
                           if _note_unless(doc, up, t, raw))
        if ok and category is not None and level is not None:
            raw.rules.append(_RawRule(doc, p, category, level, lists, scope, near, unless))


def _mapping(doc: YamlDocument, path: tuple[Any, ...], problems: list[Problem],
             what: str) -> bool:
    value = doc.data
    for part in path:
        value = value[part]
    if value is None:
        return False
    if not isinstance(value, dict):
        problems.append(doc.problem(path, f"{what} should be a mapping of keys, "
                                          f"found {describe(value)}"))
        return False
    return True


def _named(doc: YamlDocument, path: tuple[Any, ...], what: str, problems: list[Problem]
           ) -> bool:
    """A set or concept name: lowercase letters, digits and _ (phrases refer to it)."""
    name = path[-1]
    if re.fullmatch(r"[a-z0-9_]+", str(name)):
        return True
    problems.append(doc.problem(path, f"{what} name {name!r} should use lowercase letters, "
                                "digits and _", at_key=True))
    return False


def _known(doc: YamlDocument, path: tuple[Any, ...], allowed: Sequence[str], what: str,
           problems: list[Problem]) -> bool:
    """Whether the key at `path` names one of `allowed`; if not, a problem with a hint."""
    name = path[-1]
    if name in allowed:
        return True
    listing = what.replace("category", "categories")
    problems.append(doc.problem(path, f"unknown {what} {name!r}",
                                did_you_mean(str(name), allowed)
                                or f"{listing}: {', '.join(allowed)}", at_key=True))
    return False


def _read_context(doc: YamlDocument, name: str, raw: _Raw, problems: list[Problem]) -> None:
    path = ("contexts", name)
    body = check_mapping(doc, path, problems, required=("phrases",),
                         optional=("scope", "suppress", "up_to"), what=f"context {name!r}")
    if body is None:
        return
    ctx = raw.contexts.setdefault(name, Context())
    raw.context_marks.append((doc, path, name))
    if "scope" in body:
        scope = doc.text((*path, "scope"), problems, what="a scope")
        if scope is not None and scope not in SCOPES:
            problems.append(doc.problem((*path, "scope"), f"unknown scope {scope!r}",
                                        did_you_mean(scope, SCOPES) or "sentence or message"))
        elif scope is not None:
            ctx.scope = scope
    if "up_to" in body:
        up_to = doc.text((*path, "up_to"), problems, what="a level")
        if up_to is not None and up_to not in CRISIS_LEVELS:
            problems.append(doc.problem((*path, "up_to"), f"unknown level {up_to!r}",
                                        did_you_mean(up_to, CRISIS_LEVELS)
                                        or "concern or urgent"))
        elif up_to is not None:
            ctx.up_to = up_to
    if "suppress" in body:
        cats = set(ctx.suppress)
        for p, cat in _text_list(doc, (*path, "suppress"), problems, "suppress"):
            if cat not in CRISIS_CATEGORIES:
                problems.append(doc.problem(p, f"unknown category {cat!r}",
                                            did_you_mean(cat, CRISIS_CATEGORIES)))
            else:
                cats.add(cat)
        ctx.suppress = frozenset(cats)
    _entries(doc, (*path, "phrases"), "context", name, "", raw, problems)


def _entries(doc: YamlDocument, path: tuple[Any, ...], kind: str, name: str, level: str,
             raw: _Raw, problems: list[Problem]) -> None:
    value = doc.data
    for part in path:
        value = value[part]
    if value is None:
        return
    if not isinstance(value, list):
        problems.append(doc.problem(path, f"expected a list of phrases, found {describe(value)}",
                                    "write one phrase per line, each starting with '- '"))
        return
    for i, item in enumerate(value):
        p = (*path, i)
        unless: frozenset[str] = frozenset()
        if isinstance(item, dict):
            body = check_mapping(doc, p, problems, required=("phrase",), optional=("unless",),
                                 what="a phrase entry")
            if body is None or "phrase" not in body:
                continue
            unless = frozenset(t for up, t in _text_list(doc, (*p, "unless"), problems, "unless")
                               if _note_unless(doc, up, t, raw))
            phrase_path: tuple[Any, ...] = (*p, "phrase")
        else:
            phrase_path = p
        text = doc.text(phrase_path, problems, what="a phrase")
        if text is None:
            continue
        if not text.strip():
            problems.append(doc.problem(phrase_path, "empty phrase", "remove this line"))
            continue
        raw.phrases.append(_Phrase(doc, phrase_path, Entry(kind, name, level, text.strip(),
                                                           unless)))


def _note_unless(doc: YamlDocument, path: tuple[Any, ...], name: str, raw: _Raw) -> bool:
    raw.context_marks.append((doc, path, "?" + name))
    return True


def load_lexicon(paths: Sequence[Path]) -> tuple[Lexicon | None, list[Problem]]:
    """Read, check and compile the files; every problem found, in file order."""
    problems: list[Problem] = []
    raw = _Raw()
    for path in paths:
        _read_file(Path(path), raw, problems)
    boot = Normalizer({}, {})

    def plain(text: str) -> list[str]:
        return boot.words(text)

    rewrite: dict[str, tuple[str, ...]] = {}
    for doc, p, word, to in raw.rewrite:
        key = plain(word)
        if len(key) != 1:
            problems.append(doc.problem(p, f"{word!r} should be one word", at_key=True))
            continue
        rewrite[key[0]] = tuple(plain(to))
    for filler in raw.fillers:
        for w in plain(filler):
            rewrite[w] = ()
    norm = Normalizer(rewrite, raw.emoji)
    words = norm.words

    sets: dict[str, list[Choice]] = {}
    resolving: set[str] = set()

    def resolve(name: str) -> list[Choice]:
        if name in sets:
            return sets[name]
        resolving.add(name)
        found: list[Choice] = []
        for doc, p, text in raw.sets[name]:
            try:
                for ref in _SET_REF.findall(text):
                    ref = ref[1:-1]
                    if ref not in raw.sets:
                        raise PhraseError(f"unknown set <{ref}>")
                    if ref in resolving:
                        raise PhraseError(f"the set <{ref}> refers back to itself")
                    resolve(ref)
                choices = parse_alternative(text, words, sets)
            except PhraseError as exc:
                problems.append(doc.problem(p, str(exc)))
                continue
            if choices == [()]:
                problems.append(doc.problem(p, f"{text!r} is only filler words here",
                                            "fillers are dropped from every phrase"))
                continue
            found.extend(choices)
        resolving.discard(name)
        sets[name] = fold(found)
        return sets[name]

    for name in raw.sets:
        resolve(name)

    known_contexts = set(raw.contexts) | set(RESERVED_CONTEXTS)
    for doc, p, name in raw.context_marks:
        if name.startswith("?") and name[1:] not in known_contexts:
            problems.append(doc.problem(p, f"unknown context {name[1:]!r}",
                                        did_you_mean(name[1:], sorted(known_contexts))))

    entries: list[Entry] = []
    main: dict[str, list[Candidate]] = {}
    main_prefix: dict[str, list[Candidate]] = {}
    aux: dict[str, list[Candidate]] = {}
    aux_prefix: dict[str, list[Candidate]] = {}
    concept: dict[str, list[Candidate]] = {}
    concept_prefix: dict[str, list[Candidate]] = {}
    seen: dict[tuple[str, str, str, tuple[Variant, ...]], tuple[str, int]] = {}
    vocab: set[str] = set()
    for ph in raw.phrases:
        try:
            variants = compile_phrase(ph.entry.phrase, sets, words)
        except PhraseError as exc:
            problems.append(ph.doc.problem(ph.path, str(exc)))
            continue
        key = (ph.entry.kind, ph.entry.name, ph.entry.level, tuple(sorted(map(repr, variants))))
        mark = ph.doc.mark(ph.path)
        if key in seen:
            src, line = seen[key]
            where = f"line {line}" if src == ph.doc.source else f"{src} line {line}"
            problems.append(ph.doc.problem(ph.path, f"duplicate entry {ph.entry.phrase!r}",
                                           f"it is already listed on {where}; keep only one"))
            continue
        seen[key] = (ph.doc.source, mark.line)
        idx = len(entries)
        entries.append(ph.entry)
        if ph.entry.kind == "concept":
            target, target_prefix = concept, concept_prefix
        elif ph.entry.kind in ("crisis", "watch"):
            target, target_prefix = main, main_prefix
        else:
            target, target_prefix = aux, aux_prefix
        for v in variants:
            vocab.update(literal_words(v))
            first_words, first_prefixes = starts(v)
            cand = (idx, v, required_words(v))
            for w in first_words:
                target.setdefault(w, []).append(cand)
            for pre in first_prefixes:
                target_prefix.setdefault(pre[:3], []).append(cand)

    rules: list[Rule] = []
    for rr in raw.rules:
        bad = False
        for items in rr.lists.values():
            for p, name in items:
                if name not in raw.concepts:
                    problems.append(rr.doc.problem(p, f"unknown concept {name!r}",
                                                   did_you_mean(name, sorted(raw.concepts))))
                    bad = True
        if bad:
            continue
        seq = tuple(n for _, n in rr.lists["seq"])
        every = frozenset(n for _, n in rr.lists["all"])
        text = " + ".join([*seq, *sorted(every)])
        entries.append(Entry("rule", rr.category, rr.level, text, rr.unless))
        rules.append(Rule(len(entries) - 1, seq, every,
                          frozenset(n for _, n in rr.lists["any"]),
                          frozenset(n for _, n in rr.lists["none"]),
                          rr.scope, rr.near, frozenset(seq) | every))

    if problems:
        return None, problems
    negators = frozenset(w for t in raw.negators for w in words(t))
    for name in RESERVED_CONTEXTS:
        raw.contexts.setdefault(name, Context(scope="message"))
    rewrite.update(_typo_variants(vocab, rewrite))
    final = Normalizer(rewrite, raw.emoji, vocab)
    return Lexicon(
        normalizer=final,
        entries=entries,
        main=main, main_prefix=main_prefix, aux=aux, aux_prefix=aux_prefix,
        negators=negators,
        negation_breakers=frozenset(w for t in raw.negation_breakers for w in words(t)),
        scope_breakers=frozenset(w for t in raw.scope_breakers for w in words(t)),
        contexts=raw.contexts,
        gap_stops=negators | BOUNDARIES,
        concept=concept, concept_prefix=concept_prefix, rules=rules,
    ), problems


# Words that one slip of a finger away from a lexicon word are still everyday words.
_NOT_TYPOS = frozenset(collapse(w) for w in (
    "waned", "cuing", "bating", "hoping", "coping", "living", "loving", "moving", "saving",
    "dying", "diving", "dining", "lying", "trying", "crying", "buying", "paying", "tiring",
    "wanted", "wanting", "heating", "eating", "seating", "ending", "lending", "sending",
    "mending", "tending", "bending", "hurting", "hunting", "hinting", "cutting", "cuting",
    "sleeping", "sweeping", "planing", "planting", "plating", "slitting", "splitting",
    "dropping", "hanging", "banging", "hanging", "jumping", "bumping", "pumping", "dumping",
    "noting", "bother", "though", "through", "bride", "widow", "nobody", "anybody", "somebody", "everybody", "someone", "anyone", "everyone",
    "self", "selfie", "herself", "himself", "myself", "yourself", "ourselves", "itself",
    "breath", "breathe", "leaving", "leaning", "learning", "earning", "yearning",
    "matter", "mater", "latter", "letter", "better", "bitter", "batter", "butter",
))


def _typo_variants(vocab: set[str], rewrite: dict[str, tuple[str, ...]]
                   ) -> dict[str, tuple[str, ...]]:
    """One dropped or swapped letter in a long lexicon word (never the first letter)."""
    found: dict[str, str | None] = {}
    for word in vocab:
        if len(word) < 6 or not word.isalpha():
            continue
        variants = {word[:i] + word[i + 1:] for i in range(1, len(word))}
        variants |= {word[:i] + word[i + 1] + word[i] + word[i + 2:]
                     for i in range(1, len(word) - 1) if word[i] != word[i + 1]}
        for v in variants:
            v = collapse(v)
            if len(v) < 5 or v in vocab or v in rewrite or v in _NOT_TYPOS:
                continue
            found[v] = word if found.get(v, word) == word else None
    return {v: (w,) for v, w in found.items() if w is not None}


def validate_lexicon(paths: Sequence[Path]) -> list[Problem]:
    """Every problem in the bundled lexicon plus these files, as file:line:col problems."""
    _, problems = load_lexicon([*bundled_paths(), *expand_paths(paths)])
    return problems


__all__ = [
    "CRISIS_CATEGORIES", "CRISIS_LEVELS", "Context", "Entry", "Lexicon", "LexiconError", "Rule",
    "WATCH_CATEGORIES", "GAP_WORDS", "LIT", "bundled_paths", "expand_paths", "load_lexicon",
    "validate_lexicon",
]
