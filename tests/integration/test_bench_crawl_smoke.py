"""The crawl benchmark runs end to end on a tiny site and reports every contender.

Figures are not asserted (they are measured, not tested); this keeps the benchmark working:
every contender crawls the whole site, the run's phases come from the fixture site's own
request log, and the Redis keys of the run are deleted afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/0"

pytestmark = [pytest.mark.redis, pytest.mark.slow]


@pytest.fixture
def redis_client():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")
    return client


def test_crawl_benchmark_runs_every_contender(redis_client) -> None:
    before = set(redis_client.scan_iter(match="thbscan-bench-*"))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.bench_crawl",
            "--n",
            "60",
            "--rounds",
            "1",
            "--discovery",
            "sitemap",
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "THBSCAN_BENCH_REDIS_URL": REDIS_URL},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["input"]["listings"] == 60
    (rnd,) = result["sitemap"]["rounds"]
    for key in ("bare", "ours", "ours_redis", "ours_x2"):
        run = rnd[key]
        # robots.txt (not for bare), the sitemap and 60 detail pages, by all processes
        assert run["pages"] >= 61, (key, run)
        assert all(p["rc"] == 0 and p["peak_rss_mb"] > 0 for p in run["processes"])
        assert run["start_s"] > 0 and run["crawl_s"] > 0 and run["end_s"] >= 0
        assert run["crawl_pages_per_s"] > run["pages_per_s"] > 0
    assert len(rnd["ours_x2"]["processes"]) == 2
    machine = rnd["machine"]
    assert machine["one_pages_per_s"] > 0 and machine["two_pages_per_s"] > 0
    assert machine["scaling"] == pytest.approx(  # both rates are rounded to 0.1 pages/s
        machine["two_pages_per_s"] / machine["one_pages_per_s"], rel=2e-3
    )
    targets = result["sitemap"]["targets"]
    for name in ("ours_vs_bare", "two_vs_one", "crawl_ours_vs_bare", "crawl_two_vs_one"):
        assert targets[name] > 0 and isinstance(targets[f"{name}_ok"], bool)
    assert targets["two_vs_one_ceiling_machine"] > 0
    assert set(redis_client.scan_iter(match="thbscan-bench-*")) == before  # keys deleted
