"""Append-only audit events (R02). Control characters in details are escaped.

An export is a hash chain: each event's JSON line carries ``prev`` (the hash of the line
before, or 64 zeros) and ``hash`` = SHA-256 of ``prev`` and the event's canonical JSON.
:func:`verify` finds the first line that was changed, dropped or reordered. An export of
the whole log chains from its first event, so the hash at an event is the same in every
later export unless something up to it was changed: keep the head hash of each export.

The log is purged oldest first, without gaps (``thbscan purge``, after 5 years): before it
deletes, the purge records the chain's hash at the last event to go (:class:`Anchor`, in a
``retention.anchor`` event), and an export of the whole log then starts with that anchor and
chains on from it, so the events kept keep the hashes earlier exports gave them.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.event import listens_for
from sqlalchemy.orm import Session

from review_queue.db.models import AuditEvent
from review_queue.domain import events
from store.tables import utcnow

GENESIS = "0" * 64
PURGE_ACTION = events.Purged.model_fields["kind"].default
ANCHOR_ACTION = events.PurgeAnchor.model_fields["kind"].default
_event_log = logging.getLogger(events.LOGGER)

_PENDING = "thbscan.events"  # session.info key: events waiting for the commit


def record(
    session: Session,
    actor: str,
    event: events.Event,
    object_type: str = "",
    object_id: str | int = "",
    *,
    at: datetime | None = None,
) -> AuditEvent:
    """Add an audit event to the session's current transaction; its line goes to the
    event log when (and only if) that transaction commits."""
    at = at or utcnow()
    row = AuditEvent(
        at=at,
        actor=events.clean(actor)[:100],
        action=event.kind,
        object_type=object_type,
        object_id=str(object_id),
        details=event.details(),
    )
    session.add(row)
    session.info.setdefault(_PENDING, []).append((event, actor, object_type, str(object_id), at))
    return row


@listens_for(Session, "after_commit")
def _log_committed(session: Session) -> None:
    pending = session.info.pop(_PENDING, ())
    if pending and _event_log.isEnabledFor(logging.INFO):  # lines only for a log that is on
        for event, actor, object_type, object_id, at in pending:
            line = events.line(
                event, actor=actor, object_type=object_type, object_id=object_id, at=at
            )
            _event_log.info(line)


@listens_for(Session, "after_rollback")
def _drop_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)


def filtered(
    *,
    actor: str = "",
    action: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select[AuditEvent]:
    """Events by ``actor``, by ``action`` (a prefix when it ends with a dot), in a period."""
    query = select(AuditEvent)
    if actor:
        query = query.where(AuditEvent.actor == actor[:100])
    if action.endswith("."):
        query = query.where(AuditEvent.action.startswith(action[:60], autoescape=True))
    elif action:
        query = query.where(AuditEvent.action == action[:60])
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    if until is not None:
        query = query.where(AuditEvent.at < until)
    return query


def _canonical(event: dict[str, Any]) -> bytes:
    return json.dumps(event, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Anchor:
    """Where the stored log's chain starts after a purge: the chain's hash at the last
    event deleted."""

    through: int
    hash: str

    def record(self) -> dict[str, Any]:
        """The export's first line."""
        return {"purged_through": self.through, "hash": self.hash}


def anchor(session: Session) -> Anchor | None:
    """The anchor the latest purge recorded; None while no event was ever purged."""
    details = session.scalar(
        select(AuditEvent.details)
        .where(AuditEvent.action == ANCHOR_ACTION)
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    through, digest = (details or {}).get("through"), (details or {}).get("hash")
    if isinstance(through, int) and isinstance(digest, str):
        return Anchor(through, digest)
    return None


def record_anchor(session: Session, start: Anchor, at: datetime) -> AuditEvent:
    """Record ``start`` (before the events up to it are deleted)."""
    event = record(
        session,
        "system",
        events.PurgeAnchor(through=start.through, hash=start.hash),
        "audit_events",
        start.through,
        at=at,
    )
    return event


def chained(events: Iterable[AuditEvent], prev: str = GENESIS) -> Iterator[dict[str, Any]]:
    """The events, oldest first, as records of the hash chain (after ``prev``: an
    :class:`Anchor`'s hash)."""
    for event in events:
        record = {
            "id": event.id,
            "at": event.at.isoformat(),
            "actor": event.actor,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "details": event.details,
        }
        digest = hashlib.sha256(prev.encode() + _canonical(record)).hexdigest()
        yield {**record, "prev": prev, "hash": digest}
        prev = digest


@dataclass(frozen=True)
class Verified:
    events: int
    head: str  # the hash of the last event
    error: str | None = None  # the first problem found, naming its line
    purged_through: int | None = None  # the export starts after a purge's anchor


def verify(lines: Iterable[str]) -> Verified:
    """Check an exported chain line by line (its first line may be a purge's anchor)."""
    prev, count, after = GENESIS, 0, None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if count == 0 and after is None and set(record) == {"purged_through", "hash"}:
                after, prev = int(record["purged_through"]), str(record["hash"])
                continue
            claimed, linked = record.pop("hash"), record.pop("prev")
        except (ValueError, KeyError, AttributeError, TypeError):
            return Verified(count, prev, f"line {number}: not an exported audit event", after)
        if count == 0 and after is not None and not _after(record.get("id"), after):
            return Verified(count, prev, f"line {number}: not after the purged events", after)
        if linked != prev:
            return Verified(count, prev, f"line {number}: does not follow the line before", after)
        if hashlib.sha256(prev.encode() + _canonical(record)).hexdigest() != claimed:
            return Verified(count, prev, f"line {number}: its content was changed", after)
        prev, count = claimed, count + 1
    return Verified(count, prev, None, after)


def _after(event_id: Any, through: int) -> bool:
    return isinstance(event_id, int) and event_id > through
