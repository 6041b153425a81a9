from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

import bot.safety.detector as detector_module
from bot.safety.checkcli import run
from bot.safety.detector import CrisisDetector

ROOT = Path(__file__).resolve().parents[2]


class Recorder(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.flushes = 0

    def flush(self) -> None:
        self.flushes += 1
        super().flush()


def test_one_json_object_per_line_blank_lines_included(detector: CrisisDetector) -> None:
    out = Recorder()
    code = run(io.StringIO("I want to die\n\nmy feet are dying\nI took all my pills\r\n"), out,
               detector)
    assert code == 0
    lines = out.getvalue().splitlines()
    assert [json.loads(x) for x in lines] == [
        {"crisis": True, "level": "concern", "category": "suicidal_ideation"},
        {"crisis": False, "level": "none", "category": None},
        {"crisis": False, "level": "none", "category": None},
        {"crisis": True, "level": "urgent", "category": "overdose_or_medical"},
    ]
    assert out.flushes >= 4


def test_a_failing_check_prints_the_fail_closed_object(monkeypatch: pytest.MonkeyPatch,
                                                       detector: CrisisDetector) -> None:
    def broken(*args: object, **kwargs: object) -> int:
        raise ValueError

    monkeypatch.setattr(detector_module.CrisisDetector, "_scan", broken)
    out = io.StringIO()
    run(io.StringIO("i want a new job\n"), out, detector)
    assert json.loads(out.getvalue()) == {"crisis": True, "level": "concern",
                                          "category": "unknown"}


def test_real_stdin_with_undecodable_bytes() -> None:
    script = ("import sys; from bot.safety.checkcli import run; "
              "from bot.safety.detector import CrisisDetector; "
              "sys.exit(run(sys.stdin, sys.stdout, CrisisDetector.load()))")
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          input=b"caf\xe9 plans\n\xff\xfe\nquiero morirme\n", timeout=60,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(x) for x in proc.stdout.decode("utf-8").splitlines()]
    assert [r["crisis"] for r in rows] == [False, False, True]
    assert proc.stderr == b""
