"""Helpers shared by subcommands: database access and output."""

from __future__ import annotations

import json
import sys
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from review_queue.db import upgrade
from review_queue.db.migrate import check_current
from store import create_engine_for, session_factory
from thbscan import config

# Exit statuses shared by the crawl and score commands (documented in `thbscan crawl --help`).
EXIT_OK, EXIT_STOPPED, EXIT_LOCKED, EXIT_STOP_SWITCH, EXIT_NOTHING_FETCHED = 0, 3, 4, 5, 6


def open_db(db: str | None, *, migrate: bool = False) -> tuple[Engine, sessionmaker[Session]]:
    """Engine and session factory for ``--db``; optionally bring the schema up to date."""
    engine = create_engine_for(config.database_url(db))
    if migrate:
        upgrade(engine)
    else:
        check_current(engine)
    return engine, session_factory(engine)


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, sort_keys=False) + "\n")
    sys.stdout.flush()


def err(message: str) -> None:
    sys.stderr.write(f"thbscan: {message}\n")
