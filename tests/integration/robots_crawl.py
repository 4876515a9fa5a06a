"""Run a real Scrapy crawl with the project's settings (robots.txt middleware included)
over given URLs, and print what happened as JSON. Used by test_crawler_robots.py.

    python robots_crawl.py '{"requests": [[0.0, "http://127.0.0.1:PORT/a"], ...],
                             "settings": {...}}'

Each request is issued after its delay in seconds from the start (several at the same
delay are issued together). Prints {"stats": {...}, "fetched": [[url, status], ...]}.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings


class Probe(scrapy.Spider):
    name = "robots-probe"

    def __init__(self, plan: list[tuple[float, str]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.plan = sorted(plan)
        self.fetched: list[tuple[str, int]] = []

    async def start(self) -> Any:
        loop = asyncio.get_running_loop()
        began = loop.time()
        for at, url in self.plan:
            wait = began + at - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            yield scrapy.Request(
                url, callback=self.parse, dont_filter=True, meta={"handle_httpstatus_all": True}
            )

    def parse(self, response: Any) -> Any:
        self.fetched.append((response.url, response.status))
        return []


def main() -> None:
    spec = json.loads(sys.argv[1])
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.setdict(
        {
            "LOG_LEVEL": "WARNING",
            "DOWNLOAD_DELAY": 0,
            "RETRY_TIMES": 2,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
            **spec.get("settings", {}),
        },
        priority="cmdline",
    )
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(Probe)
    process.crawl(crawler, plan=[tuple(p) for p in spec["requests"]])
    process.start()
    stats = {k: v for k, v in crawler.stats.get_stats().items() if isinstance(v, int | float | str)}
    print(json.dumps({"stats": stats, "fetched": crawler.spider.fetched}))


if __name__ == "__main__":
    main()
