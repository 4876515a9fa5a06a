"""``thbscan indicators ...`` and ``thbscan check --lists EXPORT`` as a partner runs them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from fixture_site import generate_listings
from indicator_lists import load_catalogue
from nlp.scorer import Scorer
from thbscan.cli import main

LISTS = Path(__file__).resolve().parents[3] / "indicator_lists" / "lists"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_validate_ok_and_bad(capsys, tmp_path: Path) -> None:
    assert run(capsys, "indicators", "validate")[0] == 0
    bad = tmp_path / "lists" / "forced_labour"
    shutil.copytree(LISTS / "forced_labour", bad)
    path = bad / "1.1.0.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "    grade: strong\n", "    grade: strong\n    colour: red\n", 1
        ),
        encoding="utf-8",
    )
    code, _out, err = run(capsys, "indicators", "validate", str(tmp_path / "lists"))
    assert code == 1
    assert f"{path}:" in err and "colour" in err


def test_list_json_and_filters(capsys) -> None:
    code, out, _ = run(capsys, "indicators", "list", "--json")
    rows = json.loads(out)["indicators"]
    assert code == 0 and len(rows) >= 60
    assert set(rows[0]) >= {"id", "category", "title", "grade", "weight", "languages"}
    _, out, _ = run(
        capsys, "indicators", "list", "--category", "forced_labour", "--lang", "ro", "--json"
    )
    ro = json.loads(out)["indicators"]
    assert ro and all(r["category"] == "forced_labour" and "ro" in r["languages"] for r in ro)
    _, table, _ = run(capsys, "indicators", "list")
    assert "fl.recruitment_fee" in table.splitlines()[2] or "fl.recruitment_fee" in table


def test_diff_between_versions(capsys) -> None:
    code, out, _ = run(
        capsys,
        "indicators",
        "diff",
        str(LISTS / "contact" / "1.0.0.yaml"),
        str(LISTS / "contact" / "1.1.0.yaml"),
    )
    assert code == 0
    assert "contact.third_party" in out and "+ phrase:contact my manager" in out


def test_export_unknown_profile_names_the_valid_ones(capsys, tmp_path: Path) -> None:
    code, _out, err = run(
        capsys,
        "indicators",
        "export",
        "--partner-profile",
        "banks",
        "--format",
        "json",
        "--out",
        str(tmp_path / "x"),
    )
    assert code == 2 and "banks" in err and "recruitment" in err


@pytest.mark.parametrize(
    "profile",
    [
        "recruitment",
        *(pytest.param(p, marks=pytest.mark.slow) for p in ("classifieds", "social", "payments")),
    ],
)
def test_export_round_trips_through_check(capsys, tmp_path: Path, profile: str) -> None:
    out_dir = tmp_path / profile
    code, out, _ = run(
        capsys,
        "indicators",
        "export",
        "--partner-profile",
        profile,
        "--format",
        "json",
        "--out",
        str(out_dir),
        "--json",
    )
    assert code == 0 and json.loads(out)["verified"]
    exported = load_catalogue(out_dir)
    ids = {i.id for i in exported.indicators()}
    builtin, partner = Scorer(load_catalogue()), Scorer(exported)
    listings = [(x.title, x.text) for x in generate_listings()]

    def hits(scorer: Scorer) -> list[set]:
        return [
            {
                (c.id, tuple((s.field, s.start, s.end) for s in c.spans))
                for c in (*a.indicators, *a.suppressed, *a.counter)
                if c.id in ids
            }
            for a in scorer.assess_many(listings)
        ]

    assert hits(partner) == hits(builtin)
    text = (out_dir / "indicators.json").read_text(encoding="utf-8")
    assert all(x.text[:60] not in text for x in generate_listings()[:50])  # no listing text


def test_check_with_lists_export(capsys, tmp_path: Path, monkeypatch) -> None:
    run(
        capsys,
        "indicators",
        "export",
        "--partner-profile",
        "recruitment",
        "--format",
        "json",
        "--out",
        str(tmp_path / "exp"),
    )
    monkeypatch.setattr(
        "sys.stdin",
        __import__("io").StringIO(
            json.dumps(
                {"title": "Job", "text": "A recruitment fee of 400 EUR. We keep your passport."}
            )
            + "\n"
        ),
    )
    monkeypatch.setenv("THBSCAN_NO_MODEL", "1")
    code, out, _ = run(capsys, "check", "--json", "--lists", str(tmp_path / "exp"))
    result = json.loads(out)
    assert code == 0
    assert {"fl.recruitment_fee", "fl.documents_retained"} <= {
        i["id"] for i in result["indicators"]
    }
    assert "sexual_exploitation" not in result["versions"]["lists"]
