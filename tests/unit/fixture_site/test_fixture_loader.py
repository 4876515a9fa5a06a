"""The fixture data files load and are checked; the loopback guard needs no network."""

from __future__ import annotations

import pytest

from fixture_site import FixtureDataError, NonLoopbackHostError
from fixture_site.server import loopback_address
from fixture_site.site_data import LANGS, _parse_template, load_site_data


def _template(**overrides: object) -> dict:
    raw = {
        "key": "t",
        "lang": "en",
        "weight": 1,
        "expected": "flagged",
        "forms": ["forced_labour"],
        "signals": ["recruitment_fee", "passport_retention"],
        "employer": "hidden",
        "employment_type": "FULL_TIME",
        "title": "Work in {city}",
        "body": "Pay {fee} first. Call {phone}.",
        "choices": {"fee": ["EUR 300"]},
    }
    raw.update(overrides)
    return raw


def test_data_files_load() -> None:
    data = load_site_data()
    assert data.jobs and data.ads
    assert {t.lang for t in (*data.jobs, *data.ads)} == set(LANGS)
    assert sum(t.weight for t in data.jobs) == 240
    assert sum(t.weight for t in data.ads) == 120


def test_valid_template_parses() -> None:
    problems: list[str] = []
    template = _parse_template(_template(), "jobs", "data/jobs.yaml", problems)
    assert problems == [] and template is not None
    assert template.choices == (("fee", ("EUR 300",)),)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"signals": ["recruitment_fee"]}, "needs 2+ signals"),
        ({"expected": "benign", "forms": []}, "at most one signal"),
        ({"forms": ["trafficking"]}, "unknown forms"),
        ({"lang": "de"}, "lang 'de'"),
        ({"body": "Call {whatsapp}."}, "unknown slots ['whatsapp']"),
        ({"body": "{company} hires."}, "names no `sector`"),
        ({"employment_type": "SOMETIMES"}, "employment_type"),
        ({"phone": "network"}, "phone must be"),
        (
            {"expected": "benign", "forms": [], "signals": [], "phone_styles": ["spoken"]},
            "may not obfuscate",
        ),
    ],
)
def test_bad_templates_are_reported(overrides: dict, message: str) -> None:
    problems: list[str] = []
    assert _parse_template(_template(**overrides), "jobs", "data/jobs.yaml", problems) is None
    assert any(message in p for p in problems), problems
    assert all(p.startswith("data/jobs.yaml: template 't'") for p in problems)


def test_data_error_lists_problems() -> None:
    err = FixtureDataError(["a: one", "b: two"])
    assert err.problems == ["a: one", "b: two"] and str(err) == "a: one\nb: two"
    assert isinstance(err, ValueError)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_loopback_hosts_are_accepted(host: str) -> None:
    address, _family = loopback_address(host)
    assert address in {"127.0.0.1", "127.0.0.2", "::1"}


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "10.0.0.1", "example.org", ""])
def test_other_hosts_are_refused(host: str) -> None:
    with pytest.raises(NonLoopbackHostError, match="loopback") as info:
        loopback_address(host)
    assert repr(host) in str(info.value)
    assert isinstance(info.value, ValueError)
