"""Idempotent storage of collected listings (R27, R35).

The natural key is (source, site listing id or canonical URL). A listing gets a
new version only when its content hash changes; re-storing the same content
only refreshes ``last_seen_at``. Concurrent ingesters are safe: the unique
constraints decide, and a loser of a race re-reads the winner's row.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.errors import InvalidListing
from store.tables import Listing, ListingVersion

MAX_TITLE = 500
MAX_TEXT = 50_000  # text-length cap before NLP (R13)
MAX_FIELD = 2_000


@dataclass(frozen=True)
class ListingInput:
    source: str
    natural_key: str
    title: str
    text: str
    url: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    fetched_at: datetime | None = None
    final_url: str | None = None
    redirect_chain: tuple[str, ...] = ()
    redacted: bool = False  # its identifiers are tokens already (R09): the caller's work


@dataclass(frozen=True)
class IngestResult:
    listing_id: int
    version_id: int
    status: str  # "new" | "changed" | "unchanged"


def _bound_fields(fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in list(fields.items())[:50]:
        if value is None:
            continue
        if isinstance(value, str):
            out[str(key)[:100]] = value[:MAX_FIELD]
        elif isinstance(value, int | float | bool):
            out[str(key)[:100]] = value
        else:
            out[str(key)[:100]] = json.dumps(value, ensure_ascii=False, default=str)[:MAX_FIELD]
    return out


def content_hash(title: str, text: str, fields: dict[str, Any]) -> str:
    payload = json.dumps(
        {"title": title, "text": text, "fields": fields},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def validate(item: ListingInput) -> None:
    if not item.source or len(item.source) > 100:
        raise InvalidListing(f"source {item.source!r} must be 1-100 characters: name the source")
    if not item.natural_key:
        raise InvalidListing("listing has no id or URL: give an 'id' or 'url' so re-runs dedupe")
    if not (item.title or "").strip() and not (item.text or "").strip():
        raise InvalidListing(f"listing {item.natural_key!r} has neither title nor text")


@dataclass(frozen=True)
class _Stored:
    """A validated listing as stored: bounded text and fields, and its content hash."""

    source: str
    natural_key: str
    url: str | None
    title: str
    text: str
    fields: dict[str, Any]
    digest: str


_SURROGATE = re.compile("[\ud800-\udfff]")


def _clean(value: str) -> str:
    """Text a database can store: lone UTF-16 surrogates (an escape like ``"\\udfff"`` in
    a page's JSON-LD) become U+FFFD, NUL characters go (R14)."""
    return _SURROGATE.sub("\ufffd", value).replace("\x00", "")


def _cleaned(value: Any) -> Any:
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, dict):
        return {_clean(str(k)): _cleaned(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_cleaned(v) for v in value]
    return value


def _sanitised(item: ListingInput) -> ListingInput:
    """``item`` with every string cleaned for storage (:func:`_clean`)."""
    return replace(
        item,
        source=_clean(item.source),
        natural_key=_clean(item.natural_key),
        title=_clean(item.title or ""),
        text=_clean(item.text or ""),
        url=_clean(item.url) if item.url else item.url,
        final_url=_clean(item.final_url) if item.final_url else item.final_url,
        redirect_chain=tuple(_clean(u) for u in item.redirect_chain),
        fields=_cleaned(dict(item.fields)),
    )


def _normalised(item: ListingInput) -> _Stored:
    validate(item)
    title = (item.title or "").strip()[:MAX_TITLE]
    text = (item.text or "")[:MAX_TEXT]
    fields = _bound_fields(item.fields)
    return _Stored(
        item.source,
        item.natural_key[:1000],
        item.url,
        title,
        text,
        fields,
        content_hash(title, text, fields),
    )


def _version_row(
    item: ListingInput, stored: _Stored, listing_id: int, version_no: int, now: datetime
) -> dict[str, Any]:
    return {
        "listing_id": listing_id,
        "version_no": version_no,
        "content_sha256": stored.digest,
        "fetched_at": item.fetched_at or now,
        "url": item.url,
        "final_url": item.final_url or item.url,
        "redirect_chain": list(item.redirect_chain)[:20],
        "title": stored.title,
        "text": stored.text,
        "fields": stored.fields,
        "language": None,
        "created_at": now,
        "redacted": item.redacted,
    }


def store_listing(session: Session, item: ListingInput) -> IngestResult:
    """Store one listing idempotently. The caller commits."""
    item = _sanitised(item)
    stored = _normalised(item)
    now = datetime.now(UTC)
    fetched_at = item.fetched_at or now
    title, text, fields, digest = stored.title, stored.text, stored.fields, stored.digest
    natural_key = stored.natural_key

    listing = _get_or_create_listing(session, item.source, natural_key, item.url, now)
    listing.last_seen_at = now
    listing.removed_at = None
    existing = session.scalar(
        select(ListingVersion).where(
            ListingVersion.listing_id == listing.id, ListingVersion.content_sha256 == digest
        )
    )
    if existing is not None:
        return IngestResult(listing.id, existing.id, "unchanged")

    for _attempt in range(3):
        version_no = (
            session.scalar(
                select(func.max(ListingVersion.version_no)).where(
                    ListingVersion.listing_id == listing.id
                )
            )
            or 0
        ) + 1
        version = ListingVersion(
            listing_id=listing.id,
            version_no=version_no,
            content_sha256=digest,
            fetched_at=fetched_at,
            url=item.url,
            final_url=item.final_url or item.url,
            redirect_chain=list(item.redirect_chain)[:20],
            title=title,
            text=text,
            fields=fields,
            redacted=item.redacted,
        )
        try:
            with session.begin_nested():
                session.add(version)
        except IntegrityError:
            session.expunge(version) if version in session else None
            existing = session.scalar(
                select(ListingVersion).where(
                    ListingVersion.listing_id == listing.id,
                    ListingVersion.content_sha256 == digest,
                )
            )
            if existing is not None:  # another ingester stored the same content
                return IngestResult(listing.id, existing.id, "unchanged")
            continue  # version_no race: retry with the next number
        listing.current_version_id = version.id
        return IngestResult(listing.id, version.id, "new" if version_no == 1 else "changed")
    raise InvalidListing(f"could not store a new version of {natural_key!r} after 3 attempts")


IN_LIST_SIZE = 500  # values in one SQL IN list at most


def in_chunks(values: Sequence[Any], size: int = IN_LIST_SIZE) -> Iterator[Sequence[Any]]:
    """``values`` in slices of at most ``size``, for IN lists of bounded length."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def store_listings(
    session: Session, items: Sequence[ListingInput]
) -> list[IngestResult | InvalidListing]:
    """Store many listings exactly as :func:`store_listing` one after another would, in a
    handful of statements (a crawl's group commit). The caller commits.

    Each slot of the result is the item's :class:`IngestResult`, or the
    :class:`InvalidListing` that refused it. If a concurrent writer (PostgreSQL) makes
    the batched statements conflict, the batch is stored item by item instead.
    """
    now = datetime.now(UTC)
    items = [_sanitised(item) for item in items]
    results: list[IngestResult | InvalidListing | None] = [None] * len(items)
    valid: list[tuple[int, _Stored]] = []
    for i, item in enumerate(items):
        try:
            valid.append((i, _normalised(item)))
        except InvalidListing as exc:
            results[i] = exc
    if valid:
        try:
            with session.begin_nested():
                stored = _store_valid(
                    session, [items[i] for i, _ in valid], [s for _, s in valid], now
                )
        except IntegrityError:  # a concurrent ingester won a race: take the careful path,
            # one by one in key order (stable: repeats of a key keep their order), so that
            # concurrent batches lock rows alike instead of deadlocking.
            for i, _s in sorted(valid, key=lambda v: (v[1].source, v[1].natural_key)):
                try:
                    results[i] = store_listing(session, items[i])
                except InvalidListing as exc:
                    results[i] = exc
        else:
            for (i, _s), result in zip(valid, stored, strict=True):
                results[i] = result
    return results  # type: ignore[return-value]


def _store_valid(
    session: Session, items: list[ListingInput], stored: list[_Stored], now: datetime
) -> list[IngestResult]:
    listings, versions = cast(Table, Listing.__table__), cast(Table, ListingVersion.__table__)
    keys = {(s.source, s.natural_key): s.url for s in reversed(stored)}  # first item's URL
    ids = _listing_ids(session, list(keys))
    new_rows: list[dict[str, Any]] = [
        {
            "source": src,
            "natural_key": key,
            "url": keys[(src, key)],
            "first_seen_at": now,
            "last_seen_at": now,
            "removed_at": None,
        }
        for src, key in sorted(dict.fromkeys((s.source, s.natural_key) for s in stored))
        if (src, key) not in ids
    ]  # key order: concurrent batches lock alike, no deadlock
    if new_rows:  # executemany, then read the ids (RETURNING would go row by row)
        session.execute(insert(listings), new_rows)
        ids.update(_listing_ids(session, [(r["source"], r["natural_key"]) for r in new_rows]))

    listing_ids = sorted(set(ids.values()))
    # Lock the batch's listings in id order before updating them: concurrent batches that
    # share listings then wait for each other instead of deadlocking (PostgreSQL updates the
    # rows of an IN list in whatever order it finds them; SQLite has one writer anyway).
    for chunk in in_chunks(listing_ids):
        session.execute(
            select(listings.c.id)
            .where(listings.c.id.in_(chunk))
            .order_by(listings.c.id)
            .with_for_update()
        )
    known, last_no = _versions_of(session, listing_ids)

    new_versions: list[dict[str, Any]] = []
    in_batch: dict[tuple[int, str], int] = {}  # (listing, hash) -> index in new_versions
    slots: list[tuple[int, int, bool]] = []  # listing, index in new_versions, first time
    results: list[IngestResult] = []
    for item, s in zip(items, stored, strict=True):
        listing_id = ids[(s.source, s.natural_key)]
        version_id = known.get((listing_id, s.digest))
        if version_id is not None:
            results.append(IngestResult(listing_id, version_id, "unchanged"))
            continue
        index = in_batch.get((listing_id, s.digest))
        if index is None:
            version_no = last_no.get(listing_id, 0) + 1
            last_no[listing_id] = version_no
            index = in_batch[(listing_id, s.digest)] = len(new_versions)
            new_versions.append(_version_row(item, s, listing_id, version_no, now))
            slots.append((len(results), index, True))
        else:  # the same content again in this batch
            slots.append((len(results), index, False))
        results.append(IngestResult(listing_id, 0, ""))  # completed below
    if new_versions:
        session.execute(insert(versions), new_versions)
        known, _ = _versions_of(session, sorted({r["listing_id"] for r in new_versions}))
        version_ids = [known[(r["listing_id"], r["content_sha256"])] for r in new_versions]
        current = {
            row["listing_id"]: version_id  # each listing's last new version
            for row, version_id in zip(new_versions, version_ids, strict=True)
        }
        session.execute(
            update(listings)
            .where(listings.c.id == bindparam("b_id"))
            .values(current_version_id=bindparam("b_version")),
            [{"b_id": k, "b_version": v} for k, v in sorted(current.items())],
        )
        for slot, index, first in slots:
            row = new_versions[index]
            status = ("new" if row["version_no"] == 1 else "changed") if first else "unchanged"
            results[slot] = IngestResult(row["listing_id"], version_ids[index], status)
    for chunk in in_chunks(listing_ids):
        session.execute(
            update(listings)
            .where(listings.c.id.in_(chunk))
            .values(last_seen_at=now, removed_at=None)
        )
    return results


def _versions_of(
    session: Session, listing_ids: list[int]
) -> tuple[dict[tuple[int, str], int], dict[int, int]]:
    """Version ids by (listing, content hash), and each listing's last version number."""
    versions = cast(Table, ListingVersion.__table__)
    known: dict[tuple[int, str], int] = {}
    last_no: dict[int, int] = {}
    for chunk in in_chunks(listing_ids):
        for listing_id, digest, version_id, version_no in session.execute(
            select(
                versions.c.listing_id,
                versions.c.content_sha256,
                versions.c.id,
                versions.c.version_no,
            ).where(versions.c.listing_id.in_(chunk))
        ).all():
            known[(listing_id, digest)] = version_id
            last_no[listing_id] = max(last_no.get(listing_id, 0), version_no)
    return known, last_no


def _listing_ids(session: Session, keys: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
    listings = cast(Table, Listing.__table__)
    by_source: dict[str, list[str]] = {}
    for source, key in keys:
        by_source.setdefault(source, []).append(key)
    ids: dict[tuple[str, str], int] = {}
    for source, natural_keys in by_source.items():
        for chunk in in_chunks(natural_keys):
            for listing_id, key in session.execute(
                select(listings.c.id, listings.c.natural_key).where(
                    listings.c.source == source, listings.c.natural_key.in_(chunk)
                )
            ).all():
                ids[(source, key)] = listing_id
    return ids


def _get_or_create_listing(
    session: Session, source: str, natural_key: str, url: str | None, now: datetime
) -> Listing:
    query = select(Listing).where(Listing.source == source, Listing.natural_key == natural_key)
    listing = session.scalar(query)
    if listing is not None:
        return listing
    listing = Listing(
        source=source, natural_key=natural_key, url=url, first_seen_at=now, last_seen_at=now
    )
    try:
        with session.begin_nested():
            session.add(listing)
    except IntegrityError:
        if listing in session:
            session.expunge(listing)
        listing = session.scalar(query)
        if listing is None:  # pragma: no cover - the row must exist after a conflict
            raise
    return listing


def mark_removed(session: Session, source: str, seen_keys: set[str], at: datetime) -> int:
    """Mark listings of ``source`` not seen in a complete crawl as removed (never deleted)."""
    listings = cast(Table, Listing.__table__)
    gone = [
        listing_id
        for listing_id, key in session.execute(
            select(listings.c.id, listings.c.natural_key).where(
                listings.c.source == source, listings.c.removed_at.is_(None)
            )
        )
        if key not in seen_keys
    ]
    for chunk in in_chunks(gone):
        session.execute(update(listings).where(listings.c.id.in_(chunk)).values(removed_at=at))
    return len(gone)


def count_listings(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Listing)) or 0
