"""The stored template index: built incrementally in the database (SQLite and the real
PostgreSQL), shared by processes indexing at once, and kept true when listings change."""

from __future__ import annotations

import multiprocessing

from sqlalchemy import func, select

from fixture_site.campaigns import generate_campaigns
from nlp.linking import Linker, LinkInput, TemplateConfig
from review_queue.db import upgrade
from review_queue.db.models import LinkEntry, TemplateLink
from store import Listing, ListingVersion, create_engine_for, session_factory
from store.listings import ListingInput, store_listings
from thbscan.linking import index_archive


def ingest(db: str, listings, source: str = "campaigns") -> None:
    engine = create_engine_for(db)
    with session_factory(engine, writer=True).begin() as session:
        results = store_listings(
            session, [ListingInput(source, x.id, x.title, x.text) for x in listings]
        )
    assert all(not isinstance(r, Exception) for r in results)
    engine.dispose()


def stored_links(db: str) -> set[tuple[str, str]]:
    """The stored template links as pairs of the listings' own ids."""
    engine = create_engine_for(db)
    with session_factory(engine)() as session:
        key = {i: k for i, k in session.execute(select(Listing.id, Listing.natural_key))}
        pairs = session.execute(select(TemplateLink.listing_a, TemplateLink.listing_b)).all()
    engine.dispose()
    return {tuple(sorted((key[a], key[b]))) for a, b in pairs}  # type: ignore[misc]


def in_memory_links(db: str) -> set[tuple[str, str]]:
    """The template pairs one in-memory pass over the stored texts finds."""
    engine = create_engine_for(db)
    with session_factory(engine)() as session:
        rows = session.execute(
            select(Listing.natural_key, ListingVersion.title, ListingVersion.text)
            .join(ListingVersion, ListingVersion.id == Listing.current_version_id)
            .where(Listing.removed_at.is_(None))
            .order_by(Listing.id)
        ).all()
    engine.dispose()
    linker = Linker()
    linker.add_many(LinkInput(k, t or "", x or "") for k, t, x in rows)
    return {tuple(sorted((linker.ids[a], linker.ids[b]))) for a, b in linker.template_pairs}  # type: ignore[misc]


def migrated(db: str) -> str:
    engine = create_engine_for(db)
    upgrade(engine)
    engine.dispose()
    return db


def index(db: str, batch: int = 500) -> int:
    engine = create_engine_for(db)
    try:
        return index_archive(session_factory(engine, writer=True), batch=batch)
    finally:
        engine.dispose()


def test_index_built_in_two_runs_links_what_one_pass_in_memory_links(db_url: str) -> None:
    db = migrated(db_url)
    listings = generate_campaigns(400, hub_listings=0)
    ingest(db, listings[:250])
    assert index(db, batch=100) == 250
    ingest(db, listings[250:])
    assert index(db, batch=100) == 150  # only the new ones
    assert index(db) == 0
    expected = in_memory_links(db)
    assert len(expected) > 100
    assert stored_links(db) == expected


def test_a_new_version_or_new_parameters_index_a_listing_again(sqlite_url: str) -> None:
    db = migrated(sqlite_url)
    listings = generate_campaigns(120, hub_listings=0)
    ingest(db, listings)
    index(db)
    before = stored_links(db)
    linked = next(iter(before))[0]
    changed = next(x for x in listings if x.id == linked)
    ingest(db, [changed.__class__(changed.id, "Bakery", "Apprentice baker wanted.", None)])
    assert index(db) == 1
    after = stored_links(db)
    assert not any(linked in pair for pair in after)
    assert after == {pair for pair in before if linked not in pair}

    engine = create_engine_for(db)
    sessions = session_factory(engine, writer=True)
    assert index_archive(sessions, TemplateConfig(threshold=0.8)) == 120
    with sessions() as session:
        configs = session.scalars(select(LinkEntry.config).distinct()).all()
    engine.dispose()
    assert configs == [TemplateConfig(threshold=0.8).key]


def _index_in_process(db: str) -> int:
    return index(db, batch=40)


def test_two_processes_indexing_one_postgresql_archive_share_one_index(
    postgres_url: str,
) -> None:
    db = migrated(postgres_url)
    ingest(db, generate_campaigns(600, hub_listings=0))
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        added = pool.map(_index_in_process, [db, db])
    assert sum(added) == 600  # each listing indexed by one of them
    engine = create_engine_for(db)
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(LinkEntry)) == 600
    engine.dispose()
    expected = in_memory_links(db)
    assert len(expected) > 150
    assert stored_links(db) == expected


def test_removed_listings_are_not_indexed(sqlite_url: str) -> None:
    db = migrated(sqlite_url)
    listings = generate_campaigns(60, hub_listings=0)
    ingest(db, listings)
    engine = create_engine_for(db)
    sessions = session_factory(engine, writer=True)
    with sessions.begin() as session:
        first = session.scalar(select(Listing).order_by(Listing.id).limit(1))
        assert first is not None
        first.removed_at = func.now()
    assert index_archive(sessions) == 59
    engine.dispose()
