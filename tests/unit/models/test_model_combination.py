"""How a text model stored with a threshold joins the indicators (scoring.toml
``model_combination``): "raise" puts a listing in the queue on its own when the model's
probability reaches its threshold, and the explanation says why; older models blend."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from nlp.scorer import Scorer, load_scoring_config

FEE = "Placement fee 500 EUR payable before departure. We keep your passport."
PLAIN = "Cook wanted for our restaurant, contract and pension."


class Fixed:
    """A model giving each text a set probability."""

    accepts_docs = False

    def __init__(self, probability: float, threshold: float | None = 0.6) -> None:
        self.version = "fixed"
        self.pattern = "deceptive-recruitment pattern"
        self.p = probability
        if threshold is not None:
            self.threshold = threshold

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        return np.full(len(texts), self.p)


@pytest.fixture(scope="module")
def config() -> dict:
    return {**load_scoring_config(), "model_combination": "raise"}


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


def test_models_without_a_threshold_blend(catalogue, config) -> None:
    scorer = Scorer(catalogue, Fixed(0.93, threshold=None), config=config)
    a = scorer.assess("", PLAIN)
    w = float(config["model_weight"])
    assert a.raw_score == pytest.approx((1 - w) * a.evidence + w * 0.93)
    assert "raised" not in a.explanation()["model"]
    with pytest.raises(ValueError, match="model_combination"):
        Scorer(catalogue, Fixed(0.5), config={**config, "model_combination": "max"})
