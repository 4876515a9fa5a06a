"""Training the listing model honestly: cross-validation, a threshold chosen by a stated
rule, and figures only from predictions on rows a model did not see.

1. The data is deduplicated by text before anything else (:mod:`models.datasets`), and
   rows whose body (the text without its title) is the same are kept in one fold
   (``StratifiedGroupKFold``): an ad reposted under another title never sits on both sides.
2. ``k``-fold cross-validation gives every row an out-of-fold probability, from a model
   fitted without it (vocabulary included).
3. Threshold rule (``max_f1_oof``): the threshold with the highest F1 on the out-of-fold
   probabilities, with negatives reweighted to the stated prevalence when one is given.
   The final model is fitted on all rows and stored with that threshold.
4. The cross-validated F1 is not measured at that threshold (it was chosen on the same
   predictions): each fold's rows are classified at the threshold chosen on the other
   folds' out-of-fold probabilities, and precision, recall and F1 are computed over the
   pooled decisions. PR-AUC, ROC-AUC and the Brier score need no threshold.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import Pipeline

from models.datasets import Dataset, Example, dedup_key
from models.errors import ModelError
from models.listing_model import build_listing_pipeline, rows, slim
from models.metrics import best_threshold, summary

__all__ = [
    "THRESHOLD_RULE",
    "TrainedModel",
    "cross_validate",
    "grouped_folds",
    "train_listing_model",
]

THRESHOLD_RULE = "max_f1_oof"
Progress = Callable[[str], None]


@dataclass
class TrainedModel:
    pipeline: Pipeline
    threshold: float
    threshold_rule: str
    prevalence: float | None
    cv: dict[str, Any]
    seconds: float
    oof: np.ndarray = field(repr=False)


def grouped_folds(
    examples: Sequence[Example], k: int, seed: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """``k`` folds (train, held-out row indices), stratified by label and seeded; rows with
    the same body (the text after the title) stay in one fold, so an ad reposted under
    another title never sits on both sides."""
    y = np.array([e.label for e in examples])
    groups = [dedup_key(e.text.split("\n\n", 1)[-1]) for e in examples]
    splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    yield from splitter.split(np.zeros(len(y)), y, groups)


def cross_validate(
    dataset: Dataset,
    config: Mapping[str, Any],
    *,
    prevalence: float | None = None,
    progress: Progress | None = None,
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Out-of-fold probabilities, each row's fold, and the cross-validated metrics."""
    examples = list(dataset.examples)
    y = np.array([e.label for e in examples])
    folds_wanted = int(config.get("cv_folds", 5))
    smaller = int(min(y.sum(), len(y) - y.sum()))
    if smaller < 2:
        raise ModelError(
            f"{dataset.name}: {int(y.sum())} positive and {int(len(y) - y.sum())} negative "
            "rows; training needs at least 2 of each"
        )
    k = max(2, min(folds_wanted, smaller))
    x = rows(examples)
    oof = np.zeros(len(y))
    fold_of = np.zeros(len(y), dtype=int)
    base = build_listing_pipeline(config)
    folds = grouped_folds(examples, k, int(config.get("random_state", 0)))
    for i, (train_idx, test_idx) in enumerate(folds):
        if progress:
            progress(f"cross-validation: fold {i + 1} of {k} ({len(test_idx)} rows held out)")
        if len(set(y[train_idx].tolist())) < 2:
            raise ModelError(f"{dataset.name}: a fold has one class only; give more rows")
        fitted = clone(base).fit(x[train_idx], y[train_idx])
        oof[test_idx] = fitted.predict_proba(x[test_idx])[:, 1]
        fold_of[test_idx] = i
    # F1 at thresholds each chosen without the fold's rows (see the module docs).
    predicted = np.zeros(len(y), dtype=bool)
    for i in range(k):
        mask = fold_of == i
        others = ~mask
        if len(set(y[others].tolist())) < 2:
            t = 0.5
        else:
            t = best_threshold(y[others], oof[others], prevalence)
        predicted[mask] = oof[mask] >= t
    threshold = best_threshold(y, oof, prevalence)
    metrics = summary(y, oof, threshold, prevalence, predicted=predicted)
    metrics["folds"] = k
    metrics["threshold_note"] = (
        "precision, recall and f1: each fold at the threshold chosen on the other folds' "
        "out-of-fold probabilities"
    )
    return oof, fold_of, metrics


def train_listing_model(
    dataset: Dataset,
    config: Mapping[str, Any],
    *,
    prevalence: float | None = None,
    progress: Progress | None = None,
    cross_validation: bool = True,
) -> TrainedModel:
    """Cross-validate, choose the threshold, fit the final model on every row."""
    start = time.perf_counter()
    examples = list(dataset.examples)
    y = np.array([e.label for e in examples])
    if len(set(y.tolist())) < 2:
        raise ModelError(
            f"{dataset.name}: every row has label {int(y[0]) if len(y) else '?'}; training "
            "needs both flag-worthy (1) and other (0) listings"
        )
    if cross_validation:
        oof, _folds, cv = cross_validate(dataset, config, prevalence=prevalence, progress=progress)
        threshold = best_threshold(y, oof, prevalence)
    else:
        oof, cv, threshold = np.zeros(0), {}, 0.5
    if progress:
        progress(f"fitting the final model on {len(examples)} rows")
    pipeline = slim(build_listing_pipeline(config).fit(rows(examples), y))
    return TrainedModel(
        pipeline,
        float(threshold),
        THRESHOLD_RULE if cross_validation else "fixed_0.5_no_validation",
        prevalence,
        cv,
        time.perf_counter() - start,
        oof,
    )
