"""User accounts: no self-registration; argon2 password hashes (R22, R11)."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from review_queue.db.models import User, WebSession
from review_queue.domain import events
from review_queue.domain.states import Role, require
from review_queue.services import audit, websessions
from review_queue.services.errors import Conflict, InvalidInput, NotFound

NAME_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")
MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # bounds the hashing work an attacker can ask for
ROLES = tuple(role.value for role in Role)

_hasher = PasswordHasher()
# Each hash takes the hasher's memory cost (64 MiB): a storm of sign-ins queues here
# instead of taking that much per concurrent request.
HASHING_AT_ONCE = 2
_hashing = threading.BoundedSemaphore(HASHING_AT_ONCE)
_dummy_hash: str | None = None


def _dummy() -> str:
    """A hash to verify against when the user is unknown, so timing does not tell."""
    global _dummy_hash
    if _dummy_hash is None:
        with _hashing:
            _dummy_hash = _hasher.hash("thbscan-dummy-password-never-valid")
    return _dummy_hash


def validate_name(name: str) -> str:
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise InvalidInput(
            f"user name {name!r} is not allowed: use 1-64 characters from A-Z a-z 0-9 . _ -"
        )
    return name


def hash_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise InvalidInput(
            f"password is too short: use at least {MIN_PASSWORD} characters "
            "(a passphrase of several words is easiest)"
        )
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(f"password is too long: use at most {MAX_PASSWORD} characters")
    with _hashing:
        return _hasher.hash(password)


def add_user(
    session: Session, name: str, role: str, password: str, *, actor: str = "system"
) -> User:
    """Create a user. The caller commits."""
    validate_name(name)
    if role not in ROLES:
        raise InvalidInput(f"role {role!r} is unknown: use one of {', '.join(ROLES)}")
    password_hash = hash_password(password)
    if session.scalar(select(User.id).where(User.name == name)) is not None:
        raise Conflict(f"user {name!r} already exists: choose another name or disable the old one")
    user = User(name=name, role=role, password_hash=password_hash, disabled=False)
    session.add(user)
    session.flush()
    audit.record(
        session, actor, events.UserChanged(kind="user.add", name=name, role=role), "user", user.id
    )
    return user


def authenticate(session: Session, name: str, password: str) -> User | None:
    """Return the enabled user whose password matches, else None."""
    if not isinstance(name, str) or not isinstance(password, str) or len(password) > MAX_PASSWORD:
        _verify(_dummy(), "x")
        return None
    user = None
    if NAME_PATTERN.fullmatch(name):
        user = session.scalar(select(User).where(User.name == name))
    if user is None:
        _verify(_dummy(), password)
        return None
    ok = _verify(user.password_hash, password)
    if not ok or user.disabled:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        with _hashing:
            user.password_hash = _hasher.hash(password)
    return user


def _verify(password_hash: str, password: str) -> bool:
    try:
        with _hashing:
            return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def get_user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFound(f"user {name!r} does not exist: list users to see the names")
    return user


def disable_user(session: Session, name: str, actor: str | User) -> User:
    """Disable a user and end all of their web sessions (R22). The caller commits."""
    if isinstance(actor, User):
        require(actor.role, "manage_users")
        actor_name = actor.name
    else:
        actor_name = actor
    user = get_user(session, name)
    user.disabled = True
    ended = websessions.end_all(session, user)
    audit.record(
        session,
        actor_name,
        events.UserChanged(kind="user.disable", name=name, sessions_ended=ended),
        "user",
        user.id,
    )
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))


def set_password(session: Session, user: User, password: str, *, actor: str) -> None:
    """Give ``user`` a new password and end their sessions. The caller commits."""
    user.password_hash = hash_password(password)
    ended = websessions.end_all(session, user)
    audit.record(
        session,
        actor,
        events.UserChanged(kind="user.password_set", name=user.name, sessions_ended=ended),
        "user",
        user.id,
    )


@dataclass(frozen=True)
class UserRow:
    name: str
    role: str
    disabled: bool
    live_sessions: int
    last_seen: datetime | None


def user_rows(session: Session, actor: User) -> list[UserRow]:
    """Every user with their live sessions, for the admin screen."""
    require(actor.role, "manage_users")
    live = (
        select(
            WebSession.user_id,
            func.count().label("n"),
            func.max(WebSession.last_seen_at).label("seen"),
        )
        .where(WebSession.ended_at.is_(None))
        .group_by(WebSession.user_id)
        .subquery()
    )
    rows = session.execute(
        select(User.name, User.role, User.disabled, live.c.n, live.c.seen)
        .outerjoin(live, live.c.user_id == User.id)
        .order_by(User.name)
    )
    return [UserRow(n, r, bool(d), int(c or 0), seen) for n, r, d, c, seen in rows]


def set_role(session: Session, name: str, role: str, actor: User) -> User:
    """Change a user's role; their sessions end, so the new role applies at once."""
    require(actor.role, "manage_users")
    if role not in ROLES:
        raise InvalidInput(f"role {role!r} is unknown: use one of {', '.join(ROLES)}")
    user = get_user(session, name)
    if user.id == actor.id:
        raise Conflict("you cannot change your own role: ask another administrator")
    old, user.role = user.role, role
    ended = websessions.end_all(session, user)
    audit.record(
        session,
        actor.name,
        events.UserRoleChanged(name=name, old=old, new=role, sessions_ended=ended),
        "user",
        user.id,
    )
    return user


def enable_user(session: Session, name: str, actor: User) -> User:
    require(actor.role, "manage_users")
    user = get_user(session, name)
    user.disabled = False
    audit.record(
        session, actor.name, events.UserChanged(kind="user.enable", name=name), "user", user.id
    )
    return user


def end_sessions(session: Session, name: str, actor: User) -> int:
    """End every live session of a user (they sign in again)."""
    require(actor.role, "manage_users")
    user = get_user(session, name)
    ended = websessions.end_all(session, user)
    audit.record(
        session,
        actor.name,
        events.UserChanged(kind="user.sessions_ended", name=name, sessions_ended=ended),
        "user",
        user.id,
    )
    return ended
