"""Watches: an analyst watches an identifier or a search, and stored listings that match it
after the watch was last checked enter the review queue with the reason "watched". This
happens inside the system only (R01): nothing is sent anywhere."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from review_queue.db.models import Score, User, Watch
from review_queue.domain import events
from review_queue.domain.states import require
from review_queue.services import audit, search
from review_queue.services.errors import InvalidInput, NotFound
from review_queue.services.scores import enqueue

MAX_WATCHES = 100  # per analyst


def add_watch(session: Session, user: User, label: str, query: search.SearchQuery) -> Watch:
    """Watch ``query`` (its pseudonyms, words, source and indicator; dates are not kept)."""
    require(user.role, "view_queue")
    if not (query.pseudonyms or query.text or query.source or query.indicator):
        raise InvalidInput("a watch needs an identifier, words, a source or an indicator")
    count = len(
        session.scalars(select(Watch.id).where(Watch.user_id == user.id, Watch.active)).all()
    )
    if count >= MAX_WATCHES:
        raise InvalidInput(f"you watch {count} things already: stop one before adding another")
    watch = Watch(
        user_id=user.id,
        label=label[:300],
        pseudonyms=list(query.pseudonyms),
        query={"text": query.text, "source": query.source, "indicator": query.indicator},
        created_at=datetime.now(UTC),
        checked_at=datetime.now(UTC),
    )
    session.add(watch)
    session.flush()
    audit.record(
        session,
        user.name,
        events.WatchChanged(kind="watch.add", label=watch.label),
        "watch",
        watch.id,
    )
    return watch


def user_watches(session: Session, user: User) -> list[Watch]:
    return list(
        session.scalars(
            select(Watch)
            .where(Watch.user_id == user.id)
            .order_by(Watch.active.desc(), Watch.id.desc())
        )
    )


def stop_watch(session: Session, user: User, watch_id: int) -> Watch:
    watch = session.get(Watch, watch_id)
    if watch is None or watch.user_id != user.id:
        raise NotFound(f"watch {watch_id} is not one of yours: go back to your watches")
    watch.active = False
    audit.record(session, user.name, events.WatchChanged(kind="watch.stop"), "watch", watch.id)
    return watch


def check_watches(session: Session, now: datetime | None = None) -> int:
    """Queue the scored listings fetched since each active watch was last checked that
    match it and have no review item yet; the number queued."""
    now = now or datetime.now(UTC)
    queued = 0
    for watch in session.scalars(select(Watch).where(Watch.active)).all():
        query = search.SearchQuery(
            text=str(watch.query.get("text") or ""),
            pseudonyms=tuple(watch.pseudonyms or ()),
            source=str(watch.query.get("source") or ""),
            indicator=str(watch.query.get("indicator") or ""),
            since=watch.checked_at.date(),
        )
        for hit in search.search(session, query, limit=search.MAX_RESULTS):
            if (
                hit.fetched_at <= watch.checked_at
                or hit.item_id is not None
                or hit.score_id is None
            ):
                continue
            score = session.get(Score, hit.score_id)
            if score is not None:
                enqueue(session, score, reason="watched")
                queued += 1
        watch.checked_at = now
    if queued:
        audit.record(session, "system", events.WatchQueued(listings=queued), "watch")
    return queued
