"""Run crawls of configured sources in one Scrapy process (the composition root's wiring)."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import Iterator
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.sources import SourceConfig
from crawler.spiders.board import BoardSpider
from crawler.spiders.feed import FeedSpider
from crawler.spiders.jobposting import JobPostingSpider
from thbscan import config

SPIDERS = {"jobposting": JobPostingSpider, "board": BoardSpider, "feed": FeedSpider}

# What thbscan adds to the crawler package's settings: storage, records, stop switch.
ITEM_PIPELINES = {"thbscan.crawling.pipelines.StorePipeline": 300}
EXTENSIONS = {
    "thbscan.crawling.stale_runs.DeadRunCloser": 490,  # before the recorder takes the lock
    "thbscan.crawling.records.CrawlJobRecorder": 500,
    "thbscan.stop_switch.StopSwitchExtension": 510,
}
EXTRA_DOWNLOADER_MIDDLEWARES = {"thbscan.crawling.incremental.ConditionalRequestMiddleware": 585}
logger = logging.getLogger(__name__)


@contextlib.contextmanager
def crawl_gc() -> Iterator[None]:
    """Garbage-collector settings for a crawl (measured: 2.9 s of a 16.7 s crawl of 10,000
    pages went to collections, 1.85 s of it full ones over everything imported).

    The objects alive at the start (modules, settings, the engine) are frozen, so full
    collections skip them; young collections run every 10,000 allocations instead of 700,
    each of them finding as much garbage. Restored afterwards (the tests run crawls
    in-process)."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(10_000, 20, 10)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def apply_thbscan(settings: Settings, database_url: str) -> Settings:
    settings.set("THBSCAN_DATABASE_URL", database_url, priority="cmdline")
    settings.set("ITEM_PIPELINES", ITEM_PIPELINES, priority="cmdline")
    settings.set("EXTENSIONS", {**settings.getdict("EXTENSIONS"), **EXTENSIONS}, priority="cmdline")
    downloader = {**settings.getdict("DOWNLOADER_MIDDLEWARES"), **EXTRA_DOWNLOADER_MIDDLEWARES}
    settings.set("DOWNLOADER_MIDDLEWARES", downloader, priority="cmdline")
    given = config.settings()
    for name in config.CRAWL_SETTINGS:
        if getattr(given, name):
            settings.set(f"THBSCAN_{name.upper()}", getattr(given, name), priority="cmdline")
    return settings


def crawl_settings(database_url: str, overrides: dict[str, Any] | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    apply_thbscan(settings, database_url)
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def private_hosts(sources: list[SourceConfig]) -> list[str]:
    """``host:port`` of loopback start URLs of sources marked allow_private."""
    return sorted({h for source in sources for h in source.private_hosts()})


def run_crawls(
    sources: list[SourceConfig],
    database_url: str,
    *,
    overrides: dict[str, Any] | None = None,
) -> dict[str, dict[str, Any]]:
    """Crawl ``sources`` concurrently; returns each source's final Scrapy stats.

    Blocks until every crawl ends. Twisted's reactor cannot restart, so call this
    once per process.
    """
    settings = crawl_settings(database_url, overrides)
    settings.set("THBSCAN_ALLOWED_PRIVATE_HOSTS", private_hosts(sources), priority="cmdline")
    # The command line has configured logging already: no second root handler. LOG_LEVEL
    # then filters nothing by itself: applied to Scrapy's loggers, records below it (a
    # DEBUG line per page and per item) are not even created.
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    process = CrawlerProcess(settings)  # (resets the "scrapy" logger to DEBUG)
    logging.getLogger("scrapy").setLevel(settings.get("LOG_LEVEL"))
    crawlers = {}
    for source in sources:
        crawler = process.create_crawler(SPIDERS[source.spider])
        crawlers[source.name] = crawler
        process.crawl(crawler, source=source)
    with crawl_gc():
        process.start()
    return {name: dict(c.stats.get_stats()) if c.stats else {} for name, c in crawlers.items()}
