"""Login and logout (R22): no self-registration, session id rotated at login."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from review_queue.db.models import User
from review_queue.domain.states import can
from review_queue.services import audit, users, websessions
from review_queue.web.deps import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    CsrfFailed,
    DbSession,
    csrf_protect,
)
from review_queue.web.rendering import render
from review_queue.web.security import sign, tokens_match

public_router = APIRouter()
router = APIRouter(dependencies=[Depends(csrf_protect)])

LOGIN_FAILED = "The name or password is not correct, or the account is disabled."


def home(user: User) -> str:
    return "/queue" if can(user.role, "view_queue") else "/audit"


def _https(request: Request) -> bool:
    return request.url.scheme == "https"


def _login_page(request: Request, *, error: str | None = None, status_code: int = 200) -> Response:
    nonce = secrets.token_urlsafe(32)
    token = sign(request.app.state.settings.secret_key, "login", nonce)
    response = render(
        request, "login.html", {"login_csrf": token, "error": error}, status_code=status_code
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
    web_session = websessions.resolve(
        db,
        request.cookies.get(SESSION_COOKIE),
        idle=settings.session_idle,
        absolute=settings.session_absolute,
    )
    db.commit()
    if web_session is not None:
        return RedirectResponse(home(web_session.user), status_code=303)
    return _login_page(request)


@public_router.post("/login")
def login(
    request: Request,
    db: DbSession,
    name: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    settings = request.app.state.settings
    nonce = request.cookies.get(LOGIN_CSRF_COOKIE)
    expected = sign(settings.secret_key, "login", nonce) if nonce else None
    if not tokens_match(expected, csrf_token):
        raise CsrfFailed()
    user = users.authenticate(db, name, password)
    if user is None:
        # The attempted name is recorded (cleaned and cut short), never the password.
        audit.record(db, "anonymous", "auth.login_failed", "user", "", name=name[:64])
        db.commit()
        return _login_page(request, error=LOGIN_FAILED, status_code=401)
    old_token = request.cookies.get(SESSION_COOKIE)
    if old_token:
        websessions.end(db, old_token)
    token, _web_session = websessions.start(db, user)
    db.commit()
    response = RedirectResponse(home(user), status_code=303)
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
