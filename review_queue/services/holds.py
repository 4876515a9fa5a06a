"""Legal holds: a lead puts a review item, or a link group (a persona: listings linked by
shared contacts or a template), on hold, with a reason; while the hold lasts ``thbscan purge``
deletes nothing the held row needs, whatever its retention class says (docs/retention.md).

A held item keeps its listing version (with its score, identifiers and decisions) and its
listing. A held group keeps every listing in it when the hold was set, and every listing a
later linking run puts in it (:func:`carry_over`): all their versions, items and decisions.
Setting and clearing are audited; the audit event records who and the reason's length, not
the reason (it is on the held row while the hold lasts).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from review_queue.db.models import HeldListing, LinkGroup, ListingLink, ReviewItem, User
from review_queue.domain import events
from review_queue.domain.states import require
from review_queue.services import audit
from review_queue.services.errors import Conflict, InvalidInput, NotFound

MAX_REASON = 2000
KINDS = ("item", "group")


@dataclass(frozen=True)
class Hold:
    kind: str  # "item" or "group"
    id: int
    held: bool
    by: str | None
    at: datetime | None
    reason: str | None
    listings: int  # the listings the hold covers

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "id": self.id,
            "held": self.held,
            "by": self.by,
            "at": self.at.isoformat() if self.at else None,
            "reason": self.reason,
            "listings": self.listings,
        }


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("a legal hold needs a reason: say which request or case it is for")
    if len(reason) > MAX_REASON:
        raise InvalidInput(
            f"the reason has {len(reason)} characters: shorten it to {MAX_REASON} or fewer"
        )
    return reason


def _target(session: Session, kind: str, target_id: int) -> ReviewItem | LinkGroup:
    if kind not in KINDS:
        raise InvalidInput(f"{kind!r} cannot be held: hold an item or a group")
    if kind == "item":
        item = session.get(ReviewItem, target_id)
        if item is None:
            raise NotFound(f"review item {target_id} does not exist: check the number")
        return item
    group = session.get(LinkGroup, target_id)
    if group is None:
        raise NotFound(
            f"link group {target_id} does not exist (linking replaces groups that are not "
            "held): check the number on the listing's page"
        )
    return group


def group_of_item(session: Session, item_id: int) -> int:
    """The link group that review item ``item_id``'s listing is in (its persona)."""
    listing_id = session.scalar(select(ReviewItem.listing_id).where(ReviewItem.id == item_id))
    if listing_id is None:
        raise NotFound(f"review item {item_id} does not exist: check the number")
    group_id = session.scalar(
        select(ListingLink.group_id).where(ListingLink.listing_id == listing_id)
    )
    if group_id is None:
        raise NotFound(
            f"the listing of review item {item_id} is linked to no other listing: hold the "
            "item itself (--item)"
        )
    return int(group_id)


def _covered(session: Session, kind: str, target: ReviewItem | LinkGroup) -> int:
    if kind == "item":
        return 1
    return (
        session.scalar(
            select(func.count()).select_from(HeldListing).where(HeldListing.group_id == target.id)
        )
        or 0
    )


def _view(session: Session, kind: str, target: ReviewItem | LinkGroup) -> Hold:
    return Hold(
        kind,
        target.id,
        target.legal_hold,
        target.legal_hold_by,
        target.legal_hold_at,
        target.legal_hold_reason,
        _covered(session, kind, target) if target.legal_hold else 0,
    )


