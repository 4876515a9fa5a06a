"""Incremental re-crawls: fetch only what changed where the site allows.

A downloader middleware, wired by ``thbscan.crawling.runner``. For every page already
stored it sends ``If-None-Match`` / ``If-Modified-Since``; a 304 counts the
listing as seen and unchanged without a download. A sitemap ``lastmod`` older
than our last fetch skips the request altogether. The keys of listings seen
(stored or not modified) are collected for marking disappeared listings removed.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from sqlalchemy import select

from store import FetchValidator, session_factory
from thbscan import config

logger = logging.getLogger(__name__)


def seen_keys(crawler: Crawler) -> set[str]:
    """Natural keys of listings seen in this crawl (shared by middleware and pipeline)."""
    keys = getattr(crawler, "_thbscan_seen_keys", None)
    if keys is None:
        keys = set()
        crawler._thbscan_seen_keys = keys  # type: ignore[attr-defined]
    return keys


def _parse_lastmod(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class ConditionalRequestMiddleware:
    def __init__(self, crawler: Crawler, database_url: str) -> None:
        if not database_url:
            raise NotConfigured("no THBSCAN_DATABASE_URL")
        self.crawler = crawler
        self.database_url = database_url
        self.validators: dict[str, tuple[str | None, str | None, datetime, str]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalRequestMiddleware:
        if not crawler.settings.getbool("THBSCAN_INCREMENTAL", True):
            raise NotConfigured("THBSCAN_INCREMENTAL is off")
        mw = cls(crawler, crawler.settings.get("THBSCAN_DATABASE_URL") or "")
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        return mw

    def spider_opened(self, spider: Any) -> None:
        source = getattr(getattr(spider, "source", None), "name", spider.name)
        engine = config.engine_for(self.database_url)
        try:
            with session_factory(engine)() as session:
                rows = session.execute(
                    select(
                        FetchValidator.url,
                        FetchValidator.etag,
                        FetchValidator.last_modified,
                        FetchValidator.fetched_at,
                        FetchValidator.natural_key,
                    ).where(FetchValidator.source == source)
                )
                self.validators = {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}
        finally:
            engine.dispose()
        logger.info("incremental crawl of %s: %d known pages", source, len(self.validators))

    def _not_modified(self, request: Request, key: str, why: str) -> None:
        seen_keys(self.crawler).add(key)
        if self.crawler.stats:
            self.crawler.stats.inc_value("thbscan/incremental/not_modified")
            self.crawler.stats.inc_value(f"thbscan/incremental/{why}")
        raise IgnoreRequest(f"not modified ({why}): {request.url[:200]}")

    def process_request(self, request: Request, spider: Any = None) -> None:
        known = self.validators.get(request.url)
        if known is None or request.meta.get("dont_obey_robotstxt"):
            return None
        etag, last_modified, fetched_at, key = known
        lastmod = request.meta.get("thbscan_lastmod")
        if lastmod:
            when = _parse_lastmod(str(lastmod))
            if when is not None and when <= fetched_at:
                self._not_modified(request, key, "sitemap_lastmod")
        if etag:
            request.headers.setdefault(b"If-None-Match", etag.encode("latin-1"))
        if last_modified:
            request.headers.setdefault(b"If-Modified-Since", last_modified.encode("latin-1"))
        return None

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Response:
        if response.status == 304:
            known = self.validators.get(request.url)
            if known is not None:
                self._not_modified(request, known[3], "http_304")
        return response
