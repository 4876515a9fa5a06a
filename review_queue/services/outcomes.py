"""Outcomes of review: the final human decision on each decided item.

Read by the calibration fit (``thbscan calibration fit``). An item's outcome is its latest
decision: escalated or dismissed (a reopened item, back in the queue, has none). Whether
the item was queued as flagged or as an unflagged sample (R04) is returned so the fit can
weight the sample by the inverse of its rate.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from review_queue.db.models import Decision, ReviewItem
from review_queue.domain.states import ItemState
from store import ListingVersion


@dataclass(frozen=True)
class Outcome:
    item_id: int
    version_id: int
    title: str
    text: str
    escalated: bool
    sampled: bool  # queued as an unflagged sample, not because it was flagged


def decided_outcomes(session: Session, *, batch_size: int = 500) -> Iterator[Outcome]:
    """Every item whose latest decision escalated or dismissed it, by item id; read in
    batches (keyset pagination), so memory stays bounded."""
    latest = select(func.max(Decision.id).label("id")).group_by(Decision.item_id).subquery()
    last_item = 0
    while True:
        rows = session.execute(
            select(
                ReviewItem.id,
                ReviewItem.version_id,
                ReviewItem.reason,
                ListingVersion.title,
                ListingVersion.text,
                Decision.to_state,
            )
            .join(latest, Decision.id == latest.c.id)
            .join(ReviewItem, ReviewItem.id == Decision.item_id)
            .join(ListingVersion, ListingVersion.id == ReviewItem.version_id)
            .where(
                Decision.to_state.in_((ItemState.ESCALATED.value, ItemState.DISMISSED.value)),
                ReviewItem.id > last_item,
            )
            .order_by(ReviewItem.id)
            .limit(batch_size)
        ).all()
        if not rows:
            return
        last_item = rows[-1][0]
        for item_id, version_id, reason, title, text, to_state in rows:
            yield Outcome(
                item_id,
                version_id,
                title or "",
                text or "",
                to_state == ItemState.ESCALATED.value,
                reason == "sample",
            )
