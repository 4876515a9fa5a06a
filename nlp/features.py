"""Text-model features from the scorer's own tokens: hashed word unigrams and bigrams.

The scorer tokenizes every listing once (spaCy, with the reference matcher's tokenizer, on
the normalised text).
:class:`TokenHashVectorizer` turns those tokens into a sparse count matrix without a second
tokenization: each token's ``LOWER`` attribute is already a 64-bit hash (spaCy's string
store), so unigram features are ``hash % n_features`` and bigram features hash the pair of
hashes. All of it is NumPy arithmetic over the whole batch, a few microseconds per listing
(a scikit-learn ``HashingVectorizer`` re-tokenizes with a regex and hashes each n-gram
string in Python, about 60 µs per listing here).

Training and scoring see the same features: given strings, :meth:`transform` builds the docs
the way the scorer does (:func:`doc_for_text`: the scorer's tokenizer,
:mod:`nlp.tokenizer`); given docs, it uses them as they are. Every token counts,
punctuation and line breaks included (scikit-learn's default pattern drops them; filtering
costs more here than the few extra features, which TF-IDF weighs down anyway).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from spacy.attrs import LOWER
from spacy.tokens import Doc

__all__ = ["TokenHashVectorizer", "doc_for_text"]

_BIGRAM_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # odd: mixes the first token's hash
_NLP: Any = None
_NLP_LOCK = threading.Lock()


def doc_for_text(text: str) -> Doc:
    """The doc the scorer would make of ``text``: normalised and tokenized by the matcher."""
    global _NLP
    if _NLP is None:
        import spacy

        import nlp.tokenizer  # noqa: F401 (registers thbscan.tokenizer.v1)

        with _NLP_LOCK:
            if _NLP is None:
                _NLP = spacy.blank(
                    "xx", config={"nlp": {"tokenizer": {"@tokenizers": "thbscan.tokenizer.v1"}}}
                )
    return _NLP.make_doc(text)


class TokenHashVectorizer(TransformerMixin, BaseEstimator):
    """Hashed unigram (and, with ``ngram_range=(1, 2)``, bigram) counts of spaCy tokens.

    Stateless: ``fit`` learns nothing. Input items are spaCy ``Doc`` objects or strings.
    """

    def __init__(self, n_features: int = 2**18, ngram_range: tuple[int, int] = (1, 2)):
        self.n_features = n_features
        self.ngram_range = ngram_range

    def fit(self, X: Iterable[Any], y: Any = None) -> TokenHashVectorizer:
        self._check_params()
        return self

    def _check_params(self) -> None:
        if tuple(self.ngram_range) not in ((1, 1), (1, 2)):
            raise ValueError(
                f"ngram_range {self.ngram_range!r} is not supported: use [1, 1] or [1, 2]"
            )
        if not 1 <= int(self.n_features) <= 2**31 - 1:
            raise ValueError(f"n_features {self.n_features!r} must be in 1..2**31-1")

    def transform(self, X: Sequence[Any]) -> sp.csr_matrix:
        docs = [x if isinstance(x, Doc) else doc_for_text(str(x)) for x in X]
        shape = (len(docs), int(self.n_features))
        rows, columns = self.columns(docs)
        data = np.ones(len(columns), dtype=np.float64)
        matrix = sp.csr_matrix((data, (rows, columns)), shape=shape)
        matrix.sum_duplicates()
        return matrix

    def columns(self, docs: Sequence[Doc]) -> tuple[np.ndarray, np.ndarray]:
        """Row and column of every feature occurrence (one per token, one per adjacent
        pair), repeats included: the count matrix without building it."""
        self._check_params()
        arrays = [doc.to_array(LOWER) for doc in docs if len(doc)]
        if not arrays:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        lengths = np.fromiter((len(doc) for doc in docs), dtype=np.int64, count=len(docs))
        n = np.uint64(int(self.n_features))
        tokens = np.concatenate(arrays)
        doc_ids = np.arange(len(docs), dtype=np.int64)
        rows = [np.repeat(doc_ids, lengths)]
        columns = [(tokens % n).astype(np.int64)]
        if tuple(self.ngram_range) == (1, 2) and len(tokens) > 1:
            pairs = tokens[:-1] * _BIGRAM_MULTIPLIER + tokens[1:]
            keep = rows[0][:-1] == rows[0][1:]  # no bigram across two listings
            rows.append(rows[0][:-1][keep])
            columns.append((pairs[keep] % n).astype(np.int64))
        return np.concatenate(rows), np.concatenate(columns)
