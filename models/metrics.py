"""Metrics of a probability model on labelled listings, as measured and at a prevalence.

A labelled sample is often balanced (EMSCAD's development split is about half fraudulent,
the real rate is 4.84 %). Precision, F1 and PR-AUC depend on the share of positives, so
each is also given with the negatives reweighted until positives are ``prevalence`` of the
weighted data: every negative counts ``w = pos * (1 - P) / (P * neg)`` times
(:func:`negative_weight`). Recall and ROC-AUC do not change under that weighting.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    precision_recall_curve,
    roc_auc_score,
)

from models.calibration_fit import Outcomes, reliability

__all__ = [
    "best_threshold",
    "by_group",
    "calibration_bins",
    "negative_weight",
    "pr_points",
    "summary",
]


def _arrays(labels: ArrayLike, probs: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(labels, dtype=np.int64)
    p = np.asarray(probs, dtype=np.float64)
    if y.shape != p.shape:
        raise ValueError(f"{len(y)} labels but {len(p)} probabilities")
    return y, p


def negative_weight(labels: ArrayLike, prevalence: float) -> float:
    """The weight of each negative that makes positives ``prevalence`` of the data."""
    if not 0 < prevalence < 1:
        raise ValueError(f"prevalence {prevalence!r} must be between 0 and 1, e.g. 0.0484")
    y = np.asarray(labels)
    pos, neg = int(y.sum()), int(len(y) - y.sum())
    if not pos or not neg:
        return 1.0
    return pos * (1 - prevalence) / (prevalence * neg)


def _weights(y: np.ndarray, prevalence: float | None) -> np.ndarray:
    if prevalence is None:
        return np.ones(len(y))
    return np.where(y == 1, 1.0, negative_weight(y, prevalence))


def _prf(y: np.ndarray, predicted: np.ndarray, w: np.ndarray) -> dict[str, float]:
    tp = float(w[(y == 1) & predicted].sum())
    fp = float(w[(y == 0) & predicted].sum())
    fn = float(w[(y == 1) & ~predicted].sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def _pr_auc(y: np.ndarray, p: np.ndarray, w: np.ndarray) -> float | None:
    if len(set(y.tolist())) < 2:
        return None
    return float(average_precision_score(y, p, sample_weight=w))


def best_threshold(labels: ArrayLike, probs: ArrayLike, prevalence: float | None = None) -> float:
    """The probability threshold with the highest F1 (negatives reweighted to
    ``prevalence`` when given); ties go to the higher threshold."""
    y, p = _arrays(labels, probs)
    if len(set(y.tolist())) < 2:
        raise ValueError("choosing a threshold needs both positive and negative examples")
    precision, recall, thresholds = precision_recall_curve(
        y, p, sample_weight=_weights(y, prevalence)
    )
    f1 = np.divide(
        2 * precision * recall,
        precision + recall,
        out=np.zeros_like(precision),
        where=(precision + recall) > 0,
    )[:-1]
    best = np.flatnonzero(f1 >= f1.max() - 1e-12)
    return float(thresholds[best[-1]])


def _round(d: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in d.items()}


def summary(
    labels: ArrayLike,
    probs: ArrayLike,
    threshold: float,
    prevalence: float | None = None,
    *,
    predicted: ArrayLike | None = None,
) -> dict[str, Any]:
    """n, positives, precision, recall, f1 (at ``threshold``, or at the given
    ``predicted`` decisions), pr_auc, roc_auc, brier and, with a prevalence,
    ``at_prevalence`` {prevalence, negative_weight, precision, recall, f1, pr_auc}."""
    y, p = _arrays(labels, probs)
    flagged = p >= threshold if predicted is None else np.asarray(predicted, dtype=bool)
    both = len(set(y.tolist())) == 2
    out: dict[str, Any] = {
        "n": len(y),
        "positives": int(y.sum()),
        "threshold": round(float(threshold), 6),
        **_prf(y, flagged, np.ones(len(y))),
        "pr_auc": _pr_auc(y, p, np.ones(len(y))),
        "roc_auc": float(roc_auc_score(y, p)) if both else None,
        "brier": float(brier_score_loss(y, p, pos_label=1)) if len(y) else None,
        "confusion": {
            "tp": int(((y == 1) & flagged).sum()),
            "fp": int(((y == 0) & flagged).sum()),
            "fn": int(((y == 1) & ~flagged).sum()),
            "tn": int(((y == 0) & ~flagged).sum()),
        },
    }
    out = _round(out)
    if prevalence is not None:
        w = _weights(y, prevalence)
        out["at_prevalence"] = _round(
            {
                "prevalence": prevalence,
                "negative_weight": float(w[y == 0][0]) if (y == 0).any() else 1.0,
                **_prf(y, flagged, w),
                "pr_auc": _pr_auc(y, p, w),
            }
        )
    return out


def pr_points(
    labels: ArrayLike, probs: ArrayLike, prevalence: float | None = None
) -> list[tuple[float, float]]:
    """(recall, precision) along the PR curve, at most about 200 points."""
    y, p = _arrays(labels, probs)
    if len(set(y.tolist())) < 2:
        return []
    precision, recall, _t = precision_recall_curve(y, p, sample_weight=_weights(y, prevalence))
    step = max(1, len(recall) // 200)
    return [(float(r), float(q)) for r, q in zip(recall[::step], precision[::step], strict=True)]


def calibration_bins(labels: ArrayLike, probs: ArrayLike, bins: int = 10) -> list[dict[str, float]]:
    """Per probability bin with listings: mean predicted probability, observed share of
    positives, count (the calibration fit's reliability bins, every listing weighing 1)."""
    y, p = _arrays(labels, probs)
    rows = reliability(p, Outcomes(p, y, np.ones(len(y))), bins)
    return [{"predicted": r["predicted"], "observed": r["observed"], "n": r["count"]} for r in rows]


def by_group(
    groups: Sequence[Mapping[str, str]],
    labels: ArrayLike,
    probs: ArrayLike,
    threshold: float,
    *,
    names: Sequence[str] = ("language", "kind", "source"),
) -> dict[str, dict[str, dict[str, Any]]]:
    """Precision, recall and F1 at ``threshold`` per value of each group that the data
    names, with n and positives (PR-AUC where a group holds both classes)."""
    y, p = _arrays(labels, probs)
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for name in names:
        values = [g.get(name) for g in groups]
        if not any(values):
            continue
        table: dict[str, dict[str, Any]] = {}
        for value in sorted({v or "(unknown)" for v in values}):
            mask = np.array([(v or "(unknown)") == value for v in values])
            yy, pp = y[mask], p[mask]
            table[value] = _round(
                {
                    "n": int(mask.sum()),
                    "positives": int(yy.sum()),
                    **_prf(yy, pp >= threshold, np.ones(len(yy))),
                    "pr_auc": _pr_auc(yy, pp, np.ones(len(yy))),
                }
            )
        out[name] = table
    return out
