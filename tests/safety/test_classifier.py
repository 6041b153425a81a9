"""The second net: the model file, training, and how it combines with the rules."""

from __future__ import annotations

import pytest

from bot.safety.classifier import CLASSES, MODEL_PATH, Classifier
from bot.safety.detector import CrisisDetector, Level
from bot.safety.lexicon import CRISIS_CATEGORIES
from bot.safety.train import CORPUS_DIR, fit, prepare, read_files


def test_model_file_loads_with_the_expected_classes() -> None:
    model = Classifier.load(MODEL_PATH)
    assert model.classes == ("none", *CRISIS_CATEGORIES) == CLASSES
    assert len(model) > 1000
    assert 0 <= model.veto_threshold <= model.threshold <= 0.1
    assert MODEL_PATH.stat().st_size < 2_000_000


def test_detector_loads_the_model(detector: CrisisDetector) -> None:
    assert detector.classifier is not None


def test_screen_agrees_with_predict(detector: CrisisDetector) -> None:
    model = detector.classifier
    assert model is not None
    for text in ("i want to die", "can you help me plan my week", "everything feels pointless",
                 "je veux disparaître pour toujours", "I finished the report"):
        toks = detector.tokens(text)
        _, concepts = detector.analyse(toks)
        p_none, category = model.predict(toks, concepts)
        screened = model.screen(toks, concepts)
        if p_none >= model.threshold:
            assert screened is None
        else:
            assert screened == (p_none, category)


def test_training_is_deterministic_with_the_seed() -> None:
    rules = CrisisDetector.load(model_path=None)
    examples = (read_files([CORPUS_DIR / "dev_crisis.tsv"])[:60]
                + read_files([CORPUS_DIR / "dev_ordinary.tsv"])[:60])
    data = prepare(rules, examples)
    first = fit(data, seed=7, epochs=3, min_count=1)
    second = fit(data, seed=7, epochs=3, min_count=1)
    assert first == second
    assert fit(data, seed=8, epochs=3, min_count=1) != first


@pytest.mark.parametrize("text", [
    "I'm not thinking of hurting myself, just exhausted",
    "i would never kill myself, i'm just venting about work",
    "I'm not suicidal, just really tired of this job",
    "no, I don't want to die, I want this week to be over",
    "I don't want to hurt myself, I want to sleep for a week",
    "no me quiero morir, solo estoy cansada del trabajo",
    "je ne veux pas mourir, je suis juste fatigué",
])
def test_the_model_never_overrides_a_negation(detector: CrisisDetector, text: str) -> None:
    assert detector.check(text).level in (Level.NONE, Level.WATCH)


COACHING = [
    "I want to feel strong",
    "I want to run a marathon next spring",
    "I want to be a better dad this year",
    "If I feel tired after work, then I will stretch for five minutes",
    "I'd like to stop scrolling at night and sleep earlier",
    "Quiero sentirme fuerte y dormir mejor",
    "Je veux reprendre le sport cette semaine",
]


@pytest.mark.parametrize("text", COACHING)
def test_everyday_coaching_goals_do_not_trip_the_model(detector: CrisisDetector,
                                                       text: str) -> None:
    assert not detector.check(text).crisis
