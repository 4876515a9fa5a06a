"""Group commits off the reactor thread.

The crawl's reactor must not wait for the database: items are handed to one
writer thread, which stores whatever has queued up in a single transaction (one
savepoint per item, so a bad item fails alone) and then resolves each item's
future. One thread keeps SQLite's single writer happy; a commit per batch
instead of per item is what makes storage keep up with the crawl.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

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


class GroupWriter:
    """A writer thread with group commits; ``shared`` gives one per database and process,
    so that crawls running side by side never write to SQLite from two threads."""

    _shared: dict[str, tuple[GroupWriter, int]] = {}
    _lock = threading.Lock()

    @classmethod
    def shared(cls, key: str, sessions: sessionmaker[Session],
               write_one: Callable[[Session, Any], Any]) -> GroupWriter:
        with cls._lock:
            writer, users = cls._shared.get(key, (None, 0))
            if writer is None:
                writer = cls(sessions, write_one)
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
                 write_one: Callable[[Session, Any], Any], *, max_batch: int = 200) -> None:
        self.sessions = sessions
        self.write_one = write_one
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

    def _write(self, batch: list[tuple[Any, Future[Any]]]) -> None:
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
                for _payload, future in batch:
                    future.set_exception(exc)
                return
        for future, result, error in outcomes:
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)

    def _attempt(self, batch: list[tuple[Any, Future[Any]]]
                 ) -> list[tuple[Future[Any], Any, BaseException | None]]:
        outcomes: list[tuple[Future[Any], Any, BaseException | None]] = []
        with self.sessions() as session:
            for payload, future in batch:
                try:
                    with session.begin_nested():
                        result = payload(session) if callable(payload) \
                            else self.write_one(session, payload)
                        outcomes.append((future, result, None))
                except DBAPIError:  # locked database, lost race: retry the whole batch
                    raise
                except Exception as exc:  # this item only (e.g. invalid input)
                    outcomes.append((future, None, exc))
            session.commit()
        return outcomes
