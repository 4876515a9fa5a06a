"""The stop switch's state (R05): recorded who turned it on or off, when and why, with an
audit event. Crawling and scoring poll it (thbscan); the review UI shows it on every page
and lets leads turn it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from review_queue.domain import events
from review_queue.services import audit
from store import ControlSwitch

SWITCH = "crawling"


def is_stopped(session: Session) -> bool:
    switch = session.get(ControlSwitch, SWITCH)
    return bool(switch and switch.stopped)


def switch_state(session: Session) -> dict[str, Any]:
    switch = session.get(ControlSwitch, SWITCH)
    if switch is None:
        return {"stopped": False, "changed_by": None, "changed_at": None, "reason": ""}
    return {
        "stopped": switch.stopped,
        "changed_by": switch.changed_by,
        "changed_at": switch.changed_at.isoformat(),
        "reason": switch.reason,
    }


def set_stopped(session: Session, stopped: bool, *, actor: str, reason: str) -> None:
    """Turn the switch on or off; the caller commits (the audit event is in the same txn)."""
    switch = session.get(ControlSwitch, SWITCH)
    if switch is None:
        switch = ControlSwitch(name=SWITCH)
        session.add(switch)
    switch.stopped = stopped
    switch.changed_by = actor[:100]
    switch.changed_at = datetime.now(UTC)
    switch.reason = reason[:2000]
    audit.record(
        session,
        actor,
        events.StopSwitch(
            kind="crawl.stop_switch_on" if stopped else "crawl.stop_switch_off", reason=reason
        ),
        "control_switch",
        SWITCH,
    )
