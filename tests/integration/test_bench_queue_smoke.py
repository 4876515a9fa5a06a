"""The review-UI benchmark runs end to end on a tiny queue and reports every request kind.

Figures are not asserted (they are measured, not tested); this keeps the benchmark working.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a benchmark's smoke test: make test-all (CI)

ROOT = Path(__file__).resolve().parents[2]


def test_queue_benchmark_runs_and_reports() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.bench_queue",
            "--items",
            "300",
            "--analysts",
            "2",
            "--seconds",
            "3",
            "--think",
            "0,0.2",
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert [p["think_seconds"] for p in result["phases"]] == [0.0, 0.2]
    for phase in result["phases"]:
        assert phase["errors"] == 0 and phase["decisions"] > 0
        assert set(phase["requests"]) == {"queue", "claim_next", "item", "decide"}
        assert all(k["p95_ms"] > 0 for k in phase["requests"].values())
