"""Idempotent, versioned listing storage on SQLite and PostgreSQL (R27, R35)."""

from __future__ import annotations

import multiprocessing
import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from store import Listing, ListingVersion, create_engine_for, session_factory
from store.errors import InvalidListing
from store.listings import ListingInput, store_listing, store_listings


def item(key: str, text: str = "Warehouse job in Kolding.", **kw) -> ListingInput:
    return ListingInput(
        source="test",
        natural_key=key,
        title="Warehouse worker",
        text=text,
        url=f"http://127.0.0.1/jobs/{key}",
        **kw,
    )


def test_store_is_idempotent_and_versions_changes(migrated_engine) -> None:
    sessions = session_factory(migrated_engine)
    with sessions.begin() as s:
        first = store_listing(
            s,
            item(
                "a",
                fetched_at=datetime(2026, 1, 1, tzinfo=UTC),
                redirect_chain=("http://127.0.0.1/old/a",),
            ),
        )
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


def _ingest_at_once(target, db_url: str, key_orders: list[list[str]], engine) -> tuple[int, int]:
    """Run ``target(db_url, keys, barrier)`` in one process per key order, all released at
    once; the numbers of listings and listing versions stored afterwards."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(key_orders))
    procs = [ctx.Process(target=target, args=(db_url, keys, barrier)) for keys in key_orders]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    with session_factory(engine)() as s:
        return (
            s.scalar(select(func.count()).select_from(Listing)),
            s.scalar(select(func.count()).select_from(ListingVersion)),
        )


def test_concurrent_ingesters_create_no_duplicates(db_url: str, migrated_engine) -> None:
    keys = [f"k{i}" for i in range(60)]
    assert _ingest_at_once(_ingest, db_url, [keys] * 3, migrated_engine) == (60, 60)


def _random_inputs(rng: random.Random, source: str, n: int) -> list[ListingInput]:
    """Listings as a crawl meets them: repeats, edits, reverts, duplicates within a
    batch, some invalid (no text, no key) and some oversized."""
    texts = [
        "Warehouse job in Kolding.",
        "Warehouse job in Kolding. Now 180 kr/hour.",
        "Cleaner wanted, housing provided.",
        "x\x00" * 30_000,
        "",
    ]
    day = datetime(2026, 1, 1, tzinfo=UTC)
    out = []
    for i in range(n):
        key = f"k{rng.randrange(25)}" if rng.random() > 0.02 else ""
        title = rng.choice(["Warehouse worker", "  Cleaner  ", ""])
        out.append(
            ListingInput(
                source=source,
                natural_key=key,
                title=title,
                text=rng.choice(texts),
                url=f"http://127.0.0.1/{source}/{key}?v={rng.randrange(3)}",
                fields=rng.choice([{}, {"company": "ACME", "n": i % 3}, {"tags": ["a", "b"]}]),
                fetched_at=day + timedelta(minutes=i) if rng.random() > 0.2 else None,
                final_url=rng.choice([None, f"http://127.0.0.1/final/{key}"]),
                redirect_chain=tuple(f"http://127.0.0.1/r/{j}" for j in range(rng.randrange(3))),
            )
        )
    return out


def _snapshot(session, source: str) -> dict:
    listings = {
        row.id: row for row in session.scalars(select(Listing).where(Listing.source == source))
    }
    versions = session.scalars(
        select(ListingVersion).where(ListingVersion.listing_id.in_(list(listings)))
    ).all()
    number = {v.id: (listings[v.listing_id].natural_key, v.version_no) for v in versions}
    return {
        "listings": sorted(
            (lst.natural_key, lst.url, lst.removed_at, number.get(lst.current_version_id))
            for lst in listings.values()
        ),
        "versions": sorted(
            (
                number[v.id],
                v.content_sha256,
                v.title,
                v.text,
                v.fields,
                v.url,
                v.final_url,
                v.redirect_chain,
                v.fetched_at.year,
            )
            for v in versions
        ),
    }


def _outcome(session, result) -> tuple:
    if isinstance(result, Exception):
        return ("invalid",)
    listing = session.get(Listing, result.listing_id)
    version = session.get(ListingVersion, result.version_id)
    return (result.status, listing.natural_key, version.version_no)


def test_batch_store_equals_one_by_one(migrated_engine) -> None:
    """store_listings leaves the same rows and reports the same outcomes as store_listing
    called item by item (SQLite and PostgreSQL)."""
    sessions = session_factory(migrated_engine, writer=True)
    rng = random.Random(5)
    seen: set[str] = set()
    for round_no in range(3):
        items = _random_inputs(rng, "one", 150)
        batch_items = [ListingInput(**{**vars(i), "source": "many"}) for i in items]
        expected = []
        with sessions.begin() as s:
            for one in items:
                try:
                    expected.append(_outcome(s, store_listing(s, one)))
                except InvalidListing:
                    expected.append(("invalid",))
        got = []
        start = 0
        while start < len(batch_items):
            size = rng.choice([1, 7, 40, 150])
            with sessions.begin() as s:
                results = store_listings(s, batch_items[start : start + size])
                got.extend(_outcome(s, r) for r in results)
            start += size
        assert got == expected, f"round {round_no}"
        with sessions() as s:
            assert _snapshot(s, "many") == _snapshot(s, "one")
        seen.update(o[0] for o in expected)
    assert seen == {"new", "changed", "unchanged", "invalid"}


def _ingest_batches(url: str, keys: list[str], barrier) -> None:
    engine = create_engine_for(url)
    sessions = session_factory(engine, writer=True)
    barrier.wait()
    for start in range(0, len(keys), 15):
        with sessions.begin() as s:
            results = store_listings(s, [item(k) for k in keys[start : start + 15]])
            assert not any(isinstance(r, Exception) for r in results)
    engine.dispose()


def test_concurrent_batch_ingesters_create_no_duplicates(db_url: str, migrated_engine) -> None:
    keys = [f"k{i}" for i in range(90)]
    orders = [keys, keys[::-1], keys[45:] + keys[:45]]
    assert _ingest_at_once(_ingest_batches, db_url, orders, migrated_engine) == (90, 90)


def test_lone_surrogates_cost_a_character_not_the_listing(migrated_engine) -> None:
    """A page's JSON-LD escape like "\\udfff" decodes to a lone surrogate, which no
    database can store: it becomes U+FFFD, in every field, and the listing is stored
    (R14); one by one and in a batch (the crawler's group commit)."""
    bad = "\udfff"
    items = [
        ListingInput(
            "s",
            f"k{bad}{i}",
            f"Cook {bad}",
            f"Kitchen {bad}\x00 help.",
            url=f"https://x.example/{bad}",
            fields={"city": f"Ode{bad}nse", "tags": [bad]},
        )
        for i in range(2)
    ]
    sessions = session_factory(migrated_engine)
    with sessions.begin() as s:
        store_listing(s, items[0])
        assert all(not isinstance(r, Exception) for r in store_listings(s, items[1:]))
    with sessions() as s:
        rows = s.execute(
            select(
                Listing.natural_key,
                ListingVersion.title,
                ListingVersion.text,
                ListingVersion.fields,
            )
            .join(ListingVersion, ListingVersion.listing_id == Listing.id)
            .order_by(Listing.id)
        ).all()
    assert [r[0] for r in rows] == ["k\ufffd0", "k\ufffd1"]
    assert rows[0][1:3] == ("Cook \ufffd", "Kitchen \ufffd help.")
    assert rows[0][3]["city"] == "Ode\ufffdnse"
