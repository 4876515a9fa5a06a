"""Evaluating a listing model on labelled data it was not trained on.

:func:`evaluate` scores the data with the model and gives the metrics at the model's stored
threshold (as measured and at a prevalence), the charts' data and the metrics per group.
Given the indicators' own decision on each listing (the scorer without the model), it also
compares how the two combine: indicators alone, the model alone, and "either" (a listing
goes to the queue when the indicators flag it or the model's probability reaches its
threshold), the rule docs/models.md describes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from models.datasets import Dataset
from models.listing_model import ListingModel
from models.metrics import by_group, calibration_bins, pr_points, summary

__all__ = ["evaluate"]


def evaluate(
    model: ListingModel,
    dataset: Dataset,
    *,
    manifest: Mapping[str, Any],
    prevalence: float | None = None,
    groups: Sequence[Mapping[str, str]] | None = None,
    indicator_flags: Sequence[bool] | None = None,
    probabilities: Sequence[float] | None = None,
) -> dict[str, Any]:
    """The evaluation of ``model`` on ``dataset`` (see the module docs). ``groups`` replace
    the examples' own (e.g. with the language and kind the scorer found)."""
    examples = list(dataset.examples)
    y = np.array([e.label for e in examples], dtype=np.int64)
    p = (
        np.asarray(probabilities, dtype=np.float64)
        if probabilities is not None
        else model.probabilities(examples)
    )
    metrics = summary(y, p, model.threshold, prevalence)
    trained = (manifest.get("data") or {}).get("sha256")
    held_out = trained != dataset.sha256
    notes = []
    if not held_out:
        notes.append(
            "This is the data the model was trained on: these figures are not held out and "
            "say nothing about new listings; the cross-validated ones in the manifest do."
        )
    if dataset.duplicates:
        notes.append(f"{dataset.duplicates} duplicate texts were dropped before evaluating.")
    merged = [
        {**dict(e.groups), **(dict(groups[i]) if groups is not None else {})}
        for i, e in enumerate(examples)
    ]
    group_metrics = by_group(merged, y, p, model.threshold)
    single = [
        f"{name} {value!r}"
        for name, table in group_metrics.items()
        for value, g in table.items()
        if g["positives"] in (0, g["n"])
    ]
    if single:
        notes.append(
            "Groups holding one class only (their precision or recall is not informative): "
            + ", ".join(single[:8])
            + (" …" if len(single) > 8 else "")
        )
    ev: dict[str, Any] = {
        "model": {
            "version": model.version,
            "threshold": model.threshold,
            "threshold_rule": (manifest.get("threshold") or {}).get("rule", "?"),
        },
        "data": {"name": dataset.name, "sha256": dataset.sha256, "rows": len(examples)},
        "held_out": held_out,
        "metrics": metrics,
        "groups": group_metrics,
        "charts": {
            "pr": pr_points(y, p),
            "pr_at_prevalence": pr_points(y, p, prevalence) if prevalence else [],
            "calibration": calibration_bins(y, p),
        },
        "notes": notes,
    }
    if indicator_flags is not None:
        ev["combination"] = combination(y, p, model.threshold, indicator_flags, prevalence)
    return ev


def combination(
    y: np.ndarray,
    p: np.ndarray,
    threshold: float,
    indicator_flags: Sequence[bool],
    prevalence: float | None,
) -> dict[str, Any]:
    """Precision, recall and F1 of the indicators alone, the model alone and either."""
    flags = np.asarray(indicator_flags, dtype=bool)
    model = p >= threshold
    out = {}
    for name, decided in (
        ("indicators", flags),
        ("model", model),
        ("either", flags | model),
    ):
        s = summary(y, p, threshold, prevalence, predicted=decided)
        out[name] = {k: s[k] for k in ("precision", "recall", "f1", "confusion")} | (
            {"at_prevalence": s["at_prevalence"]} if "at_prevalence" in s else {}
        )
    return out
