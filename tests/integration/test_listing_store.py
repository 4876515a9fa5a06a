"""Idempotent, versioned listing storage on SQLite and PostgreSQL (R27, R35)."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime

from sqlalchemy import func, select

from review_queue.db import Listing, ListingVersion, create_engine_for, session_factory
from review_queue.services.listings import ListingInput, store_listing


def item(key: str, text: str = "Warehouse job in Kolding.", **kw) -> ListingInput:
    return ListingInput(source="test", natural_key=key, title="Warehouse worker", text=text,
                        url=f"http://127.0.0.1/jobs/{key}", **kw)


def test_store_is_idempotent_and_versions_changes(migrated_engine) -> None:
    sessions = session_factory(migrated_engine)
    with sessions.begin() as s:
        first = store_listing(s, item("a", fetched_at=datetime(2026, 1, 1, tzinfo=UTC),
                                      redirect_chain=("http://127.0.0.1/old/a",)))
    with sessions.begin() as s:
        same = store_listing(s, item("a"))
    with sessions.begin() as s:
        changed = store_listing(s, item("a", text="Warehouse job in Kolding. Now 180 kr/hour."))
    assert (first.status, same.status, changed.status) == ("new", "unchanged", "changed")
    assert first.listing_id == same.listing_id == changed.listing_id
    assert same.version_id == first.version_id != changed.version_id
    with sessions() as s:
        listing = s.get(Listing, first.listing_id)
        assert listing.current_version_id == changed.version_id
        v1 = s.get(ListingVersion, first.version_id)
        assert v1.version_no == 1 and len(v1.content_sha256) == 64
        assert v1.fetched_at == datetime(2026, 1, 1, tzinfo=UTC)
        assert v1.redirect_chain == ["http://127.0.0.1/old/a"]
        assert v1.final_url == "http://127.0.0.1/jobs/a"


def test_text_is_bounded_and_nul_free(migrated_engine) -> None:
    sessions = session_factory(migrated_engine)
    with sessions.begin() as s:
        result = store_listing(s, item("big", text="x\x00" * 100_000))
    with sessions() as s:
        text = s.get(ListingVersion, result.version_id).text
    assert len(text) == 50_000 and "\x00" not in text


def _ingest(url: str, keys: list[str], barrier) -> None:
    engine = create_engine_for(url)
    sessions = session_factory(engine, writer=True)  # as the real ingesters do
    barrier.wait()
    for key in keys:
        with sessions.begin() as s:
            store_listing(s, item(key))
    engine.dispose()


def test_concurrent_ingesters_create_no_duplicates(db_url: str, migrated_engine) -> None:
    keys = [f"k{i}" for i in range(60)]
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(3)
    procs = [ctx.Process(target=_ingest, args=(db_url, keys, barrier)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    with session_factory(migrated_engine)() as s:
        assert s.scalar(select(func.count()).select_from(Listing)) == 60
        assert s.scalar(select(func.count()).select_from(ListingVersion)) == 60
