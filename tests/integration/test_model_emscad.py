"""The text model on real labelled job ads (EMSCAD), read from where they lie.

The data is never in the repository: the directory comes from THBSCAN_REAL_DATA
(``emscad/emscad_dev.csv``); without it the tests skip. The figures checked are
cross-validated (out-of-fold predictions only), at the measured and at the real prevalence.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from models.datasets import read_emscad
from models.listing_model import load_config
from models.training import train_listing_model

REAL_DATA = os.environ.get("THBSCAN_REAL_DATA", "")
DEV = Path(REAL_DATA) / "emscad" / "emscad_dev.csv" if REAL_DATA else None
REAL_PREVALENCE = 0.0484  # EMSCAD: 866 of 17,880 ads fraudulent

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        DEV is None or not DEV.is_file(),
        reason="real labelled job ads not given: set THBSCAN_REAL_DATA to a directory with "
        "emscad/emscad_dev.csv",
    ),
]


def test_cross_validated_metrics_on_emscad_dev() -> None:
    assert DEV is not None
    data = read_emscad(DEV)
    assert data.duplicates > 0  # reposted ads exist: deduplicated before any split
    start = time.perf_counter()
    trained = train_listing_model(data, load_config()["listing"], prevalence=REAL_PREVALENCE)
    seconds = time.perf_counter() - start
    cv = trained.cv
    assert cv["n"] == len(data.examples)
    # Floors a little under the measured figures (docs/models.md): a change that loses
    # more than this is a regression.
    # (measured: PR-AUC 0.976, ROC-AUC 0.975; at 4.84 %: PR-AUC 0.865, F1 0.821).
    assert cv["pr_auc"] >= 0.95, cv
    assert cv["roc_auc"] >= 0.95, cv
    assert cv["at_prevalence"]["pr_auc"] >= 0.80, cv
    assert cv["at_prevalence"]["f1"] >= 0.75, cv
    assert seconds < 60, f"cross-validation and the final fit took {seconds:.0f} s"
