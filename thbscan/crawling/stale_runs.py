"""Closing the records of crawl runs that died without recording their end (R31).

A crawl killed with SIGKILL (or on a machine that stopped) never runs its ``spider_closed``
handlers: its ``crawl_jobs`` row would say "running" forever, and ``thbscan crawl-jobs``
would show a crawl that is not going on. Its lock is left behind too; the next run of the
source takes that over when it is stale (:func:`thbscan.crawling.records.acquire_lock`).

This extension runs just before the crawl-run recorder, when a spider opens: if the
source's lock is stale (its holder's process is gone from this machine, or the lock
outlived its run-time limit), the runs of that source still marked running that started
under that lock are the dead holder's, and are closed as ``failed`` with what happened.
Runs of a shared (Redis) frontier take no lock, so they are never closed here.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from review_queue.domain import events
from review_queue.services import audit
from store import CrawlJob, CrawlLock, create_engine_for, session_factory
from thbscan.crawling.pipelines import with_retries
from thbscan.crawling.records import holder_dead

logger = logging.getLogger(__name__)

ENDED = "process_ended"  # crawl_jobs.stop_reason of a run closed here


def close_dead_runs(session: Session, source: str, now: datetime | None = None) -> list[int]:
    """Close the runs of ``source`` that a stale lock shows dead; their ids. Commits."""
    now = now or datetime.now(UTC)
    lock = session.get(CrawlLock, source)
    if lock is None or (lock.expires_at > now and not holder_dead(lock.holder)):
        return []  # no run holds the source, or a live one does
    why = (
        f"the crawl process {lock.holder} ended without recording the end of its run "
        "(killed, or its machine stopped); found by a later run"
        if lock.expires_at > now
        else f"the run of {lock.holder} outlived its run-time limit without recording its end"
    )
    dead = list(
        session.scalars(
            select(CrawlJob.id).where(
                CrawlJob.source == source,
                CrawlJob.status == "running",
                CrawlJob.started_at >= lock.acquired_at,
            )
        )
    )
    if dead:
        session.execute(
            update(CrawlJob)
            .where(CrawlJob.id.in_(dead))
            .values(status="failed", stop_reason=ENDED, detail=why[:500])
        )
        logger.warning("crawl run(s) %s of %r: %s", dead, source, why)
        audit.record(
            session,
            "system",
            events.DeadRunsClosed(
                runs=dead,
                previous_holder=lock.holder,
                why="process_ended" if lock.expires_at > now else "run_time_exceeded",
            ),
            "crawl_lock",
            source,
        )
    session.commit()
    return dead


class DeadRunCloser:
    """Scrapy extension: at spider_opened, :func:`close_dead_runs` for the spider's source
    (before :class:`~thbscan.crawling.records.CrawlJobRecorder` takes the lock over)."""

    def __init__(self, database_url: str, crawler: Crawler) -> None:
        self.database_url = database_url
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DeadRunCloser:
        ext = cls(crawler.settings.get("THBSCAN_DATABASE_URL"), crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        if self.crawler.settings.get("THBSCAN_REDIS_URL"):
            return  # a shared frontier's runs take no lock
        source_cfg: Any = getattr(spider, "source", None)
        source = getattr(source_cfg, "name", None) or spider.name
        engine = create_engine_for(self.database_url)
        sessions = session_factory(engine)

        def close() -> list[int]:
            with sessions() as session:
                return close_dead_runs(session, source)

        try:
            with_retries(close)
        except Exception:  # the records stay as they are; the crawl goes on
            logger.warning("could not check %r for crawl runs that died", source, exc_info=True)
        finally:
            engine.dispose()
