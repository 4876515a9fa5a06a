"""A storage process: the crawl's group commits, off the crawl's interpreter.

Storing a listing costs about 0.3 ms of Python per listing (hashing, binding,
SQLite). On the writer thread that time holds the GIL the reactor needs, and a
crawl is CPU-bound on loopback or a fast site. With the storage process, the
writer thread only gathers a group, pickles it down a pipe and waits (GIL
released) for the reply; the child runs the same :func:`store_group` in its own
transaction and answers once the group is committed, so acknowledgements still
follow commits.

The child is ``python -m thbscan.storeproc READ_FD WRITE_FD``: it reads its set-up
(database URL, session factory, write functions, pickled by reference) from the
pipe, never from argv, so a database password never shows in ``ps``. The pipe's
pickles come only from the parent's own objects, over private file descriptors;
listing text inside them is data, never code. The child imports SQLAlchemy and the
review-queue services, not Scrapy. It ends when its pipe closes, so a crawl killed
with ``kill -9`` takes it along; a group it had not committed was never
acknowledged (Redis mode re-queues it), and storing is idempotent.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import signal
import subprocess
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from thbscan.groupwriter import Result, store_group

logger = logging.getLogger(__name__)


class StoreProcessError(RuntimeError):
    """The storage process failed or went away; the group is not known to be stored."""


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling, else a RuntimeError that names it."""
    try:
        pickle.loads(pickle.dumps(exc))  # noqa: S301 - our own object, round trip
    except Exception:
        return RuntimeError(f"{exc.__class__.__name__}: {exc}")
    return exc


class StoreProcess:
    """Parent side: start the child, send groups, receive each payload's result."""

    def __init__(self, database_url: str,
                 sessions: Callable[[str], sessionmaker[Session]],
                 write_one: Callable[[Session, Any], Any],
                 write_many: Callable[[Session, list[Any]], list[Any]] | None) -> None:
        self._setup = (database_url, sessions, write_one, write_many)
        self._proc: subprocess.Popen[bytes] | None = None
        self._out: Connection | None = None
        self._in: Connection | None = None
        self._start()

    def _start(self) -> None:
        down_r, down_w = os.pipe()  # parent -> child
        up_r, up_w = os.pipe()  # child -> parent
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "thbscan.storeproc", str(down_r), str(up_w)],
                pass_fds=(down_r, up_w), stdin=subprocess.DEVNULL)
        finally:
            os.close(down_r)
            os.close(up_w)
        self._out = Connection(down_w, readable=False)
        self._in = Connection(up_r, writable=False)
        self._out.send(self._setup)

    def store(self, payloads: list[Any]) -> list[Result]:
        """Store ``payloads`` as one committed group; raises what the child raised (a
        database error: the caller retries the group) or StoreProcessError."""
        if self._proc is None or self._proc.poll() is not None:
            self._close_pipes()
            self._start()  # the child died: a new one for this attempt
        assert self._out is not None and self._in is not None
        try:
            self._out.send(payloads)
            kind, value = self._in.recv()
        except (EOFError, OSError) as exc:
            self._stop(kill=True)
            raise StoreProcessError(f"storage process ended unexpectedly ({exc!r})") from None
        if kind == "error":
            raise value
        return value

    def close(self, timeout: float = 60) -> None:
        """Let the child finish and exit; kill it if it does not within ``timeout``."""
        self._stop(kill=False, timeout=timeout)

    def _stop(self, *, kill: bool, timeout: float = 60) -> None:
        if self._out is not None and not kill:
            with contextlib.suppress(OSError):
                self._out.send(None)
        self._close_pipes()
        if self._proc is not None:
            if kill:
                self._proc.kill()
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None

    def _close_pipes(self) -> None:
        for conn in (self._out, self._in):
            if conn is not None:
                conn.close()
        self._out = self._in = None


_warm: dict[str, StoreProcess] = {}  # prestarted, by database URL


def prestart(database_url: str, *setup: Any) -> None:
    """Start the storage process for ``database_url`` now, so that its imports overlap
    the crawl's own start-up; :func:`take` hands it over."""
    if database_url not in _warm:
        _warm[database_url] = StoreProcess(database_url, *setup)


def take(database_url: str, *setup: Any) -> StoreProcess:
    """The prestarted storage process for ``database_url`` and ``setup``, else a new one."""
    proc = _warm.pop(database_url, None)
    if proc is not None and proc._setup == (database_url, *setup):
        return proc
    if proc is not None:
        proc.close()
    return StoreProcess(database_url, *setup)


def discard_prestarted() -> None:
    """Stop storage processes that were prestarted and never taken."""
    while _warm:
        _warm.popitem()[1].close()


def serve(inbox: Connection, outbox: Connection) -> None:
    """Child side: store each group received until the pipe closes or says stop."""
    database_url, make_sessions, write_one, write_many = inbox.recv()
    sessions = make_sessions(database_url)
    while True:
        try:
            payloads = inbox.recv()
        except EOFError:  # the parent went away
            return
        if payloads is None:  # every group is committed: close the connections and go
            sessions.kw["bind"].dispose()
            return
        try:
            with sessions() as session:
                results = store_group(session, payloads, write_one, write_many)
                session.commit()
            reply: tuple[str, Any] = ("ok", [(r, _portable(e) if e is not None else None)
                                             for r, e in results])
        except Exception as exc:  # the group failed as a whole: nothing of it is stored
            reply = ("error", _portable(exc))
        try:
            outbox.send(reply)
        except OSError:
            return


def main(argv: list[str]) -> int:
    # Ctrl-C reaches the whole process group: the crawl shuts down gracefully and still
    # stores what it has, so the child waits for its pipe to close instead of dying.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s thbscan.storeproc %(levelname)s: %(message)s")
    if len(argv) != 2 or not all(a.isdigit() for a in argv):
        print("usage: python -m thbscan.storeproc READ_FD WRITE_FD (started by the crawl's "
              "writer, not by hand)", file=sys.stderr)
        return 2
    serve(Connection(int(argv[0]), writable=False), Connection(int(argv[1]), readable=False))
    logging.shutdown()
    os._exit(0)  # nothing is left to save: skip the interpreter's slow teardown


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
