"""The crisis and therapy resources file: helplines by country, in the member's language."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.yamlfile import FileProblems, Problem, YamlDocument, check_mapping, describe, load_yaml

BUNDLED = Path(__file__).parent / "data" / "resources.yaml"
DEFAULT = "default"

_COUNTRY = re.compile(r"^[A-Z]{2}$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ]*[0-9]$|^[0-9]$")
_DIGITS = re.compile(r"^[0-9]{2,6}$")
_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
_ENTRY_KEYS = ("country", "emergency", "crisis", "therapy")
_RESOURCE_KEYS = ("name", "phone", "sms", "keyword", "url", "note", "languages")


@dataclass(frozen=True, slots=True)
class Resource:
    name: str
    phone: str | None = None
    sms: str | None = None
    keyword: str | None = None  # the word to text, e.g. HOME
    url: str | None = None
    note: str | None = None  # already in the member's language (or English)


@dataclass(frozen=True, slots=True)
class ResourceSet:
    """What one member sees: their country's help, or the directory plus a community default."""

    country: str | None  # the country the resources are for; None for the directory only
    country_name: str | None
    emergency: str | None  # local emergency number; None when the country is unknown
    crisis: tuple[Resource, ...]
    therapy: tuple[Resource, ...]
    directory: Resource | None  # findahelpline.com when the member's country is unknown
    community_default: bool = False  # the country came from the community, not the member


class ResourcesError(FileProblems):
    """The crisis and therapy resources file has problems."""


def base_language(language: str | None) -> str:
    return (language or "en").replace("_", "-").split("-")[0].lower() or "en"


class Resources:
    def __init__(self, entries: dict[str, dict[str, Any]]) -> None:
        self._entries = entries

    @classmethod
    def load(cls, path: Path | None = None) -> Resources:
        entries, problems = _read(path or BUNDLED)
        if problems or entries is None:
            raise ResourcesError(problems)
        return cls(entries)

    def countries(self) -> list[str]:
        return sorted(k for k in self._entries if k != DEFAULT)

    def for_member(self, country: str | None, language: str | None,
                   community_default: str | None) -> ResourceSet:
        lang = base_language(language)
        code = (country or "").strip().upper()
        if code in self._entries and code != DEFAULT:
            return self._country_set(code, lang, directory=None, community=False)
        directory = self._directory(lang)
        fallback = (community_default or "").strip().upper()
        if fallback in self._entries and fallback != DEFAULT:
            return self._country_set(fallback, lang, directory=directory, community=True)
        entry = self._entries.get(DEFAULT, {})
        return ResourceSet(
            country=None, country_name=None, emergency=None,
            crisis=tuple(_resource(r, lang) for r in entry.get("crisis", [])),
            therapy=tuple(_resource(r, lang) for r in entry.get("therapy", [])),
            directory=directory,
        )

    def _directory(self, lang: str) -> Resource:
        crisis = self._entries.get(DEFAULT, {}).get("crisis") or []
        if crisis:
            return _resource(crisis[0], lang)
        return Resource("Find A Helpline", url="https://findahelpline.com")

    def _country_set(self, code: str, lang: str, *, directory: Resource | None,
                     community: bool) -> ResourceSet:
        entry = self._entries[code]
        return ResourceSet(
            country=code,
            country_name=_localised(entry.get("country"), lang),
            emergency=entry.get("emergency"),
            crisis=tuple(_resource(r, lang) for r in entry.get("crisis", [])),
            therapy=tuple(_resource(r, lang) for r in entry.get("therapy", [])),
            directory=directory,
            community_default=community,
        )


def _localised(value: Any, lang: str) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return value.get(lang) or value.get("en") or next(iter(value.values()), None)
    return None


def _resource(raw: dict[str, Any], lang: str) -> Resource:
    return Resource(
        name=raw["name"], phone=raw.get("phone"), sms=raw.get("sms"),
        keyword=raw.get("keyword"), url=raw.get("url"), note=_localised(raw.get("note"), lang),
    )


def validate_resources(path: Path) -> list[Problem]:
    """Every problem in a resources file, as file:line:col problems."""
    return _read(path)[1]


