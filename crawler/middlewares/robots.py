"""robots.txt per RFC 9309, failing closed (R15), with Crawl-delay honoured (R16).

Scrapy's own middleware lets a crawl proceed when robots.txt answers 5xx or
cannot be fetched. Here a 5xx, a 429 or a network error means "disallow all"
for that host for ``THBSCAN_ROBOTS_FAIL_TTL`` seconds, after which robots.txt
is fetched again; a 4xx other than 429 means "no restrictions" (RFC 9309 2.3.1.3).
A ``Crawl-delay`` raises the host's download delay, capped at
``THBSCAN_CRAWL_DELAY_MAX``.

Requests that arrive while a host's robots.txt is being fetched all wait for it
and are all checked. (Scrapy 2.19 awaits the pending Deferred through
``Deferred.asFuture``, which consumes its result: every waiter but the first got
``None``, which Scrapy treats as "no robots.txt", so they were fetched unchecked.
Here each waiter gets its own relay of the result, and a missing parser denies.)
"""

from __future__ import annotations

import logging
import time
from typing import Any, cast

from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

logger = logging.getLogger(__name__)

# What robots.txt decided per host, in the crawl's stats: ``HOST/rules`` (parsed, none,
# disallow_all), ``HOST/status`` and ``HOST/denied`` (requests refused).
HOST_STATS = "thbscan/robots/host/"


def _relay(pending: Deferred[Any]) -> Deferred[Any]:
    """A new Deferred firing with ``pending``'s result, which stays in its chain."""
    relay: Deferred[Any] = Deferred()

    def passthrough(result: Any) -> Any:
        relay.callback(result)
        return result

    pending.addCallback(passthrough)
    return relay


class DisallowAll:
    """The parser used while a host's robots.txt is unavailable."""

    def allowed(self, url: str | bytes, user_agent: str | bytes) -> bool:
        return False

    def crawl_delay(self, user_agent: str | bytes) -> float | None:
        return None


class FailClosedRobotsTxtMiddleware(RobotsTxtMiddleware):
    def __init__(
        self, crawler: Crawler, fail_ttl: float | None = None, crawl_delay_max: float | None = None
    ) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        self.fail_ttl = (
            settings.getfloat("THBSCAN_ROBOTS_FAIL_TTL") if fail_ttl is None else fail_ttl
        )
        self.crawl_delay_max = (
            settings.getfloat("THBSCAN_CRAWL_DELAY_MAX")
            if crawl_delay_max is None
            else crawl_delay_max
        )
        self._expires: dict[str, float] = {}
        self.crawl_delays: dict[str, float] = {}

    def _useragent(self) -> str:
        return self._robotstxt_useragent or self._default_useragent

    async def robot_parser(self, request: Request) -> Any:
        netloc = urlparse_cached(request).netloc
        expires = self._expires.get(netloc)
        if (
            expires is not None
            and time.monotonic() >= expires
            and not isinstance(self._parsers.get(netloc), Deferred)
        ):
            del self._expires[netloc]
            self._parsers.pop(netloc, None)  # fetch robots.txt again
        pending = self._parsers.get(netloc)
        if isinstance(pending, Deferred):  # another request is fetching robots.txt
            parser = await maybe_deferred_to_future(_relay(pending))
        else:
            parser = await super().robot_parser(request)
        self._apply_crawl_delay(request)
        return parser

    def process_request_2(self, rp: Any, request: Request) -> None:
        # None means "no parser": never "no restrictions" here (fail closed, R15).
        try:
            super().process_request_2(cast(Any, DisallowAll()) if rp is None else rp, request)
        except IgnoreRequest:
            self._stats.inc_value(f"{HOST_STATS}{urlparse_cached(request).netloc}/denied")
            raise

    def _fail_closed(self, netloc: str, why: str) -> None:
        self._stats.inc_value("thbscan/robots/disallow_all")
        self._stats.set_value(f"{HOST_STATS}{netloc}/rules", "disallow_all")
        logger.warning(
            "robots.txt of %s unavailable (%s): disallowing the host for %.0f s",
            netloc,
            why,
            self.fail_ttl,
        )
        self._expires[netloc] = time.monotonic() + self.fail_ttl
        rp_dfd = self._parsers[netloc]
        disallow = cast(Any, DisallowAll())  # a parser that allows nothing
        self._parsers[netloc] = disallow
        if isinstance(rp_dfd, Deferred):
            rp_dfd.callback(disallow)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        status = response.status
        if status >= 500 or status == 429:
            self._stats.inc_value("robotstxt/response_count")
            self._stats.inc_value(f"robotstxt/response_status_count/{status}")
            self._fail_closed(netloc, f"HTTP {status}")
            self._stats.set_value(f"{HOST_STATS}{netloc}/status", status)
            return
        if status >= 400:  # "unavailable": no restrictions
            response = response.replace(body=b"")
        await super()._parse_robots(response, netloc, request)
        self._stats.set_value(f"{HOST_STATS}{netloc}/rules", "none" if status >= 400 else "parsed")
        self._stats.set_value(f"{HOST_STATS}{netloc}/status", status)
        crawl_delay = getattr(self._parsers.get(netloc), "crawl_delay", None)
        delay = None
        try:
            delay = crawl_delay(self._useragent()) if crawl_delay is not None else None
        except Exception:  # a parser without crawl-delay support
            delay = None
        if delay:
            host = urlparse_cached(request).hostname or ""
            self.crawl_delays[host] = min(float(delay), self.crawl_delay_max)
            self._stats.set_value(f"thbscan/robots/crawl_delay/{host}", self.crawl_delays[host])

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        if not isinstance(exc, IgnoreRequest):
            self._stats.inc_value(f"robotstxt/exception_count/{type(exc)}")
        self._fail_closed(netloc, type(exc).__name__)

    def _apply_crawl_delay(self, request: Request) -> None:
        host = urlparse_cached(request).hostname or ""
        delay = self.crawl_delays.get(host)
        engine = getattr(self.crawler, "engine", None)
        if not delay or engine is None:
            return
        downloader = engine.downloader
        key = downloader.get_slot_key(request)
        settings = downloader.per_slot_settings.setdefault(key, {})
        if settings.get("delay", 0) < delay:
            settings["delay"] = delay
        slot = downloader.slots.get(key)
        if slot is not None and slot.delay < delay:
            slot.delay = delay

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FailClosedRobotsTxtMiddleware:
        return cls(crawler)
