"""The indicators and a second-opinion model, judged out of fold on the development split.

A corpus model is trained on the whole development split (``thbscan model train --dataset
corpus``), so the split's figures with it are not held out. :func:`out_of_fold` gives each
listing of the split a model that never saw it: the split is cut into ``k`` folds
(stratified by label; listings with the same body stay in one fold; seeded), each fold's
model is trained with the given config on the other folds (its threshold chosen by its own
inner cross-validation, :mod:`models.training`), and the fold is scored by the indicators
with that model as a second opinion. ``thbscan indicators evaluate --split dev
--cross-validate CONFIG`` reports on those assessments as on any other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from models.datasets import Dataset, Example, from_examples
from models.errors import ModelError
from models.listing_model import ListingModel
from models.training import grouped_folds, train_listing_model

__all__ = ["CORPUS_PATTERN", "corpus_dataset", "out_of_fold", "second_opinion"]

CORPUS_PATTERN = "wording like the exploitation listings of the development corpus"
Assess = Callable[[Sequence[tuple[str, str]]], Iterable[Any]]


def _example(row: Mapping[str, Any]) -> Example:
    title = str(row.get("title") or "")
    return Example(
        str(row["id"]),
        f"{title}\n\n{row['text']}" if title else str(row["text"]),
        int(row["label"] == "positive"),
        {},
        {"language": row["language"], "kind": row["kind"], "source": "corpus:dev"},
        title,
    )


def corpus_dataset(name: str, rows: Iterable[Mapping[str, Any]]) -> Dataset:
    """Corpus listings (``indicator_lists/evaluation``) as labelled training data."""
    return from_examples(name, (_example(r) for r in rows))


def second_opinion(
    dataset: Dataset,
    config: Mapping[str, Any],
    version: str,
    *,
    alone_threshold: float | None = None,
) -> ListingModel:
    """A corpus model trained on ``dataset`` (its threshold chosen by its own
    cross-validation) that raises listings where the indicators found evidence, and, at
    ``alone_threshold`` or more, where they found none; only in the languages and kinds of
    its training rows, as `thbscan model train` stores a corpus model."""
    trained = train_listing_model(dataset, config)
    return ListingModel(
        trained.pipeline,
        version,
        trained.threshold,
        CORPUS_PATTERN,
        tuple(dataset.values_of("language")),
        tuple(dataset.values_of("kind")),
        needs_evidence=True,
        alone_threshold=alone_threshold,
    )


def out_of_fold(
    rows: list[dict[str, Any]],
    config: Mapping[str, Any],
    assess_with: Callable[[ListingModel], Assess],
    *,
    seed: int = 0,
    alone_threshold: float | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[Any]:
    """The assessment of each row (in order) by the indicators with a model trained on the
    other folds; ``assess_with(model)`` is the scorer's ``assess_many`` with that model."""
    examples = [_example(r) for r in rows]
    positives = sum(e.label for e in examples)
    k = int(config.get("cv_folds", 5))
    if min(positives, len(examples) - positives) < k:
        raise ModelError(f"cross-validation needs at least {k} listings of each label")
    results: list[Any] = [None] * len(rows)
    for i, (train_idx, test_idx) in enumerate(grouped_folds(examples, k, seed)):
        if progress:
            progress(f"fold {i + 1} of {k}: training on {len(train_idx)} listings")
        fold = from_examples(f"fold {i + 1}", (examples[j] for j in train_idx))
        model = second_opinion(fold, config, f"cv-fold-{i + 1}", alone_threshold=alone_threshold)
        held_out = [(rows[j].get("title") or "", rows[j].get("text") or "") for j in test_idx]
        for j, assessment in zip(test_idx, assess_with(model)(held_out), strict=True):
            results[j] = assessment
    return results
