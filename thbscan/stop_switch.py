"""The stop switch (R05): a recorded switch that halts all crawling and scoring within 60 s.

``thbscan stop`` / ``thbscan resume`` set it (who, when, why, with an audit
event); running crawls poll it through :class:`StopSwitchExtension` and close
with reason ``stop_switch``; ``thbscan crawl`` and ``schedule run`` refuse to
start while it is on; `thbscan score` refuses to start and stops after the current batch.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

from crawler.slots import drop_queued
from review_queue.services.switches import SWITCH, is_stopped, set_stopped, switch_state
from store import session_factory
from thbscan import config

__all__ = [
    "STOP_REASON",
    "SWITCH",
    "StopSwitchExtension",
    "is_stopped",
    "set_stopped",
    "switch_state",
]

logger = logging.getLogger(__name__)

STOP_REASON = "stop_switch"


class StopSwitchExtension:
    """Polls the switch every ``THBSCAN_STOP_POLL_INTERVAL`` seconds; closes the spider."""

    def __init__(self, crawler: Crawler, database_url: str, interval: float) -> None:
        if not database_url:
            raise NotConfigured("no THBSCAN_DATABASE_URL: the stop switch cannot be read")
        self.crawler = crawler
        self.interval = interval
        self.engine = config.engine_for(database_url)
        self.sessions = session_factory(self.engine)
        self.loop: Any = None
        self.tripped = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StopSwitchExtension:
        s = crawler.settings
        ext = cls(
            crawler,
            s.get("THBSCAN_DATABASE_URL") or "",
            s.getfloat("THBSCAN_STOP_POLL_INTERVAL", 5.0),
        )
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def check(self) -> None:
        if self.tripped:
            return
        try:
            with self.sessions() as session:
                stopped = is_stopped(session)
        except Exception:
            logger.exception("cannot read the stop switch")
            return
        if stopped:
            self.tripped = True
            logger.warning("stop switch is on: closing the crawl")
            if self.crawler.stats:
                self.crawler.stats.set_value("thbscan/stop_switch", 1)
            from scrapy.utils.defer import deferred_from_coro

            dropped = drop_queued(self.crawler, "stop switch")
            if self.crawler.stats:
                self.crawler.stats.set_value("thbscan/stop_switch/dropped_requests", dropped)
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=STOP_REASON))

    def spider_opened(self, spider: Any) -> None:
        self.loop = create_looping_call(self.check)
        self.loop.start(self.interval, now=True)

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.engine.dispose()
