"""The YAML readers never crash, whatever a moderator's file holds, and always point somewhere.

Arbitrary text, bytes read as text, and real conversation files with random damage: every
problem names a line and column inside the file, and a file with problems loads no flow.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from bot.flows.loader import load_flow_text
from bot.yamlfile import load_yaml

ROOT = Path(__file__).resolve().parents[2]
REAL_FILES = sorted((ROOT / "conversations").glob("*.yaml")) + sorted(
    (ROOT / "tests" / "flows" / "good").glob("*.yaml"))
REAL_TEXTS = [p.read_text(encoding="utf-8") for p in REAL_FILES]
YAMLISH = st.sampled_from([":", "- ", "  ", "\t", "\n", "#", "'", '"', "{", "}", "[", "]", "&a",
                           "*a", "!!", "|", ">", "---", "...", "? ", "%YAML 1.2", "yes", "22:30",
                           "id", "steps", "type", "next", "goto", "if", "else", "\ufeff",
                           "\u200b", "\x00", "\r", "é", "🙂", "{member}", "{0.__class__}"])


def yamlish_text() -> st.SearchStrategy[str]:
    return st.lists(st.one_of(YAMLISH, st.text(max_size=8)), max_size=40).map("".join)


@st.composite
def damaged_file(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(REAL_TEXTS))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "delete", "duplicate_line", "indent"]))
        if kind == "insert":
            text = text[:at] + draw(st.one_of(YAMLISH, st.text(max_size=5))) + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)):]
        else:
            lines = text.split("\n")
            i = draw(st.integers(0, max(0, len(lines) - 1)))
            if kind == "duplicate_line":
                lines.insert(i, lines[i])
            else:
                lines[i] = draw(st.sampled_from([" ", "  ", "\t", ""])) + lines[i]
            text = "\n".join(lines)
    return text


ANY_TEXT = st.one_of(
    st.text(max_size=300),
    yamlish_text(),
    st.binary(max_size=300).map(lambda b: b.decode("utf-8", "replace")),
    st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
    damaged_file(),
)


def assert_points_inside(text: str, problems: list) -> None:
    last_line = text.count("\n") + text.count("\r") + 2
    for problem in problems:
        assert problem.line >= 1 and problem.col >= 1, problem
        assert problem.line <= last_line, (problem, last_line)
        assert problem.message.strip(), problem
        assert str(problem).startswith(f"{problem.source}:{problem.line}:{problem.col}: ")


@given(ANY_TEXT)
def test_load_yaml_never_raises(text: str) -> None:
    doc, problems = load_yaml(text, "settings.yaml")
    assert_points_inside(text, problems)
    assert doc is not None or problems


@given(ANY_TEXT)
def test_load_flow_text_never_raises(text: str) -> None:
    flow, problems = load_flow_text(text, "energy_audit.yaml", expected_id="energy_audit",
                                    known_flows={"grow", "onboarding"})
    assert_points_inside(text, problems)
    assert (flow is None) == bool(problems)
    if flow is not None:
        assert flow.first.id and flow.id == "energy_audit"


def test_the_real_files_load_clean() -> None:
    """The damage above starts from files that are themselves clean."""
    for path, text in zip(REAL_FILES, REAL_TEXTS, strict=True):
        flow, problems = load_flow_text(text, path.name, expected_id=path.stem,
                                        known_flows={p.stem for p in REAL_FILES})
        assert problems == [] and flow is not None, path
