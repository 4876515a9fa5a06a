"""Loading the scoring assets: indicator catalogue, text model, pseudonymiser."""

from __future__ import annotations

import gc
import logging
from dataclasses import dataclass
from pathlib import Path

from indicator_lists import Catalogue, load_catalogue
from indicator_lists.compile import set_cache_dir
from models.errors import ModelError
from nlp.pseudonym import Pseudonymiser
from nlp.scorer import Scorer
from thbscan import config
from thbscan.redaction import pseudonymiser

logger = logging.getLogger(__name__)


def load_scorer(
    lists: str | Path | None = None,
    *,
    model: bool = True,
    model_version: str | None = None,
    drafts: bool = False,
) -> Scorer:
    settings = config.settings()
    set_cache_dir(settings.cache_dir)
    catalogue: Catalogue = load_catalogue(lists, drafts=drafts)
    text_model = None
    registry = config.registry()
    if model and not settings.no_model:
        try:
            text_model = registry.load(model_version)
        except ModelError as exc:
            logger.warning("scoring without a text model: %s", exc)
    # A promoted calibration was fitted on the raw scores of one scorer (model, lists,
    # settings): it is used only with that one; after a change it must be fitted again.
    calibration = registry.load_calibration()
    scorer = Scorer(catalogue, text_model, calibration=calibration)
    if calibration is not None and calibration.fitted.get("scorer_key") != scorer.raw_scorer_key:
        logger.warning(
            "calibration %s was fitted for scorer %s, not %s: scoring uncalibrated; fit one "
            "for this scorer with `thbscan calibration fit`",
            calibration.version,
            calibration.fitted.get("scorer_key"),
            scorer.raw_scorer_key,
        )
        scorer = Scorer(catalogue, text_model)
    # The catalogue, the model and spaCy's vocabulary live as long as the process: move them
    # out of the cyclic garbage collector's way, so its collections, triggered by the many
    # short-lived objects of each scored listing, do not walk them again and again (about
    # 7 % of scoring time here; benchmarks/bench_score.py). They are still freed normally.
    gc.freeze()
    return scorer


@dataclass(frozen=True)
class ScorerFactory:
    """Builds the same scorer in a worker process (picklable)."""

    lists: str | None
    model_version: str | None
    run_mode: str
    use_model: bool = True

    def __call__(self) -> tuple[Scorer, Pseudonymiser]:
        scorer = load_scorer(self.lists, model=self.use_model, model_version=self.model_version)
        return scorer, pseudonymiser(self.run_mode)
