"""The stored archive as input to linking: each listing's current version, with the kind
its latest score found."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nlp.linking import LinkInput
from review_queue.db.models import Score
from store import Listing, ListingVersion

__all__ = ["archive_listings"]


def archive_listings(session: Session) -> Iterator[LinkInput]:
    """Each stored listing that is not removed, by its id ("source:natural key" would be
    longer and is in the review UI already), oldest first."""
    latest = (
        select(Score.version_id, func.max(Score.id).label("score_id"))
        .group_by(Score.version_id)
        .subquery()
    )
    query = (
        select(Listing.id, Listing.source, ListingVersion, Score.explanation)
        .join(ListingVersion, ListingVersion.id == Listing.current_version_id)
        .outerjoin(latest, latest.c.version_id == ListingVersion.id)
        .outerjoin(Score, Score.id == latest.c.score_id)
        .where(Listing.removed_at.is_(None))
        .order_by(Listing.id)
        .execution_options(yield_per=1000)
    )
    for listing_id, source, version, explanation in session.execute(query):
        fields = dict(version.fields or {})
        stored = {
            "source": source,
            "kind": (explanation or {}).get("kind"),
            "city": fields.get("city") or fields.get("location"),
            "posted_at": fields.get("date_posted") or version.fetched_at.isoformat(),
        }
        yield LinkInput(
            str(listing_id),
            version.title or "",
            version.text or "",
            {k: v for k, v in stored.items() if v},
        )
