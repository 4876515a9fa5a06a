"""A page stays unacknowledged while an item it produced is held (stored later)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from scrapy import Request, signals
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.distributed import ack


class _Queue:
    """The reliable queue's acknowledging side, recording what it was told."""

    def __init__(self) -> None:
        self.acked: list[str] = []

    def ack(self, request: Request) -> None:
        self.acked.append(request.url)


def _setup() -> tuple[Any, ack.AckSpiderMiddleware, _Queue]:
    crawler = get_crawler()
    queue = _Queue()
    crawler.engine = SimpleNamespace(_slot=SimpleNamespace(scheduler=SimpleNamespace(queue=queue)))
    mw = ack.AckSpiderMiddleware.from_crawler(crawler)
    return crawler, mw, queue


def _page(url: str = "http://x.test/list") -> HtmlResponse:
    return HtmlResponse(url, body=b"<html></html>", request=Request(url))


def test_held_item_delays_the_ack_until_released() -> None:
    crawler, mw, queue = _setup()
    response = _page()
    item = {"title": "a job"}
    list(mw.process_spider_output(response, [item]))  # the callback yielded one item
    release = ack.hold(crawler, item)  # the pipeline takes it, to store it later
    assert release is not None
    crawler.signals.send_catch_log(signals.item_scraped, item=item, response=response)
    assert queue.acked == []  # scraped, not yet committed
    release()
    assert queue.acked == ["http://x.test/list"]


def test_unheld_item_acks_when_scraped_and_unknown_items_are_not_held() -> None:
    crawler, mw, queue = _setup()
    response = _page()
    item = {"title": "a job"}
    list(mw.process_spider_output(response, [item]))
    crawler.signals.send_catch_log(signals.item_scraped, item=item, response=response)
    assert queue.acked == ["http://x.test/list"]
    assert ack.hold(crawler, item) is None  # done with: forgotten
    assert ack.hold(crawler, {"other": 1}) is None
    assert not mw.items


def test_no_shared_frontier_no_hold() -> None:
    assert ack.hold(get_crawler(), {"title": "x"}) is None
