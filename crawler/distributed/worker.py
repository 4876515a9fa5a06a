"""A crawler process as one worker of a shared Redis frontier.

:class:`RedisWorker` (extension) re-queues the requests of dead workers (whose lease,
renewed by the queue's own thread, has expired) and keeps this worker open while other
workers may still add requests (scrapy-redis alone closes a worker as soon as the
shared queue is briefly empty). Taken requests are acknowledged by the middlewares of
:mod:`crawler.distributed.ack`.
"""

from __future__ import annotations

import gc
import logging
import time
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.asyncio import create_looping_call

from crawler.distributed.ack import ack, shared_queue

logger = logging.getLogger(__name__)
POKE_INTERVAL = 0.005  # s between looks at the shared queue while slots are free
POKES_PER_CHECK = 10  # acknowledgements sent and end-of-crawl checked every 10 looks (50 ms)
# How long the crawl must look over (the shared queue empty and nothing in progress in any
# worker) before a worker closes: three end-of-crawl checks, 50 ms apart. A peer pushes a
# page's links before it acknowledges the page, so one check can fall between the two (the
# queue read empty before the push, the in-progress lists read after the acknowledgement);
# the next check finds those links queued or taken. Closing early would lose nothing (the
# peers crawl on), it would only leave them the work. Each worker waits this long at the end
# of every crawl (it was 3 s, a fifth of a 10,000-page benchmark crawl, then 0.5 s).
QUIET_GRACE = 0.1
POKE_STALE = 0.02  # s since Scrapy last asked for a request before a busy worker looks


class RedisWorker:
    def __init__(self, crawler: Crawler, ttl: int, idle_close: float) -> None:
        self.crawler = crawler
        self.ttl = ttl
        self.idle_close = max(idle_close, 2.0 * ttl)
        self.idle_since: float | None = None
        self.empty_since: float | None = None
        self.collected_at = 0.0
        self.pokes = 0
        self.beat: Any = None
        self.poke: Any = None
        self.queue: Any = None  # the scheduler's shared queue, from spider_opened

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisWorker:
        s = crawler.settings
        ext = cls(
            crawler, s.getint("THBSCAN_REDIS_WORKER_TTL"), s.getfloat("THBSCAN_REDIS_IDLE_CLOSE")
        )
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.request_dropped, signal=signals.request_dropped)
        return ext

    def _tick(self) -> None:
        queue = self.queue
        if queue is None:
            return
        try:
            moved = queue.requeue_dead()
        except Exception:
            logger.exception("re-queueing the requests of dead workers failed")
            return
        if moved and self.crawler.stats:
            self.crawler.stats.inc_value("thbscan/redis/requeued", moved)

    def _poke(self) -> None:
        """Every 5 ms: a worker with free download slots, busy or idle, takes requests
        that other workers have just pushed (Scrapy asks the scheduler again only when one
        of its downloads ends, and scrapy-redis looks at the shared queue only every 5 s
        when idle); every 50 ms: acknowledgements are sent, and an idle worker checks
        whether the crawl is over."""
        self.pokes += 1
        queue = self.queue
        slow = self.pokes % POKES_PER_CHECK == 0
        if queue is not None and slow:
            try:
                queue.flush()
            except Exception:
                logger.exception("sending acknowledgements to Redis failed")
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is None or queue is None:
            return
        if self.idle_since is None:
            # Busy, but with free download slots: take what peers have pushed meanwhile
            # (Scrapy asks the scheduler again only when one of this worker's downloads
            # ends, so a worker with one slow download left would leave the rest idle).
            # Only when Scrapy has not asked for a while: while it takes requests as its
            # downloads end, a look here would be one more round trip per 5 ms for nothing.
            if (
                time.monotonic() - queue.last_pop > POKE_STALE
                and queue.capacity() > 0
                and queue.has_waiting()
            ):
                slot.nextcall.schedule()
            return
        if queue.has_waiting():
            self.idle_since = self.empty_since = None
            slot.nextcall.schedule()
        elif slow:
            slot.nextcall.schedule()

    def spider_opened(self, spider: Any) -> None:
        self.queue = shared_queue(self.crawler)
        self._tick()
        self.beat = create_looping_call(self._tick)
        self.beat.start(max(1.0, self.ttl / 3), now=False)
        self.poke = create_looping_call(self._poke)
        self.poke.start(POKE_INTERVAL, now=False)

    def spider_idle(self, spider: Any) -> None:
        queue = self.queue
        if queue is None:
            return
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
        idle = now - self.idle_since
        if queue.holds_taken() and now - self.collected_at > 2.0:
            # Idle, yet requests of ours are not acknowledged: those Scrapy dropped in
            # reference cycles are released (acknowledged) by a collection.
            self.collected_at = now
            gc.collect()
        if queue.has_waiting() or queue.in_progress():
            self.empty_since = None  # other workers may still add requests
            if idle < self.idle_close:
                raise DontCloseSpider
            logger.warning("closing after %.0f s without progress on the shared frontier", idle)
            return
        if self.empty_since is None:
            self.empty_since = now
        if now - self.empty_since < QUIET_GRACE:  # a peer may be about to push its output
            raise DontCloseSpider

    def request_dropped(self, request: Request, spider: Any = None) -> None:
        ack(self.crawler, request)

    def spider_closed(self, spider: Any, reason: str) -> None:
        for loop in (self.beat, self.poke):
            if loop is not None and loop.running:
                loop.stop()
        queue = self.queue
        if queue is not None:
            queue.close(finished=reason == "finished")
        stats = self.crawler.stats
        if queue is not None and stats is not None:
            if queue.lease.lapses:
                stats.set_value("thbscan/redis/lease_lapsed", queue.lease.lapses)
            if queue.released:
                stats.set_value("thbscan/redis/released_unacknowledged", queue.released)
            if queue.duplicates:
                stats.set_value("thbscan/redis/duplicate_links", queue.duplicates)
