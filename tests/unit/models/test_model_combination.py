"""How a text model joins the indicators: it puts a listing in the queue on its own when
its probability reaches the model's stored threshold, and the explanation says why; the
score stays the indicators' evidence."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from nlp.scorer import Scorer, load_scoring_config

FEE = "Placement fee 500 EUR payable before departure. We keep your passport."
PLAIN = "Cook wanted for our restaurant, contract and pension."


class Fixed:
    """A model giving each text a set probability."""

    def __init__(self, probability: float, threshold: float = 0.6) -> None:
        self.version = "fixed"
        self.pattern = "deceptive-recruitment pattern"
        self.p = probability
        self.threshold = threshold

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        return np.full(len(texts), self.p)


@pytest.fixture(scope="module")
def config() -> dict:
    return load_scoring_config()


def test_model_above_its_threshold_raises_a_listing(catalogue, config) -> None:
    a = Scorer(catalogue, Fixed(0.93), config=config).assess("", PLAIN)
    assert a.flagged and not a.categories
    assert a.raw_score == a.evidence  # the score stays the indicators'
    model = a.explanation()["model"]
    assert model["raised"] is True and model["threshold"] == 0.6
    assert model["reason"] == "text model: deceptive-recruitment pattern, probability 0.93"
    assert a.band == "medium"  # a listing that names no form is never above medium


def test_model_below_its_threshold_changes_nothing(catalogue, config) -> None:
    alone = Scorer(catalogue, config=config)
    below = Scorer(catalogue, Fixed(0.59), config=config)
    for text in (PLAIN, FEE):
        a, b = alone.assess("", text), below.assess("", text)
        assert (a.flagged, a.band, a.raw_score) == (b.flagged, b.band, b.raw_score)
        assert b.explanation()["model"]["raised"] is False
    assert below.assess("", FEE).flagged  # the indicators flag on their own


class Counting(Fixed):
    """A second-opinion model (raises only with the indicators' evidence) that counts the
    texts it is asked about."""

    needs_evidence = True

    def __init__(self, probability: float) -> None:
        super().__init__(probability)
        self.asked: list[str] = []

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        self.asked.extend(texts)
        return super().probabilities(texts)


WEAK = "Cleaning job. Housing is provided and paid from your wage."


def test_a_second_opinion_is_asked_and_raises_only_with_evidence(catalogue, config) -> None:
    model = Counting(0.93)
    scorer = Scorer(catalogue, model, config=config)
    plain, weak = scorer.assess_many([("", PLAIN), ("", WEAK)])
    assert plain.evidence == 0 and not plain.flagged and plain.model_probability is None
    assert len(model.asked) == 1 and "Housing" in model.asked[0]  # never asked about PLAIN
    assert weak.evidence > 0 and weak.flagged
    reason = weak.explanation()["model"]["reason"]
    assert reason.endswith("probability 0.93, with the indicators' evidence"), reason
    below = Scorer(catalogue, Counting(0.59), config=config).assess("", WEAK)
    alone = Scorer(catalogue, config=config).assess("", WEAK)
    assert not alone.flagged  # the indicators alone: evidence, but not enough
    assert not below.flagged and below.band == alone.band


class SureAlone(Counting):
    """A second opinion that may also raise listings without evidence at 0.98 or more."""

    alone_threshold = 0.98


def test_a_second_opinion_raises_without_evidence_only_when_very_sure(catalogue, config) -> None:
    sure = SureAlone(0.99)
    plain, weak = Scorer(catalogue, sure, config=config).assess_many([("", PLAIN), ("", WEAK)])
    assert len(sure.asked) == 2  # asked about every listing
    assert plain.evidence == 0 and plain.flagged and plain.band == "medium"
    reason = plain.explanation()["model"]["reason"]
    assert reason.endswith("probability 0.99, without the indicators' evidence"), reason
    assert weak.flagged and weak.explanation()["model"]["reason"].endswith("indicators' evidence")
    # Between its threshold (0.6) and 0.98: only listings with evidence are raised.
    plain, weak = Scorer(catalogue, SureAlone(0.9), config=config).assess_many(
        [("", PLAIN), ("", WEAK)]
    )
    assert not plain.flagged and plain.model_probability == 0.9
    assert plain.explanation()["model"]["raised"] is False
    assert weak.flagged
