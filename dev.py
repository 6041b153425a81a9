#!/usr/bin/env python3
"""Set up and run coachbot with nothing but Python 3.11+.

    python3 dev.py run      # create .venv if needed, install, then `coachbot run`
    python3 dev.py test     # create .venv if needed, install test tools, run the tests

Extra words are passed on: `python3 dev.py run chat --flow grow`, `python3 dev.py test -k crisis`.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def ensure(extra: str) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - runs before anything is installed
        sys.exit("coachbot needs Python 3.11 or newer; this is " + sys.version.split()[0])
    if not PYTHON.exists():
        print("Creating the virtual environment in .venv ...", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    stamp = VENV / f".installed-{extra}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    print(f"Installing coachbot and its dependencies ({extra}) ...", file=sys.stderr)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
                   check=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "-e", f".[{extra}]"],
                   check=True, cwd=ROOT)
    stamp.write_text(digest)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "test"):
        print(__doc__, file=sys.stderr)
        return 2
    task, rest = argv[0], argv[1:]
    if task == "run":
        ensure("charts")
        words = rest if rest and not rest[0].startswith("-") else ["run", *rest]
        return subprocess.call([str(PYTHON), "-m", "bot", *words], cwd=os.getcwd())
    ensure("test")
    env = dict(os.environ)
    if env.get("CI"):
        env.setdefault("HYPOTHESIS_PROFILE", "ci")
    return subprocess.call([str(PYTHON), "-m", "pytest", *rest], cwd=ROOT, env=env)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
