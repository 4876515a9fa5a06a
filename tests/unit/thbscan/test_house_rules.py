"""House rules that a reader can check: small product modules, no module names twice."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PRODUCT = (
    "thbscan",
    "fixture_site",
    "store",
    "crawler",
    "nlp",
    "models",
    "indicator_lists",
    "review_queue",
)
MAX_LINES = 500
SHARED_NAMES = {"__init__.py", "__main__.py", "errors.py"}  # a package's own, by convention


def _modules() -> list[Path]:
    return [
        path
        for package in PRODUCT
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def test_no_product_module_is_over_500_lines() -> None:
    assert len(_modules()) > 100  # the product's modules were found
    over = {
        str(path.relative_to(ROOT)): n
        for path in _modules()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not over, f"split these modules (at most {MAX_LINES} lines): {over}"


def test_no_two_modules_share_a_name() -> None:
    names = Counter(path.name for path in _modules() if path.name not in SHARED_NAMES)
    twice = {name for name, n in names.items() if n > 1}
    assert not twice, f"rename so that each module's name says what it does: {sorted(twice)}"
