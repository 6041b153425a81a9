from __future__ import annotations

from pathlib import Path

import pytest

from bot.safety.detector import CrisisDetector

CORPUS = Path(__file__).parent / "corpus"


@pytest.fixture(scope="session")
def detector() -> CrisisDetector:
    return CrisisDetector.load()
