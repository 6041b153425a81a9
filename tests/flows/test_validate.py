"""`coachbot validate`: output format, summary line and exit status."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest

from bot.flows.validate import run

HERE = Path(__file__).parent
GOOD = HERE / "good"
BROKEN = HERE / "broken"


def validate(paths: list[str], default_dir: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = run(paths, default_dir, out, err)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(GOOD, tmp_path / "conversations")
    (tmp_path / "drafts").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_clean_directory_exits_0_with_a_summary(workdir: Path) -> None:
    status, out, err = validate(["conversations"], workdir / "conversations")
    assert (status, out, err) == (0, "2 conversations, no errors\n", "")


def test_no_path_checks_the_default_directory(workdir: Path) -> None:
    status, out, _ = validate([], workdir / "conversations")
    assert (status, out) == (0, "2 conversations, no errors\n")


def test_errors_are_printed_with_the_path_as_given_and_exit_1(workdir: Path) -> None:
    shutil.copy(BROKEN / "missing_target.yaml", workdir / "drafts")
    shutil.copy(BROKEN / "no_else.yaml", workdir / "drafts")
    shutil.copy(BROKEN / "duplicate_key.yaml", workdir)
    status, out, err = validate(["./drafts", "duplicate_key.yaml", "conversations"],
                                workdir / "conversations")
    assert status == 1 and err == ""
    assert out.splitlines() == [
        f"{os.path.join('./drafts', 'missing_target.yaml')}:12:15: there is no step 'bgi' "
        "(did you mean 'big'?)",
        f"{os.path.join('./drafts', 'no_else.yaml')}:11:9: the branches have no final 'else' "
        "(add '- else: <step id or end>' as the last branch)",
        "duplicate_key.yaml:8:5: duplicate key 'prompt' (it is already set on line 7; "
        "keep only one)",
        "3 errors in 3 files",
    ]


def test_a_missing_path_exits_2_on_the_error_stream(workdir: Path) -> None:
    status, out, err = validate(["conversations", "nowhere.yaml"], workdir / "conversations")
    assert status == 2 and out == ""
    assert "nowhere.yaml" in err and "no such file" in err


def test_a_call_resolves_against_the_default_directory(workdir: Path) -> None:
    draft = workdir / "drafts" / "booking.yaml"
    draft.write_text("id: booking\ntitle: Booking\ndescription: d\nsteps:\n"
                     "  - id: go\n    type: call\n    conversation: check_in\n")
    assert validate([str(draft)], workdir / "conversations")[0] == 0
    status, out, _ = validate([str(draft)], workdir / "empty")
    assert status == 1
    assert out.splitlines() == [
        f"{draft}:7:19: there is no conversation 'check_in' "
        "(add conversations/check_in.yaml or fix the id)",
        "1 error in 1 file"]


def test_a_call_resolves_among_the_files_given(workdir: Path) -> None:
    status, out, _ = validate(["conversations/energy_audit.yaml",
                               "conversations/check_in.yaml"], workdir / "empty")
    assert (status, out) == (0, "2 conversations, no errors\n")


def test_a_file_named_twice_is_checked_once(workdir: Path) -> None:
    status, out, _ = validate(["conversations", "conversations/check_in.yaml"],
                              workdir / "conversations")
    assert (status, out) == (0, "2 conversations, no errors\n")


def test_every_broken_fixture_fails_and_every_line_has_the_format() -> None:
    status, out, _ = validate([str(BROKEN)], GOOD)
    lines = out.splitlines()
    assert status == 1
    n_files = len(list(BROKEN.glob("*.yaml")))
    assert lines[-1].endswith(f"errors in {n_files} files")
    for line in lines[:-1]:
        path, row, col, rest = line.split(":", 3)
        assert path.startswith(str(BROKEN)) and row.isdigit() and col.isdigit()
        assert rest.startswith(" ") and len(rest) > 5


def test_the_bundled_conversations_are_clean() -> None:
    bundled = Path(__file__).parents[2] / "conversations"
    if not any(bundled.glob("*.yaml")):
        pytest.skip("no bundled conversations yet")
    status, out, _ = validate([str(bundled)], bundled)
    assert status == 0, out


def test_the_guides_first_example_is_a_valid_conversation(tmp_path: Path) -> None:
    guide = (Path(__file__).parents[2] / "docs" / "conversations.md").read_text()
    example = guide.split("```yaml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "energy_audit.yaml").write_text(example)
    status, out, _ = validate([str(tmp_path)], tmp_path)
    assert (status, out) == (0, "1 conversation, no errors\n")
