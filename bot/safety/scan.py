"""Finding the lexicon's phrases in a message's tokens: an index built once, and the scan.

Every phrase is indexed once, in one of three tiers (0: phrases and the concepts that gate the
rules, 1: the other concepts, 2: exceptions, contexts and escalations), under its rarest
required word, or under its first word when it has none.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from itertools import accumulate
from typing import Any

from bot.safety.lexicon import Candidate, Lexicon
from bot.safety.patterns import (
    ALT,
    FREQUENT_WORDS,
    LIT,
    Variant,
    required_words,
    starts,
    to_regex,
    token_at,
)

Hit = tuple[int, int, int]  # entry index, start token, end token (exclusive)
Matcher = Callable[..., "re.Match[str] | None"]
# A phrase found by its rarest word: the first of the other word sets it needs (or None), the
# words and prefixes it starts with, then what is read once those met the message: entry, the
# pattern of what follows its first `skip` words (None when nothing follows), the rest of the
# word sets it needs, `skip`, its number when more than one word anchors it (else -1), the
# words and prefixes its second token must be one of (None when it need not have one), and, for
# a phrase that is one group of plain choices, the rest of those choices under each word they
# start with (else None).
WordClass = tuple[frozenset[str], tuple[str, ...]]
Choices = dict[str, tuple[tuple[frozenset[str], ...], ...] | None]
Anchored = tuple[frozenset[str] | None, frozenset[str], tuple[str, ...],
                 tuple[int, Matcher | None, tuple[frozenset[str], ...], int, int,
                       WordClass | None, Choices | None]]
# A phrase found by its first word: entry, phrase, one word class, the prefixes it starts with.
Plain = tuple[int, Matcher, bool, tuple[str, ...]]
# Per tier: phrases by first word, by the first three letters of a prefix, and by anchor.
Tier = tuple[dict[str, list[Plain]], dict[str, list[Plain]], dict[str, list[Anchored]]]
# What one word brings in one tier: the phrases anchored on it, or, for the few words that
# start a phrase of common words, a list of those phrases and the anchored ones.
Starts = tuple[tuple[int, Matcher, bool], ...]
Found = tuple[Anchored, ...] | list[Starts | tuple[Anchored, ...]]

_CACHE_LIMIT = 100_000
_PLUS_ONE = (1).__add__


def layout(toks: list[str]) -> tuple[str, list[int], dict[str, list[int]]]:
    """The tokens as one string, where each starts in it, and where each token occurs."""
    positions: dict[str, list[int]] = {}
    get = positions.get
    i = 0
    for t in toks:
        at = get(t)
        if at is None:
            positions[t] = [i]
        else:
            at.append(i)
        i += 1
    offsets = list(accumulate(map(_PLUS_ONE, map(len, toks)), initial=0))
    return " ".join(toks) + " ", offsets, positions


def build_index(lexicon: Lexicon, tier_of: Callable[[int], int]) -> tuple[Tier, Tier, Tier]:
    """Every phrase once, in the tier `tier_of` its entry gives."""
    everything = (lexicon.main, lexicon.main_prefix, lexicon.concept, lexicon.concept_prefix,
                  lexicon.aux, lexicon.aux_prefix)
    stops = lexicon.gap_stops
    compiled: dict[str, Matcher] = {}

    def regex(variant: Variant) -> Matcher:
        source = to_regex(variant, stops)
        found = compiled.get(source)
        if found is None:
            found = compiled[source] = re.compile(source).match
        return found

    # Equal word sets become one object: fewer objects for a message to touch. Sets whose
    # order is read (the words a phrase starts with) are shared only with sets that list
    # their words in the same order.
    shared: dict[object, object] = {}

    def share(value: Any, key: object = None) -> Any:
        return value if value is None else shared.setdefault(value if key is None else key,
                                                             value)

    tiers: list[Tier] = []
    for number in range(3):
        unique: dict[tuple[int, int], Candidate] = {}
        for table in everything:
            for cands in table.values():
                for cand in cands:
                    if tier_of(cand[0]) == number:
                        unique.setdefault((cand[0], id(cand[1])), cand)
        pieces: list[Candidate] = []
        for idx, variant, required in sorted(unique.values(), key=lambda c: c[0]):
            if required or variant[0][0] != ALT or None in variant[0][2]:
                pieces.append((idx, variant, required))
                continue
            # "(do it|on purpose|deliberately)": one choice made only of common words would
            # leave the whole group without an anchor, so each choice is indexed on its own.
            for alt in variant[0][1]:
                piece = (*alt, *variant[1:])
                pieces.append((idx, piece, required_words(piece)))
        anchored: dict[str, list[Anchored]] = {}
        plain: dict[str, list[Plain]] = {}
        plain_prefix: dict[str, list[Plain]] = {}
        number_of = 0
        for idx, variant, required in pieces:
            words, prefixes = starts(variant)
            if required:
                anchor = min(required, key=lambda ws: (len(ws & FREQUENT_WORDS), len(ws)))
                firsts = frozenset(words)
                firsts = share(firsts, (firsts, tuple(firsts)))
                # The first word is known to match where the phrase is tried, and the second
                # is checked before the pattern runs: the pattern starts after those.
                second = token_at(variant, 1)
                if second is not None:
                    second = share((share(second[0]), second[1]))
                skip = 0
                if variant[0][0] == LIT:
                    skip = 2 if second is not None and variant[1][0] == LIT else 1
                tail = variant[skip:]
                choices = _choices(variant, share)
                if choices is not None:
                    tail = ()  # matched in `_scan`, without the pattern
                rest = tuple(share(ws) for ws in required if ws is not anchor)
                entry = (rest[0] if rest else None, firsts, tuple(sorted(prefixes)),
                         (idx, regex(tail) if tail else None, rest[1:], skip,
                          number_of if len(anchor) > 1 else -1, second, choices))
                number_of += 1
                for w in anchor:
                    anchored.setdefault(w, []).append(entry)
            else:
                single = len(variant) == 1 and variant[0][0] == LIT
                for w in words:
                    plain.setdefault(w, []).append((idx, regex(variant), single,
                                                    tuple(sorted(prefixes))))
                for pre in prefixes:
                    plain_prefix.setdefault(pre[:3], []).append((idx, regex(variant), single,
                                                                 tuple(sorted(prefixes))))
        # The phrases under one word, read one after the other, are copied next to each other.
        anchored = {w: [(*entry,) for entry in entries] for w, entries in anchored.items()}
        tiers.append((plain, plain_prefix, anchored))
    return tiers[0], tiers[1], tiers[2]


def _choices(variant: Variant, share: Callable[[Any], Any]) -> Choices | None:
    """For a phrase that is one group of choices, each a few plain words: under each word a
    choice can start with, the word sets of the rest of those choices, in their order (the
    pattern takes the first choice that matches), or None when the word alone is the first of
    them. None for any other phrase."""
    if len(variant) != 1 or variant[0][0] != ALT:
        return None
    out: dict[str, list[tuple[frozenset[str], ...]]] = {}
    for choice in variant[0][1]:
        if not choice or any(e[0] != LIT or e[2] for e in choice):
            return None
        rest = tuple(share(e[1]) for e in choice[1:])
        for w in choice[0][1]:
            out.setdefault(w, []).append(rest)
    return {w: tuple(rests) if rests[0] else None for w, rests in out.items()}


class PhraseScanner:
    """The scan over a message's tokens, with what each word brings cached."""

    _tiers: tuple[Tier, Tier, Tier]
    _plain_cache: tuple[dict[str, Found], dict[str, Found], dict[str, Found]]
    _quiet: tuple[set[str], set[str], set[str]]

    def _init_index(self, lexicon: Lexicon, tier_of: Callable[[int], int]) -> None:
        self._tiers = build_index(lexicon, tier_of)
        self._plain_cache = ({}, {}, {})
        self._quiet = (set(), set(), set())

    def _scan(self, toks: list[str], text: str, offsets: list[int], tier: int,
              positions: dict[str, list[int]], present: set[str]) -> list[Hit]:
        """Every match of one tier of the lexicon in one pass over the message.

        A phrase with a rare word it cannot match without is looked at only when the message
        holds that word, the other words it needs and a word it can start with; the few
        phrases made only of common words are looked up by the token they start with. A
        phrase of one word class needs no matching at all: every position where it starts is
        a hit, and neither does the rest of a phrase of two words once the second is checked.
        """
        hits: list[Hit] = []
        add = hits.append
        get = self._plain_cache[tier].get
        count = text.count
        last = len(toks) - 1
        seen: set[int] | None = None
        # Most words bring nothing in a tier; those already looked up are skipped in one step.
        for t in present.difference(self._quiet[tier]):
            anchored = get(t)
            if anchored is None:
                anchored = self._lookup(t, tier)
                if anchored is None:
                    continue
            if anchored.__class__ is list:
                plain, anchored = anchored
                at = positions[t]
                for idx, rx, single in plain:
                    for i in at:
                        if single:
                            add((idx, i, i + 1))
                        else:
                            start = offsets[i]
                            m = rx(text, start)
                            if m is not None:
                                add((idx, i, i + count(" ", start, m.end())))
            # What the tests read comes first: most phrases fail them, and what a phrase needs
            # only once it matched stays untouched.
            for need, firsts, prefixes, payload in anchored:
                if need is not None and need.isdisjoint(present):
                    continue
                starts_at: Iterable[str] = firsts & present
                if prefixes:
                    starts_at = [*starts_at, *(w for w in present if w not in firsts
                                                and w.startswith(prefixes))]
                elif not starts_at:
                    continue
                idx, rx, more, skip, key, second, choices = payload
                if more:
                    for words in more:
                        if words.isdisjoint(present):
                            break
                    else:
                        words = None
                    if words is not None:
                        continue
                # A phrase under several words of the message is read once (one that fails
                # above fails under each of them).
                if key >= 0:
                    if seen is None:
                        seen = {key}
                    elif key in seen:
                        continue
                    else:
                        seen.add(key)
                if second is not None:
                    words2, prefixes2 = second
                for w in starts_at:
                    if choices is not None:
                        # The first choice starting with this word whose other words follow.
                        alts = choices[w]
                        if alts is None:  # the word alone is the first choice
                            for i in positions[w]:
                                add((idx, i, i + 1))
                            continue
                        for i in positions[w]:
                            for rest in alts:
                                end = i + 1
                                for words in rest:
                                    if end > last or toks[end] not in words:
                                        break
                                    end += 1
                                else:
                                    add((idx, i, end))
                                    break
                        continue
                    for i in positions[w]:
                        if second is not None:
                            if i == last:
                                continue
                            w2 = toks[i + 1]
                            if w2 not in words2 and not (prefixes2 and w2.startswith(prefixes2)):
                                continue
                        if rx is None:
                            add((idx, i, i + skip))
                        else:
                            start = offsets[i + skip]
                            m = rx(text, start)
                            if m is not None:
                                add((idx, i, i + skip + count(" ", start, m.end())))
        return hits

    def _lookup(self, t: str, tier: int) -> Found | None:
        """What one token brings in one tier (None when it brings nothing)."""
        plain, plain_prefix, anchored = self._tiers[tier]
        found = list(plain.get(t, ()))
        if len(t) >= 3:
            found.extend(c for c in plain_prefix.get(t[:3], ()) if c not in found
                         and (not c[2] or t.startswith(c[3])))
        starting = tuple((idx, rx, single) for idx, rx, single, _ in found)
        entry: Found = tuple(anchored.get(t, ()))
        cache = self._plain_cache[tier]
        quiet = self._quiet[tier]
        if len(cache) + len(quiet) >= _CACHE_LIMIT:
            cache.clear()
            quiet.clear()
        if not starting and not entry:
            quiet.add(t)
            return None
        if starting:
            entry = [starting, entry]
        cache[t] = entry
        return entry


__all__ = ["Anchored", "Hit", "Matcher", "PhraseScanner", "build_index", "layout"]
