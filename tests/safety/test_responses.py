from __future__ import annotations

import re

import pytest

from bot.safety.detector import Assessment, Level
from bot.safety.resources import Resources
from bot.safety.responses import crisis_reply, followup_reply, resources_reply

URGENT = Assessment(Level.URGENT, "plan_or_means")
CONCERN = Assessment(Level.CONCERN, "suicidal_ideation")
FRIEND = Assessment(Level.CONCERN, "third_party")


@pytest.fixture(scope="module")
def resources() -> Resources:
    return Resources.load()


def plain(text: str) -> None:
    assert len(text) < 2000  # one Discord message
    assert not re.search(r"[*_`~|>#]", text), "no Markdown"
    assert text.isprintable() or "\n" in text


def test_urgent_asks_about_safety_and_gives_the_emergency_number(resources: Resources) -> None:
    text = crisis_reply(URGENT, resources.for_member("US", "en", None), "en")
    plain(text)
    assert "Are you safe right now?" in text
    assert "911" in text and "988" in text
    assert "continue" in text and "/coach resume" in text


def test_concern_is_warm_says_coach_not_crisis_service_and_one_contact(
        resources: Resources) -> None:
    text = crisis_reply(CONCERN, resources.for_member("GB", "en", None), "en")
    plain(text)
    assert "not a crisis service" in text
    assert "Samaritans" in text and "116 123" in text
    assert "Shout" not in text  # one concrete contact, not a list
    assert "999" not in text  # the emergency number is for urgent messages
    assert "paused" in text


def test_unknown_country_gets_the_directory_and_the_community_default(
        resources: Resources) -> None:
    text = crisis_reply(CONCERN, resources.for_member(None, "en-US", "AU"), "en-US")
    plain(text)
    assert "https://findahelpline.com" in text
    assert "13 11 14" in text


def test_urgent_without_a_country_never_guesses_a_number(resources: Resources) -> None:
    text = crisis_reply(URGENT, resources.for_member(None, "en", "US"), "en")
    assert "911" not in text and "local emergency number" in text


def test_third_party_explains_how_to_help_a_friend(resources: Resources) -> None:
    text = crisis_reply(FRIEND, resources.for_member("NZ", "en", None), "en")
    plain(text)
    assert "looking out for them" in text and "listen without judging" in text
    assert "1737" in text


@pytest.mark.parametrize(("lang", "country", "words"), [
    ("es", "MX", "Estás a salvo"),
    ("pt-BR", "BR", "em segurança"),
    ("fr", "FR", "en sécurité"),
    ("de", "DE", "in Sicherheit"),
])
def test_crisis_reply_in_the_members_language(resources: Resources, lang: str, country: str,
                                              words: str) -> None:
    text = crisis_reply(URGENT, resources.for_member(country, lang, None), lang)
    plain(text)
    assert words in text


def test_never_asks_about_methods_or_promises_secrecy(resources: Resources) -> None:
    for a in (URGENT, CONCERN, FRIEND):
        text = crisis_reply(a, resources.for_member("US", "en", None), "en").lower()
        for bad in ("how would you", "what method", "secret", "between us", "don't worry",
                    "diagnos", "you should not feel"):
            assert bad not in text


def test_followup_repeats_resources_and_how_to_continue(resources: Resources) -> None:
    text = followup_reply(resources.for_member("IE", "en", None), "en")
    plain(text)
    assert "116 123" in text and "continue" in text


def test_resources_reply_lists_crisis_and_therapy_help(resources: Resources) -> None:
    text = resources_reply(resources.for_member("US", "en", None), "en")
    plain(text)
    assert "988" in text and "741741" in text and "911" in text
    assert "findtreatment.gov" in text
