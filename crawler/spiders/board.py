"""Config-driven listing-board spider for sites without structured data."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scrapy.http import Response, TextResponse

from crawler.extraction import element_text, page_title_and_text, select
from crawler.spiders.base import SourceSpider, guarded


class BoardSpider(SourceSpider):
    name = "board"

    @guarded
    def parse_detail(self, response: Response) -> Iterator[Any]:
        if not isinstance(response, TextResponse):
            return
        values: dict[str, Any] = {}
        for key, spec in self.source.fields.items():
            values[key] = element_text(select(response, spec))
        title = values.pop("title", "")
        text = values.pop("text", "")
        if not (title and text):
            found_title, found_text = page_title_and_text(response.selector, response.text)
            title, text = title or found_title, text or found_text
        listing_id = values.pop("listing_id", None)
        if not (title or text):
            self.crawler.stats.inc_value("thbscan/board/empty_detail")
            return
        yield self.make_item(
            response, natural_key=listing_id, title=title, text=text, fields=values
        )
