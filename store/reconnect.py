"""Riding out a database server that goes away mid-run (a PostgreSQL restart).

A restart ends every connection: the transaction in flight fails, and until the server is
back new connections are refused ("Connection refused", "the database system is starting
up"). thbscan writes in whole transactions that are safe to run again (a listing is keyed
by its natural key and content hash; a scoring batch is written in one transaction), so
the callers retry whole transactions (the crawl's group commits, a scoring run) and this
module supplies the two other parts:

* :func:`wait_on_connect`, on every PostgreSQL engine: connecting to a server that this
  process has reached before waits for it to come back, with backoff, for up to
  :data:`RECONNECT_WITHIN` seconds an outage, logging that it waits and when the server is
  back; then :class:`~store.errors.DatabaseUnavailable` says it did not come back. A server
  never reached (a wrong URL, a refused password) fails at once, as before.
* :func:`went_away`: does an error mean that the server went away (so the transaction may
  be run again once it is back)? :func:`run_again_when_back` runs work again after a
  restart (the server's start time tells a restart from a connection closed on purpose).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine, event, text
from sqlalchemy.exc import DBAPIError

from store.errors import DatabaseUnavailable

logger = logging.getLogger(__name__)

RECONNECT_WITHIN = 60.0  # s: a restart with a long checkpoint and crash recovery fits
# SQLSTATEs of a server going or coming (admin_shutdown, crash_shutdown, cannot_connect_now)
# and class 08 (connection exception). Not 25P03, idle_in_transaction_session_timeout: that
# is a scoring lease running out (thbscan.scoring_job), which must not be run again here.
_AWAY_STATES = ("57P01", "57P02", "57P03")
T = TypeVar("T")

_reached: set[str] = set()  # servers this process has connected to
_down_since: dict[str, float] = {}  # server -> when a connection to it first failed
_lock = threading.Lock()


def _away(orig: BaseException) -> bool:
    """A driver error of a connection the server refused or closed (psycopg errors carry a
    ``sqlstate``, None for a refused or broken connection; SQLite's carry none)."""
    if not hasattr(orig, "sqlstate"):
        return False
    state = orig.sqlstate
    return state is None or state in _AWAY_STATES or str(state).startswith("08")


def went_away(exc: BaseException) -> bool:
    """Whether ``exc``, or an error that caused it, says that the database server closed
    the connection or refused a new one: the transaction failed whole and may be run again
    once the server is back. False once :class:`DatabaseUnavailable` gave up waiting."""
    seen: BaseException | None = exc
    for _depth in range(10):
        if seen is None or isinstance(seen, DatabaseUnavailable):
            return False
        if isinstance(seen, DBAPIError) and seen.orig is not None:
            if getattr(seen.orig, "sqlstate", None) == "25P03":
                return False
            return bool(seen.connection_invalidated) or _away(seen.orig)
        seen = seen.__cause__
    return False


def first_line(exc: BaseException) -> str:
    """The driver's own words for ``exc`` (of the database error that caused it, if any)."""
    seen: BaseException | None = exc
    for _depth in range(10):
        if seen is None or isinstance(seen, DBAPIError):
            break
        seen = seen.__cause__
    found = seen if seen is not None else exc
    text = str(getattr(found, "orig", None) or found).strip()
    return text.splitlines()[0][:300] if text else found.__class__.__name__


def wait_on_connect(engine: Engine, within: float = RECONNECT_WITHIN) -> None:
    """Make ``engine``'s new connections wait (up to ``within`` s an outage) for a server
    that this process reached before and that refuses connections now."""
    url = engine.url
    server = f"{url.host or 'localhost'}:{url.port or 5432}"

    @event.listens_for(engine, "do_connect")
    def connect(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        delay = 0.1
        while True:
            try:
                connection = dialect.connect(*cargs, **cparams)
            except dialect.loaded_dbapi.OperationalError as exc:
                if not _away(exc):
                    raise
                with _lock:
                    if server not in _reached:
                        raise  # never reached: a wrong address, not an outage
                    first = server not in _down_since
                    since = _down_since.setdefault(server, time.monotonic())
                waited = time.monotonic() - since
                if waited >= within:
                    raise DatabaseUnavailable(
                        f"PostgreSQL at {server} went away and did not come back within "
                        f"{within:g} s: {first_line(exc)}; check that the server is running, "
                        "then run the command again (what was committed is kept)"
                    ) from exc
                if first:
                    logger.warning(
                        "PostgreSQL at %s went away (%s): waiting up to %g s for it to come "
                        "back; the transactions that failed are run again",
                        server,
                        first_line(exc),
                        within,
                    )
                time.sleep(min(delay, within - waited))
                delay = min(delay * 2, 2.0)
                continue
            with _lock:
                _reached.add(server)
                since_down = _down_since.pop(server, None)
            if since_down is not None:
                logger.warning(
                    "PostgreSQL at %s is back after %.1f s", server, time.monotonic() - since_down
                )
            return connection


def server_started(engine: Engine) -> Any:
    """When the database server started (PostgreSQL's ``pg_postmaster_start_time()``): a
    restart changes it. None on SQLite."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        return conn.scalar(text("SELECT pg_postmaster_start_time()"))


def run_again_when_back(
    work: Callable[[], T], engine: Engine, what: str, *, attempts: int = 5
) -> T:
    """``work()``, run again (up to ``attempts`` times in all) when it failed because the
    database server restarted: it went away and came back with a new start time (the wait
    for it is :func:`wait_on_connect`'s). ``work`` must be whole transactions that are safe
    to run again (a resumable scoring run). A connection that the server closed without a
    restart (a scoring lease that ran out) is not run again: its error passes through."""
    started = server_started(engine)
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except Exception as exc:
            if attempt == attempts or not went_away(exc):
                raise
            now = server_started(engine)  # waits for the server to come back
            if now == started:
                raise
            logger.warning(
                "%s: the database server restarted (%s); running it again (attempt %d of %d); "
                "what was committed is kept",
                what,
                first_line(exc),
                attempt + 1,
                attempts,
            )
            started = now
    raise AssertionError("not reached")
