"""Crawl-run records (R31): a Scrapy extension that records every run and holds its
source's lock.

The lock belongs to the crawl itself, whatever started it (``thbscan crawl``, the
schedule, ``scrapy crawl`` or a Scrapyd job): when the spider opens, the extension
takes the source's lock or, if another live run holds it, closes the spider at once
with reason ``source_locked`` before any request goes out. Distributed workers of one
crawl (Redis) share the frontier instead and take no lock.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import UTC, datetime, timedelta
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.utils.asyncio import create_looping_call
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crawler.completeness import LOCKED, outcome
from crawler.middlewares.robots import HOST_STATS
from review_queue.domain import events
from review_queue.services import audit
from store import CrawlJob, CrawlLock, session_factory
from thbscan import config
from thbscan.crawling.pipelines import with_retries

logger = logging.getLogger(__name__)

# crawl_jobs.status by the outcome of a run (crawler.completeness)
STATUS = {
    "complete": "finished",
    "incomplete": "incomplete",
    "stopped": "stopped",
    "locked": "locked",
    "nothing_fetched": "failed",
}


def lock_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def holder_dead(holder: str) -> bool:
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def acquire_lock(
    session: Session, source: str, *, max_runtime: float, holder: str | None = None
) -> str | None:
    """Take the source's lock; returns None if taken, else the current holder. Commits."""
    holder = holder or lock_holder()
    now = datetime.now(UTC)
    expires = now + timedelta(seconds=max_runtime + 300)
    try:
        with session.begin_nested():
            session.add(
                CrawlLock(source=source, holder=holder, acquired_at=now, expires_at=expires)
            )
        session.commit()
        return None
    except IntegrityError:
        session.rollback()
    current = session.get(CrawlLock, source)
    if current is None:
        return acquire_lock(session, source, max_runtime=max_runtime, holder=holder)
    if current.expires_at > now and not holder_dead(current.holder):
        return current.holder
    # stale: the holder died or overran; take it over only if nobody else did meanwhile
    result = session.execute(
        update(CrawlLock)
        .where(
            CrawlLock.source == source,
            CrawlLock.holder == current.holder,
            CrawlLock.acquired_at == current.acquired_at,
        )
        .values(holder=holder, acquired_at=now, expires_at=expires)
    )
    taken = getattr(result, "rowcount", 0)
    audit.record(
        session,
        "system",
        events.CrawlLockTakenOver(previous_holder=current.holder),
        "crawl_lock",
        source,
    )
    session.commit()
    return None if taken else current.holder


def release_lock(session: Session, source: str, holder: str | None = None) -> None:
    session.execute(
        delete(CrawlLock).where(
            CrawlLock.source == source, CrawlLock.holder == (holder or lock_holder())
        )
    )
    session.commit()


