"""`coachbot validate [PATH...]`: check conversation files and report every problem.

Each problem is printed as `path:line:col: message (hint)` with the path as it was given,
then one summary line. Exit status: 0 when clean, 1 on any error, 2 for a missing path.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO

from bot.flows.library import check_files as _check_files
from bot.flows.library import conversation_files


def run(paths: list[str], default_dir: Path, out: TextIO, err: TextIO) -> int:
    targets = list(paths) if paths else [str(default_dir)]
    missing = [p for p in targets if not os.path.exists(p)]
    for p in missing:
        err.write(f"coachbot validate: {p}: no such file or directory\n")
    if missing:
        return 2
    files: list[tuple[Path, str]] = []
    seen: set[Path] = set()
    for given in targets:
        path = Path(given)
        found = ([(f, os.path.join(given, f.name)) for f in conversation_files(path)]
                 if path.is_dir() else [(path, given)])
        for file, shown in found:
            key = file.resolve()
            if key not in seen:
                seen.add(key)
                files.append((file, shown))
    context: list[Path] = []
    default_dir = Path(default_dir)
    if default_dir.is_dir():
        context = [f for f in conversation_files(default_dir) if f.resolve() not in seen]
    _, _, problems = _check_files(files, context)
    order = {shown: i for i, (_, shown) in enumerate(files)}
    problems.sort(key=lambda p: (order.get(p.source, len(order)), p.line, p.col))
    for problem in problems:
        out.write(f"{problem}\n")
    out.write(summary(len(files), len(problems), len({p.source for p in problems})) + "\n")
    return 1 if problems else 0


def summary(n_files: int, n_errors: int, n_bad_files: int) -> str:
    if n_errors:
        return f"{_plural(n_errors, 'error')} in {_plural(n_bad_files, 'file')}"
    return f"{_plural(n_files, 'conversation')}, no errors"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
