"""Listing, diff and partner exports (R26: definitions only)."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest

from indicator_lists import (
    Catalogue,
    CatalogueError,
    LanguagePatterns,
    ReferenceMatcher,
    diff,
    export,
    format_diff,
    load_catalogue,
    validate,
    verify_export,
)
from indicator_lists.export import escape_cell, load_profiles
from indicator_lists.loader import LISTS_DIR

PROFILES = sorted(load_profiles())


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture(scope="module")
def matcher(catalogue: Catalogue) -> ReferenceMatcher:
    return ReferenceMatcher(catalogue)


def _all_examples(catalogue: Catalogue):
    for ind in catalogue.indicators():
        for lang, ex in ind.examples.items():
            for sentence in (*ex.positive, *ex.negative):
                yield lang, sentence


@pytest.mark.parametrize("profile", PROFILES)
def test_json_export_round_trip(
    tmp_path: Path, catalogue: Catalogue, matcher: ReferenceMatcher, profile: str
) -> None:
    out = export(catalogue, profile, "json", tmp_path / profile)
    names = {p.name for p in out.iterdir()}
    assert names == {
        "indicators.json",
        "indicators.schema.json",
        "README.md",
        "catalogue.html",
        "manifest.json",
    }
    assert verify_export(out) == []
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["profile"] == profile
    assert set(manifest["files"]) == names - {"manifest.json"}
    data = json.loads((out / "indicators.json").read_text(encoding="utf-8"))
    schema = json.loads((out / "indicators.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, schema)

    back = load_catalogue(out)
    exported_ids = [i.id for i in back.indicators()]
    assert exported_ids
    assert manifest["versions"] == back.versions()
    assert manifest["fingerprint"] == back.fingerprint()
    originals = [catalogue.indicator(i) for i in exported_ids]
    assert [i.to_dict() for i in back.indicators()] == [i.to_dict() for i in originals]
    selected = set(exported_ids)
    for rule in back.rules():
        assert set(rule.indicator_ids) <= selected
    back_matcher = ReferenceMatcher(back)
    for lang, sentence in _all_examples(catalogue):
        want = [h for h in matcher.match(sentence, lang) if h.indicator_id in selected]
        assert back_matcher.match(sentence, lang) == want, sentence
    assert validate(out) == []

    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "thbscan check --lists DIR" in readme
    assert "suggestions for human review only" in readme
    assert "Never take automatic action" in readme


def test_export_carries_definitions_only(tmp_path: Path, catalogue: Catalogue) -> None:
    out = export(catalogue, "social", "json", tmp_path)
    data = json.loads((out / "indicators.json").read_text(encoding="utf-8"))
    assert set(data) == {"format", "profile", "created", "lists"}
    for lst in data["lists"]:
        assert set(lst) == {
            "list",
            "version",
            "released",
            "status",
            "changelog",
            "description",
            "indicators",
            "rules",
        }


@pytest.mark.parametrize("profile", PROFILES)
def test_csv_export(tmp_path: Path, catalogue: Catalogue, profile: str) -> None:
    out = export(catalogue, profile, "csv", tmp_path)
    assert {p.name for p in out.iterdir()} == {
        "indicators.csv",
        "README.md",
        "catalogue.html",
        "manifest.json",
    }
    assert verify_export(out) == []
    with (out / "indicators.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), row


def test_csv_formula_injection_is_escaped(tmp_path: Path, catalogue: Catalogue) -> None:
    lst = catalogue.get_list("contact")
    ind = lst.indicators[0]
    evil = replace(
        ind,
        title='=HYPERLINK("http://x")',
        patterns={"en": LanguagePatterns(("+cmd", "@SUM(A1)", "-2+3", "\tx", "ok"))},
    )
    cat = Catalogue((replace(lst, indicators=(evil,), rules=()),))
    out = export(cat, "recruitment", "csv", tmp_path)
    with (out / "indicators.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["pattern"] for r in rows} == {"'+cmd", "'@SUM(A1)", "'-2+3", "'\tx", "ok"}
    assert rows[0]["title"] == '\'=HYPERLINK("http://x")'
    assert escape_cell("-0.5") == "'-0.5" and escape_cell("\rx") == "'\rx"
    html_text = (out / "catalogue.html").read_text(encoding="utf-8")
    assert "=HYPERLINK(&quot;http://x&quot;)" in html_text


def test_html_is_escaped(tmp_path: Path, catalogue: Catalogue) -> None:
    lst = catalogue.get_list("contact")
    evil = replace(lst.indicators[0], description="<script>alert(1)</script>")
    cat = Catalogue((replace(lst, indicators=(evil,), rules=()),))
    out = export(cat, "recruitment", "json", tmp_path)
    text = (out / "catalogue.html").read_text(encoding="utf-8")
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_unknown_profile_lists_valid_ones(tmp_path: Path, catalogue: Catalogue) -> None:
    with pytest.raises(CatalogueError) as info:
        export(catalogue, "police", "json", tmp_path)
    message = str(info.value)
    assert "unknown export profile 'police'" in message
    assert "classifieds, payments, recruitment, social" in message


def test_verify_export_detects_tampering(tmp_path: Path, catalogue: Catalogue) -> None:
    out = export(catalogue, "payments", "json", tmp_path)
    (out / "README.md").write_text("changed", encoding="utf-8")
    (out / "extra.txt").write_text("x", encoding="utf-8")
    messages = {Path(p.file).name: p.message for p in verify_export(out)}
    assert "sha256 differs" in messages["README.md"]
    assert "not in the manifest" in messages["extra.txt"]


def test_diff(tmp_path: Path, catalogue: Catalogue) -> None:
    old = catalogue.get_list("forced_labour")
    fee = old.indicators[0]
    changed = replace(
        fee,
        weight=2.0,
        patterns={
            **fee.patterns,
            "en": LanguagePatterns((*fee.patterns["en"].phrases[1:], "broker fee")),
        },
    )
    new = replace(old, version="1.1.0", indicators=(changed, *old.indicators[2:]))
    d = diff(old, new)
    assert d["removed"] == [old.indicators[1].id]
    assert d["added"] == []
    change = d["changed"][fee.id]
    assert change["weight"] == {"old": 3.0, "new": 2.0}
    assert change["patterns"]["en"] == {
        "added": ["phrase:broker fee"],
        "removed": [f"phrase:{fee.patterns['en'].phrases[0]}"],
    }
    text = format_diff(d)
    assert f"- {old.indicators[1].id}" in text and "patterns[en] + phrase:broker fee" in text
    assert "weight: 3.0 -> 2.0" in text
    same = diff(LISTS_DIR / "forced_labour" / f"{old.version}.yaml", LISTS_DIR)
    assert same["removed"] == [] and same["changed"] == {}
    assert len(same["added"]) == len(catalogue.indicators()) - len(old.indicators)
    out = export(catalogue, "payments", "json", tmp_path)
    assert diff(out, catalogue)["changed"] == {}
    assert "(no differences)" in format_diff(diff(old, old))