def _read(path: Path) -> tuple[dict[str, dict[str, Any]] | None, list[Problem]]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(str(path), 1, 1, f"cannot read this file: {exc}")]
    doc, problems = load_yaml(text, str(path))
    if doc is None:
        return None, problems
    if not isinstance(doc.data, dict):
        problems.append(doc.problem((), "the resources file should map country codes to "
                                        f"entries, found {describe(doc.data)}"))
        return None, problems
    if DEFAULT not in doc.data:
        problems.append(doc.problem((), "the resources file has no 'default' entry",
                                    "add one pointing to https://findahelpline.com"))
    for code in doc.data:
        if code != DEFAULT and not _COUNTRY.match(str(code)):
            hint = (f"write it in upper case: {str(code).upper()}"
                    if _COUNTRY.match(str(code).upper()) else
                    "use a two-letter ISO 3166 code like US, GB or BR, or 'default'")
            problems.append(doc.problem((code,), f"{code!r} is not a country code", hint,
                                        at_key=True))
            continue
        _check_entry(doc, str(code), problems)
    return (doc.data if not problems else None), problems


def _check_entry(doc: YamlDocument, code: str, problems: list[Problem]) -> None:
    required = ("country", "crisis", "therapy") + (() if code == DEFAULT else ("emergency",))
    entry = check_mapping(doc, (code,), problems, required=required,
                          optional=("emergency",) if code == DEFAULT else (),
                          what=f"the entry {code}")
    if entry is None:
        return
    if "country" in entry:
        _check_localised(doc, (code, "country"), problems, "the country name")
    if "emergency" in entry:
        number = doc.text((code, "emergency"), problems, what="an emergency number")
        if number is not None and not _DIGITS.match(number):
            problems.append(doc.problem((code, "emergency"),
                                        f"{number!r} is not an emergency number",
                                        'write the digits only, in quotes, like "112"'))
    for section in ("crisis", "therapy"):
        if section not in entry:
            continue
        items = entry[section]
        if not isinstance(items, list) or not items:
            problems.append(doc.problem((code, section), f"{section} should be a list with at "
                                        "least one resource", "each resource starts with '- '"))
            continue
        for i in range(len(items)):
            _check_resource(doc, (code, section, i), problems)


def _check_resource(doc: YamlDocument, path: tuple[Any, ...], problems: list[Problem]) -> None:
    res = check_mapping(doc, path, problems, required=("name",), optional=_RESOURCE_KEYS[1:],
                        what="a resource")
    if res is None:
        return
    if "name" in res:
        name = doc.text((*path, "name"), problems, what="a name")
        if name is not None and not name.strip():
            problems.append(doc.problem((*path, "name"), "the name is empty"))
    if not any(k in res for k in ("phone", "sms", "url")):
        problems.append(doc.problem(path, "this resource has no phone, sms or url",
                                    "give at least one way to reach it"))
    for key in ("phone", "sms"):
        if key in res:
            number = doc.text((*path, key), problems, what="a phone number")
            if number is not None and not _PHONE.match(number):
                problems.append(doc.problem((*path, key), f"{number!r} is not a phone number",
                                            'use digits, spaces and a leading +, in quotes'))
    if "keyword" in res:
        if "sms" not in res:
            problems.append(doc.problem((*path, "keyword"), "a keyword needs an sms number"))
        doc.text((*path, "keyword"), problems, what="a word to text")
    if "url" in res:
        url = doc.text((*path, "url"), problems, what="a web address")
        if url is not None and not re.match(r"^https://[^\s/]+\.[^\s]+$", url):
            problems.append(doc.problem((*path, "url"), f"{url!r} is not an https address",
                                        "start it with https://"))
    if "note" in res:
        _check_localised(doc, (*path, "note"), problems, "the note")
    if "languages" in res:
        langs = res["languages"]
        if not isinstance(langs, list):
            problems.append(doc.problem((*path, "languages"), "languages should be a list",
                                        "for example [en, es]"))
        else:
            for i in range(len(langs)):
                lang = doc.text((*path, "languages", i), problems, what="a language code")
                if lang is not None and not _LANG.match(lang):
                    problems.append(doc.problem((*path, "languages", i),
                                                f"{lang!r} is not a language code"))


def _check_localised(doc: YamlDocument, path: tuple[Any, ...], problems: list[Problem],
                     what: str) -> None:
    value = doc.data
    for part in path:
        value = value[part]
    if isinstance(value, str):
        return
    if not isinstance(value, dict) or not value:
        problems.append(doc.problem(path, f"{what} should be text or a mapping of language "
                                          "to text", "for example {en: ..., es: ...}"))
        return
    if "en" not in value:
        problems.append(doc.problem(path, f"{what} has no English text",
                                    "add an 'en' entry; it is the fallback"))
    for lang in value:
        if not _LANG.match(str(lang)):
            problems.append(doc.problem((*path, lang), f"{lang!r} is not a language code",
                                        at_key=True))
        else:
            doc.text((*path, lang), problems, what="text")
