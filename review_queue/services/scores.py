"""Recording scores and queueing flagged listings for human review.

A score never causes anything outside the system (R01): the only effect of a
flag is a review item in state ``new``. A small, deterministic sample of
unflagged listings is queued too, indistinguishable in the UI (R04).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Subquery, and_, func, select
from sqlalchemy.orm import Session

from review_queue.db.models import Identifier, ReviewItem, Score
from review_queue.domain.states import ItemState, Lane
from store import Listing, ListingVersion
from store.listings import in_chunks

DEFAULT_SAMPLE_RATE = 0.02
DEFAULT_BLIND_SHARE = 0.1


@dataclass(frozen=True)
class QueuePolicy:
    """What is queued besides the flagged listings, and how it is shown (R04):
    ``sample_rate`` of the unflagged listings are queued as a sample, and every sampled
    item and ``blind_share`` of the others are shown blind-first (no band, categories or
    explanation until an analyst records a first call), so a sample looks like the rest."""

    sample_rate: float = DEFAULT_SAMPLE_RATE
    blind_share: float = DEFAULT_BLIND_SHARE

    def __post_init__(self) -> None:
        for name in ("sample_rate", "blind_share"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise ValueError(f"{name} {value}: give a share in 0..1")


@dataclass(frozen=True)
class ScoreInput:
    """What the scorer concluded about one listing version."""

    version_id: int
    scorer_key: str
    score: float
    band: str
    flagged: bool
    possible_minor: bool
    categories: Sequence[str]
    explanation: dict[str, Any]
    language: str | None
    model_version: str
    list_versions: dict[str, str]
    identifiers: Sequence[tuple[str, str]] = field(default_factory=tuple)  # (kind, pseudonym)


@dataclass(frozen=True)
class PendingVersion:
    version_id: int
    title: str
    text: str
    fields: dict[str, Any]


def pending_versions(
    session: Session, scorer_key: str, *, batch_size: int = 1000, rescore: bool = False
) -> Iterator[list[PendingVersion]]:
    """Yield batches of current listing versions without a score under ``scorer_key``.

    Keyset pagination by version id keeps memory bounded and makes the job
    resumable: a killed run leaves committed batches scored and picks up the rest.
    """
    last_id = 0
    while True:
        query = (
            select(
                ListingVersion.id, ListingVersion.title, ListingVersion.text, ListingVersion.fields
            )
            .join(Listing, Listing.current_version_id == ListingVersion.id)
            .where(ListingVersion.id > last_id)
            .order_by(ListingVersion.id)
            .limit(batch_size)
        )
        if not rescore:
            query = query.outerjoin(
                Score, and_(Score.version_id == ListingVersion.id, Score.scorer_key == scorer_key)
            ).where(Score.id.is_(None))
        rows = session.execute(query).all()
        if not rows:
            return
        last_id = rows[-1][0]
        yield [PendingVersion(r[0], r[1] or "", r[2] or "", r[3] or {}) for r in rows]


def lease_pending(
    session: Session, scorer_key: str, *, batch_size: int = 1000, after: int = 0
) -> list[PendingVersion]:
    """PostgreSQL: up to ``batch_size`` current listing versions numbered above ``after``
    without a score under ``scorer_key``, their rows held by ``session``'s transaction
    (``FOR NO KEY UPDATE ... SKIP LOCKED``) until it ends. Rows another transaction holds
    are skipped, so processes on any number of machines take different batches; a worker
    that dies loses its connection, and PostgreSQL releases its rows with it.

    Write the scores in the same transaction. Needs READ COMMITTED (PostgreSQL's default):
    a row whose score another worker committed after this statement's snapshot was taken,
    but before its lock was granted, is caught by a second look once the rows are held.
    """
    while True:
        rows = session.execute(
            select(
                ListingVersion.id, ListingVersion.title, ListingVersion.text, ListingVersion.fields
            )
            .join(Listing, Listing.current_version_id == ListingVersion.id)
            .where(
                ListingVersion.id > after,
                ~select(Score.id)
                .where(Score.version_id == ListingVersion.id, Score.scorer_key == scorer_key)
                .exists(),
            )
            .order_by(ListingVersion.id)
            .limit(batch_size)
            .with_for_update(of=ListingVersion, key_share=True, skip_locked=True)
        ).all()
        if not rows:
            return []
        ids = [row[0] for row in rows]
        done = set(
            session.scalars(
                select(Score.version_id).where(
                    Score.version_id.in_(ids), Score.scorer_key == scorer_key
                )
            )
        )
        batch = [PendingVersion(r[0], r[1] or "", r[2] or "", r[3] or {}) for r in rows]
        batch = [v for v in batch if v.version_id not in done]
        if batch:
            return batch
        after = ids[-1]  # all scored meanwhile: look further


def lock_versions(session: Session, version_ids: Sequence[int]) -> None:
    """PostgreSQL: hold the rows of ``version_ids`` until the transaction ends, waiting for
    a worker that holds some (in id order, so two writers never deadlock). A writer of
    scores that may run beside other machines' scoring calls it before :func:`record_score`,
    whose look-then-insert is then never raced. Nothing on SQLite, where a writing
    transaction holds the whole database."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for chunk in in_chunks(sorted(set(version_ids))):
        session.execute(
            select(ListingVersion.id)
            .where(ListingVersion.id.in_(chunk))
            .order_by(ListingVersion.id)
            .with_for_update(key_share=True)
        )


def count_pending(session: Session, scorer_key: str) -> int:
    query = (
        select(func.count())
        .select_from(ListingVersion)
        .join(Listing, Listing.current_version_id == ListingVersion.id)
        .outerjoin(
            Score, and_(Score.version_id == ListingVersion.id, Score.scorer_key == scorer_key)
        )
        .where(Score.id.is_(None))
    )
    return session.scalar(query) or 0


def _fraction(label: str, version_id: int) -> float:
    digest = hashlib.sha256(f"thbscan-{label}:{version_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32


def latest_scores(scorer_key: str | None = None) -> Subquery:
    """A subquery of each version's latest score id (``version_id``, ``score_id``), under
    ``scorer_key`` when given."""
    query = select(Score.version_id, func.max(Score.id).label("score_id"))
    if scorer_key:
        query = query.where(Score.scorer_key == scorer_key)
    return query.group_by(Score.version_id).subquery()


def in_sample(version_id: int, rate: float) -> bool:
    return rate > 0 and _fraction("sample", version_id) < rate


def is_blind(version_id: int, reason: str, share: float) -> bool:
    return reason == "sample" or (share > 0 and _fraction("blind", version_id) < share)


def blind_priority(version_id: int) -> float:
    """Queue position of a sampled item: spread over the flagged range (0.5..1), so the
    sample is not found at the bottom of the queue (R04)."""
    return 0.5 + 0.5 * _fraction("priority", version_id)


def record_score(
    session: Session, result: ScoreInput, policy: QueuePolicy | None = None
) -> tuple[Score, ReviewItem | None]:
    """Store a score (replacing one under the same scorer key) and queue if flagged. Beside
    other machines' scoring (PostgreSQL), hold the version first (:func:`lease_pending`,
    :func:`lock_versions`)."""
    score = session.scalar(
        select(Score).where(
            Score.version_id == result.version_id, Score.scorer_key == result.scorer_key
        )
    )
    if score is None:
        score = Score(version_id=result.version_id, scorer_key=result.scorer_key)
        session.add(score)
    score.score = float(result.score)
    score.band = result.band
    score.flagged = bool(result.flagged)
    score.possible_minor = bool(result.possible_minor)
    score.categories = list(result.categories)
    score.explanation = result.explanation
    score.language = result.language
    score.model_version = result.model_version
    score.list_versions = dict(result.list_versions)
    score.scored_at = datetime.now(UTC)
    version = session.get(ListingVersion, result.version_id)
    if version is not None and result.language:
        version.language = result.language
    known = set(
        session.scalars(
            select(Identifier.pseudonym).where(Identifier.version_id == result.version_id)
        )
    )
    for kind, pseudonym in result.identifiers:
        if pseudonym not in known:
            session.add(Identifier(version_id=result.version_id, kind=kind, pseudonym=pseudonym))
            known.add(pseudonym)
    session.flush()
    item = None
    policy = policy or QueuePolicy()
    if result.flagged or in_sample(result.version_id, policy.sample_rate):
        reason = "flagged" if result.flagged else "sample"
        item = enqueue(session, score, reason=reason, blind_share=policy.blind_share)
    return score, item


def enqueue(
    session: Session, score: Score, *, reason: str, blind_share: float = DEFAULT_BLIND_SHARE
) -> ReviewItem:
    """Create (or refresh) the review item of a scored version; state ``new``. A new item
    is blind-first when sampled, or by chance at ``blind_share`` (fixed per version)."""
    item = session.scalar(select(ReviewItem).where(ReviewItem.version_id == score.version_id))
    lane = Lane.URGENT if score.possible_minor and score.flagged else Lane.NORMAL
    if reason == "flagged":  # by the raw score: a calibrated one, monotone in it, ties many
        raw = (score.explanation or {}).get("raw_score")
        priority = float(raw) if isinstance(raw, int | float) else score.score
    else:
        priority = blind_priority(score.version_id)
    forms = json.dumps([str(c) for c in score.categories or []])[:400]
    if item is None:
        listing_id = session.scalar(
            select(ListingVersion.listing_id).where(ListingVersion.id == score.version_id)
        )
        item = ReviewItem(
            listing_id=listing_id,
            version_id=score.version_id,
            score_id=score.id,
            state=ItemState.NEW.value,
            lane=lane.value,
            reason=reason,
            priority=priority,
            forms=forms,
            blind=is_blind(score.version_id, reason, blind_share),
        )
        session.add(item)
    else:  # a re-score updates what the analyst sees; decisions stay as recorded
        item.score_id = score.id
        item.forms = forms
        item.lane = lane.value
        item.priority = priority
        item.updated_at = datetime.now(UTC)
    session.flush()
    return item


def summary(session: Session) -> dict[str, int]:
    return {
        "listings": session.scalar(select(func.count()).select_from(Listing)) or 0,
        "scored": session.scalar(select(func.count(func.distinct(Score.version_id)))) or 0,
        "flagged": session.scalar(
            select(func.count(func.distinct(Score.version_id))).where(Score.flagged.is_(True))
        )
        or 0,
        "queued": session.scalar(select(func.count()).select_from(ReviewItem)) or 0,
    }
