"""``thbscan link``: JSON lines in, clusters out; a bad line is reported, the rest linked."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import thbscan

ROOT = Path(__file__).resolve().parents[2]
WORK = (
    "Work in {city} fast - we arrange everything. Travel, housing and papers are arranged by "
    "us. You start next week in the warehouse, no experience needed. Write to {name} today."
)
LINES = [
    {
        "id": "a",
        "title": "Warehouse",
        "text": WORK.format(city="Kolding", name="Anna"),
        "kind": "job",
        "city": "Kolding",
    },
    {
        "id": "b",
        "title": "Warehouse",
        "text": WORK.format(city="Aarhus", name="Maria"),
        "kind": "job",
        "city": "Aarhus",
    },
    {
        "id": "c",
        "title": "Lily",
        "text": "Lily, new in town. Call +45 20 55 12 34.",
        "kind": "escort",
    },
    {
        "id": "d",
        "title": "Cleaners",
        "text": "Hotel cleaners wanted, ring 20551234.",
        "kind": "job",
    },
    {"id": "e", "title": "Bakery", "text": "Bakery in Vejle seeks an apprentice baker."},
]


def run(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return thbscan("link", *args, stdin=stdin)


def test_link_json_gives_clusters_and_names_the_bad_line() -> None:
    stdin = (
        "\n".join(
            [*(json.dumps(v) for v in LINES[:2]), "{broken", *(json.dumps(v) for v in LINES[2:])]
        )
        + "\n"
    )
    proc = run("--json", stdin=stdin)
    assert proc.returncode == 1, proc.stderr
    assert "line 3" in proc.stderr
    out = json.loads(proc.stdout)
    by_members = {tuple(c["members"]): c for c in out["clusters"]}
    assert set(by_members) == {("a", "b"), ("c", "d")}
    template = by_members[("a", "b")]
    assert template["kinds"] == ["template"]
    assert ["Kolding", "Aarhus"] in template["slots"].values()
    bridge = by_members[("c", "d")]
    assert bridge["kinds"] == ["phone"] and bridge["bridge"] is True
    assert out["listings"] == 5 and out["errors"] == 1
    assert "20551234" not in proc.stdout  # identifiers are linked on, never printed


def test_link_summary_is_readable() -> None:
    proc = run(stdin="\n".join(json.dumps(v) for v in LINES) + "\n")
    assert proc.returncode == 0, proc.stderr
    assert "5 listings, 4 linked in 2 clusters" in proc.stdout
    assert "job-to-escort bridge" in proc.stdout
    assert "{1}: Kolding | Aarhus" in proc.stdout


@pytest.mark.parametrize("args", [["--threshold", "0"], ["--max-degree", "1"]])
def test_link_rejects_bad_options(args: list[str]) -> None:
    proc = run(*args, stdin="")
    assert proc.returncode == 2
    assert args[0] in proc.stderr


@pytest.mark.slow  # a benchmark's smoke test: make test-all (CI)
def test_linking_benchmark_runs_and_reports() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.bench_link",
            "--n",
            "2000",
            "--incremental",
            "50",
            "--workers",
            "2",
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    for key in ("listings_per_s", "peak_rss_mb", "incremental_seconds", "precision", "recall"):
        assert key in result


@pytest.mark.slow  # a benchmark's smoke test: make test-all (CI)
def test_stored_index_benchmark_runs_and_reports() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_link_store", "--n", "1000", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["indexed"] == 1000 and result["incremental"] == 1000
    assert result["precision"] == 1.0 and result["recall"] > 0.9
