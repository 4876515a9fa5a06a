"""A page on the shared frontier is acknowledged once everything it produced is done."""

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


def test_a_page_is_acknowledged_once_its_items_are_done() -> None:
    crawler, mw, queue = _setup()
    response = _page()
    items = [{"title": "a job"}, {"title": "another"}]
    list(mw.process_spider_output(response, items))  # the callback yielded two items
    crawler.signals.send_catch_log(signals.item_scraped, item=items[0], response=response)
    assert queue.acked == []  # one of them still in the pipelines (being stored)
    crawler.signals.send_catch_log(
        signals.item_error, item=items[1], response=response, failure=None
    )
    assert queue.acked == ["http://x.test/list"]
    assert not mw.pages


def test_a_page_without_output_is_acknowledged_when_its_callback_ends() -> None:
    _crawler, mw, queue = _setup()
    list(mw.process_spider_output(_page(), []))
    assert queue.acked == ["http://x.test/list"]
