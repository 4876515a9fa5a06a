"""Act on requests already waiting in Scrapy's download slots (R05, R13, R16).

A request that has passed the downloader middlewares waits in its host's slot
for the politeness delay; middlewares never see it again. Two things must still
reach it: a host's ``Retry-After`` (hold the slot until then) and the end of a
run (drop what waits, so a stop or a run-time limit takes effect at once).
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.exceptions import IgnoreRequest
from scrapy.utils.asyncio import call_later

logger = logging.getLogger(__name__)


def _downloader(crawler: Any) -> Any:
    return getattr(getattr(crawler, "engine", None), "downloader", None)


def drop_queued(crawler: Any, why: str, key: str | None = None) -> int:
    """Fail every request waiting in a download slot (only slot ``key`` if given);
    returns how many."""
    dropped = 0
    slots = getattr(_downloader(crawler), "slots", {})
    for slot in [slots.get(key)] if key is not None else list(slots.values()):
        if slot is None:
            continue
        while slot.queue:
            request, deferred = slot.queue.popleft()
            deferred.errback(IgnoreRequest(f"{why}: {request.url[:200]} not fetched"))
            dropped += 1
    if dropped:
        logger.info("%s: %d queued requests dropped", why, dropped)
    return dropped


def hold_slot(crawler: Any, key: str, seconds: float) -> bool:
    """Send nothing more from slot ``key`` for ``seconds`` (queued requests included).

    The slot's next-call timer is what Scrapy itself uses for the download delay:
    while it is set, the slot's queue is not processed. False if there is no slot.
    """
    downloader = _downloader(crawler)
    slot = getattr(downloader, "slots", {}).get(key)
    if slot is None:
        return False
    if slot.latercall is not None:
        slot.latercall.cancel()
    slot.latercall = call_later(seconds, downloader._latercall, slot)
    return True
