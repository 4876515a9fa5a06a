"""Append-only audit events (R02). Control characters in details are escaped."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from review_queue.db.models import AuditEvent

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)[:2000]
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def record(
    session: Session,
    actor: str,
    action: str,
    object_type: str = "",
    object_id: str | int = "",
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the session's current transaction."""
    event = AuditEvent(
        actor=_clean(actor),
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        details=_clean(details),
    )
    session.add(event)
    return event
