"""Login throttling (R22): after too many failed sign-ins for one account, or from one
address, within a window, sign-in is refused for a while, even with the right password.

An account locks sooner than an address (several analysts may share one office address);
a successful sign-in clears the account's count. Counts live in the database, so every
web worker sees them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from review_queue.db.models import LoginThrottle


@dataclass(frozen=True)
class Limits:
    account_failures: int = 5
    address_failures: int = 20
    window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)

    def limit(self, key: str) -> int:
        return self.account_failures if key.startswith("account:") else self.address_failures


def keys(name: str, address: str | None) -> list[str]:
    out = [f"account:{name.strip().casefold()[:150]}"]
    if address:
        out.append(f"address:{address[:150]}")
    return out


def locked_until(session: Session, throttle_keys: Iterable[str], now: datetime) -> datetime | None:
    """The end of the latest lock on any of ``throttle_keys``, if one is on at ``now``."""
    ends = [
        end
        for end in session.scalars(
            select(LoginThrottle.locked_until).where(LoginThrottle.key.in_(list(throttle_keys)))
        )
        if end is not None and end > now
    ]
    return max(ends, default=None)


def failed(
    session: Session, throttle_keys: Iterable[str], now: datetime, limits: Limits
) -> datetime | None:
    """Count a failed sign-in on each key; the end of the lock it starts, if it does."""
    until = None
    for key in throttle_keys:
        row = _row(session, key, now)
        if row.window_start + limits.window < now:
            row.failures, row.window_start = 0, now
        row.failures += 1
        if row.failures >= limits.limit(key):
            row.locked_until = now + limits.lockout
            row.failures, row.window_start = 0, now
            until = max(until or row.locked_until, row.locked_until)
    session.flush()
    return until


def succeeded(session: Session, name: str) -> None:
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == keys(name, None)[0]))


def _row(session: Session, key: str, now: datetime) -> LoginThrottle:
    row = session.get(LoginThrottle, key, with_for_update=True)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = LoginThrottle(key=key, failures=0, window_start=now)
            session.add(row)
        return row
    except IntegrityError:  # a concurrent failure made it first
        row = session.get(LoginThrottle, key, with_for_update=True, populate_existing=True)
        assert row is not None
        return row
