"""A crawler process as one worker of a shared Redis frontier.

* :class:`RedisWorker` (extension): heartbeat, re-queueing the requests of dead
  workers, and staying open while other workers may still add requests
  (scrapy-redis alone closes a worker as soon as the shared queue is briefly empty).
* :class:`AckSpiderMiddleware` / :class:`AckDownloaderMiddleware`: acknowledge a
  request once its callback output has been scheduled, or once it ended without a
  response to process (dropped, failed, redirected, retried).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Iterable
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from scrapy.utils.asyncio import create_looping_call

logger = logging.getLogger(__name__)


def _queue(crawler: Crawler) -> Any:
    engine = getattr(crawler, "engine", None)
    slot = getattr(engine, "_slot", None)
    scheduler = getattr(slot, "scheduler", None)
    queue = getattr(scheduler, "queue", None)
    return queue if hasattr(queue, "ack") else None


def ack(crawler: Crawler, request: Request) -> None:
    queue = _queue(crawler)
    if queue is not None:
        queue.ack(request)


class RedisWorker:
    def __init__(self, crawler: Crawler, ttl: int, idle_close: float) -> None:
        self.crawler = crawler
        self.ttl = ttl
        self.idle_close = max(idle_close, 2.0 * ttl)
        self.idle_since: float | None = None
        self.empty_since: float | None = None
        self.grace = 3.0
        self.beat: Any = None
        self.poke: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisWorker:
        s = crawler.settings
        ext = cls(crawler, s.getint("THBSCAN_REDIS_WORKER_TTL"),
                  s.getfloat("THBSCAN_REDIS_IDLE_CLOSE"))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.request_dropped, signal=signals.request_dropped)
        return ext

    def _tick(self) -> None:
        queue = getattr(self, "queue", None) or _queue(self.crawler)
        if queue is None:
            return
        try:
            queue.heartbeat(self.ttl)
            moved = queue.requeue_dead()
        except Exception:
            logger.exception("Redis heartbeat failed")
            return
        if moved and self.crawler.stats:
            self.crawler.stats.inc_value("thbscan/redis/requeued", moved)

    def _poke(self) -> None:
        # scrapy-redis workers otherwise look at the shared queue only every 5 s when idle.
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is not None and self.idle_since is not None:
            queue = _queue(self.crawler)
            if queue is not None and len(queue):
                self.idle_since = self.empty_since = None
            slot.nextcall.schedule()

    def spider_opened(self, spider: Any) -> None:
        self.queue = _queue(self.crawler)
        if self.queue is not None:
            self.queue.ttl = self.ttl
        self._tick()
        self.beat = create_looping_call(self._tick)
        self.beat.start(max(1.0, self.ttl / 3), now=False)
        self.poke = create_looping_call(self._poke)
        self.poke.start(0.5, now=False)

    def spider_idle(self, spider: Any) -> None:
        queue = _queue(self.crawler)
        if queue is None:
            return
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
        idle = now - self.idle_since
        if len(queue) or queue.in_progress():
            self.empty_since = None  # other workers may still add requests
            if idle < self.idle_close:
                raise DontCloseSpider
            logger.warning("closing after %.0f s without progress on the shared frontier", idle)
            return
        if self.empty_since is None:
            self.empty_since = now
        if now - self.empty_since < self.grace:  # a peer may be about to push its output
            raise DontCloseSpider

    def request_dropped(self, request: Request, spider: Any = None) -> None:
        ack(self.crawler, request)

    def spider_closed(self, spider: Any, reason: str) -> None:
        for loop in (self.beat, self.poke):
            if loop is not None and loop.running:
                loop.stop()
        queue = getattr(self, "queue", None)
        if queue is not None and reason == "finished":
            queue.close()


class AckSpiderMiddleware:
    """Acknowledge a page once what it produced is safe: its new requests scheduled and
    each of its items through the pipelines (scraped, dropped or failed), so a worker
    killed in between loses nothing (its page is re-queued and fetched again)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.pending: dict[int, tuple[Request, int]] = {}  # id(request) -> (request, items)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AckSpiderMiddleware:
        mw = cls(crawler)
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(mw.item_done, signal=signal)
        return mw

    def _outputs_done(self, request: Request, items: int) -> None:
        if items == 0:
            ack(self.crawler, request)
            return
        _req, done_early = self.pending.get(id(request), (request, 0))
        remaining = items + done_early  # done_early <= 0: items finished before counting
        if remaining <= 0:
            self.pending.pop(id(request), None)
            ack(self.crawler, request)
        else:
            self.pending[id(request)] = (request, remaining)

    def item_done(self, item: Any = None, response: Response | None = None,
                  **kwargs: Any) -> None:
        if response is None:
            return
        request = response.request
        req, remaining = self.pending.get(id(request), (request, 0))
        remaining -= 1
        if remaining == 0:
            self.pending.pop(id(request), None)
            ack(self.crawler, req)
        else:  # negative while the output is still being counted
            self.pending[id(request)] = (req, remaining)

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any],
                                          spider: Any = None) -> AsyncIterator[Any]:
        items = 0
        async for obj in result:
            if not isinstance(obj, Request):
                items += 1
            yield obj
        self._outputs_done(response.request, items)

    def process_spider_output(self, response: Response, result: Iterable[Any],
                              spider: Any = None) -> Iterable[Any]:
        items = 0
        for obj in result:
            if not isinstance(obj, Request):
                items += 1
            yield obj
        self._outputs_done(response.request, items)

    def process_spider_exception(self, response: Response, exception: Exception,
                                 spider: Any = None) -> None:
        ack(self.crawler, response.request)


class AckDownloaderMiddleware:
    """Outermost downloader middleware: sees what the downloader finally produced."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AckDownloaderMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response,
                         spider: Any = None) -> Any:
        return response

    def process_exception(self, request: Request, exception: Exception,
                          spider: Any = None) -> None:
        ack(self.crawler, request)  # failed or ignored: nothing more will come of it
