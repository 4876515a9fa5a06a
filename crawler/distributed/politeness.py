"""Per-host politeness that holds across all workers of a Redis crawl.

Scrapy spaces requests to a host (``DOWNLOAD_DELAY``, a source's ``download_delay``, a
robots.txt ``Crawl-delay``) within one process only: two workers would send twice as many
requests to the host as one. Here every request to a host with a delay first reserves the
host's next free moment in Redis, in one Lua step on Redis' own clock (workers on
machines whose clocks differ still agree), and waits until then. Between the starts of any
two requests to a host, from any workers, lies at least the host's delay.

What is shared is the spacing: the number of connections per host is still counted per
worker (``concurrency_per_domain`` each). With the default 1 s delay, requests are one
second apart wherever they come from.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.utils.httpobj import urlparse_cached

from crawler.distributed.ack import shared_queue
from crawler.middlewares.hostguard import sleep

# KEYS: the host's next-free-moment key. ARGV: the delay in ms. Returns how many ms to
# wait. The key expires a minute after the moment it holds.
RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local delay = tonumber(ARGV[1])
local free = tonumber(redis.call('GET', KEYS[1]) or '0')
local at = math.max(now, free)
redis.call('SET', KEYS[1], at + delay, 'PX', at + delay - now + 60000)
return at - now
"""


class SharedDelayMiddleware:
    """Downloader middleware (Redis mode): wait for the host's shared next free moment."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._reserve: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedDelayMiddleware:
        return cls(crawler)

    def _delay(self, request: Request) -> float:
        """The host's delay as Scrapy keeps it (source setting, Crawl-delay) in seconds."""
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        if slot is not None:
            return float(slot.delay)
        per_slot = downloader.per_slot_settings.get(key, {})
        return float(per_slot.get("delay", self.crawler.settings.getfloat("DOWNLOAD_DELAY")))

    def process_request(
        self, request: Request, spider: Spider | None = None
    ) -> Awaitable[None] | None:
        """Nothing for a host without a delay; else reserve the host's next free moment
        and return the wait for it, if any (a plain method: no coroutine per request)."""
        delay = self._delay(request)
        queue = shared_queue(self.crawler)
        if delay <= 0 or queue is None:
            return None
        if self._reserve is None:
            self._reserve = queue.server.register_script(RESERVE)
        host = (urlparse_cached(request).hostname or "").lower()
        wait_ms = int(self._reserve(keys=[f"{queue.base}:host:{host}"], args=[int(delay * 1000)]))
        if wait_ms <= 0:
            return None
        self.crawler.stats.inc_value("thbscan/redis/host_delay_wait")
        return sleep(wait_ms / 1000)
