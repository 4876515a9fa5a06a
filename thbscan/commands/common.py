"""Helpers shared by subcommands: database access and output."""

from __future__ import annotations

import json
import sys
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from review_queue.db import upgrade
from review_queue.db.migrate import check_current
from store import session_factory
from thbscan import config

# Exit statuses shared by the crawl and score commands (documented in `thbscan crawl --help`).
EXIT_OK, EXIT_STOPPED, EXIT_LOCKED, EXIT_STOP_SWITCH, EXIT_NOTHING_FETCHED = 0, 3, 4, 5, 6


def open_db(
    db: str | None, *, migrate: bool = False, **engine_options: Any
) -> tuple[Engine, sessionmaker[Session]]:
    """Engine and session factory for ``--db``; optionally bring the schema up to date."""
    engine = config.engine_for(config.database_url(db), **engine_options)
    if migrate:  # an archive stored in clear is redacted once, with a progress bar
        migrate_and_redact(engine)
    else:
        check_current(engine)
    return engine, session_factory(engine)


def migrate_and_redact(engine: Engine, *, quiet: bool = False) -> tuple[str | None, int]:
    """Bring the schema up to date, then take the identifiers out of any version stored in
    clear by an older thbscan (R09); the revision and how many versions were rewritten."""
    from thbscan.redaction import redact_archive, redactor

    revision = upgrade(engine)
    rewritten = redact_archive(session_factory(engine), redactor(config.mode()), quiet=quiet)
    return revision, rewritten


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, sort_keys=False) + "\n")
    sys.stdout.flush()


def err(message: str) -> None:
    sys.stderr.write(f"thbscan: {message}\n")
