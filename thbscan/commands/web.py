"""``thbscan serve``: the analyst web application."""

from __future__ import annotations

import argparse
import gc
import logging
import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from thbscan import config
from thbscan.commands.common import open_db

if TYPE_CHECKING:
    from review_queue.web.reasons import ReasonCodes

LOOPBACK = ("127.0.0.1", "localhost", "::1")
# s a page view waits for a PostgreSQL server that went away before it answers 503 (a batch
# job waits a minute; an analyst should not stare at a blank page that long)
WEB_RECONNECT_WITHIN = 5.0
logger = logging.getLogger(__name__)


def serve(
    db: str | None,
    host: str,
    port: int,
    run_mode: str,
    *,
    proxy_headers: bool = False,
    forwarded_allow_ips: str = "127.0.0.1",
    workers: int = 1,
) -> None:
    """Run the web application; behind a TLS proxy, ``proxy_headers`` trusts its
    X-Forwarded-For and X-Forwarded-Proto from ``forwarded_allow_ips`` (so cookies are
    marked Secure and login throttling sees the client's address). With ``workers`` > 1,
    that many processes serve (they share the secret key and the database)."""
    import uvicorn

    from review_queue.web.app import create_app

    engine, _sessions = open_db(
        db, migrate=run_mode != "production", reconnect_within=WEB_RECONNECT_WITHIN
    )
    key = config.secret_key(run_mode)
    if workers > 1:  # each worker builds the app from the settings: hand them these
        os.environ["THBSCAN_DATABASE_URL"] = engine.url.render_as_string(hide_password=False)
        os.environ["THBSCAN_MODE"] = run_mode
        os.environ["THBSCAN_SECRET_KEY"] = key
        engine.dispose()
        uvicorn.run(
            "thbscan.commands.web:app_from_settings",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            log_level="info",
            server_header=False,
            proxy_headers=proxy_headers,
            forwarded_allow_ips=forwarded_allow_ips,
        )
        return
    app = create_app(
        engine,
        secret_key=key,
        mode=run_mode,
        pseudonyms_of=identifier_pseudonyms(run_mode),
        reason_codes=reason_codes(),
    )
    gc.freeze()  # see app_from_settings
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="info",
        server_header=False,
        proxy_headers=proxy_headers,
        forwarded_allow_ips=forwarded_allow_ips,
    )


def app_from_settings() -> object:
    """The web application as the settings describe it, for ``uvicorn --factory
    thbscan.commands.web:app_from_settings`` (several workers, a process manager)."""
    from review_queue.web.app import create_app

    settings = config.settings()
    app = create_app(
        config.engine_for(settings.database_url, reconnect_within=WEB_RECONNECT_WITHIN),
        secret_key=config.secret_key(settings.mode),
        mode=settings.mode,
        pseudonyms_of=identifier_pseudonyms(settings.mode),
        reason_codes=reason_codes(),
    )
    # What is loaded by now lives as long as the process: out of the collector's sight, a
    # full collection no longer walks it (measured under load: 6-8 ms instead of 147 ms,
    # a pause in whichever request was running).
    gc.freeze()
    return app


def reason_codes() -> ReasonCodes | None:
    """The reason codes of ``THBSCAN_REASON_CODES`` (None: the bundled list); a malformed
    file stops the command with a message naming it."""
    from review_queue.web import reasons

    path = config.settings().reason_codes
    if path is None:
        return None
    try:
        return reasons.load(path)
    except ValueError as exc:
        raise SystemExit(f"thbscan: {exc}") from None


def identifier_pseudonyms(run_mode: str) -> Callable[[str], list[str]] | None:
    """For the search form: the pseudonyms of the identifiers recognised in what an analyst
    typed, made as the scoring job makes them; None (search by identifier off) without a
    pseudonym key."""
    from nlp.errors import NlpError
    from nlp.extract import extract
    from thbscan.redaction import pseudonymiser
    from thbscan.scoring_job import IDENTIFIER_KINDS

    try:
        keyed = pseudonymiser(run_mode)
    except NlpError:
        logger.warning("no pseudonym key: search by identifier is off")
        return None

    def pseudonyms_of(typed: str) -> list[str]:
        found = {(e.kind, e.value) for e in extract(typed) if e.kind in IDENTIFIER_KINDS}
        return sorted(keyed.pseudonymise(kind, value) for kind, value in found)

    return pseudonyms_of


def run_serve(args: argparse.Namespace) -> int:
    if not 1 <= args.workers <= 64:
        raise SystemExit(f"thbscan: --workers {args.workers}: give 1 to 64 processes")
    if args.host not in LOOPBACK and not args.allow_remote:
        raise SystemExit(
            f"thbscan: refusing to listen on {args.host!r}: serve on 127.0.0.1 behind a TLS "
            "reverse proxy, or pass --allow-remote if you know what you are doing"
        )
    serve(
        args.db,
        args.host,
        args.port,
        config.mode(),
        proxy_headers=args.proxy_headers,
        forwarded_allow_ips=args.forwarded_allow_ips,
        workers=args.workers,
    )
    return 0
