"""Group commits off the reactor thread.

The crawl's reactor must not wait for the database: items are handed to one
writer thread, which lets a group gather (``linger``), stores it in a single
transaction and then resolves each item's future (a loop's futures in one call on
that loop). A group goes through ``write_many`` (a crawl's listings in a few
statements: ``store_listings``); if that fails for a reason other than the database,
its items are stored one by one, one savepoint each, so a bad item fails alone. One
thread keeps SQLite's single writer happy; a commit per group instead of per item,
and a few statements per group instead of several per item, is what makes storage
keep up with the crawl.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, NamedTuple, Protocol

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

logger = logging.getLogger(__name__)

_STOP = object()


def with_retries(work: Callable[[], Any], *, attempts: int = 5) -> Any:
    """Run a short transaction again when SQLite reports the database locked (a writer
    of another crawl in this process held it); other errors pass through."""
    for attempt in range(attempts):
        try:
            return work()
        except OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
    return None


Result = tuple[Any, BaseException | None]  # (result, error) of one payload


class RemoteStore(Protocol):
    """Where a writer thread sends its data payloads: another process's ``store_group``."""

    def store(self, payloads: list[Any]) -> list[Result]: ...

    def close(self) -> None: ...


class _Callback(NamedTuple):
    done: Callable[[Any, BaseException | None], None]


class _LoopWaiter(NamedTuple):
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]


_Outcome = tuple[Any, Any, BaseException | None]  # (future, result, error)


def _settle(outcomes: list[_Outcome]) -> None:
    """Resolve waiters: callbacks and thread futures at once, loop futures in one call
    per loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_Outcome]] = {}
    direct: list[_Outcome] = []
    for waiter, result, error in outcomes:
        if isinstance(waiter, _Callback):
            try:
                waiter.done(result, error)
            except Exception:  # a callback's bug must not stop the writer
                logger.exception("writer callback failed")
        elif isinstance(waiter, _LoopWaiter):
            by_loop.setdefault(waiter.loop, []).append((waiter.future, result, error))
        else:
            direct.append((waiter, result, error))
    _resolve(direct)
    for loop, settled in by_loop.items():
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
            loop.call_soon_threadsafe(_resolve, settled)


def _resolve(outcomes: list[_Outcome]) -> None:
    for future, result, error in outcomes:
        if future.done():  # cancelled meanwhile
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)


class GroupWriter:
    """A writer thread with group commits; ``shared`` gives one per database and process,
    so that crawls running side by side never write to SQLite from two threads."""

    _shared: dict[str, tuple[GroupWriter, int]] = {}
    _lock = threading.Lock()

    @classmethod
    def shared(cls, key: str, sessions: sessionmaker[Session],
               write_one: Callable[[Session, Any], Any],
               write_many: Callable[[Session, list[Any]], list[Any]] | None = None,
               remote: Callable[[], RemoteStore] | None = None) -> GroupWriter:
        """The writer for ``key`` (a database URL), created on first use; ``remote``, if
        given, makes the storage process the new writer stores data payloads in."""
        with cls._lock:
            writer, users = cls._shared.get(key, (None, 0))
            if writer is None:
                writer = cls(sessions, write_one, write_many=write_many,
                             remote=remote() if remote is not None else None)
            cls._shared[key] = (writer, users + 1)
            return writer

    def release(self, key: str) -> None:
        """Drop one user of a shared writer; the last one closes it."""
        with self._lock:
            writer, users = self._shared.get(key, (self, 1))
            if users > 1:
                self._shared[key] = (writer, users - 1)
                return
            self._shared.pop(key, None)
        self.close()

    def __init__(self, sessions: sessionmaker[Session],
                 write_one: Callable[[Session, Any], Any], *, max_batch: int = 200,
                 write_many: Callable[[Session, list[Any]], list[Any]] | None = None,
                 linger: float = 0.2, remote: RemoteStore | None = None) -> None:
        """``write_one(session, payload)`` stores one payload; ``write_many(session,
        payloads)``, if given, stores a run of them at once and returns each one's result
        or exception (a bad payload fails alone). After the first payload of a group the
        thread waits ``linger`` seconds for more, so a fast writer still commits groups.
        With ``remote``, data payloads are stored by that process (which runs the same
        ``store_group``) and this thread only gathers groups and waits; callable payloads
        still run here."""
        self.sessions = sessions
        self.remote = remote
        self.write_one = write_one
        self.write_many = write_many
        self.linger = linger
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._waiting = threading.Event()  # someone waits for the queue to drain: no linger
        self._thread = threading.Thread(target=self._run, name="thbscan-store", daemon=True)
        self._thread.start()

    def submit(self, payload: Any) -> Future[Any]:
        """Queue ``payload`` for ``write_one``; a callable payload is called with the
        session instead (other writes of the same process, kept on this thread)."""
        future: Future[Any] = Future()
        self._queue.put((payload, future))
        if callable(payload):  # a caller about to wait for it (e.g. a crawl's last step)
            self.flush_soon()
        return future

    def submit_callback(self, payload: Any,
                        done: Callable[[Any, BaseException | None], None]) -> None:
        """Queue ``payload``; ``done(result, error)`` is called on the writer thread once
        its group is committed (or has failed). Cheaper than a future: nothing waits."""
        self._queue.put((payload, _Callback(done)))

    def submit_async(self, payload: Any) -> asyncio.Future[Any]:
        """:meth:`submit` for the calling event loop: the futures of a group are settled
        in one call on the loop (one wake-up per group commit, not one per item)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._queue.put((payload, _LoopWaiter(loop, future)))
        return future

    def flush_soon(self) -> None:
        """Commit the group now gathering without waiting out the linger: nothing more is
        coming soon (the crawl is idle). Whoever waits for its items (a Redis worker, for
        the acknowledgements that let the crawl end) waits no longer than the commit."""
        self._waiting.set()

    def close(self, timeout: float = 120) -> None:
        """Store what is queued, then stop the thread."""
        self._queue.put(_STOP)
        self._waiting.set()
        self._thread.join(timeout)
        if self.remote is not None:
            self.remote.close()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is _STOP:
                return
            if self.linger > 0 and self._queue.qsize() < self.max_batch:
                # Let a group gather (one commit for many items), unless someone waits.
                self._waiting.wait(self.linger)
            self._waiting.clear()
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    stopping = True
                    break
                batch.append(nxt)
            self._write(batch)

    def _write(self, batch: list[tuple[Any, Any]]) -> None:
        for attempt in range(3):
            try:
                outcomes = self._attempt(batch)
                break
            except Exception as exc:  # the transaction failed: nothing of it is stored
                if attempt < 2:
                    logger.warning("storing a batch of %d items failed (%s); retrying",
                                   len(batch), exc.__class__.__name__)
                    time.sleep(0.5 * (attempt + 1))
                    continue
                logger.exception("storing a batch of %d items failed", len(batch))
                _settle([(waiter, None, exc) for _payload, waiter in batch])
                return
        _settle(outcomes)

    def _attempt(self, batch: list[tuple[Any, Any]]) -> list[_Outcome]:
        payloads = [payload for payload, _waiter in batch]
        if self.remote is None:
            with self.sessions() as session:
                results = store_group(session, payloads, self.write_one, self.write_many)
                session.commit()
        else:  # listings in the storage process; callables here, in order
            results = []
            for is_call, run in _runs(payloads):
                if not is_call:
                    results.extend(self.remote.store(run))
                    continue
                with self.sessions() as session:
                    results.extend(store_group(session, run, self.write_one, None))
                    session.commit()
        return [(waiter, result, error)
                for (_payload, waiter), (result, error) in zip(batch, results, strict=True)]


