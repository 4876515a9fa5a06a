"""Two crawler processes share one Redis frontier; a killed worker's requests are not lost."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from crawlhelp import REPO, last_json
from sqlalchemy import func, select

from review_queue.db import Listing, create_engine_for, upgrade
from thbscan.fixture_site import start_fixture_site

pytestmark = [pytest.mark.redis, pytest.mark.slow]
REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_prefix():
    redis = pytest.importorskip("redis")
    pytest.importorskip("scrapy_redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis at {REDIS_URL} is not reachable ({exc.__class__.__name__})")
    prefix = f"thbscan-test-{secrets.token_hex(4)}"
    yield prefix
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


def _worker(site_url: str, db: str, prefix: str, extra_env: dict[str, str] | None = None):
    env = {**os.environ, "THBSCAN_MODE": "test", "THBSCAN_REDIS_URL": REDIS_URL,
           "THBSCAN_REDIS_PREFIX": prefix, **(extra_env or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "thbscan", "crawl", "fixture-jobs", "--base-url", site_url,
         "--db", db, "--json", "--log-level", "INFO"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _db(tmp_path) -> str:
    db = f"sqlite:///{tmp_path / 'r.db'}"
    engine = create_engine_for(db)
    upgrade(engine)
    engine.dispose()
    return db


def _count(db: str) -> int:
    engine = create_engine_for(db)
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(Listing)).scalar_one()
    engine.dispose()
    return n


@pytest.mark.xfail(reason="known bug: a live worker's in-progress requests are sometimes "
                          "re-queued as dead (2-21 duplicate fetches of 300)", strict=False)
def test_two_processes_crawl_the_site_once(tmp_path, redis_prefix: str) -> None:
    db = _db(tmp_path)
    with start_fixture_site(n_jobs=300, n_ads=0) as site:
        workers = [_worker(site.url, db, redis_prefix) for _ in range(2)]
        results = [w.communicate(timeout=240) for w in workers]
        requests = list(site.requests)
    for w, (_out, err) in zip(workers, results, strict=True):
        assert w.returncode in (0, 3), err[-3000:]
    items = [last_json(out)["fixture-jobs"]["items"] for out, _ in results]
    assert sum(items) == 300 and all(n > 0 for n in items), items
    fetched = Counter(p for m, p in requests if p.startswith("/jobs/"))
    assert max(fetched.values()) == 1, fetched.most_common(3)  # no duplicate fetches
    assert _count(db) == 300


def test_killed_worker_requests_are_requeued(tmp_path, redis_prefix: str) -> None:
    db = _db(tmp_path)
    env = {"THBSCAN_REDIS_WORKER_TTL": "3"}
    with start_fixture_site(n_jobs=200, n_ads=0) as site:
        first = _worker(site.url, db, redis_prefix, env)
        deadline = time.monotonic() + 60
        while sum(1 for _m, p in site.requests if p.startswith("/jobs/job-")) < 40:
            assert time.monotonic() < deadline and first.poll() is None
            time.sleep(0.05)
        os.kill(first.pid, signal.SIGKILL)
        first.communicate()
        time.sleep(4)  # the dead worker's heartbeat expires
        second = _worker(site.url, db, redis_prefix, env)
        _out, err = second.communicate(timeout=240)
    assert second.returncode in (0, 3), err[-3000:]
    assert "re-queued" in err
    assert _count(db) == 200  # nothing the killed worker had taken was lost
