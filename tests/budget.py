"""How many examples a property test tries: a sample in ``make test``, every one in
``make test-all`` (``THBSCAN_TEST_ALL=1``, what CI runs)."""

from __future__ import annotations

import os

THOROUGH = os.environ.get("THBSCAN_TEST_ALL") == "1"


def examples(n: int) -> int:
    """``n`` examples in the thorough run, a twentieth of them (at least 10) otherwise."""
    return n if THOROUGH else max(10, n // 20)
