"""TextModel's fast paths give the estimator's own probabilities: the faster word analyzer
(scikit-learn hashing models, up to 1.0.0) exactly, the direct linear computation (token-hash
models, from 1.1.0) to rounding."""

from __future__ import annotations

import re

import numpy as np
from budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from models.textmodel import (
    _FAST_WORD_RE,
    _SKLEARN_WORD_PATTERN,
    TextModel,
    load_config,
    train,
)

TEXTS = [
    "pay a fee for your visa and we keep your passport",
    "nurse job in Odense hospital",
    "recruitment fee and flight arranged, passport kept",
    "cook wanted, contract and pension",
    "Rengøringsassistent søges, løn 180 kr. i timen",
    "Търсим камериерки за хотел",
]
LABELS = [1, 0, 1, 0, 0, 0]
# Models up to 1.0.0: scikit-learn's HashingVectorizer on the raw text.
SKLEARN_CONFIG = {
    **load_config(),
    "vectorizer": {
        "kind": "sklearn_hashing",
        "analyzer": "word",
        "ngram_range": [1, 2],
        "n_features": 65536,
        "lowercase": True,
        "alternate_sign": False,
        "norm": "l2",
    },
}
words = st.lists(
    st.sampled_from(
        [
            "fee",
            "passport",
            "nurse",
            "a",
            "I",
            "ÆØÅ",
            "søges",
            "_x",
            "x_y",
            "12",
            "hotel's",
            "Търсим",
            " ",
            "  ",
            "\n",
            ",",
            ".",
            "-",
            "é",
        ]
    ),
    max_size=40,
).map(" ".join)


@settings(max_examples=examples(300), deadline=None)
@given(words | st.text(max_size=200))
def test_fast_tokens_are_the_default_tokens(text):
    assert _FAST_WORD_RE.findall(text) == re.findall(_SKLEARN_WORD_PATTERN, text)


@settings(max_examples=examples(50), deadline=None)
@given(st.lists(words | st.text(max_size=120), min_size=1, max_size=20))
def test_fast_probabilities_equal_the_estimators(texts):
    model = TextModel(train(TEXTS, LABELS, SKLEARN_CONFIG), "test")
    assert model._fast_vectorizer is not None
    assert np.array_equal(model.probabilities(texts), model.estimator.predict_proba(texts)[:, 1])


# Models from 1.1.0: hashed spaCy tokens, TF-IDF, logistic regression, computed directly.
@settings(max_examples=examples(40), deadline=None)
@given(
    st.lists(words | st.text(max_size=120), min_size=1, max_size=20),
    st.sampled_from(
        [{}, {"sublinear_tf": False}, {"norm": "l1"}, {"norm": None}, {"use_idf": False}]
    ),
)
def test_linear_probabilities_equal_the_estimators(texts, tfidf):
    from nlp.features import doc_for_text

    config = {**load_config(), "tfidf": {**load_config().get("tfidf", {}), **tfidf}}
    model = TextModel(train(TEXTS, LABELS, config), "test")
    assert model._linear is not None
    docs = [doc_for_text(t) for t in texts]
    expected = model.estimator.predict_proba(docs)[:, 1]
    assert np.allclose(model.probabilities(docs), expected, rtol=1e-12, atol=1e-15)
    assert np.array_equal(model.probabilities(texts), model.probabilities(docs))


def test_linear_path_only_for_the_plain_token_hash_pipeline():
    from sklearn.calibration import CalibratedClassifierCV

    estimator = train(TEXTS, LABELS)
    assert TextModel(estimator, "test")._linear is not None
    assert TextModel(train(TEXTS, LABELS, SKLEARN_CONFIG), "test")._linear is None
    estimator.steps[2] = (
        "classifier",
        CalibratedClassifierCV(cv=2).fit(estimator[:2].transform(TEXTS * 2), LABELS * 2),
    )
    model = TextModel(estimator, "test")
    assert model._linear is None  # any other classifier: scikit-learn computes it
    assert model.probabilities(TEXTS).shape == (len(TEXTS),)
