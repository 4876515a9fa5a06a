"""Scrapy item pipeline that stores listings through the review-queue services.

It lives in the composition root so that ``crawler`` imports nothing of the
storage or scoring packages; the ``thbscan crawl`` command switches it on.
It checks the host denylist again at ingest (R18), records HTTP validators for
incremental re-crawls, and after a complete crawl marks listings that were not
seen as removed (never deleted).
"""

from __future__ import annotations

import logging
from dataclasses import is_dataclass
from datetime import UTC, datetime
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crawler.denylist import Denylist
from review_queue.db import Listing, create_engine_for, session_factory
from review_queue.db.models import FetchValidator
from review_queue.services import audit
from review_queue.services.errors import InvalidInput
from review_queue.services.listings import (
    ListingInput,
    in_chunks,
    mark_removed,
    store_listing,
    store_listings,
)
from thbscan.groupwriter import GroupWriter
from thbscan.incremental import seen_keys

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


def _validator_row(item: Any, fetched_at: datetime) -> dict[str, Any] | None:
    """The fetch_validators row of an item, bounded; None without ETag/Last-Modified."""
    etag = (getattr(item, "etag", "") or "")[:200] or None
    last_modified = (getattr(item, "last_modified", "") or "")[:100] or None
    if not (etag or last_modified) or not item.url:
        return None
    return {"source": item.source, "url": item.url[:2000],
            "natural_key": item.natural_key[:1000], "etag": etag,
            "last_modified": last_modified, "fetched_at": fetched_at}


def save_validator(session: Session, item: Any, fetched_at: datetime) -> None:
    values = _validator_row(item, fetched_at)
    if values is None:
        return
    row = session.scalar(select(FetchValidator).where(
        FetchValidator.source == values["source"], FetchValidator.url == values["url"]))
    if row is None:
        try:
            with session.begin_nested():
                session.add(FetchValidator(**values))
        except IntegrityError:
            pass  # another ingester recorded it
        return
    for key in ("etag", "last_modified", "fetched_at", "natural_key"):
        setattr(row, key, values[key])


def save_validators(session: Session, payloads: list[tuple[Any, ListingInput]]) -> None:
    """:func:`save_validator` for a batch: one SELECT, then inserts and updates in bulk.
    A concurrent ingester (PostgreSQL) inserting the same row sends the batch down the
    one-by-one path."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for item, listing in payloads:
        row = _validator_row(item, listing.fetched_at or datetime.now(UTC))
        if row is not None:
            rows[(row["source"], row["url"])] = row  # the last fetch of a URL wins
    if not rows:
        return
    table = FetchValidator.__table__
    known: set[tuple[str, str]] = set()
    by_source: dict[str, list[str]] = {}
    for source, url in rows:
        by_source.setdefault(source, []).append(url)
    for source, urls in by_source.items():
        for chunk in in_chunks(urls):
            known.update(session.execute(select(table.c.source, table.c.url).where(
                table.c.source == source, table.c.url.in_(chunk))).tuples())
    new = [row for key, row in rows.items() if key not in known]
    old = [{f"b_{k}": v for k, v in row.items()} for key, row in rows.items() if key in known]
    try:
        with session.begin_nested():
            if new:
                session.execute(insert(table), new)
            if old:
                session.execute(update(table).where(
                    table.c.source == bindparam("b_source"), table.c.url == bindparam("b_url")
                ).values(natural_key=bindparam("b_natural_key"), etag=bindparam("b_etag"),
                         last_modified=bindparam("b_last_modified"),
                         fetched_at=bindparam("b_fetched_at")), old)
    except IntegrityError:
        for item, listing in payloads:
            save_validator(session, item, listing.fetched_at or datetime.now(UTC))


class StorePipeline:
    def __init__(self, database_url: str, stats: Any = None, denylist: Denylist | None = None,
                 mark_removed: bool = True) -> None:
        self.database_url = database_url
        self.stats = stats
        self.denylist = denylist or Denylist()
        self.mark_removed_enabled = mark_removed
        self.seen: set[str] = set()
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
                       and not s.get("THBSCAN_REDIS_URL"))
        pipeline.seen = seen_keys(crawler)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self, spider: Spider | None = None) -> None:
        self.engine = create_engine_for(self.database_url)
        self.writer_sessions = session_factory(self.engine, writer=True)
        self.writer = GroupWriter.shared(self.database_url, self.writer_sessions, self._store,
                                         self._store_batch)

    def _inc(self, key: str, n: int = 1) -> None:
        if self.stats:
            self.stats.inc_value(key, n)

    async def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        listing = to_listing_input(item)
        self.source = listing.source
        if any(self.denylist.url_denied(u) for u in (listing.url, listing.final_url) if u):
            self._inc("thbscan/denylist/dropped_at_ingest")
            raise DropItem(f"host of {listing.url!r} is on the denylist")
        try:
            # Stored by the writer thread in a group commit; the reactor goes on meanwhile.
            # item_scraped (which acknowledges the page on a shared Redis frontier) is sent
            # only once this returns, i.e. once the item is committed.
            result = await self.writer.submit_async((item, listing))
        except InvalidInput as exc:
            self._inc("thbscan/items/invalid")
            raise DropItem(str(exc)) from None
        self.seen.add(listing.natural_key[:1000])
        self._inc(f"thbscan/items/{result.status}")
        return item

    @staticmethod
    def _store_batch(session: Session, payloads: list[tuple[Any, ListingInput]]) -> list[Any]:
        """A group commit's listings in a few statements (each result or its error)."""
        results = store_listings(session, [listing for _item, listing in payloads])
        stored = [p for p, r in zip(payloads, results, strict=True)
                  if not isinstance(r, Exception) and is_dataclass(p[0])]
        save_validators(session, stored)
        return results

    @staticmethod
    def _store(session: Session, payload: tuple[Any, ListingInput]) -> Any:
        item, listing = payload
        result = store_listing(session, listing)
        if is_dataclass(item):
            save_validator(session, item, listing.fetched_at or datetime.now(UTC))
        return result

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
        keys = sorted(self.seen)
        for chunk in in_chunks(keys):  # listings seen through a 304 or lastmod
            session.execute(update(Listing).where(
                Listing.source == source, Listing.natural_key.in_(chunk)
            ).values(last_seen_at=now, removed_at=None))
        stats = self.stats.get_stats() if self.stats else {}
        complete = (reason == "finished" and self.mark_removed_enabled and keys
                    and not any(stats.get(k) for k in _INCOMPLETE_STATS)
                    and getattr(source_cfg, "spider", "") != "feed"
                    and getattr(source_cfg, "discovery", "pages") != "feed")
        if complete:
            removed = mark_removed(session, source, set(keys), now)
            self._inc("thbscan/items/removed", removed)
            if removed:
                audit.record(session, "system", "crawl.listings_removed", "source", source,
                             count=removed)
