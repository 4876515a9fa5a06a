"""Login sessions (R22).

Only the SHA-256 of the session token is stored, so a copy of the database does
not let anyone log in. Every login makes a new token (session id rotation).
Sessions end after an idle timeout, an absolute timeout, a logout, or when the
user is disabled.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from review_queue.db.models import User, WebSession
from review_queue.services import audit

DEFAULT_IDLE = timedelta(minutes=30)
DEFAULT_ABSOLUTE = timedelta(hours=12)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start(session: Session, user: User, *, now: datetime | None = None) -> tuple[str, WebSession]:
    """Start a session for ``user``; returns the token (for the cookie) and the row."""
    now = now or datetime.now(UTC)
    token = secrets.token_urlsafe(32)
    web_session = WebSession(
        token_sha256=token_digest(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
    )
    session.add(web_session)
    session.flush()
    audit.record(session, user.name, "auth.login", "web_session", web_session.id)
    return token, web_session


def resolve(
    session: Session,
    token: str | None,
    *,
    idle: timedelta = DEFAULT_IDLE,
    absolute: timedelta = DEFAULT_ABSOLUTE,
    now: datetime | None = None,
) -> WebSession | None:
    """The live session for ``token`` (last_seen_at refreshed), or None."""
    if not token or len(token) > 200:
        return None
    now = now or datetime.now(UTC)
    web_session = session.scalar(
        select(WebSession).where(WebSession.token_sha256 == token_digest(token))
    )
    if web_session is None or web_session.ended_at is not None:
        return None
    user = web_session.user
    if user is None or user.disabled:
        _expire(session, web_session, now, "user disabled")
        return None
    if now - web_session.last_seen_at >= idle:
        _expire(session, web_session, now, "idle timeout")
        return None
    if now - web_session.created_at >= absolute:
        _expire(session, web_session, now, "absolute timeout")
        return None
    web_session.last_seen_at = now
    return web_session


def _expire(session: Session, web_session: WebSession, now: datetime, why: str) -> None:
    web_session.ended_at = now
    actor = web_session.user.name if web_session.user else "system"
    audit.record(session, actor, "auth.session_expired", "web_session", web_session.id, why=why)


def end(session: Session, token: str | None, *, now: datetime | None = None) -> bool:
    """End the session of ``token`` (logout). True when a live session was ended."""
    if not token or len(token) > 200:
        return False
    web_session = session.scalar(
        select(WebSession).where(WebSession.token_sha256 == token_digest(token))
    )
    if web_session is None or web_session.ended_at is not None:
        return False
    web_session.ended_at = now or datetime.now(UTC)
    audit.record(session, web_session.user.name, "auth.logout", "web_session", web_session.id)
    return True


def end_all(session: Session, user: User, *, now: datetime | None = None) -> int:
    """End every live session of ``user``; returns how many were ended."""
    result = session.execute(
        update(WebSession)
        .where(WebSession.user_id == user.id, WebSession.ended_at.is_(None))
        .values(ended_at=now or datetime.now(UTC))
        .execution_options(synchronize_session=False)
    )
    return getattr(result, "rowcount", 0) or 0
