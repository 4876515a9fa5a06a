"""Listing, diff and partner exports (R26: definitions only; the reference matcher inside)."""

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
    diff,
    export,
    format_diff,
    load_catalogue,
    validate,
    verify_export,
)
from indicator_lists.compile import compile_catalogue
from indicator_lists.export import MATCHER_PACKAGE, escape_cell, load_profiles
from indicator_lists.loader import LISTS_DIR
from indicator_lists.matcher import Engine

PROFILES = sorted(load_profiles())
LIST_KEYS = {
    "list",
    "version",
    "released",
    "status",
    "changelog",
    "description",
    "indicators",
    "rules",
    "concepts",
    "kinds",
    "kind_default",
    "kind_min_score",
    "pay_floors",
    "pay_ceilings",
    "language",
    "numbers",
    "lexicon",
}


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("profile", PROFILES)
def test_json_export_round_trip(tmp_path: Path, catalogue: Catalogue, profile: str) -> None:
    out = export(catalogue, profile, "json", tmp_path / profile)
    files = _files(out)
    assert {
        "indicators.json",
        "indicators.schema.json",
        "README.md",
        "catalogue.html",
        "compiled.json",
        "manifest.json",
        f"{MATCHER_PACKAGE}/engine.py",
        f"{MATCHER_PACKAGE}/__main__.py",
    } <= files
    assert verify_export(out) == []
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["profile"] == profile
    assert set(manifest["files"]) == files - {"manifest.json"}
    data = json.loads((out / "indicators.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, json.loads((out / "indicators.schema.json").read_text()))

    back = load_catalogue(out)
    exported = [i.id for i in back.indicators()]
    assert exported
    assert manifest["versions"] == back.versions()
    assert manifest["fingerprint"] == back.fingerprint()
    assert [i.to_dict() for i in back.indicators()] == [
        catalogue.indicator(i).to_dict() for i in exported
    ]
    assert set(back.lexicons()) == set(catalogue.lexicons())
    assert back.section("concepts") == catalogue.section("concepts")
    for rule in back.rules():
        assert set(rule.indicator_ids) <= set(exported)
    shipped = json.loads((out / "compiled.json").read_text(encoding="utf-8"))
    assert shipped["indicators"] == compile_catalogue(back)["indicators"]
    assert validate(out) == []
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "python -m thbscan_matcher --compiled compiled.json" in readme
    assert "suggestions for human review only" in readme
    assert "Never take automatic action" in readme


def test_export_matches_like_the_catalogue(
    tmp_path: Path, catalogue: Catalogue, engine: Engine
) -> None:
    out = export(catalogue, "social", "json", tmp_path)
    shipped = Engine(json.loads((out / "compiled.json").read_text(encoding="utf-8")))
    selected = {i.id for i in load_catalogue(out).indicators()}
    for ind in catalogue.indicators():
        for lang, ex in ind.examples.items():
            for sentence in (*ex.positive, *ex.negative):
                want = {h.id for h in engine.analyse("", sentence, lang=lang).hits} & selected
                got = {h.id for h in shipped.analyse("", sentence, lang=lang).hits}
                assert got == want, sentence


def test_export_carries_definitions_only(tmp_path: Path, catalogue: Catalogue) -> None:
    out = export(catalogue, "social", "json", tmp_path)
    data = json.loads((out / "indicators.json").read_text(encoding="utf-8"))
    assert set(data) == {"format", "profile", "created", "lists"}
    for lst in data["lists"]:
        assert set(lst) <= LIST_KEYS, set(lst) - LIST_KEYS
    corpus = (
        Path(__file__).resolve().parents[3] / "indicator_lists" / "evaluation" / "dev.jsonl"
    ).read_text(encoding="utf-8")
    first_listing = json.loads(corpus.splitlines()[0])["text"]
    for name in _files(out):
        assert first_listing[:60] not in (out / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("profile", PROFILES)
def test_csv_export(tmp_path: Path, catalogue: Catalogue, profile: str) -> None:
    out = export(catalogue, profile, "csv", tmp_path)
    assert "indicators.csv" in _files(out) and verify_export(out) == []
    with (out / "indicators.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["kind"] for r in rows} >= {"match", "term"}
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), row


def test_csv_formula_injection_is_escaped(tmp_path: Path, catalogue: Catalogue) -> None:
    lst = catalogue.get_list("contact")
    evil = replace(
        lst.indicators[0],
        title='=HYPERLINK("http://x")',
        match=None,
        patterns={"en": LanguagePatterns(("+cmd", "@SUM(A1)", "-2+3", "\tx", "ok"))},
    )
    cat = Catalogue((replace(lst, indicators=(evil,), rules=()),))
    out = export(cat, "recruitment", "csv", tmp_path)
    with (out / "indicators.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["pattern"] for r in rows} == {"'+cmd", "'@SUM(A1)", "'-2+3", "'\tx", "ok"}
    assert rows[0]["title"] == '\'=HYPERLINK("http://x")'
    assert escape_cell("-0.5") == "'-0.5" and escape_cell("\rx") == "'\rx"
    assert "=HYPERLINK(&quot;http://x&quot;)" in (out / "catalogue.html").read_text()


def test_html_is_escaped(tmp_path: Path, catalogue: Catalogue) -> None:
    lst = catalogue.get_list("contact")
    evil = replace(lst.indicators[0], description="<script>alert(1)</script>")
    cat = Catalogue((replace(lst, indicators=(evil,), rules=()),))
    text = (export(cat, "recruitment", "json", tmp_path) / "catalogue.html").read_text()
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_unknown_profile_lists_valid_ones(tmp_path: Path, catalogue: Catalogue) -> None:
    with pytest.raises(CatalogueError) as info:
        export(catalogue, "police", "json", tmp_path)
    assert "unknown export profile 'police'" in str(info.value)
    assert "classifieds, payments, recruitment, social" in str(info.value)


def test_verify_export_detects_tampering(tmp_path: Path, catalogue: Catalogue) -> None:
    out = export(catalogue, "payments", "json", tmp_path)
    (out / "README.md").write_text("changed", encoding="utf-8")
    (out / MATCHER_PACKAGE / "engine.py").write_text("import os", encoding="utf-8")
    (out / "extra.txt").write_text("x", encoding="utf-8")
    messages = {Path(p.file).name: p.message for p in verify_export(out)}
    assert "sha256 differs" in messages["README.md"]
    assert "sha256 differs" in messages["engine.py"]
    assert "not in the manifest" in messages["extra.txt"]
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["files"]["../escape.txt"] = "0" * 64
    (out / "manifest.json").write_text(json.dumps(manifest))
    assert any("only file names" in p.message for p in verify_export(out))


def test_diff(catalogue: Catalogue) -> None:
    old = catalogue.get_list("forced_labour")
    fee = old.indicators[0]
    changed = replace(fee, weight=2.0, match={"all": ["FEE", "UPFRONT"], "within": 4})
    new = replace(old, version="2.0.1", indicators=(changed, *old.indicators[2:]))
    d = diff(old, new)
    assert d["removed"] == [old.indicators[1].id] and d["added"] == []
    change = d["changed"][fee.id]
    assert change["weight"] == {"old": fee.weight, "new": 2.0}
    assert change["match"]["new"] == {"all": ["FEE", "UPFRONT"], "within": 4}
    text = format_diff(d)
    assert f"- {old.indicators[1].id}" in text and f"weight: {fee.weight} -> 2.0" in text
    same = diff(LISTS_DIR / "forced_labour" / f"{old.version}.yaml", LISTS_DIR)
    assert same["removed"] == [] and same["changed"] == {}
    lexicon = catalogue.get_list("lexicon_da")
    entries = dict(lexicon.sections["lexicon"])
    entries["FEE"] = {**entries["FEE"], "terms": [*entries["FEE"]["terms"], "bøde for jobbet"]}
    fewer = replace(lexicon, sections={**lexicon.sections, "lexicon": entries})
    d = diff(lexicon, fewer)
    assert d["lexicons"] == {"da": {"FEE": {"added": ["bøde for jobbet"], "removed": []}}}
    assert "lexicon[da] FEE + bøde for jobbet" in format_diff(d)
    assert "(no differences)" in format_diff(diff(old, old))
