"""The review queue: listing, claiming and deciding on review items.

Claims are leases (R30): one UPDATE statement moves an item to ``claimed`` only
while it is ``new`` or its lease has expired, so two reviewers can never hold
the same item, on SQLite (which silently drops ``FOR UPDATE SKIP LOCKED``) and
on PostgreSQL alike. Decisions record what the analyst was shown (R03) and are
never updated: a reversal is a new decision. Each state change writes its audit
event in the caller's transaction, and the caller commits (R28).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import String, and_, case, cast, func, or_, select, text, update
from sqlalchemy.orm import Session, selectinload

from review_queue.db.models import AuditEvent, Decision, ReviewItem, Score, User
from review_queue.domain import events
from review_queue.domain.states import ItemState, Lane, next_state, require
from review_queue.services import audit
from review_queue.services.errors import Conflict, InvalidInput, NotFound
from review_queue.services.queue_filter import HIDDEN, QueueFilter
from store import Listing, ListingVersion

SORTS = ("score", "newest", "oldest")
STATES = (*(state.value for state in ItemState), "all")
LANES = tuple(lane.value for lane in Lane)
MAX_LIMIT = 200
DEFAULT_LEASE_SECONDS = 900

# "urgent" sorts after "normal": lane descending puts the urgent lane first, in the order
# of the queue index (lane DESC, priority DESC, id), so a page or a claim reads 50 rows,
# not the whole queue
assert Lane.URGENT.value > Lane.NORMAL.value
_URGENT_FIRST = ReviewItem.lane.desc()
BLIND_LABEL = "blind first"


@dataclass(frozen=True)
class QueueRow:
    """One row of the queue. Deliberately without ``ReviewItem.reason`` (R04)."""

    id: int
    title: str
    band: str
    score: float
    lane: str
    state: str
    categories: list[Any]
    created_at: datetime
    claimed_by: str | None
    claim_expires_at: datetime | None
    hidden: bool = False  # blind-first, no first call yet: no categories shown (R04)


@dataclass(frozen=True)
class ItemDetail:
    item: ReviewItem
    listing: Listing
    version: ListingVersion
    score: Score
    decisions: list[Decision]
    claimed_by: str | None
    state: str  # the effective state: an expired claim counts as "new"

    @property
    def hidden(self) -> bool:
        """Blind-first and no first call yet: band, categories, explanation not shown."""
        return self.item.blind and self.item.first_call is None


def utc_now() -> datetime:
    return datetime.now(UTC)


def effective_state(state: str, claim_expires_at: datetime | None, now: datetime) -> str:
    if state == ItemState.CLAIMED and (claim_expires_at is None or claim_expires_at < now):
        return ItemState.NEW.value
    return state


def _claimable(now: datetime) -> Any:
    return or_(
        ReviewItem.state == ItemState.NEW.value,
        and_(ReviewItem.state == ItemState.CLAIMED.value, ReviewItem.claim_expires_at < now),
    )


def _state_filter(state: str, now: datetime) -> Any:
    if state not in STATES:
        raise InvalidInput(f"state {state!r} is not a queue filter: use one of {', '.join(STATES)}")
    if state == "all":
        return None
    if state == ItemState.NEW:
        return _claimable(now)
    if state == ItemState.CLAIMED:
        return and_(ReviewItem.state == state, ReviewItem.claim_expires_at >= now)
    return ReviewItem.state == state


def _lane_filter(lane: str | None) -> Any:
    if lane in (None, ""):
        return None
    if lane not in LANES:
        raise InvalidInput(f"lane {lane!r} is not a queue filter: use one of {', '.join(LANES)}")
    return ReviewItem.lane == lane


def _in_order(condition: Any) -> Any:
    """``condition`` as an expression no index serves: the database then reads the queue
    index in order and stops at the page's end, instead of fetching every row of a state
    and sorting them."""
    return None if condition is None else case((condition, 1), else_=0) == 1


def _filtered(
    query: Any, state: str, lane: str | None, narrow: QueueFilter | None, *, ordered: bool = False
) -> Any:
    """``query`` (over review items, their versions, scores and listings) narrowed; for a
    page in queue order when ``ordered``."""
    by_state = _state_filter(state, utc_now())
    conditions = [_in_order(by_state) if ordered else by_state, _lane_filter(lane)]
    conditions += (narrow or QueueFilter()).conditions()
    for condition in conditions:
        if condition is not None:
            query = query.where(condition)
    return query


def _joined(query: Any) -> Any:
    return (
        query.join(ListingVersion, ListingVersion.id == ReviewItem.version_id)
        .join(Score, Score.id == ReviewItem.score_id)
        .join(Listing, Listing.id == ReviewItem.listing_id)
    )


def _order(sort: str) -> tuple[Any, ...]:
    if sort == "score":  # the item's priority: its score, or a blind one for samples (R04)
        return (_URGENT_FIRST, ReviewItem.priority.desc(), ReviewItem.id)
    if sort == "newest":
        return (_URGENT_FIRST, ReviewItem.created_at.desc(), ReviewItem.id.desc())
    if sort == "oldest":
        return (_URGENT_FIRST, ReviewItem.created_at, ReviewItem.id)
    raise InvalidInput(f"sort key {sort!r} is not allowed: use one of {', '.join(SORTS)}")


def _page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit {limit} is out of range: use 1 to {MAX_LIMIT}")
    if offset < 0:
        raise InvalidInput(f"offset {offset} is negative: use 0 or more")


def list_queue(
    session: Session,
    *,
    state: str = "new",
    lane: str | None = None,
    sort: str = "score",
    limit: int = 50,
    offset: int = 0,
    narrow: QueueFilter | None = None,
) -> list[QueueRow]:
    """Queue rows: urgent lane first, then by ``sort`` (default: score descending)."""
    now = utc_now()
    order = _order(sort)
    _page(limit, offset)
    query = _joined(
        select(
            ReviewItem.id,
            ListingVersion.title,
            Score.band,
            Score.score,
            ReviewItem.lane,
            ReviewItem.state,
            Score.categories,
            ReviewItem.created_at,
            User.name,
            ReviewItem.claim_expires_at,
            HIDDEN,
        ).select_from(ReviewItem)
    ).outerjoin(User, User.id == ReviewItem.claimed_by)
    query = _filtered(query, state, lane, narrow, ordered=sort == "score")
    rows = session.execute(query.order_by(*order).limit(limit).offset(offset)).all()
    result = []
    for row in rows:
        shown_state = effective_state(row[5], row[9], now)
        claimed = shown_state == ItemState.CLAIMED
        result.append(
            QueueRow(
                id=row[0],
                title=row[1] or "",
                band=row[2],
                score=row[3],
                lane=row[4],
                state=shown_state,
                categories=list(row[6] or []),
                created_at=row[7],
                claimed_by=row[8] if claimed else None,
                claim_expires_at=row[9] if claimed else None,
                hidden=bool(row[10]),
            )
        )
    return result


def count_queue(
    session: Session,
    *,
    state: str = "new",
    lane: str | None = None,
    narrow: QueueFilter | None = None,
) -> int:
    query = select(func.count()).select_from(ReviewItem)
    if narrow is not None and narrow != QueueFilter():  # the joins only when filtered
        query = _joined(query)
    return session.scalar(_filtered(query, state, lane, narrow)) or 0


def category_counts(
    session: Session,
    *,
    state: str = "new",
    lane: str | None = None,
    narrow: QueueFilter | None = None,
) -> list[tuple[str, int]]:
    """How many items name each exploitation form, most frequent first (queue chart),
    counted in SQL by each distinct list of forms. Blind-first items count as
    ``blind first`` until their first call.

    Deliberately not per score band: the band would single out the unflagged sample
    mixed into the queue (R04).
    """
    hidden = case((HIDDEN, 1), else_=0)
    if narrow is not None and narrow != QueueFilter():  # the joins only when filtered
        forms: Any = cast(Score.categories, String)
        query = _joined(
            select(ReviewItem.lane, hidden, forms, func.count()).select_from(ReviewItem)
        )
    else:  # one table: the forms are copied onto the item (a million items in well under 1 s)
        forms = ReviewItem.forms
        query = select(ReviewItem.lane, hidden, forms, func.count()).select_from(ReviewItem)
    query = query.group_by(ReviewItem.lane, hidden, forms)
    query = _filtered(query, state, lane, narrow)
    counts: dict[str, int] = {}
    for item_lane, is_hidden, categories, n in session.execute(query):
        if is_hidden:
            names = [BLIND_LABEL]
        else:
            names = [str(c) for c in json.loads(categories or "[]")] or ["no form named"]
        if item_lane == Lane.URGENT.value:
            names.append("possible minor")
        for name in dict.fromkeys(names):
            counts[name] = counts.get(name, 0) + n
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def get_item(session: Session, item_id: int, *, user: User | None = None) -> ItemDetail:
    """An item with its current version, score and decisions (NotFound when missing)."""
    if user is not None:
        require(user.role, "view_item")
    item = session.scalar(
        select(ReviewItem)
        .where(ReviewItem.id == item_id)
        .options(
            selectinload(ReviewItem.listing),
            selectinload(ReviewItem.version),
            selectinload(ReviewItem.score),
            selectinload(ReviewItem.decisions).selectinload(Decision.user),
        )
    )
    if item is None:
        raise NotFound(f"review item {item_id} does not exist: go back to the queue")
    now = utc_now()
    state = effective_state(item.state, item.claim_expires_at, now)
    claimed_by = None
    if state == ItemState.CLAIMED and item.claimed_by is not None:
        claimed_by = session.scalar(select(User.name).where(User.id == item.claimed_by))
    return ItemDetail(
        item=item,
        listing=item.listing,
        version=item.version,
        score=item.score,
        decisions=list(item.decisions),
        claimed_by=claimed_by,
        state=state,
    )


def _expire_items(session: Session, ids: Sequence[int]) -> None:
    """Make loaded copies of updated items reload (the UPDATEs bypass the identity map)."""
    for item_id in ids:
        loaded = session.identity_map.get(session.identity_key(ReviewItem, item_id))
        if loaded is not None:
            session.expire(loaded)


def _lease(lease_seconds: int) -> timedelta:
    if not 1 <= lease_seconds <= 24 * 3600:
        raise InvalidInput(f"lease of {lease_seconds} s is out of range: use 1 s to 24 h")
    return timedelta(seconds=lease_seconds)


def claim(
    session: Session, user: User, item_id: int, lease_seconds: int = DEFAULT_LEASE_SECONDS
) -> ReviewItem:
    """Claim one item for ``user`` (or extend the user's own lease)."""
    require(user.role, "claim")
    now = utc_now()
    expires = now + _lease(lease_seconds)
    claimed = session.execute(
        update(ReviewItem)
        .where(
            ReviewItem.id == item_id,
            or_(
                _claimable(now),
                and_(ReviewItem.state == ItemState.CLAIMED.value, ReviewItem.claimed_by == user.id),
            ),
        )
        .values(_claim_values(user, expires, now))
        .returning(ReviewItem.id)
        .execution_options(synchronize_session=False)
    ).scalar()
    item = session.get(ReviewItem, item_id, populate_existing=True)
    if item is None:
        raise NotFound(f"review item {item_id} does not exist: go back to the queue")
    if claimed is None:
        if item.state == ItemState.CLAIMED:
            holder = session.scalar(select(User.name).where(User.id == item.claimed_by))
            raise Conflict(
                f"review item {item_id} is claimed by {holder!r} until "
                f"{item.claim_expires_at:%Y-%m-%d %H:%M} UTC: pick another item"
            )
        next_state(item.state, "claim")  # raises IllegalTransition
    audit.record(
        session,
        user.name,
        events.ItemClaimed(user=user.name, expires_at=expires.isoformat()),
        "review_item",
        item_id,
    )
    return item


def _claim_values(user: User, expires: datetime, now: datetime) -> dict[str, Any]:
    return {
        "state": ItemState.CLAIMED.value,
        "claimed_by": user.id,
        "claim_expires_at": expires,
        "updated_at": now,
    }


def lease_only(session: Session) -> None:
    """Let the current transaction commit without waiting for the disk (PostgreSQL). For a
    transaction that only claims: a claim is a lease, not a record that must survive a
    crash of the database server (a claim lost that way leaves its item claimable, and its
    audit event is lost with it). Never for one that records a decision."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))


def claim_next(
    session: Session, user: User, n: int = 1, *, lease_seconds: int = DEFAULT_LEASE_SECONDS
) -> list[int]:
    """Claim up to ``n`` items in queue order in one statement; returns their ids."""
    require(user.role, "claim")
    if not 1 <= n <= MAX_LIMIT:
        raise InvalidInput(f"cannot claim {n} items at once: use 1 to {MAX_LIMIT}")
    now = utc_now()
    expires = now + _lease(lease_seconds)
    candidates = (
        select(ReviewItem.id).where(_in_order(_claimable(now))).order_by(*_order("score")).limit(n)
    )
    chosen: Any = candidates.scalar_subquery()  # SQLite: one statement, no lock upgrade
    if session.get_bind().dialect.name == "postgresql":
        # Concurrent claimers skip each other's rows instead of queueing on them. Chosen
        # first, then claimed: as a subquery of the UPDATE, PostgreSQL may run the locking
        # LIMIT n once per row it updates, each run skipping the rows the last one locked
        # (seen: one claim of 1 took both items of a queue of 2).
        chosen = session.scalars(candidates.with_for_update(skip_locked=True)).all()
        if not chosen:
            return []
    ids = (
        session.execute(
            update(ReviewItem)
            .where(ReviewItem.id.in_(chosen), _claimable(now))
            .values(_claim_values(user, expires, now))
            .returning(ReviewItem.id)
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
    )
    _expire_items(session, ids)
    for item_id in sorted(ids):
        audit.record(
            session,
            user.name,
            events.ItemClaimed(user=user.name, expires_at=expires.isoformat()),
            "review_item",
            item_id,
        )
    return sorted(ids)


def release(session: Session, user: User, item_id: int) -> ReviewItem:
    """Give a claimed item back to the queue (its holder, or a lead/admin)."""
    require(user.role, "release")
    now = utc_now()
    query = update(ReviewItem).where(
        ReviewItem.id == item_id, ReviewItem.state == ItemState.CLAIMED.value
    )
    if user.role not in ("lead", "admin"):
        query = query.where(ReviewItem.claimed_by == user.id)
    released = session.execute(
        query.values(
            state=ItemState.NEW.value, claimed_by=None, claim_expires_at=None, updated_at=now
        )
        .returning(ReviewItem.id)
        .execution_options(synchronize_session=False)
    ).scalar()
    item = session.get(ReviewItem, item_id, populate_existing=True)
    if item is None:
        raise NotFound(f"review item {item_id} does not exist: go back to the queue")
    if released is None:
        if item.state == ItemState.CLAIMED:
            raise Conflict(
                f"review item {item_id} is claimed by someone else: only they "
                "or a lead can release it"
            )
        next_state(item.state, "release")  # raises IllegalTransition
    audit.record(session, user.name, events.ItemReleased(user=user.name), "review_item", item_id)
    return item


def audit_log(
    session: Session,
    limit: int = 100,
    offset: int = 0,
    *,
    user: User,
    actor: str = "",
    action: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> Sequence[AuditEvent]:
    """Audit events, newest first, for roles with ``view_audit``; by ``actor``, by an
    ``action`` or its prefix (``decision.``), and from ``since`` up to ``until``."""
    require(user.role, "view_audit")
    _page(limit, offset)
    query = audit.filtered(actor=actor, action=action, since=since, until=until)
    return session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit).offset(offset)).all()