def set_hold(
    session: Session,
    user: User,
    kind: str,
    target_id: int,
    reason: str,
    *,
    now: datetime | None = None,
) -> Hold:
    """Put item or group ``target_id`` on legal hold. The caller commits."""
    require(user.role, "legal_hold")
    reason = _reason(reason)
    target = _target(session, kind, target_id)
    if target.legal_hold:
        since = f"{target.legal_hold_at:%Y-%m-%d}" if target.legal_hold_at else "?"
        raise Conflict(
            f"{kind} {target_id} is already on legal hold (since {since}, by "
            f"{target.legal_hold_by}): clear it first to change its reason"
        )
    target.legal_hold = True
    target.legal_hold_by = user.name
    target.legal_hold_at = now or datetime.now(UTC)
    target.legal_hold_reason = reason
    if isinstance(target, LinkGroup):
        members = session.scalars(
            select(ListingLink.listing_id).where(ListingLink.group_id == target.id)
        ).all()
        _cover(session, target.id, members)
    session.flush()
    hold = _view(session, kind, target)
    audit.record(
        session,
        user.name,
        events.HoldChanged(kind="hold.set", listings=hold.listings, reason_chars=len(reason)),
        "review_item" if kind == "item" else "link_group",
        target_id,
    )
    return hold


def clear_hold(session: Session, user: User, kind: str, target_id: int, reason: str) -> Hold:
    """End the legal hold on item or group ``target_id``; its rows expire by their retention
    again. The caller commits."""
    require(user.role, "legal_hold")
    reason = _reason(reason)
    target = _target(session, kind, target_id)
    if not target.legal_hold:
        raise Conflict(f"{kind} {target_id} is not on legal hold: nothing to clear")
    covered = _covered(session, kind, target)
    target.legal_hold = False
    target.legal_hold_by = None
    target.legal_hold_at = None
    target.legal_hold_reason = None
    if isinstance(target, LinkGroup):
        session.execute(delete(HeldListing).where(HeldListing.group_id == target.id))
    session.flush()
    audit.record(
        session,
        user.name,
        events.HoldChanged(kind="hold.cleared", listings=covered, reason_chars=len(reason)),
        "review_item" if kind == "item" else "link_group",
        target_id,
    )
    return _view(session, kind, target)


def holds(session: Session) -> list[Hold]:
    """Every legal hold in force: items, then groups, by number."""
    out = [
        _view(session, "item", item)
        for item in session.scalars(
            select(ReviewItem).where(ReviewItem.legal_hold.is_(True)).order_by(ReviewItem.id)
        )
    ]
    out += [
        _view(session, "group", group)
        for group in session.scalars(
            select(LinkGroup).where(LinkGroup.legal_hold.is_(True)).order_by(LinkGroup.id)
        )
    ]
    return out


def _cover(session: Session, group_id: int, listing_ids: Iterable[int]) -> None:
    """Add ``listing_ids`` to what the hold on ``group_id`` covers."""
    known = set(
        session.scalars(select(HeldListing.listing_id).where(HeldListing.group_id == group_id))
    )
    session.add_all(
        HeldListing(group_id=group_id, listing_id=listing_id)
        for listing_id in sorted(set(listing_ids) - known)
    )


def held_groups(session: Session) -> dict[int, set[int]]:
    """The listings each held link group covers, by group."""
    out: dict[int, set[int]] = {}
    for group_id, listing_id in session.execute(
        select(HeldListing.group_id, HeldListing.listing_id)
        .join(LinkGroup, LinkGroup.id == HeldListing.group_id)
        .where(LinkGroup.legal_hold.is_(True))
    ):
        out.setdefault(group_id, set()).add(listing_id)
    return out


def carry_over(
    session: Session, held: dict[int, set[int]], members: Iterable[int | str], taken: set[int]
) -> int | None:
    """For a linking run that replaces the stored groups: the held group (of ``held``, as
    :func:`held_groups` read it before the run) that a new cluster of ``members`` continues,
    the one covering most of them, not already ``taken`` by another cluster; None if there
    is none. That group keeps its id and hold, and now covers ``members`` too."""
    ids = [int(m) for m in members]
    overlap = Counter(
        g for g, covered in held.items() if g not in taken for m in ids if m in covered
    )
    if not overlap:
        return None
    group_id = min(overlap, key=lambda g: (-overlap[g], g))
    taken.add(group_id)
    _cover(session, group_id, ids)
    return group_id
