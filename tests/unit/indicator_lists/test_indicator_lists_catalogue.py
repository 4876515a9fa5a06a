"""The shipped catalogue: validity, coverage, weights and the Python API."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import jsonschema
import pytest
import yaml

from indicator_lists import (
    CATEGORIES,
    FORMS,
    GRADES,
    LANGUAGES,
    Catalogue,
    ReferenceMatcher,
    format_table,
    json_schema,
    load_catalogue,
    load_list_file,
    rows,
    validate,
)
from indicator_lists.export import load_profiles
from indicator_lists.loader import LISTS_DIR

EXTRA_LANGS = ("ro", "pl", "bg")


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture(scope="module")
def matcher(catalogue: Catalogue) -> ReferenceMatcher:
    return ReferenceMatcher(catalogue)


def test_shipped_catalogue_validates() -> None:
    assert [str(p) for p in validate()] == []


def test_module_entry_point_validates() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "indicator_lists", "validate"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_all_lists_present_and_approved(catalogue: Catalogue) -> None:
    assert set(catalogue.versions()) == {*FORMS, "possible_minor", "contact", "linking"}
    for lst in catalogue.lists:
        assert lst.version in ("1.0.0", "1.1.0")  # the newest approved version loads
        assert lst.status == "approved"
        assert lst.released.isoformat() == "2026-11-28"
        assert all(i.category == lst.name for i in lst.indicators)


def test_coverage_counts(catalogue: Catalogue) -> None:
    forms = [i for i in catalogue.indicators() if i.category in FORMS]
    assert len(forms) >= 60
    text = [i for i in catalogue.indicators() if i.signal == "text"]
    for ind in text:
        assert {"da", "en"} <= set(ind.patterns), ind.id
        assert {"da", "en"} <= set(ind.examples), ind.id
    extra = [i for i in text if all(lang in i.patterns for lang in EXTRA_LANGS)]
    assert len(extra) >= 20
    strongest = sorted(text, key=lambda i: -i.weight)[:9]
    assert all(i in extra for i in strongest), [i.id for i in strongest if i not in extra]
    assert catalogue.languages() <= LANGUAGES


def test_weights_follow_evidence(catalogue: Catalogue) -> None:
    for ind in catalogue.indicators():
        assert ind.grade in GRADES and ind.category in CATEGORIES
        if ind.grade == "counter":
            assert ind.weight < 0, ind.id
        if ind.grade == "weak":
            assert ind.weight <= 0.6 and ind.combination_only, ind.id
        if ind.grade == "strong":
            assert ind.weight >= 2.0 and not ind.combination_only, ind.id
    for strong in (
        "fl.recruitment_fee",
        "fl.documents_retained",
        "fl.debt_repayment",
        "se.payment_third_party",
        "se.several_providers",
        "pm.youth_wording",
    ):
        assert catalogue.indicator(strong).grade == "strong"
    assert catalogue.indicator("se.new_in_town").grade == "counter"
    for ind in ("se.foreign_origin", "fl.targeted_nationality"):
        assert catalogue.indicator(ind).bias_audit


def test_benign_job_phrases_never_count_alone(
    catalogue: Catalogue, matcher: ReferenceMatcher
) -> None:
    benign = {
        "en": [
            "No experience needed.",
            "Start immediately.",
            "Visa sponsorship available.",
            "Support 24/7.",
            "Real photos.",
            "New in town.",
        ],
        "da": [
            "Ingen erfaring nødvendig.",
            "Start straks.",
            "Vi sponsorerer visum.",
            "Åbent 24/7.",
            "Ægte billeder.",
            "Ny i byen.",
        ],
    }
    for lang, sentences in benign.items():
        for sentence in sentences:
            hits = matcher.match(sentence, lang)
            assert hits, sentence
            for hit in hits:
                ind = catalogue.indicator(hit.indicator_id)
                assert ind.combination_only or ind.weight < 0, (sentence, ind.id)
            assert not matcher.fired_rules(hits), sentence


def test_counter_pattern_cancels(matcher: ReferenceMatcher) -> None:
    ids = {h.indicator_id for h in matcher.match("New girls every week.", "en")}
    assert "se.several_providers" in ids
    ids = {h.indicator_id for h in matcher.match("Girl and gentleman, new girls every week.", "en")}
    assert "se.several_providers" not in ids


def test_rules_reference_known_ids_and_fire(
    catalogue: Catalogue, matcher: ReferenceMatcher
) -> None:
    known = {i.id for i in catalogue.indicators()}
    for rule in catalogue.rules():
        assert set(rule.indicator_ids) <= known
    hits = matcher.match("Placement fee 500 EUR, on arrival you hand over your passport.", "en")
    assert "fl.rule_fee_with_control" in {r.id for r in matcher.fired_rules(hits)}


def test_api_basics(catalogue: Catalogue) -> None:
    assert len(catalogue.fingerprint()) == 12
    assert catalogue.fingerprint() == load_catalogue().fingerprint()
    table = rows(catalogue, category="forced_labour", lang="ro")
    assert table and all(r["category"] == "forced_labour" and "ro" in r["languages"] for r in table)
    text = format_table(table)
    assert "fl.recruitment_fee" in text.splitlines()[2] or "fl.recruitment_fee" in text
    assert len(rows(catalogue)) == len(catalogue.indicators())
    assert catalogue.indicator("fl.recruitment_fee").list_name == "forced_labour"


def test_yaml_files_match_json_schema() -> None:
    schema = json_schema()
    for path in sorted(LISTS_DIR.glob("*/*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data = json.loads(json.dumps(data, default=str))
        jsonschema.validate(data, schema)
        assert load_list_file(path).name == path.parent.name


def test_profiles_reference_known_ids(catalogue: Catalogue) -> None:
    known = {i.id for i in catalogue.indicators()}
    profiles = load_profiles()
    assert set(profiles) == {"recruitment", "classifieds", "social", "payments"}
    for spec in profiles.values():
        assert set(spec.get("indicators", [])) <= known
        assert set(spec.get("lists", [])) <= set(catalogue.versions())


def test_lock_covers_every_approved_file() -> None:
    lock = json.loads((LISTS_DIR.parent / "releases.lock.json").read_text(encoding="utf-8"))
    files = sorted(LISTS_DIR.glob("*/*.yaml"))
    assert set(lock) == {f"{p.parent.name}/{p.stem}" for p in files}
    counts = Counter(key.split("/")[0] for key in lock)
    assert all(n >= 1 for n in counts.values())


def test_no_phrase_lists_in_code() -> None:
    pkg = Path(LISTS_DIR).parent
    for py in pkg.glob("*.py"):
        assert "rekrutteringsgebyr" not in py.read_text(encoding="utf-8")
