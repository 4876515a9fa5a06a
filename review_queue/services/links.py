"""The listings a listing is linked to (its score's ``links``), as the item page shows them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from review_queue.db.models import ReviewItem
from store import Listing, ListingVersion

MAX_LINKED = 200


@dataclass(frozen=True)
class LinkedListing:
    listing_id: int
    source: str
    title: str
    removed: bool
    item_id: int | None  # its review item, if it has one
    state: str | None


def linked_listings(session: Session, listing_ids: Iterable[int]) -> dict[int, LinkedListing]:
    """The stored listings among ``listing_ids`` (at most MAX_LINKED), by id."""
    ids = sorted(set(listing_ids))[:MAX_LINKED]
    if not ids:
        return {}
    rows = session.execute(
        select(
            Listing.id,
            Listing.source,
            Listing.removed_at,
            ListingVersion.title,
            ReviewItem.id,
            ReviewItem.state,
        )
        .outerjoin(ListingVersion, ListingVersion.id == Listing.current_version_id)
        .outerjoin(ReviewItem, ReviewItem.listing_id == Listing.id)
        .where(Listing.id.in_(ids))
        .order_by(Listing.id, ReviewItem.id.desc())
    ).all()
    out: dict[int, LinkedListing] = {}
    for listing_id, source, removed_at, title, item_id, state in rows:
        if listing_id not in out:  # the newest review item of a listing
            out[listing_id] = LinkedListing(
                listing_id, source, title or "", removed_at is not None, item_id, state
            )
    return out


def linked_item_ids(session: Session, listing_ids: Iterable[int]) -> list[int]:
    """The review items of the stored listings among ``listing_ids`` (at most MAX_LINKED)."""
    return [
        other.item_id
        for other in linked_listings(session, listing_ids).values()
        if other.item_id is not None
    ]
