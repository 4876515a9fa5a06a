"""Log lines that name a listing without copying it (R08-R10).

Scrapy's default formatter writes the whole item into the log when an item is scraped
(DEBUG), dropped (WARNING) or fails in a pipeline (ERROR): titles, texts and phone
numbers would reach crawl logs and Scrapyd's job logs, outside the database and its
retention. This one names the listing by source and key only.
"""

from __future__ import annotations

from typing import Any

from scrapy.logformatter import LogFormatter, LogFormatterResult


def listing_ref(item: Any) -> str:
    """``<listing SOURCE KEY>``: enough to find it, nothing of its content."""
    source, key = getattr(item, "source", None), getattr(item, "natural_key", None)
    if source is None or key is None:
        return f"<{type(item).__name__}>"
    return f"<listing {str(source)[:100]} {str(key)[:200]}>"


class ListingLogFormatter(LogFormatter):
    def scraped(self, item: Any, response: Any, spider: Any) -> LogFormatterResult:
        result = super().scraped(item, response, spider)
        return {**result, "args": {**result["args"], "item": listing_ref(item)}}  # type: ignore[dict-item]

    def dropped(
        self, item: Any, exception: BaseException, response: Any, spider: Any
    ) -> LogFormatterResult:
        result = super().dropped(item, exception, response, spider)
        return {**result, "args": {**result["args"], "item": listing_ref(item)}}  # type: ignore[dict-item]

    def item_error(
        self, item: Any, exception: BaseException, response: Any, spider: Any
    ) -> LogFormatterResult:
        result = super().item_error(item, exception, response, spider)
        return {**result, "args": {**result["args"], "item": listing_ref(item)}}  # type: ignore[dict-item]
