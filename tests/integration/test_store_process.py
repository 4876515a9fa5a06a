"""The crawl's storage process and the writer that feeds it, against real databases.

The child is a real ``python -m thbscan.storeproc`` process; what it stores is read back
with a separate engine, on SQLite and (where reachable) PostgreSQL.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from typing import Any

import pytest
from scrapy.settings import Settings
from sqlalchemy import func, select

from crawler.items import ListingItem
from review_queue.db import Listing, ListingVersion, create_engine_for, upgrade
from review_queue.db.models import FetchValidator
from review_queue.services.errors import InvalidInput
from review_queue.services.listings import IngestResult
from thbscan import storeproc
from thbscan.crawl import crawl_gc
from thbscan.groupwriter import GroupWriter
from thbscan.ingest import store_batch, store_one, writer_sessions
from thbscan.pipelines import STORE_SETUP, to_listing_input, uses_store_process


def _payload(n: int, *, title: str | None = None) -> tuple[ListingItem, Any]:
    item = ListingItem(source="test", natural_key=f"job-{n}", url=f"http://x.test/job-{n}",
                       title=f"Job {n}" if title is None else title,
                       text="" if title == "" else f"Warehouse work, listing {n}.",
                       etag=f'"e{n}"', fetched_at="2026-11-29T10:00:00+00:00")
    return item, to_listing_input(item)


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


def test_child_stores_a_group_and_reports_each_item(database: str) -> None:
    proc = storeproc.StoreProcess(database, *STORE_SETUP)
    try:
        good = [_payload(i) for i in range(5)]
        bad = _payload(99, title="")  # neither title nor text: refused alone
        results = proc.store([*good[:2], bad, *good[2:]])
        again = proc.store(good[:1])  # same content: unchanged
    finally:
        proc.close()
    assert [type(r) for r, _e in results] == [IngestResult] * 2 + [type(None)] + \
        [IngestResult] * 3
    assert [r.status for r, _e in results if r is not None] == ["new"] * 5
    assert isinstance(results[2][1], InvalidInput) and "neither title nor text" in \
        str(results[2][1])
    assert again[0][0].status == "unchanged"
    assert _count(database, Listing) == 5
    assert _count(database, ListingVersion) == 5
    assert _count(database, FetchValidator) == 5
    assert proc._proc is None  # closed: the child has exited


class _ExitsOnArrival:
    """A payload that ends the child as it is unpickled: a crash in mid-group."""

    def __reduce__(self) -> tuple[Any, tuple[int]]:
        return os._exit, (3,)


def test_a_dead_child_is_replaced_and_the_group_retried(tmp_path) -> None:
    db = f"sqlite:///{tmp_path / 'd.db'}"
    upgrade(create_engine_for(db))
    proc = storeproc.StoreProcess(db, *STORE_SETUP)
    try:
        first_pid = proc._proc.pid
        proc._proc.kill()  # died between groups: noticed before sending, a new child
        proc._proc.wait()
        assert proc.store([_payload(1)])[0][0].status == "new"
        assert proc._proc.pid != first_pid
        with pytest.raises(storeproc.StoreProcessError, match="ended unexpectedly"):
            proc.store([_ExitsOnArrival()])  # died during a group: the group fails
        assert proc.store([_payload(2)])[0][0].status == "new"  # and the next one works
    finally:
        proc.close()
    assert _count(db, Listing) == 2


def test_a_database_error_reaches_the_writer_which_retries_then_fails(tmp_path) -> None:
    db = f"sqlite:///{tmp_path / 'empty.db'}"  # no tables: every group fails in the child
    create_engine_for(db).dispose()
    writer = GroupWriter(writer_sessions(db), store_one, write_many=store_batch, linger=0,
                         remote=storeproc.StoreProcess(db, *STORE_SETUP))
    try:
        future = writer.submit(_payload(1))
        with pytest.raises(Exception, match="no such table"):
            future.result(timeout=60)
    finally:
        writer.close()


def test_unpicklable_errors_cross_as_runtime_errors() -> None:
    class Local(Exception):  # a local class: pickle cannot find it by name
        pass

    portable = storeproc._portable(Local("boom"))
    assert type(portable) is RuntimeError and str(portable) == "Local: boom"
    same = InvalidInput("bad")
    assert storeproc._portable(same) is same


def test_prestarted_child_is_taken_or_discarded(tmp_path) -> None:
    db = f"sqlite:///{tmp_path / 'p.db'}"
    upgrade(create_engine_for(db))
    storeproc.prestart(db, *STORE_SETUP)
    warm = storeproc._warm[db]
    taken = storeproc.take(db, *STORE_SETUP)
    assert taken is warm and db not in storeproc._warm
    taken.close()
    storeproc.prestart(db, *STORE_SETUP)
    other = storeproc.take(db, writer_sessions, store_one, None)  # another set-up: new one
    assert other._setup[3] is None and db not in storeproc._warm
    other.close()
    storeproc.prestart(db, *STORE_SETUP)
    child = storeproc._warm[db]._proc
    storeproc.discard_prestarted()
    assert not storeproc._warm and child.poll() is not None


def test_where_storage_runs() -> None:
    assert uses_store_process("sqlite:///x.db")
    assert uses_store_process("postgresql+psycopg://u@127.0.0.1/db", True)
    assert not uses_store_process("sqlite://")  # in-memory: this process only
    assert not uses_store_process("sqlite:///:memory:")
    assert not uses_store_process("sqlite:///x.db", False)
    off = Settings({"THBSCAN_STORE_PROCESS": "0"})  # the environment's value, as crawls read it
    assert not uses_store_process("sqlite:///x.db", off.getbool("THBSCAN_STORE_PROCESS", True))


def test_writer_callbacks_run_after_the_commit_on_the_writer_thread(tmp_path) -> None:
    db = f"sqlite:///{tmp_path / 'w.db'}"
    upgrade(create_engine_for(db))
    seen: list[tuple[str, str, int]] = []
    writer = GroupWriter(writer_sessions(db), store_one, write_many=store_batch, linger=0.05)
    try:
        for i in range(3):
            writer.submit_callback(_payload(i), lambda r, e, i=i: seen.append(
                (threading.current_thread().name, r.status, _count(db, Listing))))
        writer.submit(lambda session: None).result(timeout=30)
    finally:
        writer.close()
    assert [s[:2] for s in seen] == [("thbscan-store", "new")] * 3
    assert all(n == 3 for _t, _s, n in seen)  # committed before the callbacks ran


def test_a_waiting_caller_cuts_the_linger_short(tmp_path) -> None:
    db = f"sqlite:///{tmp_path / 'l.db'}"
    upgrade(create_engine_for(db))
    writer = GroupWriter(writer_sessions(db), store_one, write_many=store_batch, linger=30)
    try:
        writer.submit(_payload(1))
        start = time.monotonic()
        writer.submit(lambda session: None).result(timeout=60)
        waited = time.monotonic() - start
    finally:
        writer.close()
    assert waited < 20  # not the 30 s linger: the barrier woke the writer


def test_flush_soon_commits_the_gathering_group_without_the_linger(tmp_path) -> None:
    db = f"sqlite:///{tmp_path / 'f.db'}"
    upgrade(create_engine_for(db))
    writer = GroupWriter(writer_sessions(db), store_one, write_many=store_batch, linger=30)
    try:
        future = writer.submit(_payload(1))
        time.sleep(0.2)  # the writer has taken the item and lingers for more
        assert not future.done()
        start = time.monotonic()
        writer.flush_soon()  # what the pipeline does when the crawl is idle
        assert future.result(timeout=20).status == "new"
        waited = time.monotonic() - start
    finally:
        writer.close()
    assert waited < 10 and _count(db, Listing) == 1  # committed, not after the 30 s linger


def test_crawl_gc_is_restored_afterwards() -> None:
    before = gc.get_threshold()
    with crawl_gc():
        assert gc.get_threshold()[0] == 10_000
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_a_listing_that_failed_to_store_stops_the_removal_step(tmp_path) -> None:
    """After a storage failure the crawl cannot tell a vanished listing from one it failed
    to store: nothing is marked removed. Without the failure, the unseen one is."""
    from scrapy.utils.test import get_crawler

    from thbscan.pipelines import StorePipeline

    db = f"sqlite:///{tmp_path / 'r.db'}"
    upgrade(create_engine_for(db))
    seed = GroupWriter(writer_sessions(db), store_one, write_many=store_batch, linger=0)
    for i in (1, 2):
        seed.submit(_payload(i)).result(timeout=30)
    seed.close()

    def crawl(failed: bool) -> int:
        crawler = get_crawler(settings_dict={"THBSCAN_DATABASE_URL": db})
        pipeline = StorePipeline.from_crawler(crawler)
        pipeline.open_spider()
        pipeline.stored.add("job-1")  # job-2 was not seen this time
        if failed:
            pipeline._committed("job-2", None, None, RuntimeError("disk full"))
        spider = type("S", (), {"source": None})()
        pipeline.source = "test"
        pipeline.spider_closed(spider, "finished")
        return crawler.stats.get_value("thbscan/items/removed", 0)

    assert crawl(failed=True) == 0
    assert crawl(failed=False) == 1


def test_an_item_the_store_would_refuse_is_dropped_before_the_hand_over(tmp_path) -> None:
    from scrapy.exceptions import DropItem
    from scrapy.utils.test import get_crawler

    from thbscan.pipelines import StorePipeline

    db = f"sqlite:///{tmp_path / 'i.db'}"
    upgrade(create_engine_for(db))
    crawler = get_crawler(settings_dict={"THBSCAN_DATABASE_URL": db})
    pipeline = StorePipeline.from_crawler(crawler)
    pipeline.open_spider()
    try:
        with pytest.raises(DropItem, match="neither title nor text"):
            pipeline.process_item(_payload(1, title="")[0])
        assert crawler.stats.get_value("thbscan/items/invalid") == 1
        assert pipeline.submitted == 0  # nothing handed to storage
    finally:
        pipeline.spider_closed(type("S", (), {"source": None})(), "finished")
