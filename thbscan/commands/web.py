"""``thbscan serve``: the analyst web application."""

from __future__ import annotations

import argparse

from thbscan import config
from thbscan.commands.common import open_db

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def serve(db: str | None, host: str, port: int, run_mode: str) -> None:
    import uvicorn

    from review_queue.web.app import create_app

    engine, _sessions = open_db(db, migrate=run_mode != "production")
    key = config.secret_key(run_mode)
    app = create_app(engine, secret_key=key, mode=run_mode)
    uvicorn.run(
        app, host=host, port=port, log_level="info", server_header=False, proxy_headers=False
    )


def app_from_settings() -> object:
    """The web application as the settings describe it, for ``uvicorn --factory
    thbscan.commands.web:app_from_settings`` (several workers, a process manager)."""
    from review_queue.web.app import create_app
    from store import create_engine_for

    settings = config.settings()
    return create_app(
        create_engine_for(settings.database_url),
        secret_key=config.secret_key(settings.mode),
        mode=settings.mode,
    )


def run_serve(args: argparse.Namespace) -> int:
    if args.host not in LOOPBACK and not args.allow_remote:
        raise SystemExit(
            f"thbscan: refusing to listen on {args.host!r}: serve on 127.0.0.1 behind a TLS "
            "reverse proxy, or pass --allow-remote if you know what you are doing"
        )
    serve(args.db, args.host, args.port, config.mode())
    return 0
