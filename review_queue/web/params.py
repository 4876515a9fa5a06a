"""Parsing the dates analysts type into filter forms."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from review_queue.services.errors import InvalidInput


def day(value: str, name: str) -> date | None:
    """A ``YYYY-MM-DD`` date (None when empty); InvalidInput naming the field otherwise."""
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise InvalidInput(f"{name} {value[:20]!r} is not a date: use YYYY-MM-DD") from None


def period(since: str, until: str) -> tuple[datetime | None, datetime | None]:
    """From the start of day ``since`` up to the end of day ``until`` (UTC), each None
    when not given."""
    start, end = day(since, "from"), day(until, "to")
    return (
        datetime.combine(start, time(), UTC) if start else None,
        datetime.combine(end + timedelta(days=1), time(), UTC) if end else None,
    )
