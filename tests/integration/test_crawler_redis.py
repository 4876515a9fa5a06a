"""Two crawler processes share one Redis frontier; a killed worker's requests are not lost."""

from __future__ import annotations

import itertools
import os
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from crawlhelp import REPO, last_json
from sqlalchemy import func, select

from fixture_site import start_fixture_site
from review_queue.db import upgrade
from store import Listing, create_engine_for

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


def _worker(
    site_url: str,
    db: str,
    prefix: str,
    extra_env: dict[str, str] | None = None,
    sources_dir: Path | None = None,
):
    env = {
        **os.environ,
        "THBSCAN_MODE": "test",
        "THBSCAN_REDIS_URL": REDIS_URL,
        "THBSCAN_REDIS_PREFIX": prefix,
        **(extra_env or {}),
    }
    sources = ["--sources-dir", str(sources_dir)] if sources_dir is not None else []
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "thbscan",
            "crawl",
            "fixture-jobs",
            "--base-url",
            site_url,
            *sources,
            "--db",
            db,
            "--json",
            "--log-level",
            "INFO",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


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


def test_two_processes_crawl_the_site_once(tmp_path, redis_prefix: str) -> None:
    db = _db(tmp_path)
    with start_fixture_site(n_jobs=300, n_ads=0) as site:
        workers = [_worker(site.url, db, redis_prefix) for _ in range(2)]
        results = [w.communicate(timeout=240) for w in workers]
        requests = list(site.requests)
    for w, (_out, err) in zip(workers, results, strict=True):
        assert w.returncode in (0, 3), err[-3000:]
        assert "re-queued" not in err and "lease" not in err, err[-3000:]
    items = [last_json(out)["fixture-jobs"]["items"] for out, _ in results]
    assert sum(items) == 300 and all(n > 0 for n in items), items
    fetched = Counter(p for _m, p in requests)
    assert fetched.pop("/robots.txt") <= 2  # once per worker
    assert max(fetched.values()) == 1, fetched.most_common(3)  # no duplicate fetches
    assert not [p for p in fetched if p.startswith("/private/")]  # robots.txt obeyed
    assert sum(1 for p in fetched if p.startswith("/jobs/job-")) == 300
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
        time.sleep(4)  # the dead worker's lease expires
        second = _worker(site.url, db, redis_prefix, env)
        _out, err = second.communicate(timeout=240)
    assert second.returncode in (0, 3), err[-3000:]
    assert "re-queued" in err
    assert _count(db) == 200  # nothing the killed worker had taken was lost


def test_a_recrawl_of_unchanged_pages_leaves_nothing_in_progress(
    tmp_path, redis_prefix: str
) -> None:
    """Pages answered 304 end in an IgnoreRequest that no middleware sees: they are still
    acknowledged, so the worker ends as soon as the frontier is empty."""
    db = _db(tmp_path)
    with start_fixture_site(n_jobs=60, n_ads=0) as site:
        first = _worker(site.url, db, redis_prefix, {"THBSCAN_REDIS_RUN": "r1"})
        first.communicate(timeout=240)
        start = time.monotonic()
        again = _worker(site.url, db, redis_prefix, {"THBSCAN_REDIS_RUN": "r2"})
        out, err = again.communicate(timeout=240)
        took = time.monotonic() - start
    assert again.returncode in (0, 3), err[-3000:]
    summary = last_json(out)["fixture-jobs"]
    assert summary["not_modified"] == 60 and summary["items"] == 0, summary
    assert "never acknowledged" not in err and "without progress" not in err, err[-3000:]
    assert took < 20, took  # not held open by requests left "in progress"


def _queue(redis_prefix: str, ttl: float):
    """A worker's queue as scrapy-redis builds it (real Redis, a real Scrapy spider)."""
    import redis
    from scrapy import Spider
    from scrapy.utils.test import get_crawler
    from scrapy_redis import picklecompat

    from crawler.distributed.reliable_queue import ReliableFifoQueue

    crawler = get_crawler(Spider, {"THBSCAN_REDIS_WORKER_TTL": ttl})
    spider = Spider.from_crawler(crawler, name="lease-test")
    server = redis.Redis.from_url(REDIS_URL)
    return ReliableFifoQueue(server, spider, f"{redis_prefix}:src:run:requests", picklecompat)


