"""The listings a listing is linked to (its score's ``links``), as the item page shows them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from review_queue.db.models import LinkGroup, LinkOverride, ListingLink, ReviewItem, User
from review_queue.domain import events
from review_queue.domain.states import require
from review_queue.services import audit
from review_queue.services.errors import InvalidInput, NotFound
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


@dataclass(frozen=True)
class Member:
    listing_id: int
    source: str
    title: str
    fetched_at: datetime
    city: str
    item_id: int | None
    state: str | None
    in_template: bool


@dataclass(frozen=True)
class ClusterView:
    """A listing's cluster as the last linking run stored it; members oldest first."""

    linked_by: list[str]
    members: list[Member]
    template: str | None
    slots: dict[str, Any] = field(default_factory=dict)
    signals: list[Any] = field(default_factory=list)

    @property
    def cities(self) -> list[str]:
        return sorted({m.city for m in self.members if m.city})

    def slot_rows(self) -> tuple[list[str], list[tuple[str, list[str]]]]:
        """The slot table: slot names, and per template member its listing id and values."""
        values = self.slots.get("values")
        members = self.slots.get("members")
        if not isinstance(values, dict) or not isinstance(members, list):
            return [], []
        names = [str(name) for name in list(values)[:20]]
        rows = []
        for i, member in enumerate(members[:50]):
            cells = []
            for name in names:
                column = values.get(name)
                value = column[i] if isinstance(column, list) and i < len(column) else ""
                cells.append(str(value)[:200])
            rows.append((str(member), cells))
        return names, rows


def cluster_of(session: Session, listing_id: int) -> ClusterView | None:
    """The stored cluster of ``listing_id``, None when it is linked to nothing."""
    group_id = session.scalar(
        select(ListingLink.group_id).where(ListingLink.listing_id == listing_id)
    )
    group = session.get(LinkGroup, group_id) if group_id is not None else None
    if group is None:
        return None
    rows = session.execute(
        select(
            Listing.id,
            Listing.source,
            ListingVersion.title,
            ListingVersion.fetched_at,
            ListingVersion.fields,
            ReviewItem.id,
            ReviewItem.state,
            ListingLink.in_template,
        )
        .join(Listing, Listing.id == ListingLink.listing_id)
        .outerjoin(ListingVersion, ListingVersion.id == Listing.current_version_id)
        .outerjoin(ReviewItem, ReviewItem.version_id == ListingVersion.id)
        .where(ListingLink.group_id == group.id)
        .order_by(ListingVersion.fetched_at, Listing.id)
        .limit(MAX_LINKED)
    ).all()
    members = [
        Member(
            listing,
            source,
            title or "",
            fetched_at,
            str((fields or {}).get("city") or (fields or {}).get("location") or "")[:100],
            item_id,
            state,
            in_template,
        )
        for listing, source, title, fetched_at, fields, item_id, state, in_template in rows
    ]
    return ClusterView(
        list(group.linked_by or []),
        members,
        group.template,
        dict(group.slots or {}),
        list(group.signals or []),
    )


OVERRIDES = ("detach", "merge")


def record_override(
    session: Session,
    user: User,
    action: str,
    listing_id: int,
    reason: str,
    other_listing_id: int | None = None,
) -> LinkOverride:
    """Record an analyst's correction of linking; it applies from the next linking run on."""
    require(user.role, "escalate")
    if action not in OVERRIDES:
        raise InvalidInput(f"{action!r} is not a correction of linking: use detach or merge")
    reason = (reason or "").strip()
    if not reason or len(reason) > 2000:
        raise InvalidInput("a correction needs a reason of at most 2,000 characters")
    if action == "merge":
        if other_listing_id is None or other_listing_id == listing_id:
            raise InvalidInput("give the number of another listing to merge with")
        if session.get(Listing, other_listing_id) is None:
            raise NotFound(f"listing {other_listing_id} does not exist: check the number")
    override = LinkOverride(
        action=action,
        listing_id=listing_id,
        other_listing_id=other_listing_id if action == "merge" else None,
        user_id=user.id,
        reason=reason,
    )
    session.add(override)
    session.flush()
    audit.record(
        session,
        user.name,
        events.LinkOverride(
            kind=f"linking.{action}",  # type: ignore[arg-type]  # pydantic checks it
            other_listing=override.other_listing_id,
            reason_chars=len(reason),
        ),
        "listing",
        listing_id,
    )
    return override


def overrides(session: Session) -> tuple[list[str], list[tuple[str, str]]]:
    """Every recorded correction: the detached listings and the merged pairs (listing ids)."""
    detached, merged = [], []
    for action, listing, other in session.execute(
        select(LinkOverride.action, LinkOverride.listing_id, LinkOverride.other_listing_id)
    ):
        if action == "detach":
            detached.append(str(listing))
        elif other is not None:
            merged.append((str(listing), str(other)))
    return detached, merged
