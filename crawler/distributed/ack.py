"""Acknowledging taken requests on the shared frontier (:mod:`crawler.distributed.reliable_queue`).

A page's request stays in its worker's in-progress list until everything its callback
produced is safe, so that a worker killed at any moment loses nothing (its page is
re-queued and fetched again):

* each request the callback yielded has been handed to the scheduler (pushed to the
  shared frontier, or refused there: duplicate, off-site, SSRF guard);
* each item has been through the pipelines (stored, dropped or failed; a storing
  pipeline returns an item only once it is committed).

The end of the callback's output is not enough: Scrapy processes that output through a
queue of up to ``2 x CONCURRENT_ITEMS`` objects, so the last requests of a page (its
"next page" link, typically) may still be waiting there when the generator ends.

A request that ends without a response to process (ignored, failed, or replaced by a
retry or redirect) is acknowledged by :class:`AckDownloaderMiddleware`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.asyncio import call_later


def shared_queue(crawler: Crawler) -> Any:
    """The reliable queue of this crawler's Redis scheduler, or None."""
    engine = getattr(crawler, "engine", None)
    slot = getattr(engine, "_slot", None)
    scheduler = getattr(slot, "scheduler", None)
    queue = getattr(scheduler, "queue", None)
    return queue if hasattr(queue, "ack") else None


def ack(crawler: Crawler, request: Request) -> None:
    queue = shared_queue(crawler)
    if queue is not None:
        queue.ack(request)


class _Page:
    __slots__ = ("complete", "outstanding", "request")

    def __init__(self, request: Request) -> None:
        self.request = request
        self.outstanding = 0  # outputs yielded and not yet handled
        self.complete = False  # the callback's output has ended


class AckSpiderMiddleware:
    """Outermost spider middleware: counts each page's outputs until they are handled."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.pages: dict[int, _Page] = {}  # id(page request) -> its outputs
        self.parents: dict[Request, _Page] = {}  # a yielded request -> its page

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AckSpiderMiddleware:
        mw = cls(crawler)
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(mw.item_done, signal=signal)
        crawler.signals.connect(mw.request_scheduled, signal=signals.request_scheduled)
        return mw

    def _page(self, response: Response) -> _Page:
        request = response.request
        assert request is not None  # a response given to a callback has its request
        page = self.pages.get(id(request))
        if page is None or page.request is not request:
            page = self.pages[id(request)] = _Page(request)
        return page

    def _count(self, page: _Page, obj: Any) -> None:
        page.outstanding += 1
        if isinstance(obj, Request):
            self.parents[obj] = page

    def _done(self, page: _Page) -> None:
        page.outstanding -= 1
        self._maybe_ack(page)

    def _maybe_ack(self, page: _Page) -> None:
        if page.complete and page.outstanding <= 0:
            if self.pages.get(id(page.request)) is page:
                del self.pages[id(page.request)]
            ack(self.crawler, page.request)

    def _ended(self, page: _Page) -> None:
        page.complete = True
        self._maybe_ack(page)

    def item_done(self, item: Any = None, response: Response | None = None, **kwargs: Any) -> None:
        request = getattr(response, "request", None)
        page = self.pages.get(id(request))
        if page is not None and page.request is request:
            self._done(page)

    def request_scheduled(self, request: Request, spider: Any = None) -> None:
        page = self.parents.pop(request, None)
        if page is not None:
            # Sent before the scheduler takes the request: count it handled once the
            # engine's scheduling call (push or refusal) has returned.
            call_later(0, self._done, page)

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any], spider: Any = None
    ) -> AsyncIterator[Any]:
        page = self._page(response)
        try:
            async for obj in result:
                self._count(page, obj)
                yield obj
        finally:
            self._ended(page)

    def process_spider_output(
        self, response: Response, result: Iterable[Any], spider: Any = None
    ) -> Iterator[Any]:
        page = self._page(response)
        try:
            for obj in result:
                self._count(page, obj)
                yield obj
        finally:
            self._ended(page)

    def process_spider_exception(
        self, response: Response, exception: Exception, spider: Any = None
    ) -> None:
        self._ended(self._page(response))  # outputs already yielded are still counted


class AckDownloaderMiddleware:
    """Outermost downloader middleware: sees what the downloader finally produced."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AckDownloaderMiddleware:
        return cls(crawler)

    def process_exception(self, request: Request, exception: Exception, spider: Any = None) -> None:
        ack(self.crawler, request)  # failed or ignored: nothing more will come of it
