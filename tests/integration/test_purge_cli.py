"""``thbscan purge`` as an operator runs it: bad input is refused before anything is deleted,
with a message naming the value and what to do; and the crawlers' Redis frontiers (the real
Redis on 127.0.0.1) lose the keys of sources not crawled within 90 days, and only those."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from review_queue.db import upgrade
from store import CrawlJob, create_engine_for, session_factory
from thbscan.cli import main

NOW = datetime(2031, 6, 1, tzinfo=UTC)
REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def db(sqlite_url: str):
    engine = create_engine_for(sqlite_url)
    upgrade(engine)
    yield sqlite_url, session_factory(engine, writer=True)
    engine.dispose()


def run(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["purge", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_bad_input_is_refused_naming_the_value(
    db, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = db
    code, _, err = run(capsys, "--db", url, "--now", "yesterday")
    assert code == 2 and "--now 'yesterday': give a moment with its offset" in err
    code, _, err = run(capsys, "--db", url, "--now", "2031-06-01T00:00:00")
    assert code == 2 and "with its offset" in err
    code, _, err = run(capsys, "--db", url, "--redis", "redis://127.0.0.1:1/0")
    assert code == 2 and "Redis at redis://127.0.0.1:1/0 cannot be used" in err
    with pytest.raises(SystemExit):
        run(capsys, "--db", url, "--batch-size", "0")
    assert "'0': give a whole number of at least 1" in capsys.readouterr().err
    monkeypatch.setenv("THBSCAN_MODE", "production")
    code, _, err = run(capsys, "--db", url, "--now", NOW.isoformat())
    assert code == 2
    assert f"--now {NOW.isoformat()!r} is for tests only (THBSCAN_MODE=test)" in err


def test_an_empty_database_purges_nothing_and_says_so(db, capsys: pytest.CaptureFixture) -> None:
    url, _ = db
    code, out, _ = run(capsys, "--db", url, "--dry-run")
    assert code == 0
    assert "would delete 0 rows and keys" in out and "nothing was deleted" in out


@pytest.fixture
def redis_prefix():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis at {REDIS_URL} is not reachable ({exc.__class__.__name__})")
    prefix = f"thbscan-test-{secrets.token_hex(4)}"
    yield client, prefix
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.mark.redis
def test_frontiers_of_sources_not_crawled_lately_are_purged(
    db, redis_prefix, capsys: pytest.CaptureFixture
) -> None:
    url, sessions = db
    client, prefix = redis_prefix
    with sessions.begin() as session:
        for source, started, finished in (
            ("old-src", NOW - timedelta(days=200), NOW - timedelta(days=199)),
            ("live-src", NOW - timedelta(days=100), NOW - timedelta(days=5)),
            ("busy-src", NOW - timedelta(hours=1), None),  # crawling now
        ):
            session.add(
                CrawlJob(source=source, spider="board", started_at=started, finished_at=finished)
            )
    expired, kept = set(), set()
    for source in ("old-src", "live-src", "busy-src", "never-src"):
        base = f"{prefix}:{source}:round-7"
        client.rpush(f"{base}:requests", "a request")
        client.sadd(f"{base}:dupefilter", "a fingerprint")
        client.rpush(f"{base}:processing:host-1-2-abc", "a request")
        client.set(f"{base}:worker:host-1-2-abc", "1", px=60_000)
        client.set(f"{base}:host:jobs.example.invalid", "1", px=60_000)
        names = {k.decode() for k in client.scan_iter(match=f"{base}:*")}
        assert len(names) == 5
        (expired if source in ("old-src", "never-src") else kept).update(names)
    strangers = {f"{prefix}:notes", f"{prefix}:old-src:run:with:colons:requests"}
    for name in strangers:
        client.set(name, "not a frontier key")
    args = ["--db", url, "--now", NOW.isoformat(), "--redis", REDIS_URL, "--json"]

    code, out, _ = run(capsys, *args, "--redis-prefix", prefix, "--dry-run")
    assert code == 0 and json.loads(out)["counts"]["redis_keys"] == len(expired) == 10
    stored = {k.decode() for k in client.scan_iter(match=f"{prefix}:*")}
    assert stored == expired | kept | strangers

    code, out, _ = run(capsys, *args, "--redis-prefix", prefix, "--batch-size", "3")
    assert code == 0 and json.loads(out)["counts"]["redis_keys"] == 10
    assert {k.decode() for k in client.scan_iter(match=f"{prefix}:*")} == kept | strangers
    with sessions() as session:  # the crawl run records are another table's business
        assert len(session.scalars(select(CrawlJob.id)).all()) == 2  # the one of 200 days went

    code, out, _ = run(capsys, *args, "--redis-prefix", prefix)
    assert json.loads(out)["counts"]["redis_keys"] == 0
