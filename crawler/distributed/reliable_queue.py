"""A reliable FIFO request queue for scrapy-redis, with worker leases.

Requests with a positive priority (listing pages: see ``SourceSpider``) are served
before the others, so that discovery runs ahead and every worker finds work.

scrapy-redis pops requests without acknowledgement: a worker killed mid-crawl
loses what it had taken. Here ``pop`` atomically moves the request into this
worker's in-progress list (``LMOVE``); ``ack`` removes it once handled (see
:mod:`crawler.distributed.ack`), and a taken request that Scrapy drops without any
middleware seeing it is removed once it is garbage collected. ``push`` writes the
dupefilter entry and the queue entry in one Lua step.

Who is alive is decided by a lease: a key with a TTL that a thread of the worker
renews every third of the TTL. The renewal runs off the reactor, so a worker whose
reactor is busy or blocked (a long parse, a database waiting for a lock) keeps its
lease; only a dead or frozen process loses it. :meth:`requeue_dead` moves the
in-progress list of a worker back onto the queue only if that worker's lease has
expired, checked and moved in one Lua script, so a lease renewed meanwhile is never
overtaken.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any

from scrapy import Request
from scrapy.utils.asyncio import call_later
from scrapy_redis.queue import Base

logger = logging.getLogger(__name__)

RAW_META = "_thbscan_rq_raw"
PUSH_GROUP = 500  # new links sent together at most
ACK_GROUP = 32  # acknowledgements sent together (also every 50 ms, see RedisWorker)
DEFAULT_TTL = 30.0
MAX_TAKE = 32  # requests taken in one round trip at most
# Taken beyond the free download slots, so that most pops need no round trip. They are
# in this worker's in-progress list (a kill loses none; a shutdown puts them back); a
# worker holds at most this many that another idle worker could have had.
PREFETCH = 4

# KEYS: a worker's in-progress list, its lease, the shared queue. Moves the list back
# onto the queue (served next) only while the lease is absent; returns how many moved,
# or -1 if the worker holds its lease.
REQUEUE_IF_EXPIRED = """
if redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
local moved = 0
while redis.call('LMOVE', KEYS[1], KEYS[3], 'RIGHT', 'RIGHT') do moved = moved + 1 end
return moved
"""


# KEYS: the dupefilter set, the shared queue, this worker's in-progress list.
# ARGV: fingerprint ('' = not filtered), encoded request, the taken request it replaces
# ('' = none), '1' to serve it next (a request with a positive priority). The dupefilter
# entry and the queue entry are written together: a worker killed between the two would
# otherwise leave a request "seen" and never queued.
PUSH_IF_NEW = """
if ARGV[1] ~= '' and redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
if ARGV[4] == '1' then
  redis.call('RPUSH', KEYS[2], ARGV[2])
else
  redis.call('LPUSH', KEYS[2], ARGV[2])
