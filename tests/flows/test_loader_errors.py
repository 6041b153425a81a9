"""Each broken fixture is refused with every problem at the right line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.flows.loader import load_flow_file, load_flow_text

HERE = Path(__file__).parent
BROKEN = HERE / "broken"
KNOWN = {"onboarding", "grow", "unknown_call"}

# file -> every problem expected in it: (line, col, words in the message, words in the hint)
EXPECTED: dict[str, list[tuple[int, int, str, str | None]]] = {
    "syntax_error": [(8, 4, "YAML syntax error", "indented like its neighbours")],
    "tab_indent": [(5, 1, "YAML syntax error", "spaces, not tabs")],
    "duplicate_key": [(8, 5, "duplicate key 'prompt'", "already set on line 7")],
    "yaml11_surprises": [
        (7, 13, "'yes' was read as a yes/no value", 'put it in quotes: "yes"'),
        (10, 13, "'22:30' was read as a number", 'put it in quotes: "22:30"'),
        (15, 17, "'on' was read as a yes/no value, not as an option value", '"on"'),
        (16, 17, "'off' was read as a yes/no value", '"off"'),
        (16, 29, "'no' was read as a yes/no value, not as the label", '"no"'),
    ],
    "unknown_keys": [
        (5, 5, "step 'first' is missing the key 'prompt'", None),
        (7, 5, "unknown key 'promt' in step 'first'", "did you mean 'prompt'?"),
        (11, 5, "unknown key 'max' in step 'second'", "used on scale or number steps"),
    ],
    "missing_keys": [
        (1, 1, "missing the key 'title'", None),
        (4, 5, "step 'level' is missing the key 'max'", None),
    ],
    "duplicate_step": [(8, 9, "the step id 'ask' is used twice", "already used on line 5")],
    "missing_target": [(12, 15, "there is no step 'bgi'", "did you mean 'big'?")],
    "no_else": [(11, 9, "no final 'else'", "- else: <step id or end>")],
    "else_not_last": [
        (9, 9, "'else' must be the last branch", "move it to the end"),
        (10, 9, "no final 'else'", None),
    ],
    "unreachable": [(9, 9, "step 'lost' can never be reached", "point a 'next' or 'goto'")],
    "not_saved_on_every_path": [
        (19, 32, "{drainer} may not be answered yet at step 'closing'",
         "coming from step 'level'"),
    ],
    "unknown_variable": [
        (12, 14, "unknown variable 'aera'", "did you mean 'area'?"),
        (17, 29, "unknown variable {areaa}", "did you mean 'area'?"),
    ],
    "bad_condition": [
        (11, 39, "expected ')' to close the '(' at column 16", "add the missing ')'"),
        (13, 19, "a single '=' does not compare", "use '=='"),
    ],
    "wrong_id": [(1, 5, "the id 'right_id' does not match the file name 'wrong_id'",
                  "rename the file to right_id.yaml")],
    "unknown_call": [(7, 19, "there is no conversation 'onbaording'",
                      "did you mean 'onboarding'?")],
    "unknown_type": [
        (6, 11, "unknown step type 'txt'", "did you mean 'text'?"),
        (11, 14, "profile 'timezone' cannot be saved from a yes_no step", "text or choice"),
        (15, 14, "unknown profile field 'contry'", "did you mean 'country'?"),
    ],
    "choice_limits": [
        (34, 9, "at most 25 options (Discord's limit); this one has 26", "split the choice"),
        (40, 30, "the label is 81 characters long; the limit is 80", "shorten it"),
    ],
    "wrong_kinds": [
        (17, 22, "'area' is never 'helth'", "did you mean 'health'?"),
        (19, 23, "'level' is a number, but '7' is not", "without quotes"),
        (21, 14, "'level' is a number answer, not yes/no", "compare it"),
    ],
    "never_finishes": [(5, 9, "from step 'ask' the conversation can never finish",
                        "way out")],
}


def test_every_broken_fixture_has_expectations() -> None:
    assert {p.stem for p in BROKEN.glob("*.yaml")} == {*EXPECTED, "many_errors"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_file_is_refused_with_each_problem_located(name: str) -> None:
    path = BROKEN / f"{name}.yaml"
    flow, problems = load_flow_file(path, known_flows=KNOWN)
    assert flow is None
    assert [(p.line, p.col) for p in problems] == [(e[0], e[1]) for e in EXPECTED[name]], \
        "\n".join(map(str, problems))
    for problem, (_, _, words, hint) in zip(problems, EXPECTED[name], strict=True):
        assert problem.source == str(path)
        assert words in problem.message, str(problem)
        if hint is not None:
            assert problem.hint and hint in problem.hint, str(problem)


def test_printed_problem_names_file_line_and_column() -> None:
    _, problems = load_flow_file(BROKEN / "missing_target.yaml", source="here/x.yaml")
    assert str(problems[0]) == ("here/x.yaml:12:15: there is no step 'bgi' "
                                "(did you mean 'big'?)")


def test_a_file_with_many_mistakes_reports_all_of_them_in_one_pass() -> None:
    flow, problems = load_flow_file(BROKEN / "many_errors.yaml")
    assert flow is None
    located = {(p.line, p.col): p.message for p in problems}
    assert set(located) == {(4, 1), (8, 44), (12, 5), (14, 11), (22, 14), (24, 9), (24, 21),
                            (25, 15), (26, 9), (33, 17)}
    assert "unknown key 'colour'" in located[(4, 1)]
    assert "{topic} may not be answered yet" in located[(8, 44)]
    assert "unknown step type 'scael'" in located[(14, 11)]
    assert "unknown variable 'levle'" in located[(22, 14)]
    assert "the step id 'topic' is used twice" in located[(26, 9)]


def test_a_call_is_only_checked_against_known_conversations_when_they_are_given() -> None:
    flow, problems = load_flow_file(BROKEN / "unknown_call.yaml")
    assert problems == [] and flow is not None
    assert flow.steps[0].conversation == "onbaording"


def test_calling_itself_is_refused() -> None:
    text = (BROKEN / "unknown_call.yaml").read_text().replace("onbaording", "unknown_call")
    _, problems = load_flow_text(text, "x.yaml", expected_id="unknown_call")
    assert [(p.line, p.col, p.message) for p in problems] == [
        (7, 19, "this conversation calls itself")]


@pytest.mark.parametrize(("snippet", "line", "col", "words"), [
    ("    prompt: 'Hi'\n    of: x\n", 8, 5, "unknown key 'of' in step 'a'"),
    ("    prompt: ''\n", 7, 13, "the prompt is empty"),
    ("    prompt: []\n", 7, 13, "the prompt is an empty list"),
    ("    prompt: {english: 'Hi'}\n", 7, 14, "'english' is not a language code"),
    ("    prompt: 'Hi {member}'\n    save_as: member\n", 8, 14, "'member' is reserved"),
    ("    prompt: 'Hi'\n    save_as: Big Name\n", 8, 14, "must be snake_case"),
    ("    prompt: 'Hi'\n    optional: 'yes'\n", 8, 15, "should be true or false"),
    ("    prompt: 'Tell me about {a}'\n", 7, 28, "{a} is the answer to this very step"),
    ("    prompt: 'Hi'\n    next: []\n", 8, 11, "'next' should be a step id, end"),
    ("    prompt: 'Hi'\n    next:\n      - goto: end\n", 9, 9, "missing the key 'if'"),
])
def test_step_level_mistakes(snippet: str, line: int, col: int, words: str) -> None:
    text = ("id: t\ntitle: T\ndescription: D\nsteps:\n  - id: a\n" + snippet
            ).replace("  - id: a\n", "  - id: a\n    type: text\n")
    flow, problems = load_flow_text(text, "t.yaml", expected_id="t")
    assert flow is None
    assert any((p.line, p.col) == (line, col) and words in p.message for p in problems), \
        "\n".join(map(str, problems))


def test_scale_bounds_are_checked() -> None:
    base = ("id: t\ntitle: T\ndescription: D\nsteps:\n  - id: s\n    type: scale\n"
            "    prompt: 'How much?'\n")
    for bounds, words in [("    min: 5\n    max: 5\n", "max (5) must be greater than min (5)"),
                          ("    min: 0\n    max: 30\n", "at most 25 values"),
                          ("    min: 1\n    max: '10'\n", "should be a whole number")]:
        flow, problems = load_flow_text(base + bounds, "t.yaml", expected_id="t")
        assert flow is None
        assert [p.line for p in problems] == [9] and words in problems[0].message


def test_not_a_mapping_at_all() -> None:
    flow, problems = load_flow_text("- just\n- a list\n", "t.yaml", expected_id="t")
    assert flow is None
    assert (problems[0].line, problems[0].col) == (1, 1)
    assert "should be a mapping of keys" in problems[0].message
