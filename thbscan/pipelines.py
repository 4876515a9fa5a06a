"""Scrapy item pipeline that stores listings through the review-queue services.

It lives in the composition root so that ``crawler`` imports nothing of the
storage or scoring packages; the ``thbscan crawl`` command switches it on.
It checks the host denylist again at ingest (R18), records HTTP validators for
incremental re-crawls, and after a complete crawl marks listings that were not
seen as removed (never deleted).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import is_dataclass
from datetime import UTC, datetime
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from sqlalchemy import update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from crawler.denylist import Denylist
from crawler.distributed import ack
from review_queue.db import Listing, create_engine_for, session_factory
from review_queue.services import audit
from review_queue.services.errors import InvalidInput
from review_queue.services.listings import ListingInput, in_chunks, mark_removed, validate
from thbscan import storeproc
from thbscan.groupwriter import GroupWriter
from thbscan.incremental import seen_keys
from thbscan.ingest import store_batch, store_one, writer_sessions

logger = logging.getLogger(__name__)

# A crawl that ended like this may have missed listings: never mark anything removed.
_INCOMPLETE_STATS = ("log_count/ERROR", "retry/max_reached", "thbscan/host/paused",
                     "thbscan/robots/disallow_all", "thbscan/ssrf/refused",
                     "thbscan/denylist/dropped")


def _parse_time(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return datetime.now(UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def to_listing_input(item: Any) -> ListingInput:
    data = vars(item) if is_dataclass(item) else dict(item)  # read only: no deep copy
    return ListingInput(
        source=data["source"],
        natural_key=data.get("natural_key") or data.get("url") or "",
        url=data.get("url"),
        title=data.get("title") or "",
        text=data.get("text") or "",
        fields=data.get("fields") or {},
        fetched_at=_parse_time(data.get("fetched_at") or ""),
        final_url=data.get("final_url") or data.get("url"),
        redirect_chain=tuple(data.get("redirect_chain") or ()),
    )


# How the storage process stores (by reference: it imports these itself).
STORE_SETUP = (writer_sessions, store_one, store_batch)
MAX_IN_FLIGHT = 1000  # items handed to the writer and not yet committed, at most


def uses_store_process(database_url: str, enabled: bool = True) -> bool:
    """Whether a crawl stores through a storage process: if ``enabled``
    (``THBSCAN_STORE_PROCESS``) and the database is not in-memory SQLite (which exists in
    this process only)."""
    if not enabled:
        return False
    url = make_url(database_url)
    return not (url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"))


class StorePipeline:
    def __init__(self, database_url: str, stats: Any = None, denylist: Denylist | None = None,
                 mark_removed: bool = True, store_process: bool = True) -> None:
        self.database_url = database_url
        self.store_process = uses_store_process(database_url, store_process)
        self.stats = stats
        self.denylist = denylist or Denylist()
        self.mark_removed_enabled = mark_removed
        self.seen: set[str] = set()  # keys seen unchanged (304, lastmod): not stored
        self.stored: set[str] = set()  # keys stored in this crawl (writer thread)
        self.crawler: Crawler | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.max_in_flight = MAX_IN_FLIGHT
        self.submitted = 0  # items handed to the writer (reactor thread)
        self.done = 0  # of those, committed or failed (writer thread)
        self.failed = 0  # failed for a reason other than bad input (writer thread)
        # Outcomes for the reactor thread: stats keys to count, pages to acknowledge.
        self._outbox: deque[str | Callable[[], None]] = deque()
        self._drain_pending = False
        self.source: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        s = crawler.settings
        url = s.get("THBSCAN_DATABASE_URL")
        if not url:
            raise ValueError("THBSCAN_DATABASE_URL setting is empty: pass --db or set the variable")
        denylist = Denylist.from_values(s.getlist("THBSCAN_DENYLIST"),
                                        s.get("THBSCAN_DENYLIST_FILE") or None)
        pipeline = cls(url, crawler.stats, denylist,
                       mark_removed=s.getbool("THBSCAN_MARK_REMOVED", True)
                       and not s.get("THBSCAN_REDIS_URL"),
                       store_process=s.getbool("THBSCAN_STORE_PROCESS", True))
        pipeline.max_in_flight = s.getint("THBSCAN_STORE_MAX_IN_FLIGHT", MAX_IN_FLIGHT)
        pipeline.crawler = crawler
        pipeline.seen = seen_keys(crawler)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(pipeline.spider_idle, signal=signals.spider_idle)
        return pipeline

    def open_spider(self, spider: Spider | None = None) -> None:
        self.engine = create_engine_for(self.database_url)
        self.writer_sessions = session_factory(self.engine, writer=True)
        url = self.database_url
        remote = (lambda: storeproc.take(url, *STORE_SETUP)) if self.store_process else None
        self.writer = GroupWriter.shared(url, self.writer_sessions, store_one, store_batch,
                                         remote=remote)

    def _inc(self, key: str, n: int = 1) -> None:
        if self.stats:
            self.stats.inc_value(key, n)

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        """Hand the item to the writer thread and go on: the thread stores it in a group
        commit, and its outcome comes back through :meth:`_committed`. On a shared Redis
        frontier the item's page stays unacknowledged until the commit (``ack.hold``), so
        a worker killed before it loses nothing. Beyond ``THBSCAN_STORE_MAX_IN_FLIGHT``
        items (default ``MAX_IN_FLIGHT``) waiting to be stored, the item waits for its
        commit (back-pressure: memory stays bounded when the database is slower than the
        crawl)."""
        listing = to_listing_input(item)
        self.source = listing.source
        if any(self.denylist.url_denied(u) for u in (listing.url, listing.final_url) if u):
            self._inc("thbscan/denylist/dropped_at_ingest")
            raise DropItem(f"host of {listing.url!r} is on the denylist")
        try:
            validate(listing)  # what the store would refuse, dropped here (Scrapy counts it)
        except InvalidInput as exc:
            self._inc("thbscan/items/invalid")
            raise DropItem(str(exc)) from None
        if self.submitted - self.done >= self.max_in_flight:
            return self._stored(item, listing)
        if self.loop is None:
            self.loop = asyncio.get_running_loop()
        self.submitted += 1
        key = listing.natural_key[:1000]
        release = ack.hold(self.crawler, item) if self.crawler is not None else None
        self.writer.submit_callback(
            (item, listing), lambda result, error: self._committed(key, release, result, error))
        return item

    async def _stored(self, item: Any, listing: ListingInput) -> Any:
        try:
            result = await self.writer.submit_async((item, listing))
        except InvalidInput as exc:
            self._inc("thbscan/items/invalid")
            raise DropItem(str(exc)) from None
        self.stored.add(listing.natural_key[:1000])
        self._inc(f"thbscan/items/{result.status}")
        return item

    def _committed(self, key: str, release: Callable[[], None] | None, result: Any,
                   error: BaseException | None) -> None:
        """On the writer thread, after the commit: the item's outcome. Its counts and
        the release of its page go to the reactor thread (:meth:`_drain`), one wake-up
        per group."""
        self.done += 1
        if error is None:
            self.stored.add(key)
            self._outbox.append(f"thbscan/items/{result.status}")
        elif isinstance(error, InvalidInput):
            self._outbox.append("thbscan/items/invalid")
            logger.warning("listing %r not stored: %s", key[:200], error)
        else:
            self.failed += 1
            self._outbox.append("thbscan/items/store_failed")
            logger.error("listing %r not stored: %s", key[:200], error)
        if release is not None:
            self._outbox.append(release)
        if not self._drain_pending and self.loop is not None:
            self._drain_pending = True
            with contextlib.suppress(RuntimeError):  # the loop has closed: nothing waits
                self.loop.call_soon_threadsafe(self._drain)

    def _drain(self) -> None:
        """On the reactor thread: fold counts into the stats, acknowledge held pages."""
        self._drain_pending = False
        while self._outbox:
            entry = self._outbox.popleft()
            if isinstance(entry, str):
                self._inc(entry)
            else:
                entry()

    def spider_idle(self, spider: Spider | None = None) -> None:
        """Nothing is downloading: the last items need not wait for more to join their group
        (a Redis worker's last pages stay unacknowledged, and the crawl open, until then)."""
        self.writer.flush_soon()

    def close_spider(self, spider: Spider | None = None) -> None:
        """Before spider_closed: wait until every item handed over is committed, so that
        the crawl's record and its closing step see all of them."""
        self.writer.submit(lambda session: None).result()
        self._drain()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        try:  # on the writer thread, after this crawl's items: one SQLite writer at a time
            self.writer.submit(lambda session: self._finish(session, spider, reason)).result()
        finally:
            self.writer.release(self.database_url)
            self.engine.dispose()

    def _finish(self, session: Session, spider: Spider, reason: str) -> None:
        source_cfg = getattr(spider, "source", None)
        source = getattr(source_cfg, "name", None) or self.source
        if source is None:
            return
        now = datetime.now(UTC)
        # Stored listings got last_seen_at when stored; those seen through a 304 or a
        # sitemap lastmod get it now.
        for chunk in in_chunks(sorted(self.seen - self.stored)):
            session.execute(update(Listing).where(
                Listing.source == source, Listing.natural_key.in_(chunk)
            ).values(last_seen_at=now, removed_at=None))
        keys = self.seen | self.stored
        stats = self.stats.get_stats() if self.stats else {}
        complete = (reason == "finished" and self.mark_removed_enabled and keys
                    and not self.failed
                    and not any(stats.get(k) for k in _INCOMPLETE_STATS)
                    and getattr(source_cfg, "spider", "") != "feed"
                    and getattr(source_cfg, "discovery", "pages") != "feed")
        if complete:
            removed = mark_removed(session, source, keys, now)
            self._inc("thbscan/items/removed", removed)
            if removed:
                audit.record(session, "system", "crawl.listings_removed", "source", source,
                             count=removed)
