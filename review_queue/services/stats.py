"""Statistics of the review queue for leads: items and decisions over time, by outcome,
form, band, source, language and analyst, time to decision, and what the random sample
says the flags miss (R04). Every figure is an SQL aggregate or reads a bounded set of rows.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median
from typing import Any

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from review_queue.db.models import Decision, ReviewItem, Score, User
from review_queue.domain.states import require
from review_queue.services.queue import utc_now
from store import Listing

OUTCOMES = ("dismiss", "escalate")
TIMING_ROWS = 5_000  # the latest decisions that time-to-decision is read from


@dataclass(frozen=True)
class Rate:
    """A share with its 95 % Wilson interval."""

    hits: int
    n: int

    @property
    def value(self) -> float | None:
        return self.hits / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float] | None:
        if not self.n:
            return None
        z, p, n = 1.96, self.hits / self.n, self.n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class QueueStats:
    days: int
    items_by_state: dict[str, int] = field(default_factory=dict)
    items_by_reason: dict[str, int] = field(default_factory=dict)
    decisions_per_day: list[tuple[str, int, int]] = field(default_factory=list)  # day, dis, esc
    by_analyst: dict[str, Counter[str]] = field(default_factory=dict)
    by_form: dict[str, Counter[str]] = field(default_factory=dict)
    by_band: dict[str, Counter[str]] = field(default_factory=dict)
    by_source: dict[str, Counter[str]] = field(default_factory=dict)
    by_language: dict[str, Counter[str]] = field(default_factory=dict)
    by_code: dict[str, int] = field(default_factory=dict)
    minutes_to_decision: dict[str, float | None] = field(default_factory=dict)  # median, p90
    sample_escalation: Rate = Rate(0, 0)
    flagged_escalation: Rate = Rate(0, 0)
    first_call_concern: dict[str, Rate] = field(default_factory=dict)  # sample / flagged


def _outcomes(session: Session, since: datetime, key: Any) -> dict[str, Counter[str]]:
    """Decisions (dismiss, escalate) since ``since`` counted by ``key`` and outcome."""
    rows = session.execute(
        select(key, Decision.action, func.count())
        .select_from(Decision)
        .join(ReviewItem, ReviewItem.id == Decision.item_id)
        .join(Score, Score.id == ReviewItem.score_id)
        .join(Listing, Listing.id == ReviewItem.listing_id)
        .join(User, User.id == Decision.user_id)
        .where(Decision.created_at >= since, Decision.action.in_(OUTCOMES))
        .group_by(key, Decision.action)
    )
    out: dict[str, Counter[str]] = {}
    for value, action, n in rows:
        out.setdefault(str(value) if value is not None else "unknown", Counter())[action] += n
    return out


def _latest_outcome_rate(session: Session, reason: str) -> Rate:
    """Of the items queued for ``reason`` whose latest decision is an outcome, how many
    were escalated."""
    latest = (
        select(Decision.item_id, func.max(Decision.id).label("decision_id"))
        .group_by(Decision.item_id)
        .subquery()
    )
    rows = dict(
        session.execute(
            select(Decision.action, func.count())
            .select_from(latest)
            .join(Decision, Decision.id == latest.c.decision_id)
            .join(ReviewItem, ReviewItem.id == latest.c.item_id)
            .where(ReviewItem.reason == reason, Decision.action.in_(OUTCOMES))
            .group_by(Decision.action)
        ).all()
    )
    escalated = int(rows.get("escalate", 0))
    return Rate(escalated, escalated + int(rows.get("dismiss", 0)))


def queue_stats(session: Session, *, user: User, days: int = 30) -> QueueStats:
    require(user.role, "view_stats")
    now = utc_now()
    since = now - timedelta(days=days)
    stats = QueueStats(days=days)
    stats.items_by_state = dict(
        session.execute(select(ReviewItem.state, func.count()).group_by(ReviewItem.state)).all()
    )
    stats.items_by_reason = dict(
        session.execute(select(ReviewItem.reason, func.count()).group_by(ReviewItem.reason)).all()
    )
    per_day: dict[str, Counter[str]] = {}
    for day, action, n in session.execute(
        select(func.date(Decision.created_at), Decision.action, func.count())
        .where(Decision.created_at >= since, Decision.action.in_(OUTCOMES))
        .group_by(func.date(Decision.created_at), Decision.action)
    ):
        per_day.setdefault(str(day), Counter())[action] += n
    stats.decisions_per_day = [
        (day, per_day[day]["dismiss"], per_day[day]["escalate"]) for day in sorted(per_day)
    ]
    stats.by_analyst = _outcomes(session, since, User.name)
    stats.by_band = _outcomes(session, since, Decision.band_shown)
    stats.by_source = _outcomes(session, since, Listing.source)
    stats.by_language = _outcomes(session, since, Score.language)
    forms: dict[str, Counter[str]] = {}
    for categories, counts in _outcomes(session, since, cast(Score.categories, String)).items():
        for name in json.loads(categories) if categories != "unknown" else []:
            forms.setdefault(str(name), Counter()).update(counts)
        if categories in ("[]", "unknown"):
            forms.setdefault("no form named", Counter()).update(counts)
    stats.by_form = forms
    stats.by_code = {
        str(code): n
        for code, n in session.execute(
            select(Decision.reason_code, func.count())
            .where(Decision.created_at >= since, Decision.reason_code.is_not(None))
            .group_by(Decision.reason_code)
        )
    }
    waits = sorted(
        (decided - queued).total_seconds() / 60
        for decided, queued in session.execute(
            select(Decision.created_at, ReviewItem.created_at)
            .join(ReviewItem, ReviewItem.id == Decision.item_id)
            .where(Decision.created_at >= since, Decision.action.in_(OUTCOMES))
            .order_by(Decision.id.desc())
            .limit(TIMING_ROWS)
        )
    )
    stats.minutes_to_decision = {
        "median": median(waits) if waits else None,
        "p90": waits[int(0.9 * (len(waits) - 1))] if waits else None,
    }
    stats.sample_escalation = _latest_outcome_rate(session, "sample")
    stats.flagged_escalation = _latest_outcome_rate(session, "flagged")
    for reason in ("sample", "flagged"):
        calls = dict(
            session.execute(
                select(ReviewItem.first_call, func.count())
                .where(ReviewItem.reason == reason, ReviewItem.first_call.is_not(None))
                .group_by(ReviewItem.first_call)
            ).all()
        )
        concern = int(calls.get("concern", 0))
        stats.first_call_concern[reason] = Rate(concern, concern + int(calls.get("no_concern", 0)))
    return stats


EXPORT_FIELDS = (
    "decision_id",
    "item_id",
    "listing_id",
    "source",
    "action",
    "reason_code",
    "note",
    "from_state",
    "to_state",
    "band_shown",
    "score_shown",
    "model_version",
    "analyst",
    "decided_at",
)


def export_decisions(
    session: Session, *, user: User, since: datetime | None = None
) -> Iterator[dict[str, object]]:
    """Every decision (since ``since``), oldest first, as flat records for export."""
    require(user.role, "export_decisions")
    query = (
        select(
            Decision.id,
            Decision.item_id,
            ReviewItem.listing_id,
            Listing.source,
            Decision.action,
            Decision.reason_code,
            Decision.reason,
            Decision.from_state,
            Decision.to_state,
            Decision.band_shown,
            Decision.score_shown,
            Decision.model_version,
            User.name,
            Decision.created_at,
        )
        .join(ReviewItem, ReviewItem.id == Decision.item_id)
        .join(Listing, Listing.id == ReviewItem.listing_id)
        .join(User, User.id == Decision.user_id)
        .order_by(Decision.id)
        .execution_options(yield_per=1000)
    )
    if since is not None:
        query = query.where(Decision.created_at >= since)
    for row in session.execute(query):
        record = dict(zip(EXPORT_FIELDS, row, strict=True))
        record["decided_at"] = row.created_at.isoformat()
        yield record
