"""Metrics as measured and at a prevalence, the threshold rule, groups."""

from __future__ import annotations

import numpy as np
import pytest

from models.metrics import best_threshold, by_group, calibration_bins, negative_weight, summary

LABELS = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
PROBS = [0.9, 0.8, 0.6, 0.3, 0.7, 0.2, 0.1, 0.1, 0.05, 0.4]


def test_summary_at_threshold_by_hand() -> None:
    s = summary(LABELS, PROBS, 0.5)
    # flagged: 0.9, 0.8, 0.6 (positives) and 0.7 (negative)
    assert s["confusion"] == {"tp": 3, "fp": 1, "fn": 1, "tn": 5}
    assert s["precision"] == 0.75 and s["recall"] == 0.75 and s["f1"] == 0.75
    assert s["n"] == 10 and s["positives"] == 4
    brier = np.mean((np.array(PROBS) - np.array(LABELS)) ** 2)
    assert s["brier"] == round(float(brier), 4)
    assert 0.5 < s["roc_auc"] < 1 and 0.5 < s["pr_auc"] < 1


def test_prevalence_reweights_negatives() -> None:
    w = negative_weight(LABELS, 0.1)
    # positives 4, negatives 6 * w: 4 / (4 + 6w) = 0.1
    assert 4 / (4 + 6 * w) == pytest.approx(0.1)
    s = summary(LABELS, PROBS, 0.5, 0.1)
    p = s["at_prevalence"]
    assert p["recall"] == s["recall"]
    assert p["precision"] == round(3 / (3 + w), 4) < s["precision"]
    # At the measured prevalence nothing changes.
    same = summary(LABELS, PROBS, 0.5, 0.4)["at_prevalence"]
    assert same["precision"] == s["precision"] and same["pr_auc"] == s["pr_auc"]
    with pytest.raises(ValueError, match="between 0 and 1"):
        negative_weight(LABELS, 1.5)


def test_best_threshold_maximises_f1() -> None:
    t = best_threshold(LABELS, PROBS)
    f1 = summary(LABELS, PROBS, t)["f1"]
    for other in sorted(set(PROBS)):
        assert summary(LABELS, PROBS, other)["f1"] <= f1
    # At a low prevalence false flags cost more: the threshold does not go down.
    assert best_threshold(LABELS, PROBS, 0.01) >= t
    with pytest.raises(ValueError, match="both"):
        best_threshold([1, 1], [0.2, 0.3])


def test_groups_and_calibration_bins() -> None:
    groups = [{"language": "en" if i < 5 else "da"} for i in range(10)]
    g = by_group(groups, LABELS, PROBS, 0.5)
    assert set(g) == {"language"} and g["language"]["en"]["n"] == 5
    assert g["language"]["da"]["positives"] == 0 and g["language"]["da"]["pr_auc"] is None
    bins = calibration_bins(LABELS, PROBS)
    assert sum(b["n"] for b in bins) == 10
    assert all(0 <= b["observed"] <= 1 for b in bins)
