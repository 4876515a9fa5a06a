"""The listing model: a scikit-learn Pipeline over a listing's text and structured fields.

Feature groups (each switched on in ``models/config.toml``, ``[listing] features``):

- ``word``: TF-IDF of word n-grams (1-3 in the default config; sublinear tf);
- ``char``: TF-IDF of character 2-5 grams inside word boundaries (``char_wb``): spelling,
  morphology and the masked contact tokens (``#EMAIL_...#``) whatever the language;
- ``title``: TF-IDF of the title's words on their own (the text's first paragraph);
- ``fields``: the structured fields (flags, categories one-hot with rare values pooled,
  whether a salary and a company profile are given), when the data has them.

They are joined by a ``ColumnTransformer``, optionally scaled by each feature's
naive-Bayes log-count ratio (``[listing.log_ratio]``, :class:`LogCountRatio`: the NB-SVM of
Wang & Manning, 2012) and fed to a linear model (logistic regression or a linear SVM),
calibrated to a probability (``CalibratedClassifierCV``, Platt's sigmoid, fitted on
cross-validated predictions). Text is compared lower-cased with whitespace
collapsed (:func:`normalise`), so line breaks and double spaces, which differ between the
sources a dataset was collected from, are not features.

The input of the pipeline is an object array: column 0 the text, then one column per
structured field (:data:`FIELD_COLUMNS`); :func:`rows` builds it from examples or texts.
The scorer gives texts only, so the fields are then empty.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder
from sklearn.svm import LinearSVC

from models.datasets import CATEGORY_FIELDS, FLAG_FIELDS, Example
from models.errors import ModelError

__all__ = [
    "FEATURE_GROUPS",
    "FIELD_COLUMNS",
    "ListingModel",
    "LogCountRatio",
    "build_listing_pipeline",
    "normalise",
    "rows",
]

MODEL_KIND = "listing.v1"
DEFAULT_PATTERN = "wording like the flag-worthy listings it was trained on"
CONFIG_PATH = Path(__file__).with_name("config.toml")
FEATURE_GROUPS = ("word", "char", "title", "fields")
# Structured columns after the text: flags, categories, then two presence flags.
FIELD_COLUMNS = (*FLAG_FIELDS, *CATEGORY_FIELDS, "salary_range", "company_profile")
_FLAGS = list(range(1, 1 + len(FLAG_FIELDS)))
_CATEGORIES = list(range(1 + len(FLAG_FIELDS), 1 + len(FLAG_FIELDS) + len(CATEGORY_FIELDS)))
_PRESENCE = [1 + len(FLAG_FIELDS) + len(CATEGORY_FIELDS) + i for i in range(2)]


def is_probability(value: Any) -> bool:
    """A number in (0, 1]: a model threshold such as ``raises_alone_at``."""
    return not isinstance(value, bool) and isinstance(value, int | float) and 0 < value <= 1


def load_config(path: Path | None = None) -> dict[str, Any]:
    """The model config (``models/config.toml`` unless ``path``)."""
    with (path or CONFIG_PATH).open("rb") as fh:
        return tomllib.load(fh)


def normalise(text: str) -> str:
    """The text as the features see it: lower case, whitespace collapsed."""
    return " ".join(str(text).lower().split())


def title_of(text: str) -> str:
    """The title of a listing's text (title, blank line, body), normalised; empty without."""
    head, sep, _body = str(text).partition("\n\n")
    return normalise(head) if sep else ""


def _flags(x: np.ndarray) -> np.ndarray:
    """1/0 flags (anything but "1"/"true" is 0; an empty value is unknown, 0)."""
    return np.vectorize(lambda v: float(str(v).strip().lower() in ("1", "true")), otypes=[float])(
        x
    ).reshape(len(x), -1)


def _present(x: np.ndarray) -> np.ndarray:
    return np.vectorize(lambda v: float(bool(str(v).strip())), otypes=[float])(x).reshape(
        len(x), -1
    )


def _categories(x: np.ndarray) -> np.ndarray:
    return np.vectorize(lambda v: str(v).strip().lower() or "(empty)", otypes=[object])(x).reshape(
        len(x), -1
    )


def rows(items: Sequence[Example] | Sequence[str]) -> np.ndarray:
    """The pipeline's input: text, then :data:`FIELD_COLUMNS` (empty when not given)."""
    out = np.empty((len(items), 1 + len(FIELD_COLUMNS)), dtype=object)
    out[:] = ""
    for i, item in enumerate(items):
        if isinstance(item, Example):
            out[i, 0] = item.text
            fields: Mapping[str, str] = item.fields
            for j, name in enumerate(FIELD_COLUMNS, start=1):
                out[i, j] = fields.get(name, "") or ""
        else:
            out[i, 0] = str(item)
    return out


def _tfidf(params: Mapping[str, Any], preprocessor: Any = normalise) -> TfidfVectorizer:
    p = dict(params)
    if "ngram_range" in p:
        p["ngram_range"] = tuple(p["ngram_range"])
    return TfidfVectorizer(preprocessor=preprocessor, dtype=np.float32, **p)


