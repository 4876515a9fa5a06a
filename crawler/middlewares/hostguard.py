"""Back off when a host asks to (R16, R17).

* ``Retry-After`` on a 429 or 5xx is honoured: the host gets no request until
  then, requests already waiting in its download slot included (capped at
  ``THBSCAN_RETRY_AFTER_MAX``; longer means "pause").
* A 429 or 5xx without ``Retry-After`` waits ``THBSCAN_RETRY_AFTER_DEFAULT``, doubled
  for every further 5xx in a row from the host (a 5xx storm slows down instead of
  getting every retry at full rate); past ``THBSCAN_RETRY_AFTER_MAX`` or after
  ``THBSCAN_MAX_5XX`` answers 5xx in a row the host pauses.
  A good response resets the count.
* 401/403 (``THBSCAN_PAUSE_STATUSES``), a CAPTCHA page or ``THBSCAN_MAX_429``
  429s pause the host: its remaining requests are dropped for this run, and
  when every host of the spider is paused the spider closes (``host_paused``).
  No log-in, no CAPTCHA solving, no retry with another identity.

Responses are judged when they arrive (``response_downloaded``), before Scrapy sends
the next waiting request of the slot: a back-off or pause holds that one too.
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.task import deferLater

from crawler.slots import drop_queued, hold_slot

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
        max_5xx: int = 8,
        pause_statuses: tuple[int, ...] = (401, 403),
        stats: Any = None,
        crawler: Crawler | None = None,
    ) -> None:
        self.retry_after_max = retry_after_max
        self.retry_after_default = retry_after_default
        self.max_429 = max_429
        self.max_5xx = max_5xx
        self.pause_statuses = frozenset(pause_statuses)
        self.stats = stats
        self.crawler = crawler
        self.not_before: dict[str, float] = {}
        self.paused: dict[str, str] = {}
        self.count_429: Counter[str] = Counter()
        self.count_5xx: Counter[str] = Counter()  # 5xx in a row per host

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HostGuardMiddleware:
        s = crawler.settings
        guard = cls(
            retry_after_max=s.getfloat("THBSCAN_RETRY_AFTER_MAX"),
            retry_after_default=s.getfloat("THBSCAN_RETRY_AFTER_DEFAULT"),
            max_429=s.getint("THBSCAN_MAX_429"),
            max_5xx=s.getint("THBSCAN_MAX_5XX"),
            pause_statuses=tuple(int(x) for x in s.getlist("THBSCAN_PAUSE_STATUSES")),
            stats=crawler.stats,
            crawler=crawler,
        )
        crawler.signals.connect(guard.observe, signal=signals.response_downloaded)
        return guard

    def _inc(self, key: str, count: int = 1) -> None:
        if self.stats is not None:
            self.stats.inc_value(key, count)

    def pause(self, host: str, why: str) -> None:
        if host in self.paused:
            return
        self.paused[host] = why
        self._inc("thbscan/host/paused")
        logger.warning("pausing host %s for this run: %s", host, why)
        dropped = drop_queued(self.crawler, f"host {host} paused", host)
        if dropped:
            self._inc("thbscan/host/paused_dropped", dropped)
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

    def back_off(self, request: Request, host: str, delay: float, why: str) -> None:
        """No request to ``host`` for ``delay`` seconds, queued ones included."""
        if delay > self.retry_after_max:
            self.pause(host, why)
            return
        self._inc("thbscan/host/retry_after")
        until = time.monotonic() + delay
        self.not_before[host] = max(self.not_before.get(host, 0.0), until)
        slot = request.meta.get("download_slot") or host
        hold_slot(self.crawler, slot, self.not_before[host] - time.monotonic())

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        if not request.meta.pop("_thbscan_observed", False):
            self.observe(response, request)
        host = (urlparse_cached(request).hostname or "").lower()
        if response.status == 200 and looks_like_captcha(response.body):
            self.pause(host, "CAPTCHA page")
            raise IgnoreRequest(f"CAPTCHA page from {host}")
        return response

    def observe(self, response: Response, request: Request, **_: Any) -> None:
        """Count the host's 429s and 5xx in a row; back off or pause."""
        request.meta["_thbscan_observed"] = True
        host = (urlparse_cached(request).hostname or "").lower()
        status = response.status
        if status in self.pause_statuses:
            self.pause(host, f"HTTP {status}")
        elif status == 429 or status >= 500:
            if status == 429:
                self.count_429[host] += 1
                if self.count_429[host] >= self.max_429:
                    self.pause(host, f"{self.count_429[host]} responses 429")
                    return
                backoff, why = self.retry_after_default, "429"
            else:
                n = self.count_5xx[host] = self.count_5xx[host] + 1
                if n >= self.max_5xx:
                    self.pause(host, f"{n} responses 5xx in a row")
                    return
                backoff = self.retry_after_default * 2 ** (n - 1)
                why = f"{n} responses 5xx in a row"
            delay = parse_retry_after(response.headers.get(b"Retry-After"))
            if delay is None:
                self.back_off(request, host, backoff, f"back-off of {backoff:.0f} s after {why}")
            else:
                self.back_off(request, host, delay, f"Retry-After {delay:.0f} s")
        else:
            self.count_5xx.pop(host, None)
