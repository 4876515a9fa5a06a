"""The scikit-learn text model: hashing features, TF-IDF, logistic regression.

The model gives one input to the score (a probability that the wording looks
like the flagged examples it was trained on); the indicator evidence stays the
main, explainable part of the score.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

CONFIG_PATH = Path(__file__).with_name("config.toml")


def load_config(path: Path | None = None) -> dict[str, Any]:
    with (path or CONFIG_PATH).open("rb") as fh:
        return tomllib.load(fh)


def build_estimator(config: dict[str, Any] | None = None) -> Pipeline:
    cfg = config or load_config()
    vec = dict(cfg["vectorizer"])
    vec["ngram_range"] = tuple(vec["ngram_range"])
    return Pipeline(
        [
            ("hashing", HashingVectorizer(**vec)),
            ("tfidf", TfidfTransformer(**cfg.get("tfidf", {}))),
            ("classifier", LogisticRegression(**cfg.get("classifier", {}))),
        ]
    )


@dataclass
class TextModel:
    """A fitted estimator with its version; ``probability`` is P(flag-worthy)."""

    estimator: Pipeline
    version: str

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros(0)
        return self.estimator.predict_proba(list(texts))[:, 1]


def train(texts: Sequence[str], labels: Sequence[int], config: dict[str, Any] | None = None
          ) -> Pipeline:
    if len(set(labels)) < 2:
        raise ValueError("training needs both flagged (1) and benign (0) examples")
    return build_estimator(config).fit(list(texts), list(labels))
