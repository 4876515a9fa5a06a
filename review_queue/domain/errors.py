"""Errors of the review-queue domain. The web layer turns them into 4xx answers."""


class DomainError(Exception):
    """A request that the review rules do not allow."""

    status_code = 400


class IllegalTransition(DomainError):
    """An item cannot go from its current state through the requested action."""

    status_code = 409

    def __init__(self, state: str, action: str) -> None:
        super().__init__(
            f"cannot {action} an item in state {state!r}: reload the item to see its current state"
        )
        self.state = state
        self.action = action


class PermissionDenied(DomainError):
    """The user's role does not allow the action (deny by default, R11)."""

    status_code = 403

    def __init__(self, role: str, permission: str) -> None:
        super().__init__(f"role {role!r} may not {permission}: ask an admin for the right role")
        self.role = role
        self.permission = permission


class NotFound(DomainError):
    status_code = 404
