"""Every example sentence of every indicator, through the scorer's own pipeline.

indicator_lists' tests run the examples through the reference matcher; these run
them through what nlp/ actually uses (normalisation, language pipelines with
all languages' phrases, counter filter, span mapping), so the two cannot drift.
"""

from __future__ import annotations

import pytest

from indicator_lists import load_catalogue
from nlp.scorer import Scorer

CATALOGUE = load_catalogue()
SCORER = Scorer(CATALOGUE)
CASES = [
    pytest.param(ind.id, text, positive, id=f"{ind.id}-{lang}-{'pos' if positive else 'neg'}-{i}")
    for ind in CATALOGUE.indicators()
    for lang, examples in sorted(ind.examples.items())
    for positive, texts in ((True, examples.positive), (False, examples.negative))
    for i, text in enumerate(texts)
]


def hit_ids(text: str) -> dict[str, list]:
    a = SCORER.assess("", text)
    return {c.id: list(c.spans) for c in (*a.indicators, *a.suppressed, *a.counter)}


@pytest.mark.parametrize(("indicator_id", "text", "positive"), CASES)
def test_example_through_scorer_pipeline(indicator_id: str, text: str, positive: bool) -> None:
    hits = hit_ids(text)
    if positive:
        assert indicator_id in hits, f"{text!r} should hit {indicator_id}; got {sorted(hits)}"
        for span in hits[indicator_id]:
            assert text[span.start:span.end] == span.text
    else:
        assert indicator_id not in hits, f"{text!r} must not hit {indicator_id}"
