"""Scrapy extension that records every crawl run in the database (R31)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from review_queue.db import CrawlJob, create_engine_for, session_factory
from review_queue.services import audit


class CrawlJobRecorder:
    def __init__(self, database_url: str, crawler: Crawler) -> None:
        self.engine = create_engine_for(database_url)
        self.sessions = session_factory(self.engine)
        self.crawler = crawler
        self.job_id: int | None = None

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
        with self.sessions.begin() as session:
            job = CrawlJob(source=self._source(spider), spider=spider.name, status="running")
            session.add(job)
            session.flush()
            self.job_id = job.id
            audit.record(session, "system", "crawl.started", "crawl_job", job.id,
                         source=job.source)
        spider.thbscan_job_id = self.job_id  # type: ignore[attr-defined]

    def spider_closed(self, spider: Spider, reason: str) -> None:
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
            job.unchanged = int(stats.get("thbscan/items/unchanged", 0))
            job.errors = int(stats.get("log_count/ERROR", 0)) + int(
                stats.get("spider_exceptions/count", 0) if "spider_exceptions/count" in stats
                else 0
            )
            job.robots_denied = int(stats.get("robotstxt/forbidden", 0))
            job.stop_reason = reason
            job.status = "finished" if reason == "finished" else "stopped"
            job.stats = {k: v for k, v in stats.items() if isinstance(v, int | float | str)}
            audit.record(session, "system", "crawl.finished", "crawl_job", job.id,
                         source=job.source, reason=reason, pages=job.pages, items=job.items)
        self.engine.dispose()
