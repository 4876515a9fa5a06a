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
from typing import Any, NamedTuple

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


class _LoopWaiter(NamedTuple):
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]


_Outcome = tuple[Any, Any, BaseException | None]  # (future, result, error)


def _settle(outcomes: list[_Outcome]) -> None:
    """Resolve waiters: thread futures at once, loop futures in one call per loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_Outcome]] = {}
    direct: list[_Outcome] = []
    for waiter, result, error in outcomes:
        if isinstance(waiter, _LoopWaiter):
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
               ) -> GroupWriter:
        with cls._lock:
            writer, users = cls._shared.get(key, (None, 0))
            if writer is None:
                writer = cls(sessions, write_one, write_many=write_many)
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
                 linger: float = 0.2) -> None:
        """``write_one(session, payload)`` stores one payload; ``write_many(session,
        payloads)``, if given, stores a run of them at once and returns each one's result
        or exception (a bad payload fails alone). After the first payload of a group the
        thread waits ``linger`` seconds for more, so a fast writer still commits groups."""
        self.sessions = sessions
        self.write_one = write_one
        self.write_many = write_many
        self.linger = linger
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="thbscan-store", daemon=True)
        self._thread.start()

    def submit(self, payload: Any) -> Future[Any]:
        """Queue ``payload`` for ``write_one``; a callable payload is called with the
        session instead (other writes of the same process, kept on this thread)."""
        future: Future[Any] = Future()
        self._queue.put((payload, future))
        return future

    def submit_async(self, payload: Any) -> asyncio.Future[Any]:
        """:meth:`submit` for the calling event loop: the futures of a group are settled
        in one call on the loop (one wake-up per group commit, not one per item)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._queue.put((payload, _LoopWaiter(loop, future)))
        return future

    def close(self, timeout: float = 120) -> None:
        """Store what is queued, then stop the thread."""
        self._queue.put(_STOP)
        self._thread.join(timeout)

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is _STOP:
                return
            if self.linger > 0 and self._queue.qsize() < self.max_batch:
                time.sleep(self.linger)  # let a group gather: one commit for many items
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

    def _attempt(self, batch: list[tuple[Any, Any]]
                 ) -> list[_Outcome]:
        outcomes: list[_Outcome] = []
        with self.sessions() as session:
            run: list[tuple[Any, Any]] = []  # payloads for write_many
            for payload, future in batch:
                if self.write_many is not None and not callable(payload):
                    run.append((payload, future))
                    continue
                self._write_run(session, run, outcomes)
                run = []
                self._write_each(session, [(payload, future)], outcomes)
            self._write_run(session, run, outcomes)
            session.commit()
        return outcomes

    def _write_run(self, session: Session, run: list[tuple[Any, Any]],
                   outcomes: list[_Outcome]) -> None:
        if not run:
            return
        assert self.write_many is not None
        try:
            with session.begin_nested():
                results = self.write_many(session, [payload for payload, _f in run])
        except DBAPIError:  # locked database: retry the whole batch
            raise
        except Exception:  # a payload the batch cannot take: find it, one at a time
            logger.debug("batch write failed; storing its %d items one by one", len(run),
                         exc_info=True)
            self._write_each(session, run, outcomes)
            return
        for (_payload, future), result in zip(run, results, strict=True):
            if isinstance(result, BaseException):
                outcomes.append((future, None, result))
            else:
                outcomes.append((future, result, None))

    def _write_each(self, session: Session, items: list[tuple[Any, Any]],
                    outcomes: list[_Outcome]) -> None:
        for payload, future in items:
            try:
                with session.begin_nested():
                    result = payload(session) if callable(payload) \
                        else self.write_one(session, payload)
                    outcomes.append((future, result, None))
            except DBAPIError:  # locked database, lost race: retry the whole batch
                raise
            except Exception as exc:  # this item only (e.g. invalid input)
                outcomes.append((future, None, exc))
