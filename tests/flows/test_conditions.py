"""The condition language: parsing, precedence, `in`, missing answers and readable errors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.flows.conditions import ConditionError, parse_condition
from bot.flows.model import render


def holds(text: str, **answers: object) -> bool:
    return parse_condition(text).evaluate(answers)


@pytest.mark.parametrize(("text", "answers", "expected"), [
    ("level >= 7", {"level": 7}, True),
    ("level >= 7", {"level": 6}, False),
    ("level < 4", {"level": 3}, True),
    ("level <= 4 ", {"level": 5}, False),
    ("level > -1", {"level": 0}, True),
    ("level != 3", {"level": 4}, True),
    ("area == 'health'", {"area": "health"}, True),
    ('area == "health"', {"area": "career"}, False),
    ("ok == true", {"ok": True}, True),
    ("ok == false", {"ok": True}, False),
    ("ok", {"ok": True}, True),
    ("not ok", {"ok": False}, True),
    ("area in ['health', 'fun']", {"area": "fun"}, True),
    ("area in ['health', 'fun']", {"area": "career"}, False),
    ("area not in ['health', 'fun']", {"area": "career"}, True),
    ("level in [1, 2, 3]", {"level": 2}, True),
    ("score >= 2.5", {"score": 3}, True),
    ("when < '09:00'", {"when": "07:30"}, True),
])
def test_comparisons(text: str, answers: dict[str, object], expected: bool) -> None:
    assert parse_condition(text).evaluate(answers) is expected


def test_and_binds_tighter_than_or_and_not_tighter_than_and() -> None:
    # a or (b and c)
    assert holds("a or b and c", a=True, b=False, c=False) is True
    assert holds("a or b and c", a=False, b=True, c=False) is False
    # (not a) and b
    assert holds("not a and b", a=False, b=True) is True
    assert holds("not a and b", a=True, b=True) is False
    # parentheses change it
    assert holds("(a or b) and c", a=True, b=False, c=False) is False
    assert holds("not (a and b)", a=True, b=False) is True


@pytest.mark.parametrize("text", ["level >= 7", "level < 7", "level == 7", "level != 7",
                                  "area in ['x']", "area not in ['x']", "ok"])
def test_a_missing_or_skipped_answer_makes_a_comparison_false(text: str) -> None:
    assert holds(text) is False
    assert holds(text, level=None, area=None, ok=None) is False


def test_null_can_be_tested_explicitly() -> None:
    assert holds("helper == null") is True
    assert holds("helper == null", helper=None) is True
    assert holds("helper != null", helper="Sam") is True
    assert holds("helper != null", helper=None) is False
    assert holds("not (helper == null)", helper="Sam") is True


def test_values_of_different_kinds_never_match_and_never_raise() -> None:
    assert holds("level >= '7'", level=8) is False
    assert holds("level == '7'", level=7) is False
    assert holds("ok == 1", ok=True) is False
    assert holds("level < true", level=0) is False
    assert holds("area > 3", area="health") is False


def test_variables_lists_every_answer_named() -> None:
    node = parse_condition("a > 1 and (b in [1] or not c) and d == e")
    assert node.variables() == frozenset({"a", "b", "c", "d", "e"})
    assert parse_condition("x == 'y'").variables() == frozenset({"x"})


@pytest.mark.parametrize(("text", "column", "words", "hint"), [
    ("", 0, "the condition is empty", "level >= 7"),
    ("level = 7", 6, "a single '=' does not compare", "=="),
    ("a && b", 2, "'&&'", "and"),
    ("a || b", 2, "'||'", "or"),
    ("level >= ", 9, "expected an answer or a value", None),
    ("(level > 1", 10, "expected ')' to close the '(' at column 1", "missing ')'"),
    ("level > 1)", 9, "unexpected ')'", "no matching '('"),
    ("area == 'health", 8, "this text is never closed", "matching '"),
    ("area in 'health'", 8, "expected a list in [ ] after 'in'", None),
    ("area in []", 8, "the list is empty", None),
    ("area in ['a' 'b']", 13, "expected ',' or ']'", "commas"),
    ("area in ['a', health]", 14, "expected a value in the list", "quotes"),
    ("area in ['a'", 12, "never closed", "']'"),
    ("1 < level < 5", 10, "compare two things at a time", "and"),
    ("3 == 3", 0, "two fixed values", None),
    ("level > 1 level < 3", 10, "unexpected 'level'", "and"),
    ("level ?? 3", 6, "unexpected character '?'", None),
    ("7", 0, "expected a comparison after 7", None),
    ("a and", 5, "expected an answer or a value", None),
    ("(a) == 1", 4, "not a group in parentheses", None),
    ("level => 3", 6, "'=>' is not an operator", "'>='"),
])
def test_errors_point_at_the_column(text: str, column: int, words: str,
                                    hint: str | None) -> None:
    with pytest.raises(ConditionError) as info:
        parse_condition(text)
    assert info.value.column == column
    assert words in info.value.message
    if hint:
        assert info.value.hint and hint in info.value.hint


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(ConditionError, match="nested too deeply"):
        parse_condition("(" * 500 + "a" + ")" * 500)
    with pytest.raises(ConditionError, match="nested too deeply"):
        parse_condition("not " * 500 + "a")


_ALPHABET = st.sampled_from(list("abxyz_019 -.'\"()[],=!<>&|?") +
                            ["and", "or", "not", "in", "true", "null", " == ", " >= "])


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=40), st.lists(_ALPHABET, max_size=25).map("".join)))
def test_random_text_either_parses_or_raises_a_condition_error(text: str) -> None:
    try:
        node = parse_condition(text)
    except ConditionError as exc:
        assert 0 <= exc.column <= len(text)
        return
    # whatever parsed can be evaluated against anything without raising
    answers = {name: value for name, value in zip(
        sorted(node.variables()), [1, "a", True, None, 2.5, "", 0], strict=False)}
    assert node.evaluate(answers) in (True, False)
    assert node.evaluate({}) in (True, False)


@pytest.mark.parametrize("answer", ["{0.__class__}", "%s %d", "{member}", "{drainer}",
                                    "{{x}}", "${HOME}", "{0}"])
def test_render_inserts_member_words_literally(answer: str) -> None:
    shown = render("You said: {drainer}. Thanks, {member}.",
                   {"drainer": answer, "member": "Ana"})
    assert shown == f"You said: {answer}. Thanks, Ana."


def test_render_shows_skipped_and_yes_no_answers_plainly() -> None:
    assert render("{a} / {b} / {c} / {d}", {"a": None, "b": True, "c": 7}) == \
        "(skipped) / yes / 7 / {d}"
