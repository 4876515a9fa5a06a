"""Behaviour shared by the config-driven spiders."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.http import Response

from crawler.extraction import select
from crawler.items import ListingItem
from crawler.sources import SourceConfig, get_source


class SourceSpider(scrapy.Spider):
    """A spider driven by one source config (``-a source=NAME [-a base_url=URL]``)."""

    source: SourceConfig

    def __init__(
        self,
        source: str | SourceConfig | None = None,
        base_url: str | None = None,
        **kwargs: Any,  # Scrapyd passes _job and other extra arguments
    ) -> None:
        if source is None:
            raise ValueError(f"spider {self.name!r} needs a source: -a source=NAME")
        config = get_source(source) if isinstance(source, str) else source
        if config.spider != self.name:
            raise ValueError(
                f"source {config.name!r} is for spider {config.spider!r}, not {self.name!r}"
            )
        self.source = config.with_base_url(base_url)
        super().__init__(name=self.name, **{k: v for k, v in kwargs.items() if k != "name"})
        self.start_urls = self.source.resolved_start_urls()
        self.allowed_domains = self.source.resolved_allowed_domains()

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        super().update_settings(settings)

    async def start(self) -> Any:
        for url in self.start_urls:
            yield scrapy.Request(url, callback=self.parse, dont_filter=False)

    def follow_listing_pages(self, response: Response) -> Iterator[scrapy.Request]:
        links = self.source.links
        if links.detail:
            for href in select(response, links.detail).getall()[:500]:
                yield response.follow(href, callback=self.parse_detail)
        if links.next:
            for href in select(response, links.next).getall()[:1]:
                yield response.follow(href, callback=self.parse)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        if not hasattr(response, "text"):
            return
        yield from self.follow_listing_pages(response)

    def parse_detail(self, response: Response) -> Iterator[Any]:
        raise NotImplementedError

    def make_item(
        self, response: Response, *, natural_key: str | None, title: str, text: str,
        fields: dict[str, Any],
    ) -> ListingItem:
        allow = set(self.source.field_allowlist)
        kept = {k: v for k, v in fields.items() if k in allow and v not in (None, "")}  # R08
        chain = [str(u) for u in response.request.meta.get("redirect_urls", [])]
        return ListingItem(
            source=self.source.name,
            natural_key=natural_key or response.url,
            url=chain[0] if chain else response.url,
            title=title,
            text=text,
            fields=kept,
            fetched_at=datetime.now(UTC).isoformat(),
            final_url=response.url,
            redirect_chain=chain,
        )
