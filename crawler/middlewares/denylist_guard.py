"""Drop requests to opted-out hosts before they are scheduled (R18)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.denylist import Denylist

logger = logging.getLogger(__name__)


class DenylistMiddleware:
    def __init__(self, denylist: Denylist, stats: Any = None) -> None:
        if not denylist:  # the usual case; nothing to warn about
            logger.info("host denylist is empty: DenylistMiddleware is off")
            raise NotConfigured
        self.denylist = denylist
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DenylistMiddleware:
        s = crawler.settings
        denylist = Denylist.from_values(
            s.getlist("THBSCAN_DENYLIST"), s.get("THBSCAN_DENYLIST_FILE") or None
        )
        return cls(denylist, crawler.stats)

    def allowed(self, obj: Any) -> bool:
        if isinstance(obj, Request) and self.denylist.url_denied(obj.url):
            if self.stats is not None:
                self.stats.inc_value("thbscan/denylist/dropped")
            logger.info("denylisted host, not scheduled: %s", obj.url[:200])
            return False
        return True

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for obj in start:
            if self.allowed(obj):
                yield obj

    def process_spider_output(
        self, response: Any, result: Iterable[Any], spider: Any = None
    ) -> Iterable[Any]:
        return (obj for obj in result if self.allowed(obj))

    async def process_spider_output_async(
        self, response: Any, result: AsyncIterator[Any], spider: Any = None
    ) -> AsyncIterator[Any]:
        async for obj in result:
            if self.allowed(obj):
                yield obj
