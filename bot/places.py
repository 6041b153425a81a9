"""Timezones and countries as members type them, with kind suggestions for near misses."""

from __future__ import annotations

import difflib
import zoneinfo
from functools import lru_cache


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    """Every IANA zone name, keyed by its lower-case form."""
    return {name.lower(): name for name in zoneinfo.available_timezones()
            if "/" in name or name == "UTC"}


_ALIASES = {"utc": "UTC", "gmt": "UTC", "z": "UTC"}


def find_timezone(text: str) -> str | None:
    """The canonical IANA name for what was typed (`europe/paris` -> `Europe/Paris`)."""
    key = text.strip().replace(" ", "_").lower()
    if key in _ALIASES:
        return _ALIASES[key]
    return _zones().get(key)


def suggest_timezones(text: str, limit: int = 3) -> list[str]:
    key = text.strip().replace(" ", "_").lower()
    zones = _zones()
    close = difflib.get_close_matches(key, list(zones), n=limit, cutoff=0.6)
    if not close:
        # "Paris" or "new york": match the city part.
        city = {name.split("/")[-1]: name for name in zones}
        close = [city[c] for c in difflib.get_close_matches(key, list(city), n=limit, cutoff=0.7)]
    return [zones[c] for c in close]


def timezone_problem(text: str) -> str:
    """A kind message for a timezone name that does not exist."""
    suggestions = suggest_timezones(text)
    if suggestions:
        return (f"I don't know the timezone \"{text.strip()}\". Did you mean "
                f"{' or '.join(suggestions)}?")
    return (f"I don't know the timezone \"{text.strip()}\". Timezones look like "
            "Europe/Paris or America/New_York.")


COUNTRIES = {
    "AR": "Argentina", "AT": "Austria", "AU": "Australia", "BE": "Belgium", "BR": "Brazil",
    "CA": "Canada", "CH": "Switzerland", "CL": "Chile", "CN": "China", "CO": "Colombia",
    "CZ": "Czechia", "DE": "Germany", "DK": "Denmark", "EG": "Egypt", "ES": "Spain",
    "FI": "Finland", "FR": "France", "GB": "United Kingdom", "GR": "Greece", "HK": "Hong Kong",
    "HU": "Hungary", "ID": "Indonesia", "IE": "Ireland", "IL": "Israel", "IN": "India",
    "IT": "Italy", "JP": "Japan", "KE": "Kenya", "KR": "South Korea", "MX": "Mexico",
    "MY": "Malaysia", "NG": "Nigeria", "NL": "Netherlands", "NO": "Norway", "NZ": "New Zealand",
    "PE": "Peru", "PH": "Philippines", "PK": "Pakistan", "PL": "Poland", "PT": "Portugal",
    "RO": "Romania", "RU": "Russia", "SA": "Saudi Arabia", "SE": "Sweden", "SG": "Singapore",
    "TH": "Thailand", "TR": "Turkey", "TW": "Taiwan", "UA": "Ukraine", "US": "United States",
    "VN": "Vietnam", "ZA": "South Africa",
}
_COUNTRY_ALIASES = {
    "usa": "US", "united states of america": "US", "america": "US", "uk": "GB",
    "england": "GB", "scotland": "GB", "wales": "GB", "northern ireland": "GB",
    "great britain": "GB", "britain": "GB", "deutschland": "DE", "españa": "ES", "espana": "ES",
    "brasil": "BR", "méxico": "MX", "holland": "NL", "the netherlands": "NL", "korea": "KR",
}


def find_country(text: str) -> str | None:
    """A two-letter country code for a code or an English name."""
    key = text.strip().strip(".").lower()
    if len(key) == 2 and key.upper() in COUNTRIES:
        return key.upper()
    if key in _COUNTRY_ALIASES:
        return _COUNTRY_ALIASES[key]
    for code, name in COUNTRIES.items():
        if name.lower() == key:
            return code
    if len(key) == 2 and key.isalpha():
        return key.upper()  # a real ISO code we have no name for
    return None


def country_problem(text: str) -> str:
    names = {name.lower(): name for name in COUNTRIES.values()}
    close = difflib.get_close_matches(text.strip().lower(), list(names), n=1, cutoff=0.7)
    if close:
        return f"I don't know the country \"{text.strip()}\". Did you mean {names[close[0]]}?"
    return (f"I don't know the country \"{text.strip()}\". Try its name in English or its "
            "two-letter code, like US, GB or DE.")


def country_name(code: str | None) -> str:
    return COUNTRIES.get(code or "", code or "not set")
