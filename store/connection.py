"""Engine and session set-up for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from store.errors import DatabaseConfigError, DiskFull
from store.reconnect import RECONNECT_WITHIN, wait_on_connect


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, begin transactions (see _sqlite_begin):
    # sqlite3's own handling breaks SAVEPOINTs (a released savepoint commits).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL: readers never block the writer; a kill -9 loses no committed transaction (R28).
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


WRITER_OPTION = "thbscan_writer"
_HELD = "thbscan_write_turn"  # connection info: the write turn this transaction holds
_TURN_WAIT = 30.0  # s, as busy_timeout; then SQLite's own wait decides
_turns: dict[str, threading.Lock] = {}
_turns_guard = threading.Lock()


def _write_turn(database: str) -> threading.Lock:
    with _turns_guard:
        return _turns.setdefault(database, threading.Lock())


def _sqlite_begin(conn: Any) -> None:
    # Readers: a deferred BEGIN, no write lock (WAL mode never blocks readers). Writers
    # (``session_factory(engine, writer=True)``): BEGIN IMMEDIATE takes the write lock at
    # once, so a second writer waits up to busy_timeout instead of failing on a lock
    # upgrade ("database is locked"). Writers of one process first queue for their turn
    # on a lock of their own: SQLite's busy wait sleeps in steps of up to 100 ms and wakes
    # nobody when the lock is free, which made a web server's claims and decisions wait
    # 0.5-2 s behind each other under load; a queue hands the turn on at once.
    writer = conn.get_execution_options().get(WRITER_OPTION, False)
    if writer:
        turn = _write_turn(conn.engine.url.database or "")
        if turn.acquire(timeout=_TURN_WAIT):
            conn.info[_HELD] = turn
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")
    except BaseException:
        _end_turn(conn)
        raise


def _end_turn(conn: Any, *_args: Any) -> None:
    """Give the write turn back at the end of the transaction (commit, rollback, or the
    connection's return to the pool)."""
    turn = conn.info.pop(_HELD, None)
    if turn is not None:
        turn.release()


def _sqlite_disk_full(context: ExceptionContext) -> BaseException | None:
    """SQLITE_FULL raised as :class:`DiskFull`, which names the file: a full disk is the
    operator's to fix, and "database or disk is full" does not say which disk."""
    error = context.sqlalchemy_exception
    if (
        getattr(context.original_exception, "sqlite_errorcode", None) != sqlite3.SQLITE_FULL
        or not isinstance(error, DBAPIError)
        or context.engine is None
    ):
        return None
    database = context.engine.url.database or ""
    return DiskFull(str(Path(database).expanduser().resolve()) if database else "?", error)


def create_engine_for(
    url: str, *, reconnect_within: float = RECONNECT_WITHIN, **kwargs: Any
) -> Engine:
    """Create an engine for ``url``. On PostgreSQL a new connection to a server this
    process reached before waits up to ``reconnect_within`` s for it to come back
    (:func:`store.reconnect.wait_on_connect`): a batch job rides out a restart, a web
    server answers "unavailable" after a few seconds instead."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseConfigError(
            f"database URL {url!r} is not a valid SQLAlchemy URL: use for example "
            "sqlite:///thbscan.db or postgresql+psycopg://user@127.0.0.1:5432/dbname"
        ) from exc
    backend = parsed.get_backend_name()
    if backend == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"timeout": 30})
        engine = create_engine(parsed, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "commit", _end_turn)
        event.listen(engine, "rollback", _end_turn)
        event.listen(engine.pool, "checkin", lambda _dbapi, record: _end_turn(record))
        event.listen(engine, "handle_error", _sqlite_disk_full, retval=True)
        return engine
    if backend != "postgresql":
        raise DatabaseConfigError(
            f"database backend {backend!r} (from {url!r}) is not supported: "
            "use sqlite or postgresql"
        )
    kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(parsed, **kwargs)
    wait_on_connect(engine, reconnect_within)  # a restart is waited for, not a failed run
    return engine


def session_factory(engine: Engine, *, writer: bool = False) -> sessionmaker[Session]:
    """Sessions for ``engine``; ``writer=True`` for short transactions that write (ingest,
    scoring batches): on SQLite they queue for the write lock instead of failing."""
    bind = engine.execution_options(**{WRITER_OPTION: True}) if writer else engine
    return sessionmaker(bind, expire_on_commit=False)