def test_a_busy_worker_keeps_its_requests_and_a_dead_one_loses_them(
    redis_prefix: str, monkeypatch
) -> None:
    from scrapy import Request

    from crawler.distributed import reliable_queue as queue_module

    monkeypatch.setattr(queue_module, "PREFETCH", 0)  # exactly what is popped is taken

    alive, other = _queue(redis_prefix, 1), _queue(redis_prefix, 1)
    for i in range(6):
        alive.push(Request(f"http://127.0.0.1/jobs/{i}"))
    taken = [alive.pop() for _ in range(3)]
    assert all(r is not None for r in taken) and len(alive) == 3
    # The worker's main thread (its reactor) is blocked for three TTLs: the lease,
    # renewed by its own thread, holds; nothing of it is re-queued.
    time.sleep(3)
    assert other.requeue_dead() == 0
    assert alive.in_progress() == 3 and len(alive) == 3
    alive.ack(taken[0])
    assert alive.in_progress() == 2
    # The worker dies without a word (as under kill -9): its lease lapses after the TTL
    # and its two unacknowledged requests go back, exactly once.
    alive.lease.stop()
    assert other.requeue_dead() == 0  # not yet expired
    time.sleep(1.5)
    assert other.requeue_dead() == 2
    assert other.requeue_dead() == 0
    assert len(other) == 5 and other.in_progress() == 0
    held = [other.pop() for _ in range(5)]  # in flight: Scrapy holds them
    assert sorted(r.url for r in held) == [f"http://127.0.0.1/jobs/{i}" for i in range(1, 6)]
    other.close(finished=False)  # a shutdown mid-crawl: what it took goes back
    assert len(other) == 5 and other.in_progress() == 0


def test_a_request_dropped_unacknowledged_is_released(redis_prefix: str) -> None:
    """A taken request that Scrapy drops without any middleware seeing its end (an
    IgnoreRequest raised while processing its response) leaves the in-progress list
    once nothing refers to it any more; one that is still held stays."""
    import gc

    from scrapy import Request

    queue = _queue(redis_prefix, 30)
    queue.push(Request("http://127.0.0.1/jobs/a"))
    queue.push(Request("http://127.0.0.1/jobs/b"))
    held = queue.pop()
    dropped = queue.pop()
    assert queue.in_progress() == 2
    del dropped
    gc.collect()
    assert queue.in_progress() == 1 and queue.released == 1
    queue.ack(held)
    assert queue.in_progress() == 0 and queue.released == 1
    queue.close()


def test_listing_pages_are_served_first_and_a_worker_takes_what_it_can_download(
    redis_prefix: str,
) -> None:
    from scrapy import Request

    from crawler.distributed.reliable_queue import PREFETCH

    queue = _queue(redis_prefix, 30)
    total = 12 + PREFETCH
    for i in range(total - 1):
        queue.push(Request(f"http://127.0.0.1/jobs/{i}"))
    queue.push(Request("http://127.0.0.1/jobs/?page=2", priority=1))
    queue.capacity = lambda: 3  # three free download slots: taken with the prefetch at once
    first = queue.pop()
    assert first.url.endswith("?page=2")  # pushed last, served first
    taken = 3 + PREFETCH
    assert queue.in_progress() == taken
    assert len(queue) == total - 1  # the rest: in the shared queue or taken, waiting here
    rest = [queue.pop() for _ in range(taken - 1)]  # no round trip: handed out from here
    assert [r.url for r in rest] == [f"http://127.0.0.1/jobs/{i}" for i in range(taken - 1)]
    assert queue.in_progress() == taken and len(queue) == total - taken
    queue.capacity = lambda: 1
    waiting = queue.pop()  # takes 1 + PREFETCH more; one is handed out, the rest wait here
    assert waiting.url.endswith(f"/jobs/{taken - 1}")
    assert queue.in_progress() == taken + 1 + PREFETCH
    queue.close(finished=False)  # a shutdown: everything taken goes back, waiting or not
    assert len(queue) == total and queue.in_progress() == 0


def test_a_host_delay_holds_across_workers(tmp_path, redis_prefix: str) -> None:
    """Two workers of one crawl, a source with a 0.5 s download delay: the fixture site
    sees its requests about 0.5 s apart (each worker alone would space only its own),
    and both workers fetch."""
    sources = tmp_path / "sources"
    sources.mkdir()
    config = (REPO / "crawler" / "sources" / "fixture-jobs.toml").read_text(encoding="utf-8")
    config = config.replace("download_delay = 0\n", "download_delay = 0.5\n")
    config = config.replace("concurrency_per_domain = 8\n", "concurrency_per_domain = 2\n")
    assert "download_delay = 0.5" in config
    (sources / "fixture-jobs.toml").write_text(config, encoding="utf-8")
    db = _db(tmp_path)
    with start_fixture_site(n_jobs=20, n_ads=0) as site:
        workers = [_worker(site.url, db, redis_prefix, sources_dir=sources) for _ in range(2)]
        results = [w.communicate(timeout=240) for w in workers]
        times = sorted(site.request_times)
    for w, (_out, err) in zip(workers, results, strict=True):
        assert w.returncode in (0, 3), err[-3000:]
    pages = [last_json(out)["fixture-jobs"]["pages"] for out, _ in results]
    assert sum(pages) >= 21 and all(n > 0 for n in pages), pages
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # 0.5 s, less the jitter of when the server's threads note a request (up to 0.2 s
    # under load); two workers each spacing only their own requests give about 0.1 s.
    assert min(gaps) >= 0.3, sorted(gaps)[:5]


