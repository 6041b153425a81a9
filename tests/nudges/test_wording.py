"""The moderator-editable nudge wording: checked with file:line:col, filled literally."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.nudges.wording import WordingError, load_wording


def test_the_bundled_file_loads_and_fills_member_text_literally() -> None:
    wording = load_wording()
    text = wording.question(0, name="{0.__class__}", number=2, goal="{goal} %s '); DROP")
    assert "{0.__class__}" in text and "{goal} %s '); DROP" in text and "2" in text


def test_problems_name_the_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "nudges.yaml"
    path.write_text('question:\n  - "Hi {nam}"\n  - yes\nreplies:\n  progress: ok\n'
                    '  snooze: "at {when}"\n  skip: "{goal.__class__}"\n  stop: fine\n'
                    '  extra: nope\n')
    with pytest.raises(WordingError) as caught:
        load_wording(path)
    lines = str(caught.value).splitlines()
    assert lines[0].startswith(f"{path}:2:5: unknown placeholder {{nam}}")
    assert lines[1].startswith(f"{path}:3:5: 'yes' was read as a yes/no value")
    assert any(line.startswith(f"{path}:7:9: unknown placeholder") for line in lines)
    assert any(line.startswith(f"{path}:9:3: unknown key 'extra'") for line in lines)
