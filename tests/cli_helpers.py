"""The ``thbscan`` command line run as an operator runs it: a subprocess in test mode."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def thbscan(
    *args: str,
    stdin: str | None = None,
    timeout: float = 600,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "thbscan", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, "THBSCAN_MODE": "test", **(env or {})},
        cwd=cwd,
        timeout=timeout,
        check=False,
    )
