"""scrapy-redis's scheduler, with each request's dupefilter entry and queue entry written
in one step (:meth:`crawler.distributed.reliable_queue.ReliableFifoQueue.push`).

scrapy-redis adds the fingerprint to the shared dupefilter, then pushes the request: a
worker killed between the two leaves the request "seen" and never queued, and a page
fetched again after its worker died would find its links filtered as duplicates.
"""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy_redis.scheduler import Scheduler


class ReliableScheduler(Scheduler):
    def enqueue_request(self, request: Request) -> bool:
        seen_key, fingerprint = "", ""
        if not request.dont_filter:
            seen_key, fingerprint = self.df.key, self.df.request_fingerprint(request)
        if not self.queue.push(request, seen_key, fingerprint):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def open(self, spider: Any) -> Any:
        result = super().open(spider)
        downloader = spider.crawler.engine.downloader

        def free_slots() -> int:  # what this worker can download now: taken together
            return downloader.total_concurrency - len(downloader.active)

        self.queue.capacity = free_slots
        return result

    def has_pending_requests(self) -> bool:
        return self.queue.has_waiting()

    def next_request(self) -> Request | None:
        request = self.queue.pop(self.idle_before_close)
        if request is not None and self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request
