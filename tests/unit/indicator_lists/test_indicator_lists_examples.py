"""Every example sentence of every shipped list, through the reference matcher."""

from __future__ import annotations

import pytest

from indicator_lists import Catalogue, ReferenceMatcher, load_catalogue


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture(scope="module")
def matcher(catalogue: Catalogue) -> ReferenceMatcher:
    return ReferenceMatcher(catalogue)


def _cases() -> list:
    cases = []
    for ind in load_catalogue().indicators():
        for lang, ex in sorted(ind.examples.items()):
            for kind, sentences in (("pos", ex.positive), ("neg", ex.negative)):
                for k, sentence in enumerate(sentences):
                    cases.append(
                        pytest.param(
                            ind.id, lang, kind == "pos", sentence, id=f"{ind.id}-{lang}-{kind}-{k}"
                        )
                    )
    return cases


@pytest.mark.parametrize(("indicator_id", "lang", "expected", "sentence"), _cases())
def test_example(
    matcher: ReferenceMatcher, indicator_id: str, lang: str, expected: bool, sentence: str
) -> None:
    hits = [h for h in matcher.match(sentence, lang) if h.indicator_id == indicator_id]
    assert bool(hits) is expected, (sentence, hits)
    for hit in hits:
        assert sentence[hit.start : hit.end] == hit.text
