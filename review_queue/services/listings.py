"""Idempotent storage of collected listings (R27, R35).

The natural key is (source, site listing id or canonical URL). A listing gets a
new version only when its content hash changes; re-storing the same content
only refreshes ``last_seen_at``. Concurrent ingesters are safe: the unique
constraints decide, and a loser of a race re-reads the winner's row.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from review_queue.db.models import Listing, ListingVersion
from review_queue.services.errors import InvalidInput

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
        ensure_ascii=False, sort_keys=True, separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def validate(item: ListingInput) -> None:
    if not item.source or len(item.source) > 100:
        raise InvalidInput(f"source {item.source!r} must be 1-100 characters: name the source")
    if not item.natural_key:
        raise InvalidInput("listing has no id or URL: give an 'id' or 'url' so re-runs dedupe")
    if not (item.title or "").strip() and not (item.text or "").strip():
        raise InvalidInput(f"listing {item.natural_key!r} has neither title nor text")


def store_listing(session: Session, item: ListingInput) -> IngestResult:
    """Store one listing idempotently. The caller commits."""
    validate(item)
    now = datetime.now(UTC)
    fetched_at = item.fetched_at or now
    title = (item.title or "").strip()[:MAX_TITLE]
    text = (item.text or "").replace("\x00", "")[:MAX_TEXT]
    fields = _bound_fields(item.fields)
    digest = content_hash(title, text, fields)
    natural_key = item.natural_key[:1000]

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
    raise InvalidInput(f"could not store a new version of {natural_key!r} after 3 attempts")


def _get_or_create_listing(
    session: Session, source: str, natural_key: str, url: str | None, now: datetime
) -> Listing:
    query = select(Listing).where(Listing.source == source, Listing.natural_key == natural_key)
    listing = session.scalar(query)
    if listing is not None:
        return listing
    listing = Listing(source=source, natural_key=natural_key, url=url, first_seen_at=now,
                      last_seen_at=now)
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
    count = 0
    for listing in session.scalars(
        select(Listing).where(Listing.source == source, Listing.removed_at.is_(None))
    ):
        if listing.natural_key not in seen_keys:
            listing.removed_at = at
            count += 1
    return count


def count_listings(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Listing)) or 0
