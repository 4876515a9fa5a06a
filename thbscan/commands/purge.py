"""``thbscan purge [--dry-run] [--json]``: delete what has expired in every store, by the
data register's retention classes (R10, docs/retention.md): the database
(:mod:`review_queue.services.retention`) and the crawlers' Redis frontiers
(:mod:`thbscan.frontier_retention`)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from review_queue.services.retention import purge
from store import session_factory
from thbscan import config
from thbscan.commands.common import emit_json, err, open_db
from thbscan.frontier_retention import purge_frontier

REDIS_KEYS = "redis_keys"


def _now(value: str | None) -> datetime | None:
    """``--now``: a moment in ISO 8601 with its offset, in test mode only."""
    if value is None:
        return datetime.now(UTC)
    if config.mode() != "test":
        err(
            f"--now {value!r} is for tests only (THBSCAN_MODE=test): leave it out to purge "
            "what has expired by now"
        )
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        err(f"--now {value!r}: give a moment with its offset, e.g. 2031-01-01T00:00:00+00:00")
        return None
    return moment.astimezone(UTC)


def _redis(url: str) -> Any:
    """A client of the Redis at ``url``, checked; None (and a message) if it cannot be used."""
    try:
        import redis
    except ImportError:
        err(f"--redis {url}: the redis package is not installed (pip install '.[redis]')")
        return None
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=5)
        client.ping()
    except (ValueError, redis.RedisError) as exc:
        err(
            f"Redis at {url} cannot be used ({exc.__class__.__name__}: {exc}): start it, fix "
            "--redis / THBSCAN_REDIS_URL, or leave both out to purge only the database"
        )
        return None
    return client


def _prefix(args: argparse.Namespace) -> str:
    if args.redis_prefix:
        return str(args.redis_prefix)
    from_env = config.settings().redis_prefix
    if from_env:
        return from_env
    from crawler.settings import THBSCAN_REDIS_PREFIX

    return THBSCAN_REDIS_PREFIX


def run_purge(args: argparse.Namespace) -> int:
    now = _now(args.now)
    if now is None:
        return 2
    redis_url = args.redis or config.settings().redis_url
    client = _redis(redis_url) if redis_url else None
    if redis_url and client is None:
        return 2
    engine, _sessions = open_db(args.db)
    sessions = session_factory(engine, writer=True)
    also: dict[str, int] = {}
    if client is not None:
        also[REDIS_KEYS] = purge_frontier(
            client, _prefix(args), sessions, now, dry_run=args.dry_run, batch=args.batch_size
        )
        client.close()
    report = purge(sessions, now, batch=args.batch_size, dry_run=args.dry_run, also=also)
    engine.dispose()
    counts = {**report.counts, **also}
    if args.json:
        emit_json(
            {
                "dry_run": report.dry_run,
                "now": now.isoformat(),
                "counts": counts,
                "total": sum(counts.values()),
                "redis": client is not None,
            }
        )
        return 0
    verb = "would delete" if report.dry_run else "deleted"
    for name, n in counts.items():
        if n:
            print(f"{name:<20} {n:>10}")
    print(
        f"{verb} {sum(counts.values())} rows and keys as of {now:%Y-%m-%d %H:%M} UTC"
        + ("" if client is not None else " (Redis not purged: no --redis or THBSCAN_REDIS_URL)")
        + (" (dry run: nothing was deleted)" if report.dry_run else "")
    )
    return 0
