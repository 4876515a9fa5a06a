"""Several crawler processes sharing one frontier and dupefilter in Redis (scrapy-redis).

Switched on by ``THBSCAN_REDIS_URL``. Keys are
``<THBSCAN_REDIS_PREFIX>:<source>:<THBSCAN_REDIS_RUN>:{requests,dupefilter,...}``.
The queue is reliable (:mod:`crawler.distributed.reliable_queue`): a taken request stays in
the worker's in-progress list until its response is processed, and the requests
of a worker whose lease has expired (a dead worker) are put back. Each host's download
delay holds across all workers (:mod:`crawler.distributed.politeness`).
"""

from __future__ import annotations

from typing import Any


def key_base(prefix: str, source: str, run: str) -> str:
    return f"{prefix}:{source}:{run}"


def redis_settings(settings: Any, source: str, domains: int = 1) -> dict[str, Any]:
    """Scrapy settings that put this crawl's frontier and dupefilter in Redis.

    A worker takes from the shared frontier only as many requests as it can download
    at once (``domains`` x ``CONCURRENT_REQUESTS_PER_DOMAIN``): with Scrapy's global
    ``CONCURRENT_REQUESTS`` the first worker would hoard requests queued behind its
    per-domain limit while the others wait with nothing to do.
    """
    base = key_base(settings.get("THBSCAN_REDIS_PREFIX"), source, settings.get("THBSCAN_REDIS_RUN"))
    downloader = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
    downloader["crawler.distributed.ack.AckDownloaderMiddleware"] = 1
    # Next to the download (after robots.txt has set a Crawl-delay): host spacing shared
    # by all workers.
    downloader["crawler.distributed.politeness.SharedDelayMiddleware"] = 880
    spider_mw = dict(settings.getdict("SPIDER_MIDDLEWARES"))
    spider_mw["crawler.distributed.ack.AckSpiderMiddleware"] = 1
    extensions = dict(settings.getdict("EXTENSIONS"))
    extensions["crawler.distributed.worker.RedisWorker"] = 100
    in_flight = max(1, domains) * max(1, settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"))
    return {
        "CONCURRENT_REQUESTS": min(settings.getint("CONCURRENT_REQUESTS"), in_flight),
        "REDIS_URL": settings.get("THBSCAN_REDIS_URL"),
        "SCHEDULER": "crawler.distributed.scheduler.ReliableScheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_QUEUE_CLASS": "crawler.distributed.reliable_queue.ReliableFifoQueue",
        "SCHEDULER_QUEUE_KEY": f"{base}:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{base}:dupefilter",
        # Without persist the first worker to finish wipes the shared frontier.
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_IDLE_BEFORE_CLOSE": 0,
        "THBSCAN_REDIS_KEY_BASE": base,
        "DOWNLOADER_MIDDLEWARES": downloader,
        "SPIDER_MIDDLEWARES": spider_mw,
        "EXTENSIONS": extensions,
    }
