"""`coachbot check-crisis`: one JSON verdict per input line, for moderators and evaluation."""

from __future__ import annotations

import io
import json
import sys
from typing import TextIO

from bot.safety.detector import CrisisDetector


def run(stdin: TextIO, stdout: TextIO, detector: CrisisDetector) -> int:
    """Read messages one per line and print exactly one JSON object per line, flushed.

    Blank lines get an answer too. Undecodable bytes are replaced rather than fatal, and the
    check never raises, so every line gets its verdict (fail-closed: concern/unknown).
    """
    stdin = _tolerant(stdin)
    for raw in stdin:
        line = raw[:-1] if raw.endswith("\n") else raw
        if line.endswith("\r"):
            line = line[:-1]
        verdict = detector.check(line)
        stdout.write(json.dumps(verdict.as_dict(), ensure_ascii=False) + "\n")
        stdout.flush()
    return 0


def _tolerant(stream: TextIO) -> TextIO:
    if stream is sys.stdin and isinstance(stream, io.TextIOWrapper):
        try:
            stream.reconfigure(encoding="utf-8", errors="replace")
        except (AttributeError, ValueError):  # pragma: no cover - already reading
            pass
    return stream
