"""RSS/Atom feed spider: one listing per feed entry (title, description, link)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from scrapy.http import Response

from crawler.extraction import clean_text, html_to_text
from crawler.items import ListingItem
from crawler.spiders.base import SourceSpider, guarded
from crawler.spiders.discovery import feed_entries


class FeedSpider(SourceSpider):
    name = "feed"

    @guarded
    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        count = 0
        for entry in feed_entries(response):
            title = clean_text(html_to_text(entry.title))[:500]
            text = html_to_text(entry.description)
            if not (title or text):
                continue
            key = entry.guid or entry.link
            if not key:
                self.crawler.stats.inc_value("thbscan/feed/no_key")
                continue
            count += 1
            fields = {"date": entry.published} if entry.published else {}
            allow = set(self.source.field_allowlist)
            yield ListingItem(
                source=self.source.name,
                natural_key=key[:1000],
                url=entry.link or response.url,
                title=title,
                text=text,
                fields={k: v for k, v in fields.items() if k in allow},
                fetched_at=datetime.now(UTC).isoformat(),
                final_url=response.url,
                redirect_chain=[str(u) for u in response.meta.get("redirect_urls", [])],
            )
        self.crawler.stats.inc_value("thbscan/feed/entries", count)
