from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.safety.resources import BUNDLED, Resources, ResourcesError, validate_resources

REQUIRED = {"US", "CA", "GB", "IE", "AU", "NZ", "DE", "FR", "ES", "PT", "BR", "MX", "IN"}


def test_bundled_resources_validate() -> None:
    assert validate_resources(BUNDLED) == []


def test_every_country_entry_has_a_working_shape() -> None:
    data = yaml.safe_load(BUNDLED.read_text(encoding="utf-8"))
    assert REQUIRED <= set(data)
    assert "findahelpline.com" in data["default"]["crisis"][0]["url"]
    for code, entry in data.items():
        if code != "default":
            assert re.fullmatch(r"[A-Z]{2}", code)
            assert re.fullmatch(r"[0-9]{2,6}", entry["emergency"]), code
        assert entry["crisis"] and entry["therapy"], code
        for res in entry["crisis"] + entry["therapy"]:
            assert res["name"].strip()
            assert any(k in res for k in ("phone", "sms", "url")), (code, res)
            for key in ("phone", "sms"):
                if key in res:
                    assert re.fullmatch(r"\+?[0-9 ]+", res[key]), (code, res[key])
            if "url" in res:
                assert res["url"].startswith("https://"), (code, res["url"])


def test_country_helplines_named_in_the_issue() -> None:
    r = Resources.load()
    assert r.for_member("US", "en", None).crisis[0].phone == "988"
    assert r.for_member("CA", "fr", None).crisis[0].sms == "988"
    assert r.for_member("GB", "en", None).crisis[0].phone == "116 123"
    assert r.for_member("IE", "en", None).crisis[0].phone == "116 123"
    assert r.for_member("AU", "en", None).crisis[0].phone == "13 11 14"


def test_without_a_country_the_directory_and_community_default_are_shown() -> None:
    r = Resources.load()
    s = r.for_member(None, "en-US", "GB")  # a locale is not a country
    assert s.directory is not None and "findahelpline.com" in (s.directory.url or "")
    assert s.community_default and s.country == "GB"
    alone = r.for_member(None, "en", None)
    assert alone.country is None and alone.emergency is None and alone.directory is not None


def test_country_codes_are_case_insensitive_for_members() -> None:
    assert Resources.load().for_member("br", "pt-BR", None).crisis[0].phone == "188"


def test_notes_follow_the_members_language() -> None:
    r = Resources.load()
    assert "Kostenlos" in (r.for_member("DE", "de-AT", None).crisis[0].note or "")
    assert "Free" in (r.for_member("DE", "en", None).crisis[0].note or "")


def test_a_broken_copy_reports_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "resources.yaml"
    path.write_text("""default:
  country: {en: "your country"}
  crisis:
    - name: Find A Helpline
      url: https://findahelpline.com
  therapy:
    - name: Find A Helpline
      url: https://findahelpline.com
us:
  country: {en: "US"}
  emergency: "911"
  crisis: [{name: x, phone: "988"}]
  therapy: [{name: y, url: https://example.org}]
GB:
  country: {en: "UK"}
  emergency: nine nine nine
  crisis:
    - name: Samaritans
      phone: "116-123 call"
      url: http://www.samaritans.org
      hours: always
  therapy:
    - name: Nobody
""", encoding="utf-8")
    problems = [str(p) for p in validate_resources(path)]
    assert f"{path}:9:1: 'us' is not a country code (write it in upper case: US)" in problems
    assert f"{path}:16:14: 'nine nine nine' is not an emergency number " \
           '(write the digits only, in quotes, like "112")' in problems
    assert any(p.startswith(f"{path}:19:14: '116-123 call' is not a phone number")
               for p in problems)
    assert any(p.startswith(f"{path}:20:12: 'http://www.samaritans.org' is not an https")
               for p in problems)
    assert any(p.startswith(f"{path}:21:7: unknown key 'hours'") for p in problems)
    assert any(p.startswith(f"{path}:23:7: this resource has no phone, sms or url")
               for p in problems)
    with pytest.raises(ResourcesError):
        Resources.load(path)
