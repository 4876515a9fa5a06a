"""Out-of-fold judgement of the development split: no listing is judged by a model that
was trained on it, every listing is judged once, and the answers come back in order."""

from __future__ import annotations

from typing import Any

import pytest

from models.corpus_cv import corpus_dataset, out_of_fold
from models.errors import ModelError
from models.listing_model import ListingModel

CONFIG = {
    "features": ["word"],
    "cv_folds": 3,
    "word": {"analyzer": "word", "ngram_range": [1, 1], "min_df": 1},
    "classifier": {"kind": "logistic", "C": 1.0, "max_iter": 1000},
    "calibration": {"method": "sigmoid", "cv": 2},
}


def _rows(n: int = 24) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        positive = i % 2 == 0
        words = "pay the fee first passport kept" if positive else "fair contract no fees"
        rows.append(
            {
                "id": f"en-{i}",
                "language": "en",
                "kind": "job",
                "title": f"Job {i}",
                # a word no other listing has: the listing's own mark in a vocabulary
                "text": f"{words} mark{i}x",
                "label": "positive" if positive else "negative",
            }
        )
    return rows


def _vocabulary(model: ListingModel) -> set[str]:
    features = model.pipeline.named_steps["features"]
    steps = [step for _n, step, _c in features.transformers_ if hasattr(step, "vocabulary_")]
    return {word for step in steps for word in step.vocabulary_}


def test_each_listing_is_judged_once_by_a_model_that_never_saw_it() -> None:
    rows = _rows()
    seen_by: dict[str, set[str]] = {}
    models: list[ListingModel] = []

    def assess_with(model: ListingModel):
        models.append(model)
        vocabulary = _vocabulary(model)

        def assess(listings):
            out = []
            for title, _text in listings:
                seen_by[title] = vocabulary
                out.append((title, model.version))
            return out

        return assess

    results = out_of_fold(rows, CONFIG, assess_with, seed=1)
    assert [title for title, _v in results] == [r["title"] for r in rows]  # in row order
    assert len(models) == 3 and all(m.needs_evidence for m in models)
    # each raises only in the languages and kinds it learnt from, as a shipped one does
    assert {(m.languages, m.kinds) for m in models} == {(("en",), ("job",))}
    for row in rows:
        vocabulary = seen_by[row["title"]]
        mark = row["text"].split()[-1]
        assert mark not in vocabulary  # its own model never saw it
        assert "passport" in vocabulary  # and did learn from the others
    # every other listing's mark is in some fold's model: the folds cover the split
    marks = {r["text"].split()[-1] for r in rows}
    assert marks <= set().union(*(_vocabulary(m) for m in models))


def test_too_few_listings_of_a_label_is_refused() -> None:
    rows = _rows(4)
    with pytest.raises(ModelError, match="at least 3 listings of each label"):
        out_of_fold(rows, CONFIG, lambda m: lambda listings: [], seed=0)


def test_the_corpus_dataset_keeps_title_text_and_label() -> None:
    ds = corpus_dataset("dev", _rows(4))
    first = ds.examples[0]
    assert first.text == "Job 0\n\npay the fee first passport kept mark0x"
    assert first.label == 1 and first.title == "Job 0"
    assert first.groups["language"] == "en"
