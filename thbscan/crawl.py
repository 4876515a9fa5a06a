"""Run crawls of configured sources in one Scrapy process."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.sources import SourceConfig
from crawler.spiders.board import BoardSpider
from crawler.spiders.jobposting import JobPostingSpider

SPIDERS = {"jobposting": JobPostingSpider, "board": BoardSpider}
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}

logger = logging.getLogger(__name__)


def crawl_settings(database_url: str, overrides: dict[str, Any] | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("THBSCAN_DATABASE_URL", database_url, priority="cmdline")
    settings.set("ITEM_PIPELINES", {"thbscan.pipelines.StorePipeline": 300}, priority="cmdline")
    settings.set("EXTENSIONS", {"thbscan.crawljobs.CrawlJobRecorder": 500}, priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def private_hosts(sources: list[SourceConfig]) -> list[str]:
    """Hosts that may be internal: only loopback hosts of sources marked allow_private."""
    hosts: set[str] = set()
    for source in sources:
        if not source.allow_private:
            continue
        for url in source.resolved_start_urls():
            host = urlsplit(url).hostname or ""
            if host in LOOPBACK_HOSTS:
                hosts.add(host)
    return sorted(hosts)


def run_crawls(
    sources: list[SourceConfig], database_url: str, *, overrides: dict[str, Any] | None = None,
) -> dict[str, dict[str, Any]]:
    """Crawl ``sources`` concurrently; returns each source's final Scrapy stats.

    Blocks until every crawl ends. Twisted's reactor cannot restart, so call this
    once per process.
    """
    settings = crawl_settings(database_url, overrides)
    settings.set("THBSCAN_ALLOWED_PRIVATE_HOSTS", private_hosts(sources), priority="cmdline")
    process = CrawlerProcess(settings, install_root_handler=True)
    crawlers = {}
    for source in sources:
        base = SPIDERS[source.spider]
        spider_cls = type(
            f"{base.__name__}_{source.name.replace('-', '_')}",
            (base,),
            {"custom_settings": source.scrapy_settings()},
        )
        crawler = process.create_crawler(spider_cls)
        crawlers[source.name] = crawler
        process.crawl(crawler, source=source)
    process.start()
    return {name: dict(c.stats.get_stats()) if c.stats else {} for name, c in crawlers.items()}