class LogCountRatio(TransformerMixin, BaseEstimator):
    """Scales each feature by its naive-Bayes log-count ratio ``r = log((p / |p|) / (q / |q|))``,
    ``p`` (``q``) the number of positive (negative) training rows that have the feature plus
    ``alpha``: a term seen mostly in flag-worthy listings weighs more, one seen in both
    about nothing. A linear model on the scaled features is the NB-SVM (Wang & Manning,
    ACL 2012); the ratios are fitted on the training rows only, like the vocabulary."""

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = alpha

    def fit(self, x: Any, y: Any) -> LogCountRatio:
        if self.alpha <= 0:
            raise ModelError(f"[listing.log_ratio] alpha {self.alpha!r} must be above 0, e.g. 1.0")
        present = sp.csr_matrix(x) > 0
        labels = np.asarray(y)
        positive = labels == np.unique(labels)[-1]
        p = self.alpha + np.asarray(present[positive].sum(axis=0), dtype=np.float64).ravel()
        q = self.alpha + np.asarray(present[~positive].sum(axis=0), dtype=np.float64).ravel()
        self.ratio_ = np.log((p / p.sum()) / (q / q.sum())).astype(np.float32)
        self.n_features_in_ = present.shape[1]
        return self

    def transform(self, x: Any) -> sp.csr_matrix:
        return sp.csr_matrix(sp.csr_matrix(x).multiply(self.ratio_), dtype=np.float32)


def _classifier(params: Mapping[str, Any]) -> Any:
    p = dict(params)
    kind = p.pop("kind", "logistic")
    if kind == "logistic":
        return LogisticRegression(**p)
    if kind == "linear_svm":
        return LinearSVC(**p)
    raise ModelError(
        f"[listing.classifier] kind {kind!r} is unknown: use 'logistic' or 'linear_svm'"
    )


def build_listing_pipeline(config: Mapping[str, Any]) -> Pipeline:
    """The unfitted pipeline of the ``[listing]`` section of the model config."""
    features = list(config.get("features", ["word", "char"]))
    unknown = [f for f in features if f not in FEATURE_GROUPS]
    if unknown or not features:
        raise ModelError(
            f"[listing] features {features!r}: use one or more of {', '.join(FEATURE_GROUPS)}"
        )
    parts: list[tuple[str, Any, Any]] = []
    if "word" in features:
        parts.append(("word", _tfidf(config.get("word", {})), 0))
    if "char" in features:
        parts.append(("char", _tfidf(config.get("char", {})), 0))
    if "title" in features:
        parts.append(("title", _tfidf(config.get("title", {}), title_of), 0))
    if "fields" in features:
        min_frequency = int(config.get("fields", {}).get("min_frequency", 5))
        parts.append(("flags", FunctionTransformer(_flags), _FLAGS))
        parts.append(("present", FunctionTransformer(_present), _PRESENCE))
        parts.append(
            (
                "categories",
                Pipeline(
                    [
                        ("clean", FunctionTransformer(_categories)),
                        (
                            "onehot",
                            OneHotEncoder(
                                handle_unknown="infrequent_if_exist",
                                min_frequency=min_frequency,
                            ),
                        ),
                    ]
                ),
                _CATEGORIES,
            )
        )
    classifier = _classifier(config.get("classifier", {}))
    if "log_ratio" in config:
        # Inside the calibrated estimator: the ratios use the labels, so each calibration
        # fold fits its own on the rows it trains on, and its held-out rows stay unseen.
        alpha = float(config["log_ratio"].get("alpha", 1.0))
        classifier = Pipeline([("log_ratio", LogCountRatio(alpha)), ("classifier", classifier)])
    calibration = dict(config.get("calibration", {}))
    model = CalibratedClassifierCV(
        classifier,
        method=calibration.get("method", "sigmoid"),
        cv=int(calibration.get("cv", 5)),
        ensemble=False,
    )
    return Pipeline(
        [("features", ColumnTransformer(parts, sparse_threshold=1.0)), ("model", model)]
    )


def slim(pipeline: Pipeline) -> Pipeline:
    """Drop what a fitted pipeline keeps only for inspection (the terms TF-IDF pruned) and
    the memory address scikit-learn caches (it would make each artefact's bytes differ)."""
    features = pipeline.named_steps["features"]
    for _name, step, _cols in getattr(features, "transformers_", []):
        for attribute in ("stop_words_", "_stop_words_id"):
            if isinstance(step, TfidfVectorizer) and hasattr(step, attribute):
                delattr(step, attribute)
    return pipeline


@dataclass
class ListingModel:
    """A fitted listing pipeline with its version and its stored decision threshold.

    ``probability`` is the calibrated P(flag-worthy); ``threshold`` is where the model says
    "flag-worthy" on its own (chosen on validation data when it was trained, see
    :mod:`models.training`)."""

    pipeline: Pipeline
    version: str
    threshold: float
    # What a probability above the threshold means, in the analyst's words (the scorer's
    # explanation: "text model: <pattern>, probability 0.93").
    pattern: str = DEFAULT_PATTERN
    # Its domain: the languages and kinds of listing it was trained on; the scorer lets it
    # raise a listing only there (empty: any). Out of it, it is shown, never counted.
    languages: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    # True: a second opinion, asked only where the indicators found some evidence (the
    # manifest's "raises": "with_evidence"); False: it may raise a listing on its own.
    needs_evidence: bool = False
    trained_on: str = ""  # the training data's name (the manifest's data.name)
    # A second opinion may also raise a listing with no evidence at all, at or above this
    # probability (the manifest's "raises_alone_at"; None: never). Chosen out of fold and on
    # real ordinary listings (docs/models.md, "Without evidence").
    alone_threshold: float | None = None

    def probabilities(self, texts: Sequence[Any]) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("probabilities() takes a sequence of texts, not one string")
        if not len(texts):
            return np.zeros(0)
        items = texts if isinstance(texts[0], Example) else [str(t) for t in texts]
        return np.asarray(self.pipeline.predict_proba(rows(items))[:, 1], dtype=np.float64)
