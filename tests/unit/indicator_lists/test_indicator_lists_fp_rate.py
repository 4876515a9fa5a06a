"""False-positive rate on ordinary Danish and English job language (Kompetencer)."""

from __future__ import annotations

from pathlib import Path

import pytest

from indicator_lists import load_catalogue
from indicator_lists.fp_rate import false_positive_rates, format_rates

KOMPETENCER = Path(__file__).resolve().parents[3].parent / "shared/data/kompetencer"
MAX_RATE = 0.05


@pytest.mark.skipif(
    not KOMPETENCER.is_dir(),
    reason=f"Kompetencer job-posting data not found at {KOMPETENCER} (lives next to the checkout "
    "in ../shared/data; a fresh clone has none)",
)
def test_false_positive_rate_on_job_language() -> None:
    catalogue = load_catalogue()
    rates = false_positive_rates(catalogue, KOMPETENCER)
    print()
    print(format_rates(rates))
    assert set(rates) == set(catalogue.versions())
    for name, per_lang in rates.items():
        assert set(per_lang) == {"da", "en"}
        for lang, r in per_lang.items():
            assert r["sentences"] > 100
            assert r["rate"] < MAX_RATE, (name, lang, r)
