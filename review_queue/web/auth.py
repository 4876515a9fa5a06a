"""Login and logout (R22): no self-registration, session id rotated at login."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from review_queue.db.models import User
from review_queue.domain import events
from review_queue.domain.states import can
from review_queue.services import audit, throttle, users, websessions
from review_queue.services.queue import utc_now
from review_queue.web.deps import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    CsrfFailed,
    DbSession,
    csrf_protect,
    same_origin,
)
from review_queue.web.rendering import render
from review_queue.web.security import sign, tokens_match

public_router = APIRouter()
router = APIRouter(dependencies=[Depends(csrf_protect)])

LOGIN_FAILED = "The name or password is not correct, or the account is disabled."
THROTTLED = (
    "Too many failed sign-ins for this account or from this address: sign-in is closed "
    "until {until:%H:%M} UTC. Try again then, or ask an administrator."
)


def home(user: User) -> str:
    return "/queue" if can(user.role, "view_queue") else "/audit"


def _https(request: Request) -> bool:
    return request.url.scheme == "https"


SESSION_ENDED = (
    "Your session has ended, so nothing was recorded. Sign in again: what you wrote is kept "
    "and you return to the item."
)


def login_page(
    request: Request,
    *,
    error: str | None = None,
    status_code: int = 200,
    draft: dict[str, object] | None = None,
) -> Response:
    """The login form; with ``draft``, a decision form carried through the sign-in."""
    nonce = secrets.token_urlsafe(32)
    token = sign(request.app.state.settings.secret_key, "login", nonce)
    response = render(
        request,
        "login.html",
        {
            "login_csrf": token,
            "error": error or (SESSION_ENDED if draft else None),
            "draft": draft,
        },
        status_code=status_code,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        nonce,
        max_age=3600,
        path="/login",
        httponly=True,
        samesite="strict",
        secure=_https(request),
    )
    return response


@public_router.get("/login")
def login_form(request: Request, db: DbSession) -> Response:
    settings = request.app.state.settings
    web_session, _must_write = websessions.peek(  # a page view: read only
        db,
        request.cookies.get(SESSION_COOKIE),
        idle=settings.session_idle,
        absolute=settings.session_absolute,
    )
    if web_session is not None:
        return RedirectResponse(home(web_session.user), status_code=303)
    return login_page(request)


@public_router.post("/login")
def login(
    request: Request,
    db: DbSession,
    name: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    draft_item: Annotated[str, Form()] = "",
    draft_action: Annotated[str, Form()] = "",
    draft_reason: Annotated[str, Form()] = "",
    draft_code: Annotated[str, Form()] = "",
) -> Response:
    settings = request.app.state.settings
    draft = websessions.draft_of(draft_item, draft_action, draft_reason, draft_code)
    nonce = request.cookies.get(LOGIN_CSRF_COOKIE)
    expected = sign(settings.secret_key, "login", nonce) if nonce else None
    if not tokens_match(expected, csrf_token) or not same_origin(request):
        raise CsrfFailed()
    now = utc_now()
    keys = throttle.keys(name, request.client.host if request.client else None)
    until = throttle.locked_until(db, keys, now)
    if until is not None:  # checked before the password: a lock is no guessing oracle
        audit.record(
            db,
            "anonymous",
            events.LoginRefused(kind="auth.login_throttled", name=name[:64]),
            "user",
        )
        db.commit()
        return login_page(
            request, error=THROTTLED.format(until=until), status_code=429, draft=draft
        )
    user = users.authenticate(db, name, password)
    if user is None:
        until = throttle.failed(db, keys, now, settings.login_limits)
        # The attempted name is recorded (cleaned and cut short), never the password.
        audit.record(
            db, "anonymous", events.LoginRefused(kind="auth.login_failed", name=name[:64]), "user"
        )
        db.commit()
        error = LOGIN_FAILED if until is None else THROTTLED.format(until=until)
        return login_page(
            request, error=error, status_code=401 if until is None else 429, draft=draft
        )
    throttle.succeeded(db, name)
    old_token = request.cookies.get(SESSION_COOKIE)
    if old_token:
        websessions.end(db, old_token)
    token, web_session = websessions.start(db, user)
    web_session.draft = draft  # back to the item, the text in its form
    db.commit()
    target = f"/items/{draft['item']}?notice=draft" if draft else home(user)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(settings.session_absolute.total_seconds()),
        path="/",
        httponly=True,
        samesite="strict",
        secure=_https(request),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, db: DbSession) -> Response:
    websessions.end(db, request.cookies.get(SESSION_COOKIE))
    db.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=_https(request)
    )
    return response
