"""Fitting a calibration of the raw score on outcomes people decided.

Outcomes are analysts' final decisions on review items: escalated (1) or dismissed (0).
The queue holds every flagged listing and a small random sample of unflagged ones (R04),
so a sampled decision stands for ``1 / sample_rate`` unflagged listings: weighted so, the
fit describes all scored listings, not only the flagged ones.

The map is scikit-learn's isotonic regression (monotone, no shape assumed), its ends kept
off 0 and 1 by ``1 / (n + 2)``, so that a handful of decisions never claims certainty.
Its quality is reported out of fold: each fold is predicted by a map fitted on the
others, and Brier score and expected calibration error are given for the raw score and
the calibrated one (:func:`evaluate`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.model_selection import StratifiedKFold

from nlp.calibration import Calibration, CalibrationError

MIN_DECISIONS = 50
MIN_PER_CLASS = 5
BINS = 10
FOLDS = 5


@dataclass(frozen=True)
class Outcomes:
    """Raw scores with the decision taken on each and its weight."""

    raw: np.ndarray
    escalated: np.ndarray  # 1 escalated, 0 dismissed
    weight: np.ndarray

    @classmethod
    def of(
        cls,
        raw: Sequence[float],
        escalated: Sequence[int | bool],
        weight: Sequence[float] | None = None,
    ) -> Outcomes:
        r = np.asarray(raw, dtype=float)
        y = np.asarray(escalated, dtype=float)
        w = np.ones_like(r) if weight is None else np.asarray(weight, dtype=float)
        if not (len(r) == len(y) == len(w)):
            raise CalibrationError(
                f"{len(r)} scores, {len(y)} outcomes and {len(w)} weights: give one of each "
                "per decided listing"
            )
        if len(r) and (not np.isfinite(r).all() or r.min() < 0 or r.max() > 1):
            raise CalibrationError("a raw score outside 0..1: re-score the listings first")
        if len(w) and (not np.isfinite(w).all() or w.min() <= 0):
            raise CalibrationError("a weight is not a positive number")
        if not np.isin(y, (0.0, 1.0)).all():
            raise CalibrationError("an outcome is neither 1 (escalated) nor 0 (dismissed)")
        return cls(r, y, w)


def check_enough(decisions: int, escalated: int, min_decisions: int = MIN_DECISIONS) -> None:
    """Refuse to fit on too few decisions, saying how many there are."""
    dismissed = decisions - escalated
    if decisions < min_decisions or min(escalated, dismissed) < MIN_PER_CLASS:
        raise CalibrationError(
            f"{decisions} decided listings ({escalated} escalated, {dismissed} dismissed): a "
            f"calibration needs at least {min_decisions}, with at least {MIN_PER_CLASS} of "
            "each outcome; keep reviewing (sampled unflagged listings count too) and fit again"
        )


def _isotonic(o: Outcomes) -> IsotonicRegression:
    return IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip").fit(
        o.raw, o.escalated, sample_weight=o.weight
    )


def fit(
    o: Outcomes,
    version: str,
    *,
    source: str,
    min_decisions: int = MIN_DECISIONS,
    scorer_key: str = "",
) -> Calibration:
    """A calibration fitted on all of ``o``, the raw scores of the scorer ``scorer_key``;
    its ``fitted`` record holds that key, the counts and the out-of-fold evaluation."""
    escalated = int(o.escalated.sum())
    check_enough(len(o.raw), escalated, min_decisions)
    iso = _isotonic(o)
    eps = 1.0 / (len(o.raw) + 2)
    x = [round(float(v), 6) for v in iso.X_thresholds_]
    y = [round(float(min(1 - eps, max(eps, v))), 6) for v in iso.y_thresholds_]
    fitted = {
        "source": source,
        "scorer_key": scorer_key,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "decisions": len(o.raw),
        "escalated": escalated,
        "weighted_escalation_rate": round(float(np.average(o.escalated, weights=o.weight)), 6),
        "method": "isotonic regression, ends kept 1/(n+2) from 0 and 1",
        "evaluation": evaluate(o),
    }
    return Calibration(version, tuple(x), tuple(y), fitted)


def _folds(o: Outcomes) -> int:
    """``FOLDS``, or fewer when an outcome is rarer (each fold needs one of each)."""
    escalated = int(o.escalated.sum())
    return max(2, min(FOLDS, escalated, len(o.raw) - escalated))


def out_of_fold(o: Outcomes, seed: int = 0) -> np.ndarray:
    """Calibrated probabilities, each predicted by a map fitted without its fold."""
    pred = np.empty_like(o.raw)
    splitter = StratifiedKFold(n_splits=_folds(o), shuffle=True, random_state=seed)
    for train, test in splitter.split(o.raw, o.escalated):
        part = Outcomes(o.raw[train], o.escalated[train], o.weight[train])
        pred[test] = _isotonic(part).predict(o.raw[test])
    return pred


def brier(p: np.ndarray, o: Outcomes) -> float:
    return float(np.average((p - o.escalated) ** 2, weights=o.weight))


def reliability(p: np.ndarray, o: Outcomes, bins: int = BINS) -> list[dict[str, float]]:
    """Per equal-width bin of ``p``: mean prediction, observed escalation share, weight
    share and count. Empty bins are left out."""
    idx = np.minimum((p * bins).astype(int), bins - 1)
    total = float(o.weight.sum())
    rows = []
    for b in range(bins):
        m = idx == b
        if not m.any():
            continue
        w = o.weight[m]
        rows.append(
            {
                "bin": b,
                "predicted": float(np.average(p[m], weights=w)),
                "observed": float(np.average(o.escalated[m], weights=w)),
                "weight_share": float(w.sum()) / total,
                "count": int(m.sum()),
            }
        )
    return rows


def ece(p: np.ndarray, o: Outcomes, bins: int = BINS) -> float:
    """Expected calibration error: the weight-share-weighted gap between mean prediction
    and observed share over equal-width bins."""
    return _ece(reliability(p, o, bins))


def _ece(rows: list[dict[str, float]]) -> float:
    return float(sum(r["weight_share"] * abs(r["predicted"] - r["observed"]) for r in rows))


def evaluate(o: Outcomes) -> dict[str, Any]:
    """Raw score against the out-of-fold calibrated score on the same decisions."""
    cal = out_of_fold(o)
    raw_rows, cal_rows = reliability(o.raw, o), reliability(cal, o)
    return {
        "folds": _folds(o),
        "brier_raw": round(brier(o.raw, o), 6),
        "brier_calibrated": round(brier(cal, o), 6),
        "ece_raw": round(_ece(raw_rows), 6),
        "ece_calibrated": round(_ece(cal_rows), 6),
        "reliability_raw": [_rounded(r) for r in raw_rows],
        "reliability_calibrated": [_rounded(r) for r in cal_rows],
    }


def _rounded(row: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}
