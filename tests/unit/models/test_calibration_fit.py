"""Calibration: the map, its fit on decided outcomes, its registry entry and its report."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

from indicator_lists import load_catalogue
from models import ModelRegistry
from models.calibration_fit import Outcomes, brier, ece, fit, out_of_fold
from models.calibration_report import render
from models.errors import ModelError, UntrustedModel
from nlp.calibration import Calibration, CalibrationError
from nlp.scorer import Scorer

CAL = Calibration("t1", (0.1, 0.5, 0.9), (0.02, 0.2, 0.7))


def miscalibrated(n: int, seed: int = 1) -> Outcomes:
    """Raw scores whose true escalation probability is raw ** 3 (the raw score claims far
    too much), as a scorer before calibration might."""
    rng = np.random.default_rng(seed)
    raw = rng.uniform(0, 1, n)
    return Outcomes.of(raw, (rng.uniform(0, 1, n) < raw**3).astype(int))


# -- the map ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (0.0, 0.02),
        (0.1, 0.02),
        (0.3, 0.11),
        (0.5, 0.2),
        (0.7, 0.45),
        (0.9, 0.7),
        (1.0, 0.7),
    ],
)
def test_map_interpolates_between_breakpoints_and_is_flat_beyond(raw, expected) -> None:
    assert CAL(raw) == pytest.approx(expected)


def test_map_never_reorders_scores() -> None:
    xs = np.linspace(0, 1, 501)
    ys = [CAL(float(x)) for x in xs]
    assert all(b >= a for a, b in itertools.pairwise(ys))


@pytest.mark.parametrize(
    ("x", "y", "message"),
    [
        ((0.1, 0.5), (0.5, 0.2), "y must not decrease"),
        ((0.5, 0.1), (0.1, 0.2), "x must not decrease"),
        ((0.1,), (0.1, 0.2), "need the same number"),
        ((), (), "need the same number"),
        ((0.1, 1.5), (0.1, 0.2), "x value 1.5 is not a number in 0..1"),
        ((0.1, math.nan), (0.1, 0.2), "x value nan"),
        ((0.1, 0.2), (0.1, "0.3"), "y value '0.3'"),
    ],
)
def test_bad_breakpoints_are_refused_with_the_value(x, y, message) -> None:
    with pytest.raises(CalibrationError, match=message):
        Calibration("bad", x, y)


@pytest.mark.parametrize(
    "version", ["", "../../etc/passwd", "a/b", ".hidden", "x" * 51, "none", "v 1"]
)
def test_a_version_is_a_safe_file_name(version) -> None:
    with pytest.raises(CalibrationError, match="give 1-50 characters"):
        Calibration(version, (0.5,), (0.5,))


def test_json_round_trip_and_hostile_files() -> None:
    assert Calibration.from_json(CAL.to_json()) == CAL
    with pytest.raises(CalibrationError, match=r"cal\.json: not JSON"):
        Calibration.from_json("{", source="cal.json")
    with pytest.raises(CalibrationError, match=r"not a thbscan\.calibration\.v1 file"):
        Calibration.from_json(json.dumps({"version": "x", "x": [0.1], "y": [0.2]}))
    with pytest.raises(CalibrationError, match="missing or malformed key 'y'"):
        Calibration.from_json(
            json.dumps({"format": "thbscan.calibration.v1", "version": "x", "x": [0.1]})
        )
    big = {
        "format": "thbscan.calibration.v1",
        "version": "x",
        "x": [0.5] * 20_000,
        "y": [0.5] * 20_000,
    }
    with pytest.raises(CalibrationError, match="1 to 10,000"):
        Calibration.from_json(json.dumps(big))


# -- the scorer --------------------------------------------------------------------------

LISTINGS = [
    (
        "Warehouse work abroad",
        "Pay the recruitment fee before travel. We keep your passport "
        "until the debt is paid. Accommodation deducted from wages.",
    ),
    ("Massage", "New in town, young girls, call 24/7, no questions, hotel visits, driver."),
    ("Nurse in Odense", "Permanent position at the hospital, collective agreement, pension."),
    ("Kok søges", "Vi søger en kok til restaurant i Aarhus. Overenskomst og pension."),
]


def test_calibration_changes_the_number_not_the_flag_band_or_order() -> None:
    catalogue = load_catalogue()
    plain = Scorer(catalogue)
    calibrated = Scorer(catalogue, calibration=CAL)
    before = list(plain.assess_many(LISTINGS))
    after = list(calibrated.assess_many(LISTINGS))
    assert any(a.flagged for a in before) and not all(a.flagged for a in before)
    for a, b in zip(before, after, strict=True):
        assert (b.flagged, b.band, b.raw_score) == (a.flagged, a.band, a.score)
        assert b.score == pytest.approx(CAL(a.score))
        assert b.to_check_dict()["raw_score"] == round(a.score, 4)
        assert b.explanation()["calibration"] == "t1"
    order = sorted(range(len(before)), key=lambda i: before[i].score)
    assert [after[i].score for i in order] == sorted(a.score for a in after)
    assert calibrated.scorer_key == plain.scorer_key + "|cal:t1"
    assert calibrated.raw_scorer_key == plain.scorer_key
    assert (plain.versions["calibration"], calibrated.versions["calibration"]) == ("none", "t1")


# -- fitting ---------------------------------------------------------------------------------


def test_fit_makes_a_miscalibrated_score_calibrated_out_of_fold() -> None:
    data = miscalibrated(2000)
    cal = fit(data, "f1", source="synthetic")
    ev = cal.fitted["evaluation"]
    assert ev["brier_calibrated"] < ev["brier_raw"] - 0.02
    assert ev["ece_calibrated"] < 0.05 < 0.15 < ev["ece_raw"]
    # The fitted map follows the true curve raw ** 3 within sampling noise.
    for raw in (0.3, 0.6, 0.9):
        assert cal(raw) == pytest.approx(raw**3, abs=0.08)
    assert cal.fitted["decisions"] == 2000
    eps = 1 / 2002
    assert min(cal.y) >= eps and max(cal.y) <= 1 - eps  # never certain
    # The out-of-fold figures are the ones reported.
    pred = out_of_fold(data)
    assert ev["brier_calibrated"] == pytest.approx(brier(pred, data), abs=1e-6)
    assert ev["ece_calibrated"] == pytest.approx(ece(pred, data), abs=1e-6)


def test_sampled_decisions_count_by_their_weight() -> None:
    # Low raw scores: 10 sampled unflagged listings standing for 50 each, 2 escalated.
    raw = [0.1] * 10 + [0.8] * 40
    outcome = [1, 1] + [0] * 8 + [1] * 30 + [0] * 10
    weighted = fit(
        Outcomes.of(raw, outcome, [50.0] * 10 + [1.0] * 40), "w", source="t", min_decisions=20
    )
    assert weighted(0.1) == pytest.approx(0.2)
    assert weighted(0.8) == pytest.approx(0.75)
    assert weighted.fitted["weighted_escalation_rate"] == pytest.approx(130 / 540, abs=1e-6)


def test_too_few_decisions_is_refused_with_the_counts() -> None:
    with pytest.raises(
        CalibrationError,
        match=r"12 decided listings \(3 escalated, 9 dismissed\)"
        r".*at least 50",
    ):
        fit(Outcomes.of([0.5] * 12, [1] * 3 + [0] * 9), "x", source="t")
    with pytest.raises(CalibrationError, match="at least 5 of each"):
        fit(Outcomes.of([0.5] * 60, [1] * 58 + [0] * 2), "x", source="t")


@pytest.mark.parametrize(
    ("raw", "outcome", "weight", "message"),
    [
        ([0.5, 1.2], [1, 0], None, "outside 0..1"),
        ([0.5, 0.2], [1, 2], None, "neither 1"),
        ([0.5, 0.2], [1, 0], [1, 0], "not a positive number"),
        ([0.5], [1, 0], None, "1 scores, 2 outcomes"),
    ],
)
def test_bad_outcomes_are_refused(raw, outcome, weight, message) -> None:
    with pytest.raises(CalibrationError, match=message):
        Outcomes.of(raw, outcome, weight)


# -- registry and report ------------------------------------------------------------------


def test_registry_keeps_promotes_and_refuses_an_altered_calibration(tmp_path) -> None:
    registry = ModelRegistry(tmp_path)
    assert registry.load_calibration() is None
    entry = registry.save_calibration(CAL)
    assert registry.load_calibration() is None  # fitted, not in use until promoted
    registry.promote_calibration("t1")
    assert registry.load_calibration() == CAL
    with pytest.raises(ModelError, match="exists"):
        registry.save_calibration(CAL)
    with pytest.raises(ModelError, match=r"unknown calibration version 'nope': known .* t1"):
        registry.promote_calibration("nope")
    path = tmp_path / entry["file"]
    path.write_text(path.read_text().replace("0.7", "0.9"))
    with pytest.raises(UntrustedModel, match="refusing to use an altered file"):
        registry.load_calibration()
    registry.promote_calibration(None)
    assert registry.load_calibration() is None


def test_report_has_both_charts_and_escapes_what_it_shows() -> None:
    cal = fit(miscalibrated(300), "v1", source="<img src=x onerror=alert(1)><script>")
    page = render(cal)
    assert page.count("<svg") == 2
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;" in page and "&lt;img" in page
    assert "Content-Security-Policy" in page
    assert f"{cal.fitted['evaluation']['brier_raw']}" in page
