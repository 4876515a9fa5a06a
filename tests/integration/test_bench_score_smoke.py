"""The scoring benchmark runs end to end on a tiny input and reports every target and stage.

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


def test_scoring_benchmark_runs_and_reports(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_score", "--n", "300", "--rounds", "2", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert [r["listings"] for r in result["runs"]] == [30, 300, 300]
    for run in result["runs"]:
        assert run["listings_per_s"] > 0 and run["peak_rss_mb"] > 0
        assert run["p95_ms_single"] > 0
    stages = result["stages_us"]
    assert {"normalise", "tokenize", "language", "end to end (assess_many)"} <= set(stages)
    assert all(us > 0 for us in stages.values())
    assert all(c["result"] in ("PASS", "MISS", "-") for c in result["checks"])
