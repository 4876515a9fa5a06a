"""The crawl's item pipeline stores listings in group commits, against real databases:
an item is done only once committed, a bad item fails alone, a failed store stops the
removal step. Read back with a separate engine, on SQLite and (where reachable)
PostgreSQL."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler
from sqlalchemy import func, select

from crawler.items import ListingItem
from review_queue.db import upgrade
from store import FetchValidator, Listing, ListingVersion, create_engine_for, session_factory
from store.errors import InvalidListing
from thbscan.crawling.pipelines import StorePipeline, store_group, to_listing_input
from thbscan.crawling.runner import crawl_gc
from thbscan.redaction import redactor

FINISHED = type("Spider", (), {"source": None})()
REDACT = redactor("test")


def _item(n: int, *, title: str | None = None) -> ListingItem:
    return ListingItem(
        source="test",
        natural_key=f"job-{n}",
        url=f"http://x.test/job-{n}",
        title=f"Job {n}" if title is None else title,
        text="" if title == "" else f"Warehouse work, listing {n}.",
        etag=f'"e{n}"',
        fetched_at="2026-11-29T10:00:00+00:00",
    )


@pytest.fixture
def database(db_url: str) -> str:
    engine = create_engine_for(db_url)
    upgrade(engine)
    engine.dispose()
    return db_url


def _count(db: str, model: Any) -> int:
    engine = create_engine_for(db)
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(model)).scalar_one()
    engine.dispose()
    return n


def _pipeline(db: str) -> tuple[Any, StorePipeline]:
    crawler = get_crawler(settings_dict={"THBSCAN_DATABASE_URL": db})
    pipeline = StorePipeline.from_crawler(crawler)
    pipeline.open_spider()
    return crawler, pipeline


def test_items_are_done_once_committed_in_one_group(database: str) -> None:
    crawler, pipeline = _pipeline(database)
    counts: list[int] = []

    async def crawl() -> list[Any]:
        async def one(n: int) -> Any:
            item = await pipeline.process_item(_item(n))
            counts.append(_count(database, Listing))  # what another reader sees by then
            return item

        return await asyncio.gather(*(one(n) for n in range(5)))

    try:
        assert len(asyncio.run(crawl())) == 5
    finally:
        pipeline.spider_closed(FINISHED, "finished")
    assert counts == [5] * 5  # each was committed, all five in one group, before done
    assert crawler.stats.get_value("thbscan/items/new") == 5
    assert _count(database, ListingVersion) == 5 and _count(database, FetchValidator) == 5


def test_a_bad_item_fails_alone_and_a_repeat_is_unchanged(database: str) -> None:
    sessions = session_factory(create_engine_for(database), writer=True)
    good = [(_item(i), to_listing_input(_item(i))) for i in range(4)]
    bad = _item(99)
    bad_listing = to_listing_input(bad)
    object.__setattr__(bad_listing, "title", "")
    object.__setattr__(bad_listing, "text", "")  # what validation would refuse
    results = store_group(sessions, [*good[:2], (bad, bad_listing), *good[2:]], REDACT)
    assert [r.status for r, _e in results if r is not None] == ["new"] * 4
    assert results[2][0] is None and isinstance(results[2][1], InvalidListing)
    assert store_group(sessions, good[:1], REDACT)[0][0].status == "unchanged"
    assert _count(database, Listing) == 4


def test_a_database_error_is_retried_then_reported_for_every_item(tmp_path) -> None:
    db = f"sqlite:///{tmp_path / 'empty.db'}"  # no tables: every try fails
    sessions = session_factory(create_engine_for(db), writer=True)
    results = store_group(sessions, [(_item(1), to_listing_input(_item(1)))], REDACT)
    assert results[0][0] is None and "no such table" in str(results[0][1])


def test_an_item_the_store_would_refuse_is_dropped_before_storing(tmp_path) -> None:
    db = f"sqlite:///{tmp_path / 'i.db'}"
    upgrade(create_engine_for(db))
    crawler, pipeline = _pipeline(db)
    try:
        with pytest.raises(DropItem, match="neither title nor text"):
            asyncio.run(pipeline.process_item(_item(1, title="")))
        assert crawler.stats.get_value("thbscan/items/invalid") == 1
    finally:
        pipeline.spider_closed(FINISHED, "finished")
    assert _count(db, Listing) == 0


def test_a_listing_that_failed_to_store_stops_the_removal_step(tmp_path) -> None:
    """After a storage failure the crawl cannot tell a vanished listing from one it failed
    to store: nothing is marked removed. Without the failure, the unseen one is."""
    db = f"sqlite:///{tmp_path / 'r.db'}"
    upgrade(create_engine_for(db))
    sessions = session_factory(create_engine_for(db), writer=True)
    store_group(sessions, [(_item(i), to_listing_input(_item(i))) for i in (1, 2)], REDACT)

    def crawl(failed: bool) -> int:
        crawler, pipeline = _pipeline(db)
        pipeline.stored.add("job-1")  # job-2 was not seen this time
        pipeline.failed = int(failed)
        pipeline.source = "test"
        pipeline.spider_closed(FINISHED, "finished")
        return crawler.stats.get_value("thbscan/items/removed", 0)

    assert crawl(failed=True) == 0
    assert crawl(failed=False) == 1


def test_crawl_gc_is_restored_afterwards() -> None:
    before = gc.get_threshold()
    with crawl_gc():
        assert gc.get_threshold()[0] == 10_000
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
