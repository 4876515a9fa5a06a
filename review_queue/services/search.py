"""Searching the archive: by words, by identifier (its pseudonyms: an identifier typed in
clear is pseudonymised by the caller and never stored), by source, indicator and date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from review_queue.db.models import Identifier, ReviewItem, Score
from review_queue.services.errors import InvalidInput
from review_queue.services.scores import latest_scores
from store import Listing, ListingVersion

MAX_RESULTS = 100
MAX_TEXT = 200
_CANDIDATES = 2_000  # read when an indicator filters them in Python


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    pseudonyms: tuple[str, ...] = ()
    source: str = ""
    indicator: str = ""
    since: date | None = None
    until: date | None = None

    def empty(self) -> bool:
        return not (
            self.text
            or self.pseudonyms
            or self.source
            or self.indicator
            or self.since
            or self.until
        )


@dataclass(frozen=True)
class SearchHit:
    listing_id: int
    version_id: int
    score_id: int | None
    source: str
    title: str
    fetched_at: datetime
    item_id: int | None
    state: str | None
    indicators: tuple[str, ...]


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search(session: Session, query: SearchQuery, limit: int = MAX_RESULTS) -> list[SearchHit]:
    """The current versions of stored listings that match every given filter, newest
    first, at most ``limit``."""
    if len(query.text) > MAX_TEXT:
        raise InvalidInput(
            f"the search text has {len(query.text)} characters: give at most {MAX_TEXT}"
        )
    if query.since and query.until and query.since > query.until:
        raise InvalidInput(f"from {query.since} is after to {query.until}: swap the dates")
    latest = latest_scores()
    stmt = (
        select(
            Listing.id,
            ListingVersion.id,
            Score.id,
            Listing.source,
            ListingVersion.title,
            ListingVersion.fetched_at,
            ReviewItem.id,
            ReviewItem.state,
            Score.explanation,
        )
        .join(ListingVersion, ListingVersion.id == Listing.current_version_id)
        .outerjoin(latest, latest.c.version_id == ListingVersion.id)
        .outerjoin(Score, Score.id == latest.c.score_id)
        .outerjoin(ReviewItem, ReviewItem.version_id == ListingVersion.id)
        .order_by(ListingVersion.fetched_at.desc(), Listing.id.desc())
    )
    if query.text:
        pattern = _like(query.text)
        stmt = stmt.where(
            or_(
                ListingVersion.title.ilike(pattern, escape="\\"),
                ListingVersion.text.ilike(pattern, escape="\\"),
            )
        )
    if query.pseudonyms:
        with_identifier = (
            select(ListingVersion.listing_id)
            .join(Identifier, Identifier.version_id == ListingVersion.id)
            .where(Identifier.pseudonym.in_(query.pseudonyms))
        )
        stmt = stmt.where(Listing.id.in_(with_identifier))
    if query.source:
        stmt = stmt.where(Listing.source == query.source)
    if query.since:
        stmt = stmt.where(
            ListingVersion.fetched_at >= datetime.combine(query.since, time.min, tzinfo=UTC)
        )
    if query.until:
        end = datetime.combine(query.until + timedelta(days=1), time.min, tzinfo=UTC)
        stmt = stmt.where(ListingVersion.fetched_at < end)
    rows = session.execute(stmt.limit(_CANDIDATES if query.indicator else limit)).all()
    hits = []
    for (
        listing_id,
        version_id,
        score_id,
        source,
        title,
        fetched_at,
        item_id,
        state,
        explanation,
    ) in rows:
        ids = tuple(
            str(ind.get("id"))
            for ind in (explanation or {}).get("indicators", ())
            if isinstance(ind, dict)
        )
        if query.indicator and not any(i.startswith(query.indicator) for i in ids):
            continue
        hits.append(
            SearchHit(
                listing_id,
                version_id,
                score_id,
                source,
                title or "",
                fetched_at,
                item_id,
                state,
                ids,
            )
        )
        if len(hits) >= limit:
            break
    return hits