end
if ARGV[3] ~= '' then redis.call('LREM', KEYS[3], 1, ARGV[3]) end
return 1
"""


class Lease:
    """A key that exists while its worker lives: renewed from a daemon thread."""

    def __init__(self, server: Any, key: str, ttl: float) -> None:
        self.server = server
        self.key = key
        self.ttl = max(1.0, float(ttl))
        self.lapses = 0  # renewals that found the lease expired
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def renew(self) -> bool:
        """Set the lease for another TTL; False if it had lapsed before (another
        worker may have re-queued this worker's requests)."""
        previous = self.server.set(self.key, "1", px=int(self.ttl * 1000), get=True)
        return previous is not None

    def start(self) -> None:
        self.server.set(self.key, "1", px=int(self.ttl * 1000))
        self._thread = threading.Thread(target=self._run, name="thbscan-redis-lease", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            try:
                if not self.renew():
                    self.lapses += 1
                    logger.warning(
                        "the Redis lease %s had expired: this worker's in-progress "
                        "requests may have been re-queued",
                        self.key,
                    )
            except Exception as exc:  # Redis unreachable: retry at the next beat
                logger.warning("renewing the Redis lease %s failed: %s", self.key, exc)

    def stop(self) -> None:
        """Stop renewing (the key is left to the caller)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)


class ReliableFifoQueue(Base):
    def __init__(self, server: Any, spider: Any, key: str, serializer: Any = None) -> None:
        super().__init__(server, spider, key, serializer)
        self.base = key.rsplit(":", 1)[0]
        self.worker_id = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.processing_key = self.processing_key_of(self.worker_id)
        settings = getattr(getattr(spider, "crawler", None), "settings", None)
        ttl = (
            settings.getfloat("THBSCAN_REDIS_WORKER_TTL", DEFAULT_TTL) if settings else DEFAULT_TTL
        )
        self.lease = Lease(server, self.lease_key_of(self.worker_id), ttl)
        self._requeue = server.register_script(REQUEUE_IF_EXPIRED)
        self._push = server.register_script(PUSH_IF_NEW)
        self._taken: dict[bytes, weakref.finalize] = {}  # raw -> release when collected
        self._acks: list[bytes] = []  # acknowledgements not yet sent
        self.released = 0  # taken requests acknowledged by the safety net
        self._ready: deque[bytes] = deque()  # taken in a group, not yet handed out
        self._pushes: list[tuple[list[str], list[Any]]] = []  # new links not yet sent
        self._push_flush_due = False
        self.duplicates = 0  # new links that turned out to be in the dupefilter
        self.capacity: Callable[[], int] = lambda: 1  # set by the scheduler: free slots
        self.last_pop = 0.0  # time.monotonic() of the last pop
        self.lease.start()  # alive before taking anything

    def _encode_request(self, request: Any) -> bytes:
        """scrapy-redis' encoding (``Request.to_dict``), without Scrapy's search for the
        callback's name, which walks every attribute of the spider for each request
        (``inspect.getmembers``, about 30 us). A callback that is a method of this spider
        is named by its own name; anything else takes Scrapy's way."""
        callback, errback = request.callback, request.errback
        if not (self._own_method(callback) and self._own_method(errback)):
            return super()._encode_request(request)
        d: dict[str, Any] = {
            "url": request.url,
            "callback": callback.__name__ if callable(callback) else callback,
            "errback": errback.__name__ if callable(errback) else errback,
            "headers": dict(request.headers),
        }
        for attr in request.attributes:
            d.setdefault(attr, getattr(request, attr))
        if type(request) is not Request:
            d["_class"] = f"{type(request).__module__}.{type(request).__name__}"
        return self.serializer.dumps(d)

    def _own_method(self, func: Any) -> bool:
        if not callable(func):
            return True  # None or a name already
        return (
            getattr(func, "__self__", None) is self.spider
            and getattr(self.spider, getattr(func, "__name__", ""), None) == func
        )

    def processing_key_of(self, worker_id: str) -> str:
        return f"{self.base}:processing:{worker_id}"

    def lease_key_of(self, worker_id: str) -> str:
        return f"{self.base}:worker:{worker_id}"

    def __len__(self) -> int:
        """Requests waiting: in the shared queue, and taken here but not yet handed out."""
        self.flush_pushes()
        return int(self.server.llen(self.key)) + len(self._ready)

    def has_waiting(self) -> bool:
        """Whether a request waits: one taken here already (no round trip), else one in
        the shared queue."""
        self.flush_pushes()
        return bool(self._ready) or bool(self.server.llen(self.key))

    def push(self, request: Any, seen_key: str = "", fingerprint: str = "") -> bool:
        """Queue ``request`` unless ``fingerprint`` is already in the ``seen_key`` set,
        in one step; False if it was a duplicate. A retry or redirect of a taken request
        replaces it in this worker's in-progress list in the same step.

        A new link (not replacing a taken request) is sent with the others of the same
        reactor turn in one round trip (:meth:`flush_pushes`) and counts as queued; a
        duplicate among them is only counted (``duplicates``). Acknowledgements are sent
        after the pushes before them, so a page is never acknowledged before its links
        are in the frontier."""
        replaced = request.meta.pop(RAW_META, None)
        encoded = self._encode_request(request)
        keys = [seen_key or self.key, self.key, self.processing_key]
        args = [
            fingerprint if seen_key else "",
            encoded,
            replaced or "",
            "1" if request.priority > 0 else "",
        ]
        if replaced is None:
            self._pushes.append((keys, args))
            if len(self._pushes) >= PUSH_GROUP:
                self.flush_pushes()
            elif not self._push_flush_due:
                try:
                    call_later(0, self.flush_pushes)  # at the end of this reactor turn
                    self._push_flush_due = True
                except RuntimeError:  # no reactor (a test, a script): at the next pop,
                    pass  # len(), acknowledgement or close, which all send them first
            return True
        self.flush_pushes()  # (in order)
        pushed = self._push(keys=keys, args=args)
        if pushed:
            self._forget(replaced)
        else:
            request.meta[RAW_META] = replaced  # still taken: acknowledged when dropped
        return bool(pushed)

    def flush_pushes(self) -> None:
        """Send the new links queued by :meth:`push`, in one round trip."""
        self._push_flush_due = False
        if not self._pushes:
            return
        pushes, self._pushes = self._pushes, []
        try:
            with self.server.pipeline(transaction=False) as pipe:
                for keys, args in pushes:
                    self._push(keys=keys, args=args, client=pipe)
                results = pipe.execute()
        except Exception:
            # Kept to be sent again (a link already in the dupefilter is not queued twice);
            # acknowledgements wait behind them, so no page is acknowledged without them.
            self._pushes[:0] = pushes
            raise
        self.duplicates += sum(1 for r in results if not r)

    def pop(self, timeout: int = 0) -> Any:
        """The next request, moved into this worker's in-progress list. As many as the
        worker has free download slots (:attr:`capacity`), plus ``PREFETCH``, are taken
        in one round trip; the rest wait here, already taken, for the next calls."""
        self.last_pop = time.monotonic()
        self.flush_pushes()
        if not self._ready:
            wanted = max(1, min(MAX_TAKE, int(self.capacity()) + PREFETCH))
            if wanted == 1:  # the usual case, one slot freed: no pipeline to build
                raws = [self.server.lmove(self.key, self.processing_key, "RIGHT", "LEFT")]
            else:
                with self.server.pipeline(transaction=False) as pipe:
                    for _ in range(wanted):
                        pipe.lmove(self.key, self.processing_key, "RIGHT", "LEFT")
                    raws = pipe.execute()
            self._ready.extend(raw for raw in raws if raw is not None)
        if not self._ready:
            return None
        return self._take(self._ready.popleft())

    def _take(self, raw: bytes) -> Any:
        request = self._decode_request(raw)
        request.meta[RAW_META] = raw
        # The safety net for the ends no middleware sees (an IgnoreRequest raised while
        # processing a response, a redirect refused by the off-site or SSRF check): once
        # Scrapy holds no reference to the request, nothing more can come of it.
        release = weakref.finalize(request, self._release, raw)
        release.atexit = False  # at exit what is still taken stays taken (re-queued)
        self._taken[raw] = release
        return request

    def ack(self, request: Any) -> None:
        """Done with a taken request. Acknowledgements are sent in groups (one round trip
        for many, see :meth:`flush`): a late one only keeps a request in progress longer."""
        raw = request.meta.pop(RAW_META, None)
        if raw is not None:
            self._forget(raw)
            self._acks.append(raw)
            if len(self._acks) >= ACK_GROUP:
                self.flush()

    def flush(self) -> None:
        """Send the new links, then the acknowledgements, not yet sent."""
        self.flush_pushes()
        if not self._acks:
            return
        acks, self._acks = self._acks, []
        with self.server.pipeline(transaction=False) as pipe:
            for raw in acks:
                pipe.lrem(self.processing_key, 1, raw)
            pipe.execute()

    def _forget(self, raw: bytes) -> None:
        release = self._taken.pop(raw, None)
        if release is not None:
            release.detach()

    def _release(self, raw: bytes) -> None:
        """A taken request was dropped without an acknowledgement (garbage collected)."""
        if self._taken.pop(raw, None) is None:
            return
        self.released += 1
        try:
            self.flush_pushes()  # its links first
            self.server.lrem(self.processing_key, 1, raw)
        except Exception as exc:  # called by the garbage collector: never raise
            logger.warning("acknowledging a dropped request failed: %s", exc)

    def holds_taken(self) -> bool:
        """Whether requests this worker took are not yet acknowledged."""
        return bool(self._taken)

    def _processing_keys(self) -> list[str]:
        keys = self.server.scan_iter(match=f"{self.base}:processing:*", count=100)
        return [k.decode() if isinstance(k, bytes) else k for k in keys]

    def in_progress(self) -> int:
        """Requests taken and not yet acknowledged, by any worker."""
        self.flush()
        return sum(int(self.server.llen(k)) for k in self._processing_keys())

    def requeue_dead(self) -> int:
        """Put back the in-progress requests of workers whose lease has expired."""
        moved = 0
        for key in self._processing_keys():
            worker = key.rsplit(":", 1)[1]
            if worker == self.worker_id:
                continue
            n = int(self._requeue(keys=[key, self.lease_key_of(worker), self.key]))
            moved += max(n, 0)
        if moved:
            logger.warning("re-queued %d requests of dead crawler workers", moved)
        return moved

    def close(self, finished: bool = True) -> None:
        """Give up the lease. After a finished crawl nothing of ours is in progress; after
        any other end (time limit, shutdown) what was taken and not done goes back."""
        self.flush()
        self._ready.clear()  # taken, so in the in-progress list: handled below
        self.lease.stop()
        self.server.delete(self.lease.key)
        if finished:
            left = int(self.server.llen(self.processing_key))
            if left:
                logger.warning("%d requests were never acknowledged in a finished crawl", left)
            self.server.delete(self.processing_key)
        else:
            self._requeue(keys=[self.processing_key, self.lease.key, self.key])

    def clear(self) -> None:
        self.server.delete(self.key)