def _runs(payloads: list[Any]) -> list[tuple[bool, list[Any]]]:
    """``payloads`` cut into runs of callables and of data, in order."""
    runs: list[tuple[bool, list[Any]]] = []
    for payload in payloads:
        is_call = callable(payload)
        if runs and runs[-1][0] == is_call:
            runs[-1][1].append(payload)
        else:
            runs.append((is_call, [payload]))
    return runs


def store_group(session: Session, payloads: list[Any],
                write_one: Callable[[Session, Any], Any],
                write_many: Callable[[Session, list[Any]], list[Any]] | None) -> list[Result]:
    """Write a group's payloads in ``session`` (the caller commits): runs of data through
    ``write_many``, a callable payload called with the session. Each payload's result or
    error, in order; a database error (locked, lost race) propagates, to retry the group."""
    results: list[Result] = []
    for is_call, run in _runs(payloads):
        if write_many is not None and not is_call:
            _write_run(session, run, write_one, write_many, results)
        else:
            _write_each(session, run, write_one, results)
    return results


def _write_run(session: Session, run: list[Any], write_one: Callable[[Session, Any], Any],
               write_many: Callable[[Session, list[Any]], list[Any]],
               results: list[Result]) -> None:
    try:
        with session.begin_nested():
            written = write_many(session, run)
    except DBAPIError:  # locked database: retry the whole batch
        raise
    except Exception:  # a payload the batch cannot take: find it, one at a time
        logger.debug("batch write failed; storing its %d items one by one", len(run),
                     exc_info=True)
        _write_each(session, run, write_one, results)
        return
    for result in written:
        results.append((None, result) if isinstance(result, BaseException) else (result, None))


def _write_each(session: Session, run: list[Any], write_one: Callable[[Session, Any], Any],
                results: list[Result]) -> None:
    for payload in run:
        try:
            with session.begin_nested():
                result = payload(session) if callable(payload) else write_one(session, payload)
            results.append((result, None))
        except DBAPIError:  # locked database, lost race: retry the whole batch
            raise
        except Exception as exc:  # this item only (e.g. invalid input)
            results.append((None, exc))
