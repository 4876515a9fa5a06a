"""TextModel's faster word analyzer (for scikit-learn hashing models, up to 1.0.0) gives
exactly the estimator's own probabilities."""

from __future__ import annotations

import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from models.textmodel import (
    _FAST_WORD_RE,
    _SKLEARN_WORD_PATTERN,
    TextModel,
    load_config,
    train,
)

TEXTS = ["pay a fee for your visa and we keep your passport", "nurse job in Odense hospital",
         "recruitment fee and flight arranged, passport kept", "cook wanted, contract and pension",
         "Rengøringsassistent søges, løn 180 kr. i timen", "Търсим камериерки за хотел"]
LABELS = [1, 0, 1, 0, 0, 0]
# Models up to 1.0.0: scikit-learn's HashingVectorizer on the raw text.
SKLEARN_CONFIG = {**load_config(), "vectorizer": {
    "kind": "sklearn_hashing", "analyzer": "word", "ngram_range": [1, 2], "n_features": 65536,
    "lowercase": True, "alternate_sign": False, "norm": "l2"}}
words = st.lists(
    st.sampled_from(["fee", "passport", "nurse", "a", "I", "ÆØÅ", "søges", "_x", "x_y", "12",
                     "hotel's", "Търсим", " ", "  ", "\n", ",", ".", "-", "é"]),
    max_size=40,
).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(words | st.text(max_size=200))
def test_fast_tokens_are_the_default_tokens(text):
    assert _FAST_WORD_RE.findall(text) == re.findall(_SKLEARN_WORD_PATTERN, text)


@settings(max_examples=50, deadline=None)
@given(st.lists(words | st.text(max_size=120), min_size=1, max_size=20))
def test_fast_probabilities_equal_the_estimators(texts):
    model = TextModel(train(TEXTS, LABELS, SKLEARN_CONFIG), "test")
    assert model._fast_vectorizer is not None
    assert np.array_equal(model.probabilities(texts),
                          model.estimator.predict_proba(texts)[:, 1])
