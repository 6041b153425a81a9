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

from bot.safety.normalize import _REPEATS, BOUNDARIES

LIT, GAP, END, ALT = 0, 1, 2, 3
GAP_WORDS = 3
MIN_PREFIX = 3

# An element: (LIT, words, prefixes) | (GAP, n) | (END,) | (ALT, (sequence, ...))
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
    """The phrase as one element sequence; word groups stay alternatives, never multiplied."""
    elements = parse(phrase, sets, words)
    out: list[Element] = []
    for el in elements:
        if isinstance(el, tuple):
            out.append(el)
        elif len(el) == 1 and len(el[0]) == 1:
            out.append(_element(el[0][0]))
        else:
            alts = tuple(tuple(_element(a) for a in choice) for choice in el)
            # For each alternative: the words it can start with, or None if it may be empty.
            firsts = tuple(None if can_be_empty(alt) else _first_filter(alt) for alt in alts)
            out.append((ALT, alts, firsts))
    while out and out[-1][0] == GAP:
        out.pop()
    variant = tuple(out)
    if not variant or can_be_empty(variant):
        raise PhraseError("this phrase has no words once written out; add a word")
    if _starts_badly(variant):
        raise PhraseError("a phrase must start with a word, not '*' or '$'")
    return [variant]


def _element(atom: Atom) -> Element:
    if atom == END_ATOM:
        return (END,)
    assert not isinstance(atom, str)
    return (LIT, atom[0], atom[1])


def _first_filter(alt: Sequence[Element]) -> tuple[frozenset[str], tuple[str, ...]]:
    words, prefixes = starts(alt)
    return frozenset(words), tuple(sorted(prefixes))


# Words so common that checking for them first would filter nothing.
_COMMON = frozenset("""
i me my a an the to of in on at for and or is am are was be been do not no it this that you
he she they we so but with have has what if then de la el que en y je tu il elle le les des et
est pas ne ich du er sie es und der die das nicht eu voce ele ela o os um uma e nao se na no
""".split())


_COMMON = frozenset(_REPEATS.sub(r"\1", w) for w in _COMMON)  # "been" is read as "ben"
COMMON_WORDS = _COMMON

# Frequent words that are still worth checking for, but that a phrase should not be found by
# when it has a rarer word: the index prefers the rarer one.
FREQUENT_WORDS = _COMMON | frozenset("""
want wanted will would can could going go get got feel like all just now know think one out
up about there your his her their them him some any more time today people life really
after before when from by as at over into again still every never nothing can not ever
want to need make made take took see keep day night tonight tomorrow last first good bad
his her mom mother father dad friend my me your we us our they them
quiero voy a mi me para por con una un los las del al lo como mas ya
veux vais mon ma mes pour avec dans sur plus tout
will ich mich mir mein meine nicht mehr ist habe hab
quero vou meu minha pra para com mais here how esta estoy estou esto este ese ce cette
""".split())
FREQUENT_WORDS = frozenset(_REPEATS.sub(r"\1", w) for w in FREQUENT_WORDS)


def required_words(variant: Sequence[Element]) -> tuple[frozenset[str], ...]:
    """Word sets a message must contain for this phrase to match: a cheap pre-check.

    Sets that include a very common word would filter nothing and are left out; the rest are
    ordered smallest first.
    """
    sets: list[frozenset[str]] = []
    for e in variant:
        if e[0] == LIT:
            if not e[2] and not (e[1] & _COMMON):
                sets.append(e[1])
        elif e[0] == ALT:
            union = _alt_required(e[1])
            if union:
                sets.append(union)
    return tuple(sorted(sets, key=len))


def _alt_required(alts: Sequence[Sequence[Element]]) -> frozenset[str] | None:
    """One rare word set per alternative; any match of the group contains one of them."""
    union: set[str] = set()
    for alt in alts:
        picks = [e[1] for e in alt if e[0] == LIT and not e[2] and not (e[1] & _COMMON)]
        if not picks:
            return None
        union |= min(picks, key=len)
    return frozenset(union)


def can_be_empty(elems: Sequence[Element]) -> bool:
    for e in elems:
        if e[0] == LIT:
            return False
        if e[0] == ALT and not any(can_be_empty(alt) for alt in e[1]):
            return False
    return True


