"""Identifiers in clear (R09): kept apart from the stored text, which holds their tokens,
and read only by leads through a reveal that is logged with who, when and why."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from review_queue.db.models import Identifier, IdentifierValue, User
from review_queue.domain import events
from review_queue.domain.states import require
from review_queue.services import audit
from review_queue.services.errors import InvalidInput

MIN_REASON = 10  # a reveal says why, in words


class Clear(Protocol):
    """An identifier as it was taken out of a listing's text."""

    @property
    def kind(self) -> str: ...
    @property
    def value(self) -> str: ...
    @property
    def pseudonym(self) -> str: ...
    @property
    def token(self) -> str: ...


@dataclass(frozen=True)
class Revealed:
    token: str | None
    kind: str
    value: str | None  # None once its retention has ended


def remember(
    session: Session, version_id: int, found: Sequence[Clear], now: datetime | None = None
) -> None:
    """Record ``found`` for a stored version: its pseudonyms and tokens with the version,
    the values in clear apart (seen again: their last-seen time moves on). The caller
    commits."""
    if not found:
        return
    now = now or datetime.now(UTC)
    known = set(
        session.scalars(select(Identifier.pseudonym).where(Identifier.version_id == version_id))
    )
    stored = {
        row.pseudonym: row
        for row in session.scalars(
            select(IdentifierValue).where(
                IdentifierValue.pseudonym.in_([f.pseudonym for f in found])
            )
        )
    }
    for f in found:
        if f.pseudonym not in known:
            known.add(f.pseudonym)
            session.add(
                Identifier(version_id=version_id, kind=f.kind, pseudonym=f.pseudonym, token=f.token)
            )
        row = stored.get(f.pseudonym)
        if row is None:
            stored[f.pseudonym] = row = IdentifierValue(
                pseudonym=f.pseudonym, kind=f.kind, value=f.value[:400], first_seen_at=now
            )
            session.add(row)
        row.last_seen_at = now


def tokens(session: Session, version_id: int) -> list[tuple[str, str]]:
    """(token, kind) of the identifiers taken out of a version's text, in token order."""
    rows = session.execute(
        select(Identifier.token, Identifier.kind).where(
            Identifier.version_id == version_id, Identifier.token.is_not(None)
        )
    )
    return sorted((token, kind) for token, kind in rows if token)


def reveal(session: Session, user: User, version_id: int, reason: str) -> list[Revealed]:
    """The identifiers of a version in clear, for a lead who says why; the reveal is
    audited (who, when, why, how many: never the values). The caller commits."""
    require(user.role, "reveal_identifiers")
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise InvalidInput(
            f"say why you reveal these identifiers (at least {MIN_REASON} characters): "
            "the reason is logged with your name"
        )
    rows = session.execute(
        select(Identifier.token, Identifier.kind, IdentifierValue.value)
        .outerjoin(IdentifierValue, IdentifierValue.pseudonym == Identifier.pseudonym)
        .where(Identifier.version_id == version_id, Identifier.token.is_not(None))
        .order_by(Identifier.token)
    ).all()
    audit.record(
        session,
        user.name,
        events.IdentifiersRevealed(
            reason=reason[:500],
            identifiers=len(rows),
            still_kept=sum(1 for r in rows if r.value is not None),
        ),
        "listing_version",
        version_id,
    )
    return [Revealed(token, kind, value) for token, kind, value in rows]
