"""Item states, transitions and role permissions (pure domain rules)."""

from __future__ import annotations

import pytest

from review_queue.domain.errors import IllegalTransition, PermissionDenied
from review_queue.domain.states import ItemState, can, next_state, require


@pytest.mark.parametrize(
    ("state", "action", "expected"),
    [
        ("new", "claim", ItemState.CLAIMED),
        ("claimed", "release", ItemState.NEW),
        ("new", "dismiss", ItemState.DISMISSED),
        ("claimed", "escalate", ItemState.ESCALATED),
        ("dismissed", "reopen", ItemState.NEW),
        ("escalated", "reopen", ItemState.NEW),
    ],
)
def test_allowed_transitions(state: str, action: str, expected: ItemState) -> None:
    assert next_state(state, action) is expected


@pytest.mark.parametrize(
    ("state", "action"),
    [
        ("dismissed", "dismiss"),
        ("escalated", "claim"),
        ("new", "reopen"),
        ("new", "release"),
        ("new", "delete"),
        ("bogus", "dismiss"),
    ],
)
def test_illegal_transition_raises_409(state: str, action: str) -> None:
    with pytest.raises(IllegalTransition) as info:
        next_state(state, action)
    assert info.value.status_code == 409
    assert action in str(info.value)


def test_permissions_least_privilege() -> None:
    assert can("analyst", "dismiss")
    assert not can("analyst", "reopen")
    assert not can("analyst", "view_audit")
    assert can("lead", "reopen")
    assert can("auditor", "view_audit")
    for action in ("claim", "dismiss", "escalate", "reopen", "view_item"):
        assert not can("auditor", action)


@pytest.mark.parametrize("role", ["", "root", "ADMIN", "superuser"])
def test_unknown_role_denied(role: str) -> None:
    assert not can(role, "view_queue")
    with pytest.raises(PermissionDenied) as info:
        require(role, "view_queue")
    assert info.value.status_code == 403


def test_unknown_permission_denied() -> None:
    assert not can("admin", "launch_missiles")
