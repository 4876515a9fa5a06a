"""Request-scoped database sessions, authentication and CSRF checks.

Deny by default (R11): every route on the protected router depends on
``csrf_protect``, which depends on ``current_auth``; a request without a live
session never reaches a handler.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from review_queue.db.models import User, WebSession
from review_queue.domain.errors import PermissionDenied
from review_queue.domain.states import can
from review_queue.services import switches, websessions
from review_queue.web.security import tokens_match

SESSION_COOKIE = "thbscan_session"
LOGIN_CSRF_COOKIE = "thbscan_login_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class LoginRequired(Exception):
    """No live session: the web layer redirects to the login page."""


class CsrfFailed(Exception):
    """A state-changing request without the right CSRF token (R23): 403."""


@dataclass(frozen=True)
class Auth:
    """The logged-in user. Plain copies of name, role and CSRF token stay usable after
    the request's Session is closed (error pages are rendered after a rollback)."""

    user: User
    name: str
    role: str
    csrf_token: str
    draft: dict[str, Any] | None = None  # a decision form kept for this session

    @classmethod
    def of(cls, web_session: WebSession) -> Auth:
        user = web_session.user
        return cls(
            user=user,
            name=user.name,
            role=user.role,
            csrf_token=web_session.csrf_token,
            draft=web_session.draft,
        )

    def draft_for(self, item_id: int) -> dict[str, Any]:
        """The kept decision form of ``item_id`` (empty when there is none)."""
        draft = self.draft or {}
        return draft if draft.get("item") == item_id else {}

    def can(self, permission: str) -> bool:
        return can(self.role, permission)

    def require(self, permission: str) -> None:
        if not self.can(permission):
            raise PermissionDenied(self.role, permission)


def db_session(request: Request) -> Iterator[Session]:
    """One Session per request; the handler commits, anything else rolls back. Page views
    (GET, HEAD) read in a plain transaction; forms write in a writing one (on SQLite it
    queues for the write lock at its start instead of failing on an upgrade)."""
    state = request.app.state
    factory = state.reader_factory if request.method in SAFE_METHODS else state.session_factory
    session = factory()
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


DbSession = Annotated[Session, Depends(db_session)]


def current_auth(request: Request, db: DbSession) -> Auth:
    settings = request.app.state.settings
    token = request.cookies.get(SESSION_COOKIE)
    limits = {"idle": settings.session_idle, "absolute": settings.session_absolute}
    if request.method in SAFE_METHODS:  # read; write in a short transaction only if due
        web_session, must_write = websessions.peek(db, token, **limits)
        if must_write:
            with request.app.state.session_factory.begin() as writer:
                websessions.resolve(writer, token, **limits)
    else:
        web_session = websessions.resolve(db, token, **limits)
        db.commit()  # the refreshed last_seen_at, or the record of an ended session
    if web_session is None:
        raise LoginRequired()
    auth = Auth.of(web_session)
    request.state.auth = auth
    if request.method in SAFE_METHODS:  # shown on every page (R05); forms redirect
        request.state.stop_switch = switches.switch_state(db)
    return auth


CurrentAuth = Annotated[Auth, Depends(current_auth)]


def same_origin(request: Request) -> bool:
    """False when the browser says the request comes from another origin (R23). Without
    an Origin header (an old browser, a script) the CSRF token alone decides."""
    origin = request.headers.get("origin")
    return origin is None or origin == f"{request.url.scheme}://{request.url.netloc}"


async def csrf_protect(request: Request, auth: CurrentAuth) -> None:
    if request.method in SAFE_METHODS:
        return
    form = await request.form()
    if not same_origin(request) or not tokens_match(auth.csrf_token, form.get("csrf_token")):
        raise CsrfFailed()
