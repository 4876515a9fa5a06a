"""The scoring benchmark runs end to end on a tiny input and reports every target.

Figures are not asserted (they are measured, not tested); this keeps the benchmark working.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_scoring_benchmark_runs_and_reports_each_contender(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_score", "--n", "200", "--slow-n", "20",
         "--rounds", "2", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    contenders = {r["contender"] for r in result["runs"]}
    assert contenders == {"ours", "tokenizer", "regex", "newcomer", "newcomer_full"}
    for run in result["runs"]:
        assert run["listings_per_s"] > 0 and run["peak_rss_mb"] > 0
    targets = [c["target"] for c in result["checks"]]
    assert any("(a)" in t for t in targets) and any("(b)" in t for t in targets)
    assert any("(c) newcomer pipeline" in t for t in targets)
    assert all(c["result"] in ("PASS", "MISS", "-") for c in result["checks"])
    # (a) and ours on all listings ran in turn, twice; one representative run each counts.
    full = [r for r in result["runs"] if r["listings"] == 200]
    assert [(r["contender"], r["round"]) for r in full] == [
        ("tokenizer", 0), ("ours", 0), ("tokenizer", 1), ("ours", 1)]
    assert len(result["paired_ratios"]) == 2
    picked = [(r["contender"], r["listings"], r["rounds"]) for r in result["representative"]]
    assert ("ours", 200, 2) in picked and ("tokenizer", 200, 2) in picked
    assert ("ours", 20, 1) in picked
