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
from sqlalchemy.orm import Session, joinedload

from review_queue.db.models import User, WebSession
from review_queue.domain import events
from review_queue.services import audit

DEFAULT_IDLE = timedelta(minutes=30)
DEFAULT_ABSOLUTE = timedelta(hours=12)
# last_seen_at is refreshed at most this often: a page view needs no write otherwise
TOUCH_EVERY = timedelta(seconds=60)


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
    audit.record(
        session, user.name, events.SessionEvent(kind="auth.login"), "web_session", web_session.id
    )
    return token, web_session


def _lookup(session: Session, token: str | None) -> WebSession | None:
    if not token or len(token) > 200:
        return None
    web_session = session.scalar(
        select(WebSession)
        .options(joinedload(WebSession.user))  # one round trip: every request reads both
        .where(WebSession.token_sha256 == token_digest(token))
    )
    if web_session is None or web_session.ended_at is not None:
        return None
    return web_session


def _ended_why(
    web_session: WebSession, now: datetime, idle: timedelta, absolute: timedelta
) -> str | None:
    user = web_session.user
    if user is None or user.disabled:
        return "user disabled"
    if now - web_session.last_seen_at >= idle:
        return "idle timeout"
    if now - web_session.created_at >= absolute:
        return "absolute timeout"
    return None


def peek(
    session: Session,
    token: str | None,
    *,
    idle: timedelta = DEFAULT_IDLE,
    absolute: timedelta = DEFAULT_ABSOLUTE,
    now: datetime | None = None,
) -> tuple[WebSession | None, bool]:
    """Read only: the live session for ``token`` (or None), and whether :func:`resolve`
    must write (a session to end, or a last_seen_at older than TOUCH_EVERY)."""
    web_session = _lookup(session, token)
    if web_session is None:
        return None, False
    now = now or datetime.now(UTC)
    if _ended_why(web_session, now, idle, absolute):
        return None, True
    return web_session, now - web_session.last_seen_at >= TOUCH_EVERY


def resolve(
    session: Session,
    token: str | None,
    *,
    idle: timedelta = DEFAULT_IDLE,
    absolute: timedelta = DEFAULT_ABSOLUTE,
    now: datetime | None = None,
) -> WebSession | None:
    """The live session for ``token`` (last_seen_at refreshed when older than
    TOUCH_EVERY), or None; a session found to have ended is recorded as ended."""
    web_session = _lookup(session, token)
    if web_session is None:
        return None
    now = now or datetime.now(UTC)
    why = _ended_why(web_session, now, idle, absolute)
    if why:
        _expire(session, web_session, now, why)
        return None
    if now - web_session.last_seen_at >= TOUCH_EVERY:
        web_session.last_seen_at = now
    return web_session


def _expire(session: Session, web_session: WebSession, now: datetime, why: str) -> None:
    web_session.ended_at = now
    actor = web_session.user.name if web_session.user else "system"
    audit.record(
        session,
        actor,
        events.SessionEvent(kind="auth.session_expired", why=why),
        "web_session",
        web_session.id,
    )


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
    audit.record(
        session,
        web_session.user.name,
        events.SessionEvent(kind="auth.logout"),
        "web_session",
        web_session.id,
    )
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


MAX_DRAFT = 2000


def draft_of(
    item_id: object, action: object, reason: object, code: object = None
) -> dict[str, object] | None:
    """A decision form worth keeping, bounded; None when nothing was typed or chosen."""
    reason = reason if isinstance(reason, str) else ""
    code = code if isinstance(code, str) else ""
    if not reason.strip() and not code:
        return None
    item = int(item_id) if isinstance(item_id, str | int) and str(item_id).isdigit() else None
    if item is None or item > 2**31:
        return None
    return {
        "item": item,
        "action": str(action or "")[:20],
        "reason": reason[:MAX_DRAFT],
        "code": code[:40],
    }


def keep_draft(session: Session, token: str | None, draft: dict[str, object] | None) -> None:
    """Keep (or with None, drop) the decision form of the live session of ``token``."""
    web_session = _lookup(session, token)
    if web_session is not None:
        web_session.draft = draft
