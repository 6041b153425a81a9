"""Reading a member's typed answer for each kind of question, with kind hints when it doesn't fit."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.flows.model import Step

MAX_ANSWER_CHARS = 4000

YES = frozenset({"yes", "y", "yeah", "yea", "yep", "yup", "ya", "sure", "ok", "okay", "true",
                 "of course", "definitely", "absolutely", "yes please", "i do", "it does",
                 "correct", "right", "si", "sí", "oui", "ja", "sim", "claro", "👍"})
NO = frozenset({"no", "n", "nope", "nah", "not really", "false", "no thanks", "no thank you",
                "it doesn't", "it does not", "non", "nein", "não", "nao", "👎"})

_NUMBER_WORDS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                 "seven": 7, "eight": 8, "nine": 9, "ten": 10}


@dataclass(frozen=True, slots=True)
class Invalid:
    hint: str


def visible(text: str) -> str:
    """The text without invisible characters (zero-width spaces, direction marks, controls).

    The zero-width joiner stays inside emoji such as 🏃‍♀️; text made only of invisible
    characters is empty.
    """
    if text.isprintable():  # the common case: nothing invisible (isprintable is False for
        return text.strip()  # every Cc and Cf character), so nothing to drop
    kept = "".join(ch for ch in text if ch in "\n\t\u200d"
                   or unicodedata.category(ch) not in ("Cf", "Cc"))
    return kept.strip() if kept.replace("\u200d", "").strip() else ""


def _words(text: str) -> str:
    return re.sub(r"[\s.!]+$", "", text.strip().casefold())


def parse_yes_no(text: str) -> bool | Invalid:
    word = _words(text)
    if word in YES:
        return True
    if word in NO:
        return False
    first = word.split(" ", 1)[0].strip(",") if word else ""
    if first in ("yes", "yeah", "yep", "sure", "si", "sí", "oui", "ja", "sim"):
        return True
    if first in ("no", "nope", "nah", "non", "nein", "não"):
        return False
    return Invalid("Please answer yes or no.")


def parse_int(text: str) -> int | None:
    word = _words(text)
    if word in _NUMBER_WORDS:
        return _NUMBER_WORDS[word]
    match = re.fullmatch(r"[-+]?\d+", word) or re.match(r"^([-+]?\d+)\s*(?:/|out of|of)\s*\d+$",
                                                        word)
    if not match:
        return None
    return int(match[1] if match.lastindex else match[0])


def parse_scale(step: Step, text: str) -> int | Invalid:
    low, high = step.min if step.min is not None else 1, step.max if step.max is not None else 10
    value = parse_int(text)
    if value is None or not low <= value <= high:
        return Invalid(f"Please answer with a whole number from {low} to {high}.")
    return value


def parse_number(step: Step, text: str) -> int | Invalid:
    value = parse_int(text)
    if value is None:
        return Invalid("Please answer with a whole number, like 3.")
    if step.min is not None and value < step.min:
        return Invalid(f"Please answer with a number of at least {step.min}.")
    if step.max is not None and value > step.max:
        return Invalid(f"Please answer with a number no bigger than {step.max}.")
    return value


def parse_time(text: str) -> str | Invalid:
    word = _words(text).replace(".", ":").replace(" ", "")
    match = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?(am|pm|h)?", word)
    if match:
        hour, minute, suffix = int(match[1]), int(match[2] or 0), match[3]
        if suffix in ("am", "pm") and 1 <= hour <= 12:
            hour = hour % 12 + (12 if suffix == "pm" else 0)
        elif suffix in ("am", "pm"):
            hour = 99
        if match[2] is None and suffix is None:
            hour = 99  # a bare number is ambiguous; ask for HH:MM
        if 0 <= hour <= 23 and 0 <= minute <= 59:
            return f"{hour:02d}:{minute:02d}"
    return Invalid("Please write a time like 07:30 or 18:00.")


def parse_choice(step: Step, text: str, language: str | None) -> str | Invalid:
    word = _words(text)
    options = step.options
    number = parse_int(word)
    if number is not None and 1 <= number <= len(options):
        return options[number - 1].value
    for option in options:
        if word == option.value.casefold():
            return option.value
        if any(word == _words(label) for label in option.label.for_language(language)):
            return option.value
    labels = "; ".join(f"{i}) {o.label.for_language(language)[0]}"
                       for i, o in enumerate(options, 1))
    return Invalid(f"Please pick one of these, by number or by name: {labels}.")


def printable(text: str) -> str:
    """The text without control characters (terminal escapes, bells); line breaks stay."""
    if text.isprintable():  # no Cc character in it: the common case, checked in C
        return text
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")


def parse_text(text: str) -> str | Invalid:
    if not visible(text):
        return Invalid("I didn't catch any words there. Take your time, and write a few words "
                       "whenever you're ready.")
    return printable(text).strip()[:MAX_ANSWER_CHARS]
