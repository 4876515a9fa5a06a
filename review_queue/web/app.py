"""The analyst web application (FastAPI + Jinja2): ``create_app`` is the factory.

``thbscan serve`` runs it; under a process manager, for example::

    THBSCAN_SECRET_KEY=... uvicorn --factory thbscan.commands.web:app_from_settings \
        --host 127.0.0.1 --port 8000
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from review_queue.domain.errors import DomainError
from review_queue.services import websessions
from review_queue.services.throttle import Limits
from review_queue.web import (
    admin_page,
    audit_page,
    auth,
    crawl_runs_page,
    reasons,
    review,
    search_page,
    stats_page,
)
from review_queue.web.deps import SESSION_COOKIE, CsrfFailed, DbSession, LoginRequired
from review_queue.web.reasons import ReasonCodes
from review_queue.web.rendering import STATIC, make_templates, render
from review_queue.web.security import SecurityHeadersMiddleware, check_secret_key
from store import session_factory
from store.errors import DatabaseUnavailable
from store.reconnect import went_away

logger = logging.getLogger(__name__)

STATUS_TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    422: "Invalid input",
    503: "Database unavailable",
}
UNAVAILABLE = (
    "The database cannot be reached just now (it may be restarting), so nothing was "
    "recorded. Wait a moment and try again."
)


@dataclass(frozen=True)
class WebSettings:
    secret_key: str
    mode: str
    session_idle: timedelta
    session_absolute: timedelta
    login_limits: Limits


def create_app(
    engine: Engine,
    *,
    secret_key: str | None,
    mode: str = "production",
    session_idle_minutes: float = 30,
    session_absolute_hours: float = 12,
    pseudonyms_of: Callable[[str], list[str]] | None = None,
    login_limits: Limits | None = None,
    reason_codes: ReasonCodes | None = None,
) -> FastAPI:
    """Build the web application on ``engine`` (schema must be upgraded already).

    ``secret_key`` is required outside demo/test mode (ValueError when missing or
    weak); demo and test mode generate a random one when none is given.
    ``login_limits`` sets login throttling (default: 5 failures per account, 20 per address
    in 15 minutes lock sign-in for 15 minutes). ``pseudonyms_of`` turns an identifier typed
    into the search form into the pseudonyms it is stored as (the composition root gives it;
    without it, search by identifier is off). ``reason_codes`` are offered per outcome
    (default: the bundled ``reason_codes.toml``).
    """
    key = check_secret_key(secret_key, mode)
    if key != secret_key:
        logger.warning("mode %s: using a generated secret key for this process only", mode)
    if session_idle_minutes <= 0 or session_absolute_hours <= 0:
        raise ValueError(
            "session timeouts must be positive: check session_idle_minutes and "
            "session_absolute_hours"
        )
    app = FastAPI(title="thbscan review queue", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = WebSettings(
        secret_key=key,
        mode=mode,
        session_idle=timedelta(minutes=session_idle_minutes),
        session_absolute=timedelta(hours=session_absolute_hours),
        login_limits=login_limits or Limits(),
    )
    app.state.engine = engine
    app.state.pseudonyms_of = pseudonyms_of
    app.state.reason_codes = reason_codes or reasons.load()
    # Forms write in writer sessions: on SQLite they queue for the write lock instead of
    # failing (R28). Page views read without taking it.
    app.state.session_factory = session_factory(engine, writer=True)
    app.state.reader_factory = session_factory(engine)
    app.state.templates = make_templates()
    app.add_middleware(SecurityHeadersMiddleware)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/healthz")
    def healthz(db: DbSession) -> Response:
        try:
            db.execute(text("SELECT 1"))
        except (SQLAlchemyError, DatabaseUnavailable):
            logger.exception("health check: database unreachable")
            return JSONResponse({"status": "error", "database": "error"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok"})

    @app.get("/")
    def index() -> Response:
        return RedirectResponse("/queue", status_code=303)

    app.include_router(auth.public_router)
    app.include_router(auth.router)
    app.include_router(review.router)
    app.include_router(crawl_runs_page.router)
    app.include_router(search_page.router)
    app.include_router(stats_page.router)
    app.include_router(admin_page.router)
    app.include_router(audit_page.router)
    _add_error_handlers(app)
    return app


def _error_page(request: Request, status_code: int, message: str) -> Response:
    title = STATUS_TITLES.get(status_code, "Error")
    return render(
        request,
        "error.html",
        {"title": title, "message": message, "status_code": status_code},
        status_code=status_code,
    )


DECISION_FORM = re.compile(r"/items/(\d{1,10})/(?:decide|decide-linked)")


async def _decision_draft(request: Request) -> dict[str, object] | None:
    """What was typed into a decision form that could not be recorded, to keep."""
    match = DECISION_FORM.fullmatch(request.url.path)
    if request.method != "POST" or match is None:
        return None
    form = await request.form()
    return websessions.draft_of(
        match.group(1), form.get("action"), form.get("reason"), form.get("reason_code")
    )


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired) -> Response:
        draft = await _decision_draft(request)
        if draft is not None:  # the session ended while a decision was being written
            response = auth.login_page(request, draft=draft, status_code=401)
        else:
            response = RedirectResponse("/login", status_code=303)
        if request.cookies.get(SESSION_COOKIE):
            response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    async def database_unavailable(request: Request, exc: Exception) -> Response:
        """The database went away: 503 with what was typed into a decision form, shown
        back (it cannot be kept where the database is gone)."""
        if isinstance(exc, OperationalError) and not went_away(exc):
            raise exc  # another database error: the server's own 500
        logger.warning("%s %s: database unavailable: %s", request.method, request.url.path, exc)
        return render(
            request,
            "error.html",
            {
                "title": STATUS_TITLES[503],
                "message": UNAVAILABLE,
                "status_code": 503,
                "draft": await _decision_draft(request),
                "draft_kept": False,
            },
            status_code=503,
        )

    app.add_exception_handler(DatabaseUnavailable, database_unavailable)
    app.add_exception_handler(OperationalError, database_unavailable)

    @app.exception_handler(CsrfFailed)
    def csrf_failed(request: Request, _exc: CsrfFailed) -> Response:
        return _error_page(
            request,
            403,
            "The form's security token is missing or out of date. "
            "Go back, reload the page and try again.",
        )

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        draft = await _decision_draft(request) if exc.status_code == 409 else None
        if draft is None:
            return _error_page(request, exc.status_code, str(exc))
        with request.app.state.session_factory.begin() as writer:  # kept for the item page
            websessions.keep_draft(writer, request.cookies.get(SESSION_COOKIE), draft)
        return render(
            request,
            "error.html",
            {
                "title": STATUS_TITLES[409],
                "message": str(exc),
                "status_code": 409,
                "draft": draft,
            },
            status_code=409,
        )

    @app.exception_handler(RequestValidationError)
    def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        names = sorted(
            {".".join(str(part) for part in error.get("loc", ())[1:]) for error in exc.errors()}
        )
        return _error_page(
            request,
            422,
            f"Invalid value for {', '.join(names) or 'the request'}:"
            " check the address or the form and try again.",
        )

    @app.exception_handler(StarletteHTTPException)
    def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = "This page does not exist." if exc.status_code == 404 else str(exc.detail)
        return _error_page(request, exc.status_code, message)