def test_requests_travel_through_redis_with_their_callbacks(redis_prefix: str) -> None:
    """The queue names a spider method callback itself (no walk over the spider's
    attributes); what it stores is exactly Scrapy's ``Request.to_dict``."""
    import pickle

    from scrapy import FormRequest, Request

    from crawler.spiders.jobposting import JobPostingSpider

    queue = _queue(redis_prefix, 30)
    spider = JobPostingSpider.__new__(JobPostingSpider)  # methods are all the test needs
    queue.spider = spider
    requests = [
        Request(
            "http://127.0.0.1/jobs/1",
            callback=spider.parse_detail,
            priority=1,
            meta={"thbscan_lastmod": "2026-01-01"},
        ),
        Request("http://127.0.0.1/jobs/", callback=spider.parse, headers={"X-A": "1"}),
        Request("http://127.0.0.1/jobs/2"),
        FormRequest("http://127.0.0.1/search", formdata={"q": "x"}, callback=spider.parse),
        Request(
            "http://127.0.0.1/jobs/3", callback=JobPostingSpider(source="fixture-jobs").parse_detail
        ),  # another spider's method: Scrapy's way
    ]
    for request in requests:
        assert pickle.loads(queue._encode_request(request)) == request.to_dict(spider=spider)
    with pytest.raises(ValueError, match="not an instance method"):  # as Scrapy says it
        queue._encode_request(Request("http://127.0.0.1/x", callback=lambda r: None))
    for request in requests[:4]:
        queue.push(request)
    queue.capacity = lambda: 4
    back = [queue.pop() for _ in range(4)]
    assert sorted((r.url, r.callback.__name__ if r.callback else None) for r in back) == sorted(
        (r.url, r.callback.__name__ if r.callback else None) for r in requests[:4]
    )
    queue.close(finished=False)


def _taken_page(redis_prefix: str):
    """A worker's queue that has taken one listing page; the dupefilter key."""
    from scrapy import Request

    queue = _queue(redis_prefix, 30)
    seen = f"{redis_prefix}:src:run:dupefilter"
    queue.push(Request("http://127.0.0.1/jobs/?page=1"), seen, "fp-page")
    return queue, seen, queue.pop()  # the page: in this worker's in-progress list


def test_new_links_go_in_one_round_trip_and_before_their_page_is_acknowledged(
    redis_prefix: str,
) -> None:
    import redis
    from scrapy import Request

    queue, seen, page = _taken_page(redis_prefix)
    for i in (1, 2, 1):  # the page's links, one of them twice
        assert queue.push(Request(f"http://127.0.0.1/jobs/{i}"), seen, f"fp-{i}")
    server = redis.Redis.from_url(REDIS_URL)
    assert server.llen(queue.key) == 0  # not sent yet: they go together
    queue.ack(page)
    queue.flush()  # the links first, then the acknowledgement
    assert server.llen(queue.key) == 2 and queue.duplicates == 1
    assert queue.in_progress() == 0
    queue.push(Request("http://127.0.0.1/jobs/3"), seen, "fp-3")
    assert len(queue) == 3  # counting sends what is waiting
    queue.close(finished=False)


def test_links_that_could_not_be_sent_are_kept_for_the_next_flush(redis_prefix: str) -> None:
    import redis
    from scrapy import Request

    queue, seen, page = _taken_page(redis_prefix)
    queue.push(Request("http://127.0.0.1/jobs/1"), seen, "fp-1")
    queue.ack(page)
    server = queue.server
    queue.server = redis.Redis(host="127.0.0.1", port=1)  # nothing listens: Redis is gone
    with pytest.raises(redis.ConnectionError):
        queue.flush()
    queue.server = server  # back: the link goes first, then the page's acknowledgement
    assert queue.in_progress() == 0
    assert server.llen(queue.key) == 1 and queue.duplicates == 0
    queue.close(finished=False)
