"""The small condition language used in `next` branches.

    level >= 7 and area in ['health', 'career']
    not (wants_help == true) or mood == null

A tokenizer and a recursive-descent parser build a tree of nodes; nothing is ever passed to
`eval`. Evaluating never raises: a comparison with a missing or skipped answer is false
(except an explicit `== null` / `!= null` test), and values of different kinds never match.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")
KEYWORDS = ("and", "or", "not", "in", "true", "false", "null")
_MAX_DEPTH = 40


class ConditionError(ValueError):
    """A condition that cannot be read. `column` is a 0-based offset into the text."""

    def __init__(self, message: str, column: int, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.column = column
        self.hint = hint


# ---------------------------------------------------------------------------------------
# Tokens


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # name, number, string, op, keyword, punct, eof
    text: str
    value: Any
    column: int


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_SPACE = re.compile(r"\s+")
_PUNCT = "()[],"
_MISTAKES = {
    "&&": ("'&&' is not part of conditions", "use 'and'"),
    "||": ("'||' is not part of conditions", "use 'or'"),
    "=": ("a single '=' does not compare", "use '==' to compare"),
    "!": ("'!' is not part of conditions", "use 'not', or '!=' for not equal"),
    "&": ("'&' is not part of conditions", "use 'and'"),
    "|": ("'|' is not part of conditions", "use 'or'"),
    "=<": ("'=<' is not an operator", "use '<='"),
    "=>": ("'=>' is not an operator", "use '>='"),
}


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            m = _SPACE.match(text, i)
            assert m
            i = m.end()
            continue
        if ch in "'\"":
            end = text.find(ch, i + 1)
            if end < 0:
                raise ConditionError("this text is never closed", i,
                                     f"end it with a matching {ch}")
            tokens.append(Token("string", text[i:end + 1], text[i + 1:end], i))
            i = end + 1
            continue
        m = _NUMBER.match(text, i)
        if m and (ch != "-" or not tokens or tokens[-1].kind in ("op", "punct", "keyword")):
            raw = m[0]
            if m.end() < n and (text[m.end()].isalpha() or text[m.end()] == "_"):
                raise ConditionError(f"{text[i:m.end() + 1]!r}... is not a number or a name", i,
                                     "names start with a letter; put text in quotes")
            value: Any = float(raw) if "." in raw else int(raw)
            tokens.append(Token("number", raw, value, i))
            i = m.end()
            continue
        m = _NAME.match(text, i)
        if m:
            word = m[0]
            if word in KEYWORDS:
                literal = {"true": True, "false": False, "null": None}
                kind = "literal" if word in literal else "keyword"
                tokens.append(Token(kind, word, literal.get(word), i))
            else:
                tokens.append(Token("name", word, word, i))
            i = m.end()
            continue
        two = text[i:i + 2]
        if two in ("==", "!=", "<=", ">="):
            tokens.append(Token("op", two, two, i))
            i += 2
            continue
        if two in _MISTAKES:
            raise ConditionError(_MISTAKES[two][0], i, _MISTAKES[two][1])
        if ch in "<>":
            tokens.append(Token("op", ch, ch, i))
            i += 1
            continue
        if ch in _PUNCT:
            tokens.append(Token("punct", ch, ch, i))
            i += 1
            continue
        if ch in _MISTAKES:
            raise ConditionError(_MISTAKES[ch][0], i, _MISTAKES[ch][1])
        raise ConditionError(f"unexpected character {ch!r}", i,
                             "put text in quotes, e.g. area == 'health'")
    tokens.append(Token("eof", "", None, n))
    return tokens


# ---------------------------------------------------------------------------------------
# Nodes


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _same_kind(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool)
    if _is_number(a) or _is_number(b):
        return _is_number(a) and _is_number(b)
    return type(a) is type(b)


def _equal(a: Any, b: Any) -> bool:
    return _same_kind(a, b) and a == b


@dataclass(frozen=True, slots=True)
class Var:
    name: str
    column: int

    def value(self, answers: Mapping[str, Any]) -> Any:
        return answers.get(self.name)


@dataclass(frozen=True, slots=True)
class Literal:
    value_: Any
    column: int

    def value(self, answers: Mapping[str, Any]) -> Any:
        return self.value_


Operand = Var | Literal


class Node:
    __slots__ = ()

    def evaluate(self, answers: Mapping[str, Any]) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def variables(self) -> frozenset[str]:
        return frozenset(v.name for v in self.operands() if isinstance(v, Var))

    def operands(self) -> Iterator[Operand]:  # pragma: no cover - abstract
        raise NotImplementedError

    def tests(self) -> Iterator[Node]:
        """The comparisons, `in` tests and bare answers inside this condition."""
        yield self


@dataclass(frozen=True, slots=True)
class Compare(Node):
    left: Operand
    op: str
    right: Operand

    def evaluate(self, answers: Mapping[str, Any]) -> bool:
        a, b = self.left.value(answers), self.right.value(answers)
        if self.op in ("==", "!=") and (_is_null_literal(self.left) or
                                        _is_null_literal(self.right)):
            other = b if _is_null_literal(self.left) else a
            return (other is None) == (self.op == "==")
        if a is None or b is None:
            return False
        if self.op == "==":
            return _equal(a, b)
        if self.op == "!=":
            return not _equal(a, b)
        if not (_is_number(a) and _is_number(b)) and not (isinstance(a, str) and
                                                          isinstance(b, str)):
            return False
        if self.op == "<":
            return a < b
        if self.op == "<=":
            return a <= b
        if self.op == ">":
            return a > b
        return a >= b

    def operands(self) -> Iterator[Operand]:
        yield self.left
        yield self.right


def _is_null_literal(operand: Operand) -> bool:
    return isinstance(operand, Literal) and operand.value_ is None


@dataclass(frozen=True, slots=True)
class InList(Node):
    operand: Operand
    items: tuple[Literal, ...]
    negated: bool = False

    def evaluate(self, answers: Mapping[str, Any]) -> bool:
        value = self.operand.value(answers)
        if value is None:
            return False
        found = any(_equal(value, item.value_) for item in self.items)
        return found != self.negated

    def operands(self) -> Iterator[Operand]:
        yield self.operand
        yield from self.items


@dataclass(frozen=True, slots=True)
class Truthy(Node):
    """A bare answer, e.g. `wants_reminder`: true when that answer is yes."""

    var: Var

    def evaluate(self, answers: Mapping[str, Any]) -> bool:
        value = self.var.value(answers)
        return value is not None and bool(value)

    def operands(self) -> Iterator[Operand]:
        yield self.var


@dataclass(frozen=True, slots=True)
class Not(Node):
    inner: Node

    def evaluate(self, answers: Mapping[str, Any]) -> bool:
        return not self.inner.evaluate(answers)

    def operands(self) -> Iterator[Operand]:
        return self.inner.operands()

    def tests(self) -> Iterator[Node]:
        return self.inner.tests()


@dataclass(frozen=True, slots=True)
class _Joined(Node):
    """`and` / `or` over several parts: the same walk, a different verdict."""

    parts: tuple[Node, ...]

    def operands(self) -> Iterator[Operand]:
        for p in self.parts:
            yield from p.operands()

    def tests(self) -> Iterator[Node]:
        for p in self.parts:
            yield from p.tests()


@dataclass(frozen=True, slots=True)
class And(_Joined):
    def evaluate(self, answers: Mapping[str, Any]) -> bool:
        return all(p.evaluate(answers) for p in self.parts)


@dataclass(frozen=True, slots=True)
class Or(_Joined):
    def evaluate(self, answers: Mapping[str, Any]) -> bool:
        return any(p.evaluate(answers) for p in self.parts)


# ---------------------------------------------------------------------------------------
# Parser


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0
        self.depth = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def advance(self) -> Token:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def at(self, kind: str, text: str | None = None) -> bool:
        return self.tok.kind == kind and (text is None or self.tok.text == text)

    def fail(self, message: str, hint: str | None = None, tok: Token | None = None) -> None:
        tok = tok or self.tok
        raise ConditionError(message, tok.column, hint)

    def describe(self, tok: Token) -> str:
        return "the end of the condition" if tok.kind == "eof" else repr(tok.text)

    def parse(self) -> Node:
        if self.at("eof"):
            self.fail("the condition is empty", "write a test such as: level >= 7")
        node = self.parse_or()
        if not self.at("eof"):
            tok = self.tok
            hint = "join tests with 'and' or 'or'"
            if tok.kind == "punct" and tok.text == ")":
                hint = "this ')' has no matching '('"
            self.fail(f"unexpected {self.describe(tok)}", hint)
        return node

    def parse_or(self) -> Node:
        parts = [self.parse_and()]
        while self.at("keyword", "or"):
            self.advance()
            parts.append(self.parse_and())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def parse_and(self) -> Node:
        parts = [self.parse_not()]
        while self.at("keyword", "and"):
            self.advance()
            parts.append(self.parse_not())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def parse_not(self) -> Node:
        if self.at("keyword", "not"):
            self.advance()
            self.enter()
            inner = self.parse_not()
            self.depth -= 1
            return Not(inner)
        return self.parse_test()

    def enter(self) -> None:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            self.fail("this condition is nested too deeply", "split it into simpler tests")

    def parse_test(self) -> Node:
        if self.at("punct", "("):
            opening = self.advance()
            self.enter()
            node = self.parse_or()
            self.depth -= 1
            if not self.at("punct", ")"):
                self.fail(f"expected ')' to close the '(' at column {opening.column + 1}, "
                          f"found {self.describe(self.tok)}", "add the missing ')'")
            self.advance()
            if self.at("op") or self.at("keyword", "in"):
                self.fail("compare a single answer, not a group in parentheses",
                          "move the comparison inside the parentheses")
            return node
        left = self.parse_operand()
        if self.at("op"):
            op = self.advance().text
            right = self.parse_operand()
            if self.at("op"):
                self.fail("compare two things at a time",
                          "join two comparisons with 'and', e.g. x > 1 and x < 5")
            if isinstance(left, Literal) and isinstance(right, Literal):
                self.fail("this compares two fixed values", "compare an answer, e.g. level >= 7",
                          tok=Token("", "", None, left.column))
            return Compare(left, op, right)
        if self.at("keyword", "in"):
            self.advance()
            return InList(left, self.parse_list())
        if self.at("keyword", "not") and self.tokens[self.pos + 1].text == "in":
            self.advance()
            self.advance()
            return InList(left, self.parse_list(), negated=True)
        if isinstance(left, Var):
            return Truthy(left)
        self.fail(f"expected a comparison after {left.value_!r}",
                  "a condition tests an answer, e.g. level >= 7",
                  tok=Token("", "", None, left.column))
        raise AssertionError  # pragma: no cover

    def parse_operand(self) -> Operand:
        tok = self.tok
        if tok.kind == "name":
            self.advance()
            return Var(tok.text, tok.column)
        if tok.kind in ("number", "string", "literal"):
            self.advance()
            return Literal(tok.value, tok.column)
        if tok.kind == "keyword":
            self.fail(f"expected an answer or a value, found {tok.text!r}",
                      "put text in quotes if you meant the word")
        if tok.kind == "punct" and tok.text == "[":
            self.fail("a list can only follow 'in'", "write: area in ['a', 'b']")
        self.fail(f"expected an answer or a value, found {self.describe(tok)}",
                  "write a test such as: level >= 7")
        raise AssertionError  # pragma: no cover

    def parse_list(self) -> tuple[Literal, ...]:
        if not self.at("punct", "["):
            self.fail(f"expected a list in [ ] after 'in', found {self.describe(self.tok)}",
                      "write: area in ['health', 'career']")
        opening = self.advance()
        items: list[Literal] = []
        while not self.at("punct", "]"):
            tok = self.tok
            if tok.kind not in ("number", "string", "literal"):
                if tok.kind == "eof":
                    self.fail(f"the list opened at column {opening.column + 1} is never closed",
                              "add the missing ']'")
                hint = "put text in quotes" if tok.kind == "name" else None
                self.fail(f"expected a value in the list, found {self.describe(tok)}", hint)
            self.advance()
            items.append(Literal(tok.value, tok.column))
            if self.at("punct", ","):
                self.advance()
            elif self.at("eof"):
                self.fail(f"the list opened at column {opening.column + 1} is never closed",
                          "add the missing ']'")
            elif not self.at("punct", "]"):
                self.fail(f"expected ',' or ']' in the list, found {self.describe(self.tok)}",
                          "separate values with commas")
        self.advance()
        if not items:
            self.fail("the list is empty", "name at least one value", tok=opening)
        return tuple(items)


def parse_condition(text: str) -> Node:
    """Parse `text` into a condition, or raise `ConditionError` with a column."""
    if not isinstance(text, str):
        raise ConditionError("a condition must be text", 0)
    return _Parser(text).parse()
