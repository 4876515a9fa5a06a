"""The ``thbscan`` command line run as an operator runs it: a subprocess in test mode."""

from __future__ import annotations

import os
import subprocess
import sys


def thbscan(
    *args: str, stdin: str | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "thbscan", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, "THBSCAN_MODE": "test"},
        timeout=timeout,
        check=False,
    )
