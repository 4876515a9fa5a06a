"""Token-hash features: the batch arithmetic equals a plain per-token count, and the scorer's
docs give the same features (and model probabilities) as the texts they came from."""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import pytest
from budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.features import TokenHashVectorizer, doc_for_text
from nlp.pipeline import make_doc

WORDS = [
    "fee",
    "passport",
    "nurse",
    "a",
    "I",
    "ÆØÅ",
    "søges",
    "12",
    "hotel's",
    "Търсим",
    "\n",
    ",",
    ".",
    "-",
    "é",
    "WhatsApp",
    "w h a t s a p p",
    "+45 20 55 12 34",
    "y0ung",
]
texts_strategy = st.lists(
    st.lists(st.sampled_from(WORDS), max_size=30).map(" ".join) | st.text(max_size=80),
    min_size=1,
    max_size=12,
)


def _reference_counts(text: str, n_features: int, bigrams: bool) -> Counter:
    """Each token's LOWER hash (and each adjacent pair's), counted one by one."""
    doc = doc_for_text(text)
    hashes = [t.lower for t in doc]
    counts = Counter(h % n_features for h in hashes)
    if bigrams:
        mask = (1 << 64) - 1
        for a, b in itertools.pairwise(hashes):
            counts[((a * 0x9E3779B97F4A7C15 + b) & mask) % n_features] += 1
    return counts


@settings(max_examples=examples(60), deadline=None)
@given(texts_strategy, st.sampled_from([(1, 1), (1, 2)]), st.sampled_from([97, 2**18]))
def test_matrix_equals_a_plain_count(texts, ngram_range, n_features):
    matrix = TokenHashVectorizer(n_features=n_features, ngram_range=ngram_range).transform(texts)
    assert matrix.shape == (len(texts), n_features)
    for row, text in enumerate(texts):
        expected = _reference_counts(text, n_features, ngram_range == (1, 2))
        got = matrix.getrow(row)
        assert dict(zip(got.indices.tolist(), got.data.tolist(), strict=True)) == {
            k: float(v) for k, v in expected.items() if v
        }


def test_empty_input_and_empty_texts():
    vec = TokenHashVectorizer(n_features=64)
    assert vec.transform([]).shape == (0, 64)
    matrix = vec.transform(["", "", "fee"])
    assert matrix.shape == (3, 64)
    assert matrix.getrow(0).nnz == 0 and matrix.getrow(2).nnz == 1


@pytest.mark.parametrize("bad", [{"ngram_range": (2, 3)}, {"n_features": 0}])
def test_bad_parameters_are_named(bad):
    with pytest.raises(ValueError, match=r"ngram_range|n_features"):
        TokenHashVectorizer(**bad).fit(["x"])


def test_scorer_docs_give_the_texts_features_and_probabilities():
    """The scorer passes its own docs to a token-hash model: same numbers as from text."""
    from fixture_site import generate_listings
    from indicator_lists import load_catalogue
    from models import ModelRegistry
    from nlp.scorer import Scorer

    scorer = Scorer(load_catalogue(), ModelRegistry().load("1.2.0"))  # a token-hash model
    listings = generate_listings()[:120]
    texts = [f"{x.title}\n\n{x.text}" for x in listings]
    docs = [make_doc(scorer.nlp, x.title, x.text) for x in listings]
    vec = TokenHashVectorizer()
    assert (vec.transform(docs) != vec.transform(texts)).nnz == 0
    model = scorer.model
    assert model is not None and model.accepts_docs
    assert np.array_equal(model.probabilities(docs), model.probabilities(texts))
