"""Pure domain rules of the review queue: states, transitions, lanes, roles."""

from review_queue.domain.errors import DomainError, IllegalTransition, PermissionDenied
from review_queue.domain.states import (
    ACTIONS,
    ItemState,
    Lane,
    Role,
    can,
    next_state,
)

__all__ = [
    "ACTIONS",
    "DomainError",
    "IllegalTransition",
    "ItemState",
    "Lane",
    "PermissionDenied",
    "Role",
    "can",
    "next_state",
]
