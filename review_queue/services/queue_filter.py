"""Narrowing the review queue beyond state and lane: words, source, kind, form, band,
language, city, the date queued and who decided."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, cast, or_, select

from review_queue.db.models import Decision, ReviewItem, Score, User
from review_queue.services.errors import InvalidInput
from store import Listing, ListingVersion

__all__ = ["BANDS", "FORMS", "HIDDEN", "KINDS", "QueueFilter"]

# blind-first and no first call yet: nothing of the machine's is shown (R04)
HIDDEN = and_(ReviewItem.blind.is_(True), ReviewItem.first_call.is_(None))

FORMS = ("sexual_exploitation", "forced_labour", "forced_criminality", "slavery_like_practices")
BANDS = ("urgent", "high", "medium", "low")
KINDS = ("job", "escort", "classified", "social")
MAX_TEXT_FILTER = 200


@dataclass(frozen=True)
class QueueFilter:
    """Narrowing the queue beyond state and lane. A band or form filter never matches a
    blind-first item before its first call: that would tell the sample apart (R04)."""

    text: str = ""
    source: str = ""
    kind: str = ""
    form: str = ""
    band: str = ""
    language: str = ""
    city: str = ""
    since: datetime | None = None
    until: datetime | None = None
    decided_by: str = ""

    def conditions(self) -> list[Any]:
        for name, value, allowed in (
            ("form", self.form, FORMS),
            ("band", self.band, BANDS),
            ("kind", self.kind, KINDS),
        ):
            if value and value not in allowed:
                raise InvalidInput(
                    f"{name} {value[:40]!r} is unknown: use one of {', '.join(allowed)}"
                )
        out: list[Any] = []
        if self.text.strip():
            words = f"%{_like(self.text.strip()[:MAX_TEXT_FILTER])}%"
            out.append(
                or_(
                    ListingVersion.title.ilike(words, escape="\\"),
                    ListingVersion.text.ilike(words, escape="\\"),
                )
            )
        if self.source:
            out.append(Listing.source == self.source[:100])
        if self.kind:
            out.append(Score.explanation["kind"].as_string() == self.kind)
        if self.form:
            out.append(cast(Score.categories, String).like(f'%"{self.form}"%'))
        if self.band:
            out.append(Score.band == self.band)
        if self.form or self.band:
            out.append(~HIDDEN)
        if self.language:
            out.append(Score.language == self.language[:8])
        if self.city.strip():
            out.append(
                ListingVersion.fields["city"]
                .as_string()
                .ilike(f"%{_like(self.city.strip()[:100])}%", escape="\\")
            )
        if self.since is not None:
            out.append(ReviewItem.created_at >= self.since)
        if self.until is not None:
            out.append(ReviewItem.created_at < self.until)
        if self.decided_by:
            out.append(
                ReviewItem.id.in_(
                    select(Decision.item_id)
                    .join(User, User.id == Decision.user_id)
                    .where(User.name == self.decided_by[:100])
                )
            )
        return out


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
