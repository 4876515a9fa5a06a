"""Config-driven listing-board spider for sites without structured data."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scrapy.http import Response

from crawler.extraction import element_text, main_text, page_title, select
from crawler.spiders.base import SourceSpider


class BoardSpider(SourceSpider):
    name = "board"

    def parse_detail(self, response: Response) -> Iterator[Any]:
        if not hasattr(response, "text"):
            return
        values: dict[str, Any] = {}
        for key, spec in self.source.fields.items():
            values[key] = element_text(select(response, spec))
        title = values.pop("title", "") or page_title(response.selector)
        text = values.pop("text", "") or main_text(response.selector)
        listing_id = values.pop("listing_id", None)
        if not (title or text):
            self.crawler.stats.inc_value("thbscan/board/empty_detail")
            return
        yield self.make_item(response, natural_key=listing_id, title=title, text=text,
                             fields=values)
