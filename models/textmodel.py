"""The scikit-learn text model: hashing features, TF-IDF, logistic regression.

The model gives one input to the score (a probability that the wording looks
like the flagged examples it was trained on); the indicator evidence stays the
main, explainable part of the score.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from spacy.tokens import Doc

from nlp.features import TokenHashVectorizer, doc_for_text

CONFIG_PATH = Path(__file__).with_name("config.toml")


def load_config(path: Path | None = None) -> dict[str, Any]:
    with (path or CONFIG_PATH).open("rb") as fh:
        return tomllib.load(fh)


VECTORIZERS = ("token_hash", "sklearn_hashing")


def build_vectorizer(config: dict[str, Any]) -> Any:
    """The feature step named by ``[vectorizer] kind`` in the model config.

    ``token_hash`` (the default): :class:`nlp.features.TokenHashVectorizer`, features from the
    scorer's own spaCy tokens, so scoring tokenizes each listing once. ``sklearn_hashing``:
    scikit-learn's ``HashingVectorizer`` on the raw text (models up to 1.0.0).
    """
    vec = dict(config)
    kind = vec.pop("kind", "token_hash")
    if "ngram_range" in vec:
        vec["ngram_range"] = tuple(vec["ngram_range"])
    if kind == "token_hash":
        return TokenHashVectorizer(**vec)
    if kind == "sklearn_hashing":
        return HashingVectorizer(**vec)
    raise ValueError(f"[vectorizer] kind {kind!r} is unknown: use one of {', '.join(VECTORIZERS)}")


def build_estimator(config: dict[str, Any] | None = None) -> Pipeline:
    cfg = config or load_config()
    return Pipeline(
        [
            ("hashing", build_vectorizer(cfg["vectorizer"])),
            ("tfidf", TfidfTransformer(**cfg.get("tfidf", {}))),
            ("classifier", LogisticRegression(**cfg.get("classifier", {}))),
        ]
    )


_SKLEARN_WORD_PATTERN = r"(?u)\b\w\w+\b"
# The same tokens, written to start with \w (the regex engine scans for it quickly): a word
# character not preceded by one, then one or more word characters up to a word boundary.
_FAST_WORD_RE = re.compile(r"(?u)\w(?<!\w\w)\w+\b")


def _fast_word_ngrams(vectorizer: HashingVectorizer) -> HashingVectorizer | None:
    """The same vectorizer with a faster analyzer giving the same features, when possible.

    scikit-learn's word analyzer builds bigrams with one slice and join per position, and
    its default token pattern starts with ``\b`` (no fast scan). For ``analyzer="word"``, no
    stop words and ``ngram_range`` (1, 1) or (1, 2) this analyzer gives the same tokens, so
    the hashing gives the same matrix, about 30 % faster (tests/unit/models checks the
    probabilities are equal). Any other configuration returns None: the estimator is used
    as it is.
    """
    params = vectorizer.get_params()
    if (
        params["analyzer"] != "word"
        or params["stop_words"] is not None
        or params["input"] != "content"
        or tuple(params["ngram_range"]) not in ((1, 1), (1, 2))
    ):
        return None
    preprocess = vectorizer.build_preprocessor()
    tokenize = vectorizer.build_tokenizer()
    if params["tokenizer"] is None and params["token_pattern"] == _SKLEARN_WORD_PATTERN:
        tokenize = _FAST_WORD_RE.findall
    bigrams = tuple(params["ngram_range"]) == (1, 2)

    def analyze(doc: str) -> list[str]:
        tokens = tokenize(preprocess(doc))
        if bigrams and len(tokens) > 1:
            tokens += [f"{a} {b}" for a, b in itertools.pairwise(tokens)]
        return tokens

    fast = clone(vectorizer)
    fast.set_params(analyzer=analyze)
    return fast


@dataclass(frozen=True)
class _LinearTokenModel:
    """TokenHashVectorizer -> TfidfTransformer -> binary LogisticRegression, computed from
    the feature occurrences directly: the same probabilities as ``predict_proba`` (to
    rounding; tests/unit/models checks it) without building the sparse matrices, sorting
    them twice and validating them in each step (the model's step in the scorer: 19 µs a
    listing instead of 28)."""

    vectorizer: TokenHashVectorizer
    sublinear_tf: bool
    idf: np.ndarray | None
    norm: str | None
    coef: np.ndarray
    intercept: float

    @classmethod
    def of(cls, estimator: Any) -> _LinearTokenModel | None:
        steps = getattr(estimator, "steps", None)
        if not steps or len(steps) != 3:
            return None
        vec, tfidf, clf = (step for _, step in steps)
        if not (
            isinstance(vec, TokenHashVectorizer)
            and type(tfidf) is TfidfTransformer
            and type(clf) is LogisticRegression
        ):
            return None
        coef = getattr(clf, "coef_", None)
        if (
            coef is None
            or coef.shape != (1, int(vec.n_features))
            or len(clf.classes_) != 2
            or tfidf.norm not in ("l2", "l1", None)
        ):
            return None
        idf = tfidf.idf_ if tfidf.use_idf else None
        return cls(
            vec,
            bool(tfidf.sublinear_tf),
            idf,
            tfidf.norm,
            np.ascontiguousarray(coef[0], dtype=np.float64),
            float(clf.intercept_[0]),
        )

    def probabilities(self, docs: Sequence[Any]) -> np.ndarray:
        rows, columns = self.vectorizer.columns(docs)
        n = len(docs)
        logits = np.full(n, self.intercept)
        if len(columns):
            # Count each (row, column) once: sort the pairs, cut where they change. The
            # stable sort (radix or merge) takes about half the time of the default here.
            keys = np.sort(rows * int(self.vectorizer.n_features) + columns, kind="stable")
            starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
            counts = np.diff(np.append(starts, len(keys))).astype(np.float64)
            keys = keys[starts]
            rows, columns = np.divmod(keys, int(self.vectorizer.n_features))
            weights = 1.0 + np.log(counts) if self.sublinear_tf else counts
            if self.idf is not None:
                weights = weights * self.idf[columns]
            dot = np.bincount(rows, weights=weights * self.coef[columns], minlength=n)
            if self.norm is not None:
                size = (
                    np.bincount(rows, weights=weights * weights, minlength=n) ** 0.5
                    if self.norm == "l2"
                    else np.bincount(rows, weights=np.abs(weights), minlength=n)
                )
                dot = np.divide(dot, size, out=np.zeros_like(dot), where=size > 0)
            logits += dot
        return 1.0 / (1.0 + np.exp(-logits))


@dataclass
class TextModel:
    """A fitted estimator with its version; ``probability`` is P(flag-worthy)."""

    estimator: Pipeline
    version: str
    _fast_vectorizer: HashingVectorizer | None = field(
        default=None, init=False, repr=False, compare=False
    )

    _linear: _LinearTokenModel | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        steps = getattr(self.estimator, "steps", None)
        if steps and isinstance(steps[0][1], HashingVectorizer):
            self._fast_vectorizer = _fast_word_ngrams(steps[0][1])
        self._linear = _LinearTokenModel.of(self.estimator)

    @property
    def accepts_docs(self) -> bool:
        """True when :meth:`probabilities` takes the scorer's spaCy docs (no re-tokenizing)."""
        steps = getattr(self.estimator, "steps", None) or []
        return bool(steps) and isinstance(steps[0][1], TokenHashVectorizer)

    def probabilities(self, texts: Sequence[Any]) -> np.ndarray:
        """P(flag-worthy) for each text (or, when :attr:`accepts_docs`, each scorer doc)."""
        if isinstance(texts, str):
            raise TypeError("probabilities() takes a sequence of texts, not one string")
        if not len(texts):
            return np.zeros(0)
        if self._linear is not None:
            return self._linear.probabilities(
                [t if isinstance(t, Doc) else doc_for_text(str(t)) for t in texts]
            )
        if self._fast_vectorizer is not None:
            features = self._fast_vectorizer.transform(list(texts))
            return self.estimator[1:].predict_proba(features)[:, 1]
        return self.estimator.predict_proba(list(texts))[:, 1]


def train(
    texts: Sequence[str], labels: Sequence[int], config: dict[str, Any] | None = None
) -> Pipeline:
    if len(set(labels)) < 2:
        raise ValueError("training needs both flagged (1) and benign (0) examples")
    return build_estimator(config).fit(list(texts), list(labels))
