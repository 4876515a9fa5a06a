"""Closing the records of crawl runs that died without recording their end (R31).

A crawl killed with SIGKILL (or on a machine that stopped) never runs its ``spider_closed``
handlers: its ``crawl_jobs`` row would say "running" forever, and ``thbscan crawl-jobs``
would show a crawl that is not going on. Its lock is left behind too; the next run of the
source takes that over when it is stale (:func:`thbscan.crawling.records.acquire_lock`).

This extension runs just before the crawl-run recorder, when a spider opens: if the
source's lock is stale (its holder's process is gone from this machine, or the lock
outlived its run-time limit), the runs of that source still marked running that started
under that lock are the dead holder's, and are closed as ``failed`` with what happened.
Runs of a shared (Redis) frontier take no lock; every run records its process (host:pid),
so a run of the source whose process is gone from this machine is closed the same way.
Every run also beats a heartbeat into its record (each minute, see
:class:`~thbscan.crawling.records.CrawlJobRecorder`): a run of the source on any machine
closes one silent for :data:`SILENT_FOR` (a worker on a machine that stopped, or killed
there), however far its process is.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from review_queue.domain import events
from review_queue.services import audit
from store import CrawlJob, CrawlLock, session_factory
from thbscan import config
from thbscan.crawling.pipelines import with_retries
from thbscan.crawling.records import holder_dead

logger = logging.getLogger(__name__)

ENDED = "process_ended"  # crawl_jobs.stop_reason of a run closed here
# A run whose heartbeat is this old is dead: ten missed beats, room for a database restart
# and for clocks a few minutes apart between machines.
SILENT_FOR = timedelta(minutes=10)
Kind = Literal["process_ended", "run_time_exceeded"]  # why, as the audit event says


def close_dead_runs(session: Session, source: str, now: datetime | None = None) -> list[int]:
    """Close the runs of ``source`` that a stale lock, or their own recorded process,
    shows dead; their ids. Commits."""
    now = now or datetime.now(UTC)
    closed = _under_stale_lock(session, source, now)
    running = session.execute(  # those closed above are failed now
        select(CrawlJob.id, CrawlJob.holder, CrawlJob.heartbeat_at).where(
            CrawlJob.source == source, CrawlJob.status == "running"
        )
    ).all()
    by_holder: dict[str, list[int]] = {}
    silent = []
    for run, holder, beat in running:
        if holder is not None and holder_dead(holder):
            by_holder.setdefault(holder, []).append(run)
        elif beat is not None and beat < now - SILENT_FOR:
            silent.append((run, holder or "unknown", beat))
    for holder, runs in sorted(by_holder.items()):
        _close(session, source, runs, holder, "process_ended", _ended(holder))
        closed += runs
    for run, holder, beat in silent:
        why = (
            f"the crawl process {holder} has not beaten its heartbeat since "
            f"{beat:%Y-%m-%d %H:%M} UTC (its machine stopped, or it was killed); found by a "
            "later run"
        )
        _close(session, source, [run], holder, "process_ended", why)
        closed.append(run)
    session.commit()
    return closed


def _ended(holder: str) -> str:
    return (
        f"the crawl process {holder} ended without recording the end of its run "
        "(killed, or its machine stopped); found by a later run"
    )


def _under_stale_lock(session: Session, source: str, now: datetime) -> list[int]:
    lock = session.get(CrawlLock, source)
    if lock is None or (lock.expires_at > now and not holder_dead(lock.holder)):
        return []  # no run holds the source, or a live one does
    overran = lock.expires_at <= now
    why = (
        f"the run of {lock.holder} outlived its run-time limit without recording its end"
        if overran
        else _ended(lock.holder)
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
        kind: Kind = "run_time_exceeded" if overran else "process_ended"
        _close(session, source, dead, lock.holder, kind, why)
    return dead


def _close(
    session: Session,
    source: str,
    runs: list[int],
    holder: str,
    kind: Kind,
    why: str,
) -> None:
    session.execute(
        update(CrawlJob)
        .where(CrawlJob.id.in_(runs))
        .values(status="failed", stop_reason=ENDED, detail=why[:500])
    )
    logger.warning("crawl run(s) %s of %r: %s", runs, source, why)
    audit.record(
        session,
        "system",
        events.DeadRunsClosed(runs=runs, previous_holder=holder, why=kind),
        "crawl_lock",
        source,
    )


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
        source_cfg: Any = getattr(spider, "source", None)
        source = getattr(source_cfg, "name", None) or spider.name
        engine = config.engine_for(self.database_url)
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
