from __future__ import annotations

import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bot.safety.detector as detector_module
from bot.safety.detector import FAIL_CLOSED, Assessment, CrisisDetector, Level


def verdict(detector: CrisisDetector, text: str) -> tuple[str, str | None]:
    a = detector.check(text)
    return str(a.level), a.category


@pytest.mark.parametrize("text", [
    "honestly? I don't want to be here anymore lol",
    "k1ll mys3lf",
    "k i l l  m y s e l f",
    "i wanna diiiieee",
    "I WANT TO DIE",
    "i want to die 💀",
    "sewerslide",
    "thinking about unaliving myself",
    "ctb",
    "kms",
    "quiero morirme",
    "quiero morirme",
    "je veux mourir",
    "ich will nicht mehr leben",
    "quero me matar",
    "queró me matár",
    "Ｉ ｗａｎｔ ｔｏ ｄｉｅ",
])
def test_crisis_language_fires_however_it_is_typed(detector: CrisisDetector, text: str) -> None:
    assert detector.check(text).crisis, text


@pytest.mark.parametrize("text", [
    "this meeting is murder",
    "my feet are dying",
    "I'm dead 💀",
    "the healer kept dying",
    "kill the stuck container",
    "kill -9 the worker",
    "13 Reasons Why was intense",
    "I volunteer at a crisis line",
    "I want to kill my snooze-button habit",
    "I'm not thinking of hurting myself, just exhausted",
    "last year I had really dark thoughts, but therapy helped and I'm okay now",
    "my skill tree is growing",
    "my therapist is great",
])
def test_everyday_language_stays_quiet(detector: CrisisDetector, text: str) -> None:
    assert not detector.check(text).crisis, text


@pytest.mark.parametrize(("text", "category"), [
    ("I've been collecting my meds", "plan_or_means"),
    ("I'm going to kill myself tonight", "plan_or_means"),
    ("writing letters to say goodbye", "goodbye"),
    ("I took a whole bottle of pills", "overdose_or_medical"),
    ("he is hitting me right now", "abuse_or_danger"),
    ("i want to die and i have the pills right here", "plan_or_means"),
])
def test_plans_means_goodbyes_overdose_and_abuse_are_urgent(
        detector: CrisisDetector, text: str, category: str) -> None:
    assert verdict(detector, text) == ("urgent", category)


@pytest.mark.parametrize(("text", "category"), [
    ("I'd rather just not exist", "suicidal_ideation"),
    ("i keep cutting myself", "self_harm"),
    ("everyone would be better off without me", "hopelessness"),
    ("my cousin told me he wants to end it", "third_party"),
    ("i want to hurt someone", "harm_to_others"),
])
def test_ideation_self_harm_and_hopelessness_are_concern(
        detector: CrisisDetector, text: str, category: str) -> None:
    assert verdict(detector, text) == ("concern", category)


def test_burnout_is_watch_and_keeps_coaching(detector: CrisisDetector) -> None:
    a = detector.check("I'm so burned out and exhausted this week")
    assert a == Assessment(Level.WATCH, "distress")
    assert not a.crisis


def test_plain_goal_talk_is_none_with_no_category(detector: CrisisDetector) -> None:
    assert detector.check("I want to run a 10k in May") == Assessment(Level.NONE, None)


def test_a_relapse_is_not_mistaken_for_recovery(detector: CrisisDetector) -> None:
    text = "therapy helped last year and I was okay, but lately I want to die again"
    assert detector.check(text).crisis


def test_crisis_flag_is_exactly_concern_and_urgent() -> None:
    assert [Assessment(level, "x" if level is not Level.NONE else None).crisis
            for level in Level] == [False, False, True, True]


def test_a_bug_inside_the_matcher_fails_closed(monkeypatch: pytest.MonkeyPatch,
                                               detector: CrisisDetector,
                                               caplog: pytest.LogCaptureFixture) -> None:
    def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(detector_module.CrisisDetector, "_scan", broken)
    secret = "i want to run a marathon with my sister"
    with caplog.at_level(logging.DEBUG):
        assert detector.check(secret) == FAIL_CLOSED
    assert FAIL_CLOSED.crisis and FAIL_CLOSED.category == "unknown"
    assert "RuntimeError" in caplog.text
    assert "marathon" not in caplog.text and "boom" not in caplog.text


def test_a_broken_rule_object_fails_closed(detector: CrisisDetector) -> None:
    broken = CrisisDetector(detector._lex)
    broken._plain_cache[0]["want"] = [((0, None, False),), ()]  # type: ignore[assignment]
    assert broken.check("i want a new job") == FAIL_CLOSED
    with pytest.raises(TypeError):
        broken.assess("i want a new job")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_check_never_raises_and_category_matches_level(text: str) -> None:
    detector = _shared()
    a = detector.check(text)
    assert isinstance(a.level, Level)
    assert (a.category is None) == (a.level is Level.NONE)


_CACHE: list[CrisisDetector] = []


def _shared() -> CrisisDetector:
    if not _CACHE:
        _CACHE.append(CrisisDetector.load())
    return _CACHE[0]


def test_a_denied_answer_to_an_asked_question_still_fires(detector: CrisisDetector) -> None:
    quiet = "my therapist asks every week whether i think about ending my life, and i don't"
    assert not detector.check(quiet).crisis
    told = "the nurse asked whether i think about ending my life and i lied and said no"
    assert detector.check(told).crisis


def test_english_need_is_not_read_as_a_german_negation(detector: CrisisDetector) -> None:
    assert "nicht" not in detector.tokens("i need to hurt someone")


_CERTAINTY = """\
import sys
from bot.safety.detector import CrisisDetector
detector = CrisisDetector.load([])
model = detector.classifier
for text in sys.stdin.read().splitlines():
    concepts = detector.analyse(detector.tokens(text))[1]
    print(round(model.predict(detector.tokens(text), concepts)[0], 9), *concepts)
"""


def test_the_same_message_gets_the_same_reading_in_every_process() -> None:
    """The scan meets words in set order, which changes from one process to the next; what
    the model reads (and so how sure it is) must not."""
    import os
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    texts = "\n".join([
        "i want to die and i have the pills ready tonight, nobody would miss me",
        "i keep thinking everyone would be better off without me, i wrote the letters",
        "quiero morir, ya tengo las pastillas y nadie me va a extrañar",
        "i can't do this anymore, i bought a rope and i'm so tired of everything",
        "my exam went badly and i want to sleep for a week",
    ])
    readings = []
    for seed in ("1", "2", "3"):
        done = subprocess.run([sys.executable, "-c", _CERTAINTY], input=texts, text=True,
                              capture_output=True, cwd=root, timeout=60, check=True,
                              env={**os.environ, "PYTHONHASHSEED": seed})
        readings.append(done.stdout)
    assert readings[0].count("\n") == 5
    assert readings[0] == readings[1] == readings[2]
