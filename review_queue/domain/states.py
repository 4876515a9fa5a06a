"""Review item states, allowed transitions, lanes and role permissions.

The system never acts on a score (R01): the only effect of a score is that an
item appears in front of a person. Every transition here is a human action.
"""

from __future__ import annotations

from enum import StrEnum

from review_queue.domain.errors import IllegalTransition, PermissionDenied


class ItemState(StrEnum):
    NEW = "new"
    CLAIMED = "claimed"
    DISMISSED = "dismissed"
    ESCALATED = "escalated"


class Lane(StrEnum):
    URGENT = "urgent"  # possible minor: reviewed first
    NORMAL = "normal"


class Role(StrEnum):
    ANALYST = "analyst"
    LEAD = "lead"
    ADMIN = "admin"
    AUDITOR = "auditor"


# action -> {from_state: to_state}
_TRANSITIONS: dict[str, dict[ItemState, ItemState]] = {
    "claim": {ItemState.NEW: ItemState.CLAIMED},
    "release": {ItemState.CLAIMED: ItemState.NEW},
    "dismiss": {ItemState.NEW: ItemState.DISMISSED, ItemState.CLAIMED: ItemState.DISMISSED},
    "escalate": {ItemState.NEW: ItemState.ESCALATED, ItemState.CLAIMED: ItemState.ESCALATED},
    # A reversal is a new decision record; the item goes back to the queue.
    "reopen": {ItemState.DISMISSED: ItemState.NEW, ItemState.ESCALATED: ItemState.NEW},
    # An analyst takes back their own decision within minutes: the item is theirs again.
    "undo": {ItemState.DISMISSED: ItemState.CLAIMED, ItemState.ESCALATED: ItemState.CLAIMED},
}
ACTIONS = tuple(_TRANSITIONS)
DECISIONS = ("dismiss", "escalate", "reopen")
# an analyst's judgement of a blind-first item before its suggestion is shown (R04)
FIRST_CALLS = ("concern", "no_concern")

# Each role above an analyst may do what the one below it may, and more.
_ANALYST = frozenset(
    {"view_queue", "view_item", "claim", "release", "first_call", "dismiss", "escalate", "undo"}
)
_LEAD = _ANALYST | {
    "reopen",
    "view_audit",
    "view_crawl_jobs",
    "view_stats",
    "export_decisions",
    "stop_switch",
    "legal_hold",  # set and clear legal holds (thbscan hold)
    "reveal_identifiers",  # read a listing's identifiers in clear, saying why (logged, R09)
}
_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.ANALYST: _ANALYST,
    Role.LEAD: _LEAD,
    Role.ADMIN: _LEAD | {"manage_users"},
    Role.AUDITOR: frozenset({"view_audit", "view_crawl_jobs", "view_stats", "export_decisions"}),
}


def can(role: str, permission: str) -> bool:
    """Deny by default: unknown roles and unknown permissions are refused."""
    try:
        return permission in _PERMISSIONS[Role(role)]
    except ValueError:
        return False


def require(role: str, permission: str) -> None:
    if not can(role, permission):
        raise PermissionDenied(role, permission)


def next_state(state: str, action: str) -> ItemState:
    try:
        return _TRANSITIONS[action][ItemState(state)]
    except (KeyError, ValueError):
        raise IllegalTransition(state, action) from None
