"""Scrapy item pipeline that stores listings through the review-queue services.

It lives in the composition root so that ``crawler`` imports nothing of the
storage or scoring packages; the ``thbscan crawl`` command switches it on.
It checks the host denylist again at ingest (R18), records HTTP validators for
incremental re-crawls, and after a complete crawl marks listings that were not
seen as removed (never deleted).

Items are stored in group commits on one writer thread per database (SQLite has one
writer): ``process_item`` is a coroutine that hands its item to the group now gathering
and returns once that group is committed. So an item is done, and on a shared Redis
frontier its page acknowledged, only after its commit; and Scrapy's own limit on the
responses being processed (``SCRAPER_SLOT_MAX_ACTIVE_SIZE``) holds the crawl back when the
database is slower than the crawl.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import is_dataclass
from datetime import UTC, datetime
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from sqlalchemy import update
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from crawler.completeness import incomplete_reasons
from crawler.denylist import Denylist
from nlp.redact import Redactor
from review_queue.domain import events
from review_queue.services import audit
from store import Listing, session_factory
from store.errors import InvalidListing
from store.listings import ListingInput, in_chunks, mark_removed, validate
from thbscan import config
from thbscan.crawling.incremental import seen_keys
from thbscan.crawling.storage import store_batch, store_one
from thbscan.redaction import redactor

logger = logging.getLogger(__name__)


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


MAX_GROUP = 200  # items in one commit, at most
LINGER = 0.2  # s a group gathers after its first item
_ATTEMPTS = 3  # a group whose transaction fails (a locked database) is tried again


def with_retries(work: Callable[[], Any], *, attempts: int = 5) -> Any:
    """Run a short transaction again when SQLite reports the database locked (a writer
    of another crawl in this process held it); other errors pass through."""
    for attempt in range(attempts):
        try:
            return work()
        except OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
    return None


_writers: dict[str, ThreadPoolExecutor] = {}
_writers_lock = threading.Lock()


def writer_for(database_url: str) -> ThreadPoolExecutor:
    """The one writer thread of a database in this process: crawls running side by side
    never write to SQLite from two threads."""
    with _writers_lock:
        writer = _writers.get(database_url)
        if writer is None:
            writer = _writers[database_url] = ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="thbscan-store"
            )
        return writer


Result = tuple[Any, BaseException | None]  # (result, error) of one payload


def store_group(
    sessions: sessionmaker[Session], payloads: list[Any], redact: Redactor
) -> list[Result]:
    """Store a group's ``(item, listing)`` payloads in one transaction: in a few statements
    (:func:`store_batch`), or one by one when the batch cannot take one of them, so that a
    bad item fails alone. Each payload's result or error, in order. A transaction that
    fails (a locked database, a lost race) is tried again; after the last try every
    payload carries its error."""
    for attempt in range(_ATTEMPTS):
        try:
            with sessions() as session:
                results = _store(session, payloads, redact)
                session.commit()
            return results
        except Exception as exc:  # the transaction failed: nothing of it is stored
            if attempt == _ATTEMPTS - 1:
                logger.exception("storing a group of %d items failed", len(payloads))
                return [(None, exc)] * len(payloads)
            logger.warning(
                "storing a group of %d items failed (%s); retrying",
                len(payloads),
                exc.__class__.__name__,
            )
            time.sleep(0.5 * (attempt + 1))
    return []  # not reached


def _store(session: Session, payloads: list[Any], redact: Redactor) -> list[Result]:
    try:
        with session.begin_nested():
            written = store_batch(session, payloads, redact)
        return [(None, r) if isinstance(r, BaseException) else (r, None) for r in written]
    except DBAPIError:  # locked database: the whole group again
        raise
    except Exception:  # a payload the batch cannot take: find it, one at a time
        logger.debug(
            "group write failed; storing its %d items one by one", len(payloads), exc_info=True
        )
    results: list[Result] = []
    for payload in payloads:
        try:
            with session.begin_nested():
                results.append((store_one(session, payload, redact), None))
        except DBAPIError:
            raise
        except Exception as exc:  # this item only (e.g. invalid input)
            results.append((None, exc))
    return results


class StorePipeline:
    def __init__(
        self,
        database_url: str,
        stats: Any = None,
        denylist: Denylist | None = None,
        mark_removed: bool = True,
    ) -> None:
        self.database_url = database_url
        self.stats = stats
        self.denylist = denylist or Denylist()
        self.mark_removed_enabled = mark_removed
        self.seen: set[str] = set()  # keys seen unchanged (304, lastmod): not stored
        self.stored: set[str] = set()  # keys stored in this crawl
        self.failed = 0  # items not stored for a reason other than bad input
        self.source: str | None = None
        self._group: list[tuple[Any, asyncio.Future[Result]]] = []
        self._flush_at: asyncio.TimerHandle | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        s = crawler.settings
        url = s.get("THBSCAN_DATABASE_URL")
        if not url:
            raise ValueError("THBSCAN_DATABASE_URL setting is empty: pass --db or set the variable")
        denylist = Denylist.from_values(
            s.getlist("THBSCAN_DENYLIST"), s.get("THBSCAN_DENYLIST_FILE") or None
        )
        pipeline = cls(
            url,
            crawler.stats,
            denylist,
            mark_removed=s.getbool("THBSCAN_MARK_REMOVED", True) and not s.get("THBSCAN_REDIS_URL"),
        )
        pipeline.seen = seen_keys(crawler)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self, spider: Spider | None = None) -> None:
        self.engine = config.engine_for(self.database_url)
        self.sessions = session_factory(self.engine, writer=True)
        self.writer = writer_for(self.database_url)
        self.redact = redactor(config.mode())  # no key in production: the crawl stops here

    def _inc(self, key: str, n: int = 1) -> None:
        if self.stats:
            self.stats.inc_value(key, n)

    async def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        """Store the item in the group commit now gathering; done once it is committed."""
        listing = to_listing_input(item)
        self.source = listing.source
        if any(self.denylist.url_denied(u) for u in (listing.url, listing.final_url) if u):
            self._inc("thbscan/denylist/dropped_at_ingest")
            raise DropItem(f"host of {listing.url!r} is on the denylist")
        try:
            validate(listing)  # what the store would refuse, dropped here (Scrapy counts it)
        except InvalidListing as exc:
            self._inc("thbscan/items/invalid")
            raise DropItem(str(exc)) from None
        key = listing.natural_key[:1000]
        result, error = await self._stored((item, listing))
        if isinstance(error, InvalidListing):
            self._inc("thbscan/items/invalid")
            raise DropItem(str(error))
        if error is not None:  # Scrapy logs it as an error in processing the item
            self.failed += 1
            self._inc("thbscan/items/store_failed")
            raise error
        self.stored.add(key)
        self._inc(f"thbscan/items/{result.status}")
        return item

    def _stored(self, payload: Any) -> asyncio.Future[Result]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Result] = loop.create_future()
        self._group.append((payload, future))
        if len(self._group) >= MAX_GROUP:
            self._flush()
        elif self._flush_at is None:
            self._flush_at = loop.call_later(LINGER, self._flush)
        return future

    def _flush(self) -> None:
        """Commit the group gathered so far on the writer thread; settle its futures."""
        if self._flush_at is not None:
            self._flush_at.cancel()
            self._flush_at = None
        group, self._group = self._group, []
        if not group:
            return
        done = asyncio.get_running_loop().run_in_executor(
            self.writer,
            store_group,
            self.sessions,
            [payload for payload, _f in group],
            self.redact,
        )

        def settle(done: asyncio.Future[list[Result]]) -> None:
            results = done.result()
            for (_payload, future), result in zip(group, results, strict=True):
                if not future.done():
                    future.set_result(result)

        done.add_done_callback(settle)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """After the crawl's last item: mark what was not seen (on the writer thread, one
        SQLite writer at a time)."""
        try:
            self.writer.submit(
                with_retries, lambda: self._finish_in_session(spider, reason)
            ).result()
        finally:
            self.engine.dispose()

    def _finish_in_session(self, spider: Spider, reason: str) -> None:
        with self.sessions() as session:
            self._finish(session, spider, reason)
            session.commit()

    def _finish(self, session: Session, spider: Spider, reason: str) -> None:
        source_cfg = getattr(spider, "source", None)
        source = getattr(source_cfg, "name", None) or self.source
        if source is None:
            return
        now = datetime.now(UTC)
        # Stored listings got last_seen_at when stored; those seen through a 304 or a
        # sitemap lastmod get it now.
        for chunk in in_chunks(sorted(self.seen - self.stored)):
            session.execute(
                update(Listing)
                .where(Listing.source == source, Listing.natural_key.in_(chunk))
                .values(last_seen_at=now, removed_at=None)
            )
        keys = self.seen | self.stored
        stats = self.stats.get_stats() if self.stats else {}
        complete = (
            reason == "finished"
            and self.mark_removed_enabled
            and keys
            and not self.failed
            and not incomplete_reasons(stats)
            and getattr(source_cfg, "spider", "") != "feed"
            and getattr(source_cfg, "discovery", "pages") != "feed"
        )
        if complete:
            removed = mark_removed(session, source, keys, now)
            self._inc("thbscan/items/removed", removed)
            if removed:
                audit.record(
                    session, "system", events.ListingsRemoved(count=removed), "source", source
                )
