"""Request-scoped database sessions, authentication and CSRF checks.

Deny by default (R11): every route on the protected router depends on
``csrf_protect``, which depends on ``current_auth``; a request without a live
session never reaches a handler.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from review_queue.db.models import User, WebSession
from review_queue.domain.errors import PermissionDenied
from review_queue.domain.states import can
from review_queue.services import websessions
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

    @classmethod
    def of(cls, web_session: WebSession) -> Auth:
        user = web_session.user
        return cls(user=user, name=user.name, role=user.role, csrf_token=web_session.csrf_token)

    def can(self, permission: str) -> bool:
        return can(self.role, permission)

    def require(self, permission: str) -> None:
        if not self.can(permission):
            raise PermissionDenied(self.role, permission)


def db_session(request: Request) -> Iterator[Session]:
    """One Session per request; the handler commits, anything else rolls back."""
    session = request.app.state.session_factory()
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
    web_session = websessions.resolve(
        db,
        request.cookies.get(SESSION_COOKIE),
        idle=settings.session_idle,
        absolute=settings.session_absolute,
    )
    db.commit()  # the refreshed last_seen_at, or the record of an expired session
    if web_session is None:
        raise LoginRequired()
    auth = Auth.of(web_session)
    request.state.auth = auth
    return auth


CurrentAuth = Annotated[Auth, Depends(current_auth)]


async def csrf_protect(request: Request, auth: CurrentAuth) -> None:
    if request.method in SAFE_METHODS:
        return
    form = await request.form()
    if not tokens_match(auth.csrf_token, form.get("csrf_token")):
        raise CsrfFailed()
