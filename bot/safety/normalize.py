"""Turning a message, as people type it in DMs, into a list of plain tokens.

Everything here runs once per message, so it is written for speed: a few `str.translate`
and regex passes over the whole text, then one dictionary lookup per word.

The steps, in order:

1. emoji that carry meaning become words (pill -> "pills"); other symbols are kept as is;
   curly apostrophes and dashes become plain ones;
2. NFKC (full-width and styled letters become plain letters), casefold, accents dropped
   ("morirme" and "mórirme", "não" and "nao" are the same);
3. English contractions are written out ("don't" -> "do not", "I'm" -> "i am");
4. letters typed with spaces or dots between them are joined ("k i l l" -> "kill") and split
   again into known words when they ran together ("killmyself" -> "kill myself");
5. runs of the same letter collapse to one ("sooooo" -> "so", and "kill" -> "kil": the
   lexicon goes through the same step, so both sides agree);
6. leetspeak inside words is undone ("k1ll" -> "kill", "$uicide" -> "suicide");
7. each word is looked up once in the rewrite table built from the lexicon: spelling fixes,
   short forms ("kms" stays, "wanna" -> "want to", "rn" -> "right now") and fillers that
   are dropped ("literally", "honestly").

Sentence ends become the token "." and clause breaks (commas, colons, dashes between words)
become ",". Phrases never match across either.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from sys import intern

SENTENCE = "."
CLAUSE = ","
BOUNDARIES = frozenset((SENTENCE, CLAUSE))

_CONTRACTIONS = re.compile(
    r"\b(?:won|can|shan|ain)'t\b|\bod'(?:d|ed)\b|n't\b|'(?:m|re|ve|ll|d)\b"
    r"|\b(?:he|she|it|that|what|there|who|where|here|everyone|everybody|nobody|someone|somebody"
    r"|life|everything|nothing|this)'s\b|'s\b")
_CONTRACTION_WORDS = {
    "od'd": "overdosed", "od'ed": "overdosed", "'s": "",
    "won't": "will not", "can't": "can not", "shan't": "shall not", "ain't": "am not",
    "n't": " not", "'m": " am", "'re": " are", "'ve": " have", "'ll": " will", "'d": " would",
}
# "k i l l", "k.i.l.l", "k-i-l-l": three or more single letters or digits, one separator each.
_SPACED = re.compile(r"(?<![^\W_])[^\W_](?:[ .\-*][^\W_]){2,}(?![^\W_])")
_SPACED_SEP = re.compile(r"[ .\-*]")
# Cheaper and necessary for `_SPACED`: its last two letters, each after a separator.
_SPACED_HINT = re.compile(r"[ .\-*][^\W_][ .\-*][^\W_](?![^\W_])")
# "s/h", "s.h": two single letters around a slash are one short form.
# "o.d.", "s.h": two single letters with dots are one short form.
_DOTTED = re.compile(r"(?<![\w.])([^\W\d_])\.([^\W\d_])\.?(?!\w|\.\w)")
# "..." is a pause inside a thought, not the end of a sentence.
_ELLIPSIS = re.compile(r"\.{2,}")
_LETTER_SLASH = re.compile(r"(?<![^\W_])([^\W\d_])/([^\W\d_])(?![^\W_])")
_REPEATS = re.compile(r"([^\W\d_])\1+")
_BANG_IN_WORD = re.compile(r"(?<=[^\W\d_])!(?=[^\W\d_])")
_TOKEN = re.compile(r"[\w$@]+|[.!?;\n]|[,:()\"/]")
# A run of letters holding an apostrophe: contractions never reach outside one, so each run is
# written out once and remembered.
_APOSTROPHE_RUN = re.compile(r"\w*+'[\w']*")
# Text of only word characters and spaces: its tokens are its words.
_NOT_PLAIN = re.compile(r"[^\w$@ ]").search
_SENTENCE_MARKS = ".!?;\n"
_CLAUSE_MARKS = ',:()"/'
# What a mark stands for in the word cache: never a word's tokens, told apart by identity.
_ENDS_SENTENCE = (SENTENCE,)
_ENDS_CLAUSE = (CLAUSE,)
_NUMBER_WITH_UNIT = re.compile(r"\d+(?:am|pm|st|nd|rd|th|mg|ml|k|h|x|s)?")

_CACHE_LIMIT = 100_000

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "$": "s",
                       "@": "a"})

_BASE_TABLE: dict[int, str | None] = {
    ord("\u2019"): "'", ord("\u2018"): "'", ord("`"): "'", ord("\u00b4"): "'",
    ord("\u02bc"): "'", ord("\u201c"): '"', ord("\u201d"): '"',
    ord("\u2013"): ",", ord("\u2014"): ",", ord("\u2026"): ",",
    ord("_"): " ", ord("\t"): " ", ord("\r"): "\n",
    0xFE0F: None, 0xFE0E: None, 0x200D: " ", 0x200B: None, 0x00AD: None,
}

_COMBINING = {cp: None for cp in range(0x300, 0x370)}


def emoji_key(text: str) -> str | None:
    """The one character an emoji entry stands for (variation selectors ignored)."""
    chars = [c for c in text if ord(c) not in (0xFE0F, 0xFE0E, 0x200D)]
    return chars[0] if len(chars) == 1 else None


class Normalizer:
    """Built once from the lexicon's rewrite table, emoji words and known vocabulary."""

    __slots__ = ("_table", "_ascii_table", "_ascii_marks", "_rewrite", "_vocab", "_max_word",
                 "_one", "_cache", "_runs")

    def __init__(self, rewrite: Mapping[str, tuple[str, ...]], emoji: Mapping[str, str],
                 vocab: Iterable[str] = ()) -> None:
        table = dict(_BASE_TABLE)
        for symbol, word in emoji.items():
            key = emoji_key(symbol)
            if key is not None:
                table[ord(key)] = f" {word} "
        self._set_table(table)
        self._rewrite = dict(rewrite)
        self._vocab = frozenset(vocab)
        self._max_word = max((len(w) for w in self._vocab), default=1)
        # One word as typed -> its token, for the words that are one token (most), and -> its
        # tokens for the others and the marks. Keys are interned, so a word typed as it is
        # read is one object with its token.
        self._one: dict[str, str] = {}
        self._cache: dict[str, tuple[str, ...]] = {}
        self._runs: dict[str, str] = {}  # a run with an apostrophe -> written out
        self._seed()

    def _set_table(self, table: dict[int, str | None]) -> None:
        self._table = table
        # Plain ASCII text needs only the table's ASCII entries, and most of it none of them.
        ascii_part = {k: v for k, v in table.items() if k < 128}
        self._ascii_table = ascii_part
        self._ascii_marks = (re.compile("[" + re.escape("".join(map(chr, ascii_part))) + "]").search
                             if ascii_part else None)

    def _seed(self) -> None:
        self._one.clear()
        cache = self._cache
        cache.clear()
        for mark in _SENTENCE_MARKS:
            cache[mark] = _ENDS_SENTENCE
        for mark in _CLAUSE_MARKS:
            cache[mark] = _ENDS_CLAUSE

    def with_vocab(self, vocab: Iterable[str]) -> Normalizer:
        clone = Normalizer({}, {})
        clone._set_table(self._table)
        clone._rewrite = self._rewrite
        clone._vocab = frozenset(vocab)
        clone._max_word = max((len(w) for w in clone._vocab), default=1)
        return clone

    def _remember(self, raw: str) -> tuple[str, ...]:
        """A word not read before: its tokens, kept for next time."""
        found = self._word(raw, None)
        if len(self._one) + len(self._cache) >= _CACHE_LIMIT:
            self._seed()
        if len(found) == 1:
            self._one[intern(raw)] = found[0]
        else:
            self._cache[intern(raw)] = found
        return found

    def prepare(self, text: str) -> str:
        """Steps 1 to 5 on the whole text."""
        if text.isascii():
            marks = self._ascii_marks
            s = text.translate(self._ascii_table) if marks and marks(text) else text
            s = s.lower()
        else:
            s = text.translate(self._table)
            if not s.isascii():
                s = unicodedata.normalize("NFKC", s).casefold()
                s = unicodedata.normalize("NFD", s).translate(_COMBINING)
            else:
                s = s.lower()
        if "." in s:
            if ".." in s:
                s = _ELLIPSIS.sub(",", s)
            if _DOTTED.search(s):
                s = _DOTTED.sub(r"\1\2", s)
        if "/" in s and _LETTER_SLASH.search(s):
            s = _LETTER_SLASH.sub(r"\1\2", s)
        if "'" in s:
            s = _APOSTROPHE_RUN.sub(self._run, s).replace("'", " ")
        if "!" in s:
            s = _BANG_IN_WORD.sub("i", s)
        return s

    def _run(self, m: re.Match[str]) -> str:
        run = m.group()
        found = self._runs.get(run)
        if found is None:
            found = _CONTRACTIONS.sub(_contraction, run)
            if len(self._runs) >= _CACHE_LIMIT:
                self._runs.clear()
            self._runs[run] = found
        return found

    def tokens(self, text: str) -> list[str]:
        s = self.prepare(text)
        if _SPACED_HINT.search(s) and _SPACED.search(s):
            joined: set[str] = set()
            s = _SPACED.sub(lambda m: _join(m, joined), s)
            return self._tokens_joined(s, joined)
        one = self._one.get
        if _NOT_PLAIN(s) is None:
            raws = s.split()
            words = list(map(one, raws))
            if None not in words:
                return words  # every word one token
        else:
            raws = _TOKEN.findall(s)
        get = self._cache.get
        out: list[str] = []
        append = out.append
        for raw in raws:
            tok = one(raw)
            if tok is not None:
                append(tok)
                continue
            found = get(raw)
            if found is None:
                found = self._remember(raw)
                if len(found) == 1:
                    append(found[0])
                    continue
            if found is _ENDS_SENTENCE:
                if out:
                    if out[-1] is CLAUSE:
                        out[-1] = SENTENCE
                    elif out[-1] is not SENTENCE:
                        append(SENTENCE)
            elif found is _ENDS_CLAUSE:
                if out and out[-1] is not SENTENCE and out[-1] is not CLAUSE:
                    append(CLAUSE)
            else:
                out.extend(found)
        return out

    def _tokens_joined(self, s: str, joined: set[str]) -> list[str]:
        """`tokens` for a text where spaced letters were joined: those words are read
        again each time."""
        out: list[str] = []
        append = out.append
        one = self._one.get
        get = self._cache.get
        for raw in _TOKEN.findall(s):
            c = raw[0]
            if c in ".!?;\n":
                if out and out[-1] is CLAUSE:
                    out[-1] = SENTENCE
                elif out and out[-1] is not SENTENCE:
                    append(SENTENCE)
                continue
            if c in ',:()"/':
                if out and out[-1] is not SENTENCE and out[-1] is not CLAUSE:
                    append(CLAUSE)
                continue
            if joined and raw in joined:
                out.extend(self._word(raw, joined))
                continue
            tok = one(raw)
            if tok is not None:
                append(tok)
                continue
            found = get(raw)
            if found is None:
                found = self._remember(raw)
            out.extend(found)
        return out

    def _word(self, raw: str, joined: set[str] | None) -> tuple[str, ...]:
        """One word of a message as tokens: leetspeak undone, run-together words split,
        spellings and short forms rewritten, fillers dropped."""
        rewrite = self._rewrite
        tok = _REPEATS.sub(r"\1", raw)  # step 5, once per distinct word
        if not tok.isalpha():
            tok = _unleet(tok)
            if not tok:
                return ()
        parts = None
        if joined and tok in joined and tok not in self._vocab:
            parts = self.segment(tok)
        elif len(tok) >= 7 and tok[0] == "i" and tok not in self._vocab and tok not in rewrite:
            # "iwanttodie": a first-person sentence typed without spaces
            parts = self.segment(tok)
            if parts is not None and len(parts) < 3:
                parts = None
        out: list[str] = []
        for part in parts or (tok,):
            mapped = rewrite.get(part)
            if mapped is None:
                out.append(intern(part))
            else:
                out.extend(map(intern, mapped))
        # Interned: the lexicon's words come through here too, so a token and the same word in
        # the lexicon are one object, and comparing them never reads their letters.
        return tuple(out)

    def words(self, text: str) -> list[str]:
        """Tokens without boundaries: how a phrase from the lexicon is read."""
        return [t for t in self.tokens(text) if t not in BOUNDARIES]

    def segment(self, word: str) -> list[str] | None:
        """Split letters that ran together into known words, fewest words first."""
        n = len(word)
        if n > 60 or not self._vocab:
            return None
        best: list[list[str] | None] = [None] * (n + 1)
        best[0] = []
        vocab = self._vocab
        longest = self._max_word
        for end in range(1, n + 1):
            for start in range(max(0, end - longest), end):
                prev = best[start]
                if prev is None:
                    continue
                piece = word[start:end]
                if piece in vocab and (best[end] is None or len(prev) + 1 < len(best[end])):
                    best[end] = [*prev, piece]
        return best[n]


def _contraction(m: re.Match[str]) -> str:
    found = m.group(0)
    if found.endswith("'s") and found != "'s":
        return found[:-2] + " is"  # "he's" -> "he is"; "dad's gun" -> "dad gun"
    return _CONTRACTION_WORDS[found]


def _join(m: re.Match[str], joined: set[str]) -> str:
    word = _SPACED_SEP.sub("", m.group(0))
    word = _REPEATS.sub(r"\1", word)
    if word.isdigit():
        return m.group(0)
    word = _unleet(word)
    joined.add(word)
    return f" {word} "


def _unleet(tok: str) -> str:
    """Undo leetspeak in a word that mixes letters with digits or $ and @."""
    if tok.isdigit() or _NUMBER_WITH_UNIT.fullmatch(tok):
        return tok
    stripped = tok.strip("$@")
    if not stripped:
        return ""
    if not any(ch.isalpha() for ch in tok):
        return tok
    word = tok.translate(_LEET)
    if word.startswith("a") and tok.startswith("@"):
        word = word[1:]  # a mention, not a leet "a"
    return _REPEATS.sub(r"\1", word)


def collapse(word: str) -> str:
    """The same repeated-letter collapse the tokens go through."""
    return _REPEATS.sub(r"\1", word)
