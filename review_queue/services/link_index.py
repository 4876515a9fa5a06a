"""The stored template index: a MinHash LSH index kept in the database, so that every
scoring process on every machine that shares the database shares one index.

Each listing's entry holds the version it was indexed from, its signature and its band keys
(``link_buckets``); listings under one bucket are candidates, and a pair whose signatures
are similar enough is stored as a template link. A process stores its listings' entries and
buckets and commits before it looks for their neighbours, so of two near-duplicates indexed
at once by two processes the later look finds the other (both may find the pair: a link is
stored once). What a signature and a band key are is the caller's (:mod:`nlp.linking`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Insert, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from review_queue.db.models import Identifier, LinkBucket, LinkEntry, TemplateLink
from store import Listing, ListingVersion
from store.listings import in_chunks

__all__ = [
    "Entry",
    "Unindexed",
    "add_links",
    "current_identifiers",
    "entries",
    "last_listing",
    "neighbours",
    "put",
    "template_links",
    "unindexed",
]


@dataclass(frozen=True)
class Unindexed:
    listing_id: int
    version_id: int
    title: str
    text: str


@dataclass(frozen=True)
class Entry:
    listing_id: int
    version_id: int
    signature: bytes | None
    ages: Sequence[str]
    buckets: Sequence[int]


def _current() -> Any:
    return (
        select(Listing.id, ListingVersion.id.label("version_id"))
        .join(ListingVersion, ListingVersion.id == Listing.current_version_id)
        .where(Listing.removed_at.is_(None))
    )


def last_listing(session: Session) -> int:
    """The highest listing number: :func:`unindexed` windows end there."""
    return session.scalar(select(func.max(Listing.id))) or 0


def unindexed(session: Session, config: str, after: int, window: int) -> list[Unindexed]:
    """The listings numbered in (``after``, ``after + window``] whose current version is
    not in the index with ``config``: new ones, changed ones, and all of them when the
    index's parameters change. Call it in the writing transaction that stores their
    entries."""
    query = (
        select(Listing.id, ListingVersion.id, ListingVersion.title, ListingVersion.text)
        .join(ListingVersion, ListingVersion.id == Listing.current_version_id)
        .where(
            Listing.id > after,
            Listing.id <= after + window,  # a bounded scan, whatever the planner's statistics
            Listing.removed_at.is_(None),
            ~select(LinkEntry.listing_id)
            .where(
                LinkEntry.listing_id == Listing.id,
                LinkEntry.version_id == ListingVersion.id,
                LinkEntry.config == config,
            )
            .exists(),
        )
        .order_by(Listing.id)
    )
    if session.get_bind().dialect.name == "postgresql":
        # processes indexing at once take different listings: each holds its rows until
        # its transaction ends (on SQLite a writing transaction holds the database)
        query = query.with_for_update(of=Listing, skip_locked=True)
    rows = session.execute(query).all()
    return [Unindexed(i, v, title or "", text or "") for i, v, title, text in rows]


def _insert(session: Session, model: Any) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING into ``model``'s table (run with many rows)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(model.__table__).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(model.__table__).on_conflict_do_nothing()
    raise NotImplementedError(f"the template index needs PostgreSQL or SQLite, not {dialect}")


def put(session: Session, batch: Sequence[Entry], config: str) -> list[int]:
    """Store ``batch`` in the index, replacing older entries of its listings (and their
    buckets and links); the listings this call stored (another process may have stored
    some of them first). Commit before looking for their neighbours."""
    ids = [e.listing_id for e in batch]
    wanted = {e.listing_id: e.version_id for e in batch}
    stale = [
        listing_id
        for chunk in in_chunks(ids)
        for listing_id, version_id, stored_config in session.execute(
            select(LinkEntry.listing_id, LinkEntry.version_id, LinkEntry.config).where(
                LinkEntry.listing_id.in_(chunk)
            )
        )
        if version_id != wanted[listing_id] or stored_config != config
    ]
    for chunk in in_chunks(stale):
        session.execute(delete(TemplateLink).where(TemplateLink.listing_a.in_(chunk)))
        session.execute(delete(TemplateLink).where(TemplateLink.listing_b.in_(chunk)))
        session.execute(delete(LinkBucket).where(LinkBucket.listing_id.in_(chunk)))
        session.execute(delete(LinkEntry).where(LinkEntry.listing_id.in_(chunk)))
    rows = [
        {
            "listing_id": e.listing_id,
            "version_id": e.version_id,
            "config": config,
            "signature": e.signature,
            "ages": list(e.ages),
        }
        for e in batch
    ]
    insert = _insert(session, LinkEntry).returning(LinkEntry.__table__.c.listing_id)
    stored = [row[0] for row in session.execute(insert, rows)] if rows else []
    mine = set(stored)
    buckets = sorted(  # in key order, as add_links: concurrent inserts lock alike
        (
            {"bucket": b, "listing_id": e.listing_id}
            for e in batch
            if e.listing_id in mine
            for b in e.buckets
        ),
        key=lambda row: (row["bucket"], row["listing_id"]),
    )
    if buckets:
        session.execute(_insert(session, LinkBucket), buckets)
    return stored


def neighbours(
    session: Session, buckets: Iterable[int]
) -> tuple[dict[int, list[int]], dict[int, bytes]]:
    """The listings under each of ``buckets``, and their signatures."""
    keys = sorted(set(buckets))
    under: dict[int, list[int]] = defaultdict(list)
    for chunk in in_chunks(keys):
        for bucket, listing_id in session.execute(
            select(LinkBucket.bucket, LinkBucket.listing_id).where(LinkBucket.bucket.in_(chunk))
        ):
            under[bucket].append(listing_id)
    found = sorted({i for ids in under.values() for i in ids})
    signatures: dict[int, bytes] = {}
    for chunk in in_chunks(found):
        for listing_id, signature in session.execute(
            select(LinkEntry.listing_id, LinkEntry.signature).where(LinkEntry.listing_id.in_(chunk))
        ):
            if signature is not None:
                signatures[listing_id] = signature
    return under, signatures


def add_links(session: Session, links: Iterable[tuple[int, int, float]]) -> None:
    """Store template links ``(listing, listing, similarity)``; a stored pair stays."""
    rows = {
        (min(a, b), max(a, b)): {"listing_a": min(a, b), "listing_b": max(a, b), "similarity": s}
        for a, b, s in links
        if a != b
    }
    if rows:  # in key order: processes inserting overlapping pairs lock them alike, no deadlock
        session.execute(_insert(session, TemplateLink), [rows[k] for k in sorted(rows)])


def entries(session: Session) -> dict[int, list[str]]:
    """The ages of each listing in the index whose entry is of its current version."""
    current = _current().subquery()
    return {
        listing_id: list(ages or ())
        for listing_id, ages in session.execute(
            select(LinkEntry.listing_id, LinkEntry.ages).join(
                current,
                (current.c.id == LinkEntry.listing_id)
                & (current.c.version_id == LinkEntry.version_id),
            )
        )
    }


def template_links(session: Session) -> Iterator[tuple[int, int]]:
    """Every stored template link (pairs with a removed listing are the caller's to drop)."""
    query = select(TemplateLink.listing_a, TemplateLink.listing_b)
    for row in session.execute(query.execution_options(yield_per=5000)):
        yield row[0], row[1]


def current_identifiers(session: Session) -> dict[int, list[tuple[str, str]]]:
    """The pseudonymised identifiers (kind, pseudonym) of each listing's current version."""
    current = _current().subquery()
    out: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for listing_id, kind, pseudonym in session.execute(
        select(current.c.id, Identifier.kind, Identifier.pseudonym).join(
            Identifier, Identifier.version_id == current.c.version_id
        )
    ):
        out[listing_id].append((kind, pseudonym))
    return out
