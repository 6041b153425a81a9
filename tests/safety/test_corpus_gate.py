"""The corpus gate: recall on crisis messages and false alarms on ordinary ones.

Three sets: `dev_*` was written alongside the lexicon; `heldout_*` and `fresh_*` were written
separately to measure phrasings the rules were not built from (their first, untuned scores are
in their headers); `blind_a_*` to `blind_e_*` were written without reading the rules or the
other sets (C, D and E carry their first score, before any rule change they prompted, in their
headers; F carries the first score of the rules and the model, trained without it). Every
set is now also a development set, and the model is trained on all of them: what the gate cannot show is how the
detector does on messages nobody has seen yet. Run with `-s` to see the per-category table. Per-category floors apply where a category has at least
ten messages in a set; smaller cells are reported but too small to gate on.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.safety.detector import CrisisDetector
from bot.safety.lexicon import CRISIS_CATEGORIES
from tests.safety.corpus import read, report, score

MIN_RECALL = 0.95
MAX_FALSE_POSITIVES = 0.05
MIN_CATEGORY_RECALL = 0.80  # per category, so one weak category cannot hide in the total
MAX_CATEGORY_FALSE_POSITIVES = 0.10
MIN_CELL = 10
MIN_URGENT = 0.80
MIN_CATEGORY_AGREEMENT = 0.85

SETS = ["dev", "heldout", "fresh", "blind_a", "blind_b", "blind_c", "blind_d", "blind_e",
        "blind_f"]


# Sets nobody has tuned on (kept in tests/safety/unseen/, outside the folder the model trains
# on): they show how the detector does on messages it has never seen. Their floors are what it
# honestly reaches, so that a change cannot make it worse unnoticed.
UNSEEN = {"blind_g": (0.87, 0.04)}  # recall at least, false positives at most
UNSEEN_DIR = Path(__file__).parent / "unseen"


@pytest.mark.parametrize("name", sorted(UNSEEN))
def test_unseen_set_floor(detector: CrisisDetector, name: str) -> None:
    min_recall, max_fp = UNSEEN[name]
    examples = read(f"{name}_crisis.tsv", UNSEEN_DIR) + read(f"{name}_ordinary.tsv", UNSEEN_DIR)
    s = score(detector, examples)
    print(report(name, s))
    assert s.recall >= min_recall, f"recall {s.recall:.1%} on unseen messages"
    assert s.fp_rate <= max_fp, f"false positives {s.fp_rate:.1%} on unseen messages"


@pytest.mark.parametrize("name", SETS)
def test_corpus_gate(detector: CrisisDetector, name: str) -> None:
    examples = read(f"{name}_crisis.tsv") + read(f"{name}_ordinary.tsv")
    s = score(detector, examples)
    print(report(name, s))
    failures: list[str] = []
    if s.recall < MIN_RECALL:
        failures.append(f"recall {s.recall:.1%} < {MIN_RECALL:.0%}")
    if s.fp_rate > MAX_FALSE_POSITIVES:
        failures.append(f"false positives {s.fp_rate:.1%} > {MAX_FALSE_POSITIVES:.0%}")
    for side, group, _ok, n, rate in s.table:
        if n < MIN_CELL:
            continue
        if side == "crisis" and rate < MIN_CATEGORY_RECALL:
            failures.append(f"category {group}: recall {rate:.1%} over {n}")
        if side == "ordinary" and 1 - rate > MAX_CATEGORY_FALSE_POSITIVES:
            failures.append(f"ordinary {group}: false positives {1 - rate:.1%} over {n}")
    if s.urgent_recall < MIN_URGENT:
        failures.append(f"urgent messages found as urgent {s.urgent_recall:.1%} < {MIN_URGENT:.0%}")
    if s.category_agreement < MIN_CATEGORY_AGREEMENT:
        failures.append(f"category agreement {s.category_agreement:.1%}")
    if failures:
        details = ["missed:", *s.missed, "false alarms:", *s.false_alarms,
                   "urgent not urgent:", *s.wrong_level]
        pytest.fail("\n".join([*failures, *details]))


def test_corpus_is_big_enough_and_covers_every_category_and_language() -> None:
    crisis = [e for name in SETS for e in read(f"{name}_crisis.tsv")]
    ordinary = [e for name in SETS for e in read(f"{name}_ordinary.tsv")]
    assert len(crisis) >= 400 and len(ordinary) >= 400
    assert {e.group for e in crisis} == set(CRISIS_CATEGORIES)
    for side in (crisis, ordinary):
        assert {e.lang for e in side} >= {"en", "es", "fr", "de", "pt"}
