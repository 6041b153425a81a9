"""The phrase language of the lexicon files, compiled into token sequences.

A phrase is a list of words separated by spaces. Besides plain words it may use:

- `(a|b c|)`   one of several words or word groups; an empty choice makes it optional
- `<name>`     any entry of the set `name` from the `sets:` section
- `word*`      any word starting with `word` (at least 3 letters before the star)
- `*`          up to three words of anything in between (never a sentence end or a negation)
- `$`          the end of a sentence or clause

Words go through the same normalisation as messages, so "don't" and "dont", "killing" and
"kiling" are the same word here as they are there.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping, Sequence

from bot.safety.normalize import BOUNDARIES

LIT, GAP, END = 0, 1, 2
GAP_WORDS = 3
MIN_PREFIX = 3
MAX_VARIANTS = 20000

# An element: (LIT, words, prefixes) | (GAP, n) | (END,)
Element = tuple
Variant = tuple[Element, ...]
# One token position: a class of words and prefixes, or the clause end "$".
Atom = tuple[frozenset[str], tuple[str, ...]] | str
Choice = tuple[Atom, ...]
END_ATOM = "$"

_END_OK = BOUNDARIES | {"lol"}
_SYNTAX = re.compile(r"\(|\)|\||<[^<>\s]*>|\$|\*|[^\s()|<>*$]+\*?")
_PIECE = re.compile(r"<[^<>\s]*>|\$|[^\s<>$]+")


class PhraseError(ValueError):
    """A phrase that cannot be compiled; the message says what to change."""


def fold(choices: Sequence[Choice]) -> list[Choice]:
    """Merge one-word choices into a single word class, keep longer ones apart."""
    words: set[str] = set()
    prefixes: set[str] = set()
    rest: list[Choice] = []
    for choice in choices:
        if len(choice) == 1 and choice[0] != END_ATOM:
            atom = choice[0]
            assert not isinstance(atom, str)
            words.update(atom[0])
            prefixes.update(atom[1])
        elif choice not in rest:
            rest.append(choice)
    if words or prefixes:
        rest.insert(0, ((frozenset(words), tuple(sorted(prefixes))),))
    return rest


def parse_alternative(text: str, words: Callable[[str], list[str]],
                      sets: Mapping[str, Sequence[Choice]] | None = None) -> list[Choice]:
    """One word group (words, `prefix*`, `<set>`, `$`): every token sequence it stands for."""
    options: list[Sequence[Choice]] = []
    for piece in _PIECE.findall(text):
        if piece == "$":
            options.append([(END_ATOM,)])
        elif piece.startswith("<"):
            name = piece[1:-1]
            if sets is None or name not in sets:
                raise PhraseError(f"unknown set <{name}>")
            options.append(sets[name])
        elif piece.endswith("*") and len(piece) > 1:
            norm = words(piece[:-1])
            if len(norm) != 1 or len(norm[0]) < MIN_PREFIX or "*" in piece[:-1]:
                raise PhraseError(f"{piece!r}: put at least {MIN_PREFIX} letters of one word "
                                  "before the star")
            options.append([((frozenset(), (norm[0],)),)])
        elif "*" in piece:
            raise PhraseError(f"{piece!r}: a star goes at the end of a word or stands alone")
        else:
            norm = words(piece)
            if norm:
                options.append([tuple((frozenset((w,)), ()) for w in norm)])
    out: list[Choice] = []
    for combo in itertools.product(*options):
        choice = tuple(a for part in combo for a in part)
        if choice not in out:
            out.append(choice)
    return out


def parse(phrase: str, sets: Mapping[str, Sequence[Choice]],
          words: Callable[[str], list[str]]) -> list[list[Choice] | Element]:
    """Split a phrase into elements: a list of choices, or a GAP element."""
    parts = _SYNTAX.findall(phrase)
    leftover = _SYNTAX.sub("", phrase).strip()
    if leftover:
        raise PhraseError(f"cannot read {leftover!r} in this phrase")
    elements: list[list[Choice] | Element] = []
    i = 0
    while i < len(parts):
        part = parts[i]
        if part == "(":
            close = _find_close(parts, i)
            inner = " ".join(parts[i + 1:close])
            choices: list[Choice] = []
            for alt in inner.split("|"):
                found = parse_alternative(alt, words, sets)
                if alt.strip() and found == [()]:
                    raise PhraseError(f"{alt.strip()!r} is a filler word and is dropped, so this "
                                      "choice is empty; leave it out or write '|)' on purpose")
                choices.extend(found)
            elements.append(fold(choices))
            i = close + 1
            continue
        if part in (")", "|"):
            raise PhraseError(f"{part!r} without an opening '('")
        if part == "*":
            elements.append((GAP, GAP_WORDS))
        elif part.startswith("<"):
            elements.append(fold(parse_alternative(part, words, sets)))
        else:
            for choice in parse_alternative(part, words, sets):
                elements.extend([[(a,)] for a in choice])
        i += 1
    return elements


def _find_close(parts: list[str], start: int) -> int:
    for j in range(start + 1, len(parts)):
        if parts[j] == ")":
            return j
        if parts[j] == "(":
            raise PhraseError("groups cannot be nested; write two phrases instead")
        if parts[j] == "*":
            raise PhraseError("'*' cannot stand inside a group")
    raise PhraseError("a '(' is never closed")


def compile_phrase(phrase: str, sets: Mapping[str, Sequence[Choice]],
                   words: Callable[[str], list[str]]) -> list[Variant]:
    """All token-sequence variants of one phrase."""
    elements = parse(phrase, sets, words)
    options: list[list[tuple[Element, ...]]] = []
    for el in elements:
        if isinstance(el, tuple):
            options.append([(el,)])
            continue
        options.append([tuple(_element(a) for a in choice) for choice in el])
    total = 1
    for opts in options:
        total *= len(opts)
    if total > MAX_VARIANTS:
        raise PhraseError(f"this phrase has {total} variants; split it into a few phrases")
    variants: list[Variant] = []
    seen: set[Variant] = set()
    for combo in itertools.product(*options):
        variant = tuple(e for group in combo for e in group)
        while variant and variant[-1][0] == GAP:
            variant = variant[:-1]
        if not any(e[0] == LIT for e in variant):
            raise PhraseError("this phrase has no words once written out; add a word")
        if variant[0][0] != LIT:
            raise PhraseError("a phrase must start with a word, not '*' or '$'")
        if variant not in seen:
            seen.add(variant)
            variants.append(variant)
    return variants


def _element(atom: Atom) -> Element:
    if atom == END_ATOM:
        return (END,)
    assert not isinstance(atom, str)
    return (LIT, atom[0], atom[1])


def literal_words(variant: Variant) -> set[str]:
    out: set[str] = set()
    for e in variant:
        if e[0] == LIT:
            out.update(e[1])
    return out


def match(elems: Variant, k: int, toks: list[str], j: int, stops: frozenset[str]) -> int:
    """Match `elems[k:]` at `toks[j]`; the end index, or -1."""
    n = len(toks)
    m = len(elems)
    while k < m:
        e = elems[k]
        kind = e[0]
        if kind == LIT:
            if j >= n:
                return -1
            t = toks[j]
            if t in e[1] or (e[2] and t.startswith(e[2])):
                j += 1
                k += 1
                continue
            return -1
        if kind == GAP:
            for g in range(e[1] + 1):
                end = match(elems, k + 1, toks, j + g, stops)
                if end >= 0:
                    return end
                if j + g >= n or toks[j + g] in stops:
                    return -1
            return -1
        # END: a boundary, laughter or the end of the message, not consumed
        if j < n and toks[j] not in _END_OK:
            return -1
        k += 1
    return j
