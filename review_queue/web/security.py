"""Secret key checks, CSRF tokens and security headers (R22, R23, R25)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MIN_SECRET_LENGTH = 32
MODES = ("production", "demo", "test")

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    # same-origin, not no-referrer: under no-referrer browsers send "Origin: null" with every
    # form, and the Origin check (R23) needs the real one; nothing leaves to other sites
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}
_GENERATE = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"


def check_secret_key(secret_key: str | None, mode: str) -> str:
    """The secret key to use; refuses a missing or weak key outside demo/test mode."""
    if mode not in MODES:
        raise ValueError(f"mode {mode!r} is unknown: use one of {', '.join(MODES)}")
    weak = (
        not isinstance(secret_key, str)
        or len(secret_key) < MIN_SECRET_LENGTH
        or len(set(secret_key)) < 10
    )
    if not weak:
        return secret_key  # type: ignore[return-value]
    if mode in ("demo", "test"):
        return secrets.token_urlsafe(48)
    raise ValueError(
        "THBSCAN_SECRET_KEY is missing or too weak: it needs at least "
        f"{MIN_SECRET_LENGTH} random characters. Generate one with `{_GENERATE}` and set it "
        "in the environment of the web application (never commit it)."
    )


def sign(secret_key: str, purpose: str, value: str) -> str:
    message = f"{purpose}:{value}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def tokens_match(expected: str | None, sent: object) -> bool:
    if not expected or not isinstance(sent, str) or not sent:
        return False
    return hmac.compare_digest(expected.encode(), sent.encode())


class SecurityHeadersMiddleware:
    """Adds the security headers to every response, including error pages."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope.get("path", "").startswith("/static/")
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers[name] = value
                headers["Cache-Control"] = "no-cache" if static else "no-store"
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            if not started:
                await send_with_headers(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8")],
                    }
                )
                await send_with_headers(
                    {
                        "type": "http.response.body",
                        "body": b"Internal error: the administrator can find details in the log.",
                    }
                )
            raise