def _starts_badly(elems: Sequence[Element]) -> bool:
    for e in elems:
        if e[0] in (GAP, END):
            return True
        if e[0] == LIT:
            return False
        if any(alt and _starts_badly(alt) for alt in e[1]):
            return True
        if not any(can_be_empty(alt) for alt in e[1]):
            return False
    return False


def starts(elems: Sequence[Element]) -> tuple[set[str], set[str]]:
    """The words and prefixes a match of `elems` can begin with."""
    words: set[str] = set()
    prefixes: set[str] = set()
    for e in elems:
        if e[0] == LIT:
            words.update(e[1])
            prefixes.update(e[2])
            return words, prefixes
        if e[0] == ALT:
            for alt in e[1]:
                w, p = starts(alt)
                words |= w
                prefixes |= p
            if not any(can_be_empty(alt) for alt in e[1]):
                return words, prefixes
    return words, prefixes


def token_at(elems: Sequence[Element], depth: int
             ) -> tuple[frozenset[str], tuple[str, ...]] | None:
    """The words and prefixes the token `depth` places after a match's start must be one of,
    or None when a match need not hold such a token or it can be anything (a gap, a clause
    end)."""
    words: set[str] = set()
    prefixes: set[str] = set()
    stack: list[tuple[Sequence[Element], int, int]] = [(elems, 0, depth)]
    while stack:
        seq, k, left = stack.pop()
        while True:
            if k == len(seq):
                return None  # a match can end before that token
            e = seq[k]
            if e[0] == LIT:
                if left == 0:
                    words.update(e[1])
                    prefixes.update(e[2])
                    break
                left -= 1
                k += 1
                continue
            if e[0] != ALT:
                return None  # a gap or a clause end
            for alt in e[1]:
                stack.append(((*alt, *seq[k + 1:]), 0, left))
            break
    return frozenset(words), tuple(sorted(prefixes))


def literal_words(variant: Sequence[Element]) -> set[str]:
    out: set[str] = set()
    for e in variant:
        if e[0] == LIT:
            out.update(e[1])
        elif e[0] == ALT:
            for alt in e[1]:
                out |= literal_words(alt)
    return out


def match(elems: Variant, k: int, toks: list[str], j: int, stops: frozenset[str],
          rest: tuple[tuple[Variant, int], ...] = ()) -> int:
    """Match `elems[k:]`, then what `rest` continues with, at `toks[j]`; the end, or -1."""
    n = len(toks)
    while True:
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
            if kind == ALT:
                t = toks[j] if j < n else ""
                after = None
                for alt, first in zip(e[1], e[2], strict=True):
                    if first is not None and t not in first[0] and not (
                            first[1] and t.startswith(first[1])):
                        continue
                    if after is None:
                        after = ((elems, k + 1), *rest)
                    end = match(alt, 0, toks, j, stops, after)
                    if end >= 0:
                        return end
                return -1
            if kind == GAP:
                for g in range(e[1] + 1):
                    end = match(elems, k + 1, toks, j + g, stops, rest)
                    if end >= 0:
                        return end
                    if j + g >= n or toks[j + g] in stops:
                        return -1
                return -1
            # END: a boundary, laughter or the end of the message, not consumed
            if j < n and toks[j] not in _END_OK:
                return -1
            k += 1
        if not rest:
            return j
        (elems, k), rest = rest[0], rest[1:]


def to_regex(elems: Sequence[Element], stops: frozenset[str]) -> str:
    """The same phrase as a regular expression over the message's tokens joined by spaces,
    each token followed by one space. Alternatives keep their order and a gap prefers fewer
    words, so it finds the same match `match` finds, in C instead of Python."""
    stop = "|".join(re.escape(w) for w in sorted(stops, key=lambda w: (-len(w), w)))
    ends = "|".join(re.escape(w) for w in sorted(_END_OK))
    out: list[str] = []
    for e in elems:
        kind = e[0]
        if kind == LIT:
            words = [re.escape(w) for w in sorted(e[1], key=lambda w: (-len(w), w))]
            words += [re.escape(p) + "[^ ]*" for p in e[2]]
            out.append(f"(?:{'|'.join(words)}) " if len(words) > 1 else f"{words[0]} ")
        elif kind == GAP:
            out.append(f"(?:(?!(?:{stop}) )[^ ]+ ){{0,{e[1]}}}?")
        elif kind == END:
            out.append(f"(?=(?:{ends}) |$)")
        else:
            out.append("(?:" + "|".join(to_regex(alt, stops) for alt in e[1]) + ")")
    return "".join(out)
