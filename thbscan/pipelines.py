"""Scrapy item pipeline that stores listings through the review-queue services.

It lives in the composition root so that ``crawler`` imports nothing of the
storage or scoring packages; the ``thbscan crawl`` command switches it on.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime
from typing import Any

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from review_queue.db import create_engine_for, session_factory
from review_queue.services.errors import InvalidInput
from review_queue.services.listings import ListingInput, store_listing

logger = logging.getLogger(__name__)


def _parse_time(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return datetime.now(UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def to_listing_input(item: Any) -> ListingInput:
    data = asdict(item) if is_dataclass(item) else dict(item)
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


class StorePipeline:
    def __init__(self, database_url: str, stats: Any = None) -> None:
        self.database_url = database_url
        self.stats = stats
        self.seen: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        url = crawler.settings.get("THBSCAN_DATABASE_URL")
        if not url:
            raise ValueError("THBSCAN_DATABASE_URL setting is empty: pass --db or set the variable")
        return cls(url, crawler.stats)

    def open_spider(self, spider: Spider | None = None) -> None:
        self.engine = create_engine_for(self.database_url)
        self.sessions = session_factory(self.engine)

    def close_spider(self, spider: Spider | None = None) -> None:
        self.engine.dispose()

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        listing = to_listing_input(item)
        with self.sessions() as session:
            try:
                result = store_listing(session, listing)
            except InvalidInput as exc:
                session.rollback()
                if self.stats:
                    self.stats.inc_value("thbscan/items/invalid")
                raise DropItem(str(exc)) from None
            session.commit()
        self.seen.add(listing.natural_key)
        if self.stats:
            self.stats.inc_value(f"thbscan/items/{result.status}")
        return item
