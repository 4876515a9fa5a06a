"""Crawl logs name a listing and never copy it (R08-R10)."""

from __future__ import annotations

import logging

from scrapy.exceptions import DropItem
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.items import ListingItem
from crawler.logformat import ListingLogFormatter, listing_ref
from crawler.spiders.board import BoardSpider

PHONE = "+45 12 34 56 78"


def _item() -> ListingItem:
    return ListingItem(
        source="fixture-ads",
        natural_key="ad-17",
        url="http://127.0.0.1/ads/ad-17",
        title="Massage, call " + PHONE,
        text="Young girls, call " + PHONE + " day and night",
        fields={"phone": PHONE},
    )


def _message(result: dict) -> str:
    return result["msg"] % result["args"]


def test_scraped_dropped_and_failed_items_are_named_not_copied() -> None:
    crawler = get_crawler(BoardSpider, {"LOG_FORMATTER": "crawler.logformat.ListingLogFormatter"})
    spider = BoardSpider.from_crawler(crawler, source="fixture-ads")
    formatter = ListingLogFormatter.from_crawler(crawler)
    response = HtmlResponse("http://127.0.0.1/ads/ad-17", body=b"<p>x</p>")
    item = _item()
    lines = [
        formatter.scraped(item, response, spider),
        formatter.dropped(item, DropItem("host is on the denylist"), response, spider),
        formatter.item_error(item, ValueError("boom"), response, spider),
    ]
    for result in lines:
        text = _message(result)
        assert "<listing fixture-ads ad-17>" in text
        assert PHONE not in text and "Young girls" not in text
    assert lines[1]["level"] == logging.WARNING and "denylist" in _message(lines[1])


def test_anything_else_is_named_by_its_type() -> None:
    assert listing_ref(["a", PHONE]) == "<list>"
