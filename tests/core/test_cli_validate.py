"""`coachbot validate` checks moderators' safety files too, with file:line:col errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def validate(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", "validate", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60, check=False,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})


def test_a_misspelt_category_in_community_slang_is_named_with_its_line(tmp_path: Path) -> None:
    slang = tmp_path / "slang.yaml"
    slang.write_text('language: en\ncrisis:\n  suicidal_ideaton:\n    concern:\n'
                     '      - "yeet myself into the sun"\n', encoding="utf-8")
    done = validate("--lexicon", str(slang), cwd=tmp_path)
    assert done.returncode == 1
    assert (f"{slang}:3:3: unknown category 'suicidal_ideaton' "
            "(did you mean 'suicidal_ideation'?)") in done.stdout


def test_config_named_safety_files_are_checked_with_the_conversations(tmp_path: Path) -> None:
    slang = tmp_path / "slang.yaml"
    slang.write_text('language: en\ncrisis:\n  self_harm:\n    concern:\n'
                     '      - "doing the thing again"\n', encoding="utf-8")
    config = tmp_path / "config.yaml"
    config.write_text(f"safety:\n  lexicon_paths: [{slang}]\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(config), "validate"], cwd=tmp_path,
        capture_output=True, text=True, timeout=60, check=False,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "conversations, no errors" in done.stdout
    assert "1 safety file, no errors" in done.stdout


def test_a_missing_safety_file_is_a_usage_error(tmp_path: Path) -> None:
    done = validate("--lexicon", str(tmp_path / "nope.yaml"), cwd=tmp_path)
    assert done.returncode == 2
    assert "no such file" in done.stderr
