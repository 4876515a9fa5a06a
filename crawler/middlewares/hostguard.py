"""Back off when a host asks to (R16, R17).

* ``Retry-After`` on a 429 or 503 is honoured: the host gets no request until
  then (capped at ``THBSCAN_RETRY_AFTER_MAX``; longer means "pause").
* 401/403 (``THBSCAN_PAUSE_STATUSES``), a CAPTCHA page or ``THBSCAN_MAX_429``
  429s pause the host: its remaining requests are dropped for this run, and
  when every host of the spider is paused the spider closes (``host_paused``).
  No log-in, no CAPTCHA solving, no retry with another identity.
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.task import deferLater

logger = logging.getLogger(__name__)

_CAPTCHA = re.compile(
    rb"g-recaptcha|recaptcha/api\.js|hcaptcha\.com|h-captcha|challenges\.cloudflare\.com"
    rb"|cf-challenge|<title>[^<]{0,80}captcha",
    re.I,
)


def parse_retry_after(value: str | bytes | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date)."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


async def sleep(seconds: float) -> None:
    """Wait on the reactor, not blocking it (a middleware holding back one request)."""
    from twisted.internet import reactor

    await maybe_deferred_to_future(deferLater(reactor, seconds, lambda: None))


def looks_like_captcha(body: bytes) -> bool:
    head = body[:65536]
    lowered = head.lower()  # every marker contains one of these words: skip the regex
    if b"captcha" not in lowered and b"challenge" not in lowered:
        return False
    return bool(_CAPTCHA.search(head))


class HostGuardMiddleware:
    def __init__(
        self,
        *,
        retry_after_max: float = 300.0,
        retry_after_default: float = 10.0,
        max_429: int = 3,
        pause_statuses: tuple[int, ...] = (401, 403),
        stats: Any = None,
        crawler: Crawler | None = None,
    ) -> None:
        self.retry_after_max = retry_after_max
        self.retry_after_default = retry_after_default
        self.max_429 = max_429
        self.pause_statuses = frozenset(pause_statuses)
        self.stats = stats
        self.crawler = crawler
        self.not_before: dict[str, float] = {}
        self.paused: dict[str, str] = {}
        self.count_429: Counter[str] = Counter()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HostGuardMiddleware:
        s = crawler.settings
        return cls(
            retry_after_max=s.getfloat("THBSCAN_RETRY_AFTER_MAX"),
            retry_after_default=s.getfloat("THBSCAN_RETRY_AFTER_DEFAULT"),
            max_429=s.getint("THBSCAN_MAX_429"),
            pause_statuses=tuple(int(x) for x in s.getlist("THBSCAN_PAUSE_STATUSES")),
            stats=crawler.stats,
            crawler=crawler,
        )

    def _inc(self, key: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(key)

    def pause(self, host: str, why: str) -> None:
        if host in self.paused:
            return
        self.paused[host] = why
        self._inc("thbscan/host/paused")
        logger.warning("pausing host %s for this run: %s", host, why)
        spider = getattr(self.crawler, "spider", None)
        domains = [d.lower() for d in getattr(spider, "allowed_domains", None) or []]
        engine = getattr(self.crawler, "engine", None)
        if domains and all(d in self.paused for d in domains) and engine is not None:
            from scrapy.utils.defer import deferred_from_coro

            deferred_from_coro(engine.close_spider_async(reason="host_paused"))

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        host = (urlparse_cached(request).hostname or "").lower()
        if host in self.paused:
            self._inc("thbscan/host/paused_dropped")
            raise IgnoreRequest(f"host {host} is paused: {self.paused[host]}")
        wait = self.not_before.get(host, 0.0) - time.monotonic()
        if wait > 0:
            self._inc("thbscan/host/retry_after_wait")
            await sleep(wait)
        return None

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        host = (urlparse_cached(request).hostname or "").lower()
        status = response.status
        if status in self.pause_statuses:
            self.pause(host, f"HTTP {status}")
        elif status in (429, 503):
            if status == 429:
                self.count_429[host] += 1
                if self.count_429[host] >= self.max_429:
                    self.pause(host, f"{self.count_429[host]} responses 429")
                    return response
            delay = parse_retry_after(response.headers.get(b"Retry-After"))
            if delay is None:
                delay = self.retry_after_default if status == 429 else 0.0
            if delay > self.retry_after_max:
                self.pause(host, f"Retry-After {delay:.0f} s")
            elif delay > 0:
                self._inc("thbscan/host/retry_after")
                until = time.monotonic() + delay
                self.not_before[host] = max(self.not_before.get(host, 0.0), until)
        elif status == 200 and looks_like_captcha(response.body):
            self.pause(host, "CAPTCHA page")
            raise IgnoreRequest(f"CAPTCHA page from {host}")
        return response