class CrawlJobRecorder:
    """Records the run in ``crawl_jobs``: opened, a heartbeat every
    ``THBSCAN_HEARTBEAT_INTERVAL`` seconds (default 60) while it runs, closed."""

    def __init__(self, database_url: str, crawler: Crawler) -> None:
        self.engine = config.engine_for(database_url)
        self.sessions = session_factory(self.engine)
        self.crawler = crawler
        self.job_id: int | None = None
        self.holder = lock_holder()
        self.locked_source: str | None = None  # the source whose lock this run holds
        self.heartbeat_every = crawler.settings.getfloat("THBSCAN_HEARTBEAT_INTERVAL", 60.0)
        self.loop: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlJobRecorder:
        ext = cls(crawler.settings.get("THBSCAN_DATABASE_URL"), crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def _source(self, spider: Spider) -> str:
        source = getattr(spider, "source", None)
        return getattr(source, "name", None) or spider.name

    def spider_opened(self, spider: Spider) -> None:
        other = None
        if not self.crawler.settings.get("THBSCAN_REDIS_URL"):
            other = with_retries(lambda: self._lock(self._source(spider)))
        with_retries(lambda: self._opened(spider))
        spider.thbscan_job_id = self.job_id  # type: ignore[attr-defined]
        self.loop = create_looping_call(self.beat)
        self.loop.start(self.heartbeat_every, now=False)
        if other is not None:
            logger.error(
                "source %r is already being crawled by %s: this run ends now; try again "
                "when that run has ended",
                self._source(spider),
                other,
            )
            if self.crawler.stats is not None:
                self.crawler.stats.set_value("thbscan/lock/holder", other)
            from scrapy.utils.defer import deferred_from_coro

            deferred_from_coro(self.crawler.engine.close_spider_async(reason=LOCKED))

    def _lock(self, source: str) -> str | None:
        """Take the source's lock; the holder's name if another run has it."""
        max_runtime = self.crawler.settings.getfloat("CLOSESPIDER_TIMEOUT") or 24 * 3600
        with self.sessions() as session:
            other = acquire_lock(session, source, max_runtime=max_runtime, holder=self.holder)
        if other is None:
            self.locked_source = source
        return other

    def _opened(self, spider: Spider) -> None:
        with self.sessions.begin() as session:
            job = CrawlJob(
                source=self._source(spider),
                spider=spider.name,
                status="running",
                holder=self.holder,
                heartbeat_at=datetime.now(UTC),
            )
            session.add(job)
            session.flush()
            self.job_id = job.id
            audit.record(
                session, "system", events.CrawlStarted(source=job.source), "crawl_job", job.id
            )

    def beat(self) -> None:
        """Say that the run is alive; a failed beat is logged, and the next one tries again."""
        if self.job_id is None:
            return
        try:
            with self.sessions.begin() as session:
                session.execute(
                    update(CrawlJob)
                    .where(CrawlJob.id == self.job_id, CrawlJob.status == "running")
                    .values(heartbeat_at=datetime.now(UTC))
                )
        except Exception:
            logger.exception("cannot record the heartbeat of crawl run %s", self.job_id)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        try:
            with_retries(lambda: self._closed(reason))
        finally:
            try:
                if self.locked_source is not None:
                    with self.sessions() as session:
                        release_lock(session, self.locked_source, self.holder)
            finally:
                self.engine.dispose()

    def _closed(self, reason: str) -> None:
        stats: dict[str, Any] = self.crawler.stats.get_stats() if self.crawler.stats else {}
        with self.sessions.begin() as session:
            job = session.get(CrawlJob, self.job_id)
            if job is None:
                return
            job.finished_at = datetime.now(UTC)
            job.pages = int(stats.get("downloader/response_count", 0))
            job.items = int(stats.get("item_scraped_count", 0))
            job.new = int(stats.get("thbscan/items/new", 0))
            job.changed = int(stats.get("thbscan/items/changed", 0))
            job.unchanged = int(stats.get("thbscan/items/unchanged", 0)) + int(
                stats.get("thbscan/incremental/not_modified", 0)
            )
            job.errors = int(stats.get("log_count/ERROR", 0)) + int(
                stats.get("spider_exceptions/count", 0)
            )
            job.robots_denied = int(stats.get("robotstxt/forbidden", 0)) + int(
                stats.get("thbscan/robots/disallow_all", 0)
            )
            job.stop_reason = reason[:100]
            shared = bool(self.crawler.settings.get("THBSCAN_REDIS_URL"))
            result, why = outcome(stats, reason, shared_frontier=shared)
            job.status = STATUS[result]
            job.detail = why[:500] if why else None
            job.stats = {
                k: v for k, v in stats.items() if isinstance(v, int | float | str) and len(k) <= 200
            }
            audit.record(
                session,
                "system",
                events.CrawlFinished(
                    source=job.source,
                    reason=reason,
                    status=job.status,
                    detail=job.detail,
                    pages=job.pages,
                    items=job.items,
                ),
                "crawl_job",
                job.id,
            )
            hosts = robots_decisions(stats)
            if hosts:
                audit.record(
                    session,
                    "system",
                    events.RobotsDecisions(source=job.source, hosts=hosts),
                    "crawl_job",
                    job.id,
                )


def robots_decisions(stats: dict[str, Any]) -> dict[str, events.RobotsHost]:
    """What robots.txt decided for each host of a run, from the crawl's stats."""
    found: dict[str, dict[str, Any]] = {}
    for key, value in stats.items():
        if key.startswith(HOST_STATS):
            netloc, _, name = key[len(HOST_STATS) :].rpartition("/")
            found.setdefault(netloc, {})[name] = value
    for netloc, decision in found.items():
        delay = stats.get(f"thbscan/robots/crawl_delay/{netloc.rsplit(':', 1)[0]}")
        decision.setdefault("rules", "disallow_all")  # denied before any robots.txt came
        decision["crawl_delay"] = delay
    return {netloc: events.RobotsHost(**d) for netloc, d in sorted(found.items())[:200]}
