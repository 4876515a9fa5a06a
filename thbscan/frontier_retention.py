"""Purging the crawlers' shared Redis frontiers by retention (R10, ``thbscan purge``).

A distributed crawl (``THBSCAN_REDIS_URL``) keeps its frontier in Redis under
``<prefix>:<source>:<run>:`` (:func:`crawler.distributed.key_base`): the request queue
(``requests``, the URLs still to fetch), the dupefilter (``dupefilter``, fingerprints of the
requests seen), the workers' in-progress lists (``processing:<worker>``), their leases
(``worker:<worker>``) and the hosts' shared delays (``host:<host>``). The queue and the
dupefilter are kept after a run on purpose (``SCHEDULER_PERSIST``), so nothing removes them.

They belong to the source's crawl runs and are kept as long as those are (the ``recent``
class, like ``crawl_jobs``): the keys of a source are deleted once no run of that source
finished, or started, within the class's 90 days; a source that is crawling keeps its keys.
Only keys of that layout under the prefix are touched (a run name with ``:`` in it is left
alone); leases and host delays expire on their own (TTL) and go with the rest.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from store import CrawlJob
from store.register import RECENT, cutoff

KEY = re.compile(
    r"(?P<source>[a-z0-9_-]+):(?P<run>[^:]+):"
    r"(?:requests|dupefilter|(?:processing|worker|host):.+)",
    re.S,
)
BATCH = 500


def _glob(text: str) -> str:
    """``text`` matched literally in a Redis MATCH pattern."""
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)


def kept_sources(session: Session, now: datetime) -> set[str]:
    """Sources with a crawl run that finished, or started, within the class's period."""
    since = cutoff(RECENT, now)
    ended = func.coalesce(CrawlJob.finished_at, CrawlJob.started_at)
    return set(session.scalars(select(CrawlJob.source).where(ended > since).distinct()))


def expired_source(key: bytes | str, prefix: str, kept: set[str]) -> str | None:
    """The source of frontier key ``key`` if it has expired, else None."""
    text = key.decode("utf-8", "replace") if isinstance(key, bytes) else key
    if not text.startswith(f"{prefix}:"):
        return None
    match = KEY.fullmatch(text[len(prefix) + 1 :])
    if match is None or match["source"] in kept:
        return None
    return match["source"]


def purge_frontier(
    client: Any,
    prefix: str,
    sessions: sessionmaker[Session],
    now: datetime,
    *,
    dry_run: bool = False,
    batch: int = BATCH,
) -> int:
    """Delete (``dry_run``: count) the expired frontier keys under ``prefix``, ``batch`` at a
    time as the key space is scanned; the number of keys."""
    with sessions() as session:
        kept = kept_sources(session, now)
    seen: set[bytes] = set()  # SCAN may return a key twice: count it once
    pending: list[bytes] = []
    deleted = 0
    for key in client.scan_iter(match=f"{_glob(prefix)}:*", count=1000):
        if expired_source(key, prefix, kept) is None:
            continue
        if dry_run:
            seen.add(key)
            continue
        pending.append(key)
        if len(pending) >= batch:
            deleted += int(client.unlink(*pending))
            pending = []
    if pending:
        deleted += int(client.unlink(*pending))
    return len(seen) if dry_run else deleted
