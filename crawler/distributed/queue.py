"""A reliable FIFO request queue for scrapy-redis.

scrapy-redis pops requests without acknowledgement: a worker killed mid-crawl
loses what it had taken. Here ``pop`` atomically moves the request into this
worker's in-progress list (``LMOVE``); ``ack`` removes it once handled. A worker
keeps a heartbeat key alive; the in-progress lists of workers whose heartbeat
has expired are moved back onto the queue (:meth:`requeue_dead`).
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from typing import Any

from scrapy_redis.queue import Base

logger = logging.getLogger(__name__)

RAW_META = "_thbscan_rq_raw"


class ReliableFifoQueue(Base):
    def __init__(self, server: Any, spider: Any, key: str, serializer: Any = None) -> None:
        super().__init__(server, spider, key, serializer)
        self.base = key.rsplit(":", 1)[0]
        self.worker_id = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.processing_key = f"{self.base}:processing:{self.worker_id}"
        self.heartbeat_key = f"{self.base}:worker:{self.worker_id}"
        self.ttl = 30
        self._last_beat = 0.0

    def __len__(self) -> int:
        return int(self.server.llen(self.key))

    def push(self, request: Any) -> None:
        replaced = request.meta.pop(RAW_META, None)  # a retry or redirect of a taken request
        self.server.lpush(self.key, self._encode_request(request))
        if replaced is not None:
            self.server.lrem(self.processing_key, 1, replaced)

    def pop(self, timeout: int = 0) -> Any:
        if time.monotonic() - self._last_beat > 1.0:  # alive before taking anything
            self.heartbeat(self.ttl)
        raw = self.server.lmove(self.key, self.processing_key, "RIGHT", "LEFT")
        if raw is None:
            return None
        request = self._decode_request(raw)
        request.meta[RAW_META] = raw
        return request

    def ack(self, request: Any) -> None:
        raw = request.meta.pop(RAW_META, None)
        if raw is not None:
            self.server.lrem(self.processing_key, 1, raw)

    def heartbeat(self, ttl: int) -> None:
        self.ttl = ttl
        self._last_beat = time.monotonic()
        self.server.set(self.heartbeat_key, "1", ex=max(1, int(ttl)))

    def in_progress(self) -> int:
        """Requests taken and not yet acknowledged, by any worker."""
        return sum(int(self.server.llen(k))
                   for k in self.server.scan_iter(match=f"{self.base}:processing:*", count=100))

    def requeue_dead(self) -> int:
        """Put back the in-progress requests of workers whose heartbeat expired."""
        moved = 0
        for key in self.server.scan_iter(match=f"{self.base}:processing:*", count=100):
            key = key.decode() if isinstance(key, bytes) else key
            worker = key.rsplit(":", 1)[1]
            if worker == self.worker_id or self.server.exists(f"{self.base}:worker:{worker}"):
                continue
            while self.server.lmove(key, self.key, "RIGHT", "RIGHT") is not None:
                moved += 1
        if moved:
            logger.warning("re-queued %d requests of dead crawler workers", moved)
        return moved

    def close(self) -> None:
        """A clean end: nothing of ours is in progress any more."""
        self.server.delete(self.processing_key, self.heartbeat_key)

    def clear(self) -> None:
        self.server.delete(self.key)
