"""Behaviour shared by the config-driven spiders."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import scrapy
from lxml import etree
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from scrapy.settings import SETTINGS_PRIORITIES

from crawler.charset import with_known_encoding
from crawler.distributed import redis_settings
from crawler.extraction import select
from crawler.items import ListingItem
from crawler.settings import THBSCAN_MAX_LINKS_PER_PAGE, THBSCAN_MAX_LISTING_PAGES
from crawler.sources import SourceConfig, get_source
from crawler.spiders.discovery import feed_entries, follow_allowed, sitemap_entries

logger = logging.getLogger(__name__)
LISTING_PRIORITY = 1  # listing pages are fetched before the detail pages they lead to


def guarded(callback: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
    """Wrap a parse callback so that hostile markup ends that page, not the crawl (R14).

    lxml raises on some text it parsed itself (a lone surrogate from ``&#xD800;`` in
    XML, for one); what was produced before the error is kept. A page whose charset
    Python does not know is decoded with a detected one first.
    """

    @functools.wraps(callback)
    def wrapper(self: Any, response: Response, *args: Any, **kwargs: Any) -> Iterator[Any]:
        try:
            response = with_known_encoding(response)
            yield from callback(self, response, *args, **kwargs)
        except (ValueError, LookupError, RecursionError, etree.LxmlError) as exc:
            self.crawler.stats.inc_value("thbscan/parse/hostile_page")
            logger.warning("unparsable page %s skipped: %s", response.url[:200], type(exc).__name__)

    return wrapper


class SourceSpider(scrapy.Spider):
    """A spider driven by one source config (``-a source=NAME [-a base_url=URL]``)."""

    source: SourceConfig
    max_links = THBSCAN_MAX_LINKS_PER_PAGE
    max_pages = THBSCAN_MAX_LISTING_PAGES

    def __init__(
        self,
        source: str | SourceConfig | None = None,
        base_url: str | None = None,
        sources_dir: str | None = None,
        **kwargs: Any,  # Scrapyd passes _job and other extra arguments
    ) -> None:
        if source is None:
            raise ValueError(f"spider {self.name!r} needs a source: -a source=NAME")
        directory = Path(sources_dir) if sources_dir else None
        config = get_source(source, directory) if isinstance(source, str) else source
        if config.spider != self.name:
            raise ValueError(
                f"source {config.name!r} is for spider {config.spider!r}, not {self.name!r}"
            )
        self.source = config.with_base_url(base_url)
        super().__init__(name=self.name, **{k: v for k, v in kwargs.items() if k != "name"})
        self.start_urls = self.source.resolved_start_urls()
        self.allowed_domains = self.source.resolved_allowed_domains()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SourceSpider:
        settings = crawler.settings
        if "sources_dir" not in kwargs and settings.get("THBSCAN_SOURCES_DIR"):
            kwargs["sources_dir"] = settings.get("THBSCAN_SOURCES_DIR")
        spider = super().from_crawler(crawler, *args, **kwargs)
        if not settings.frozen:  # per-source politeness, allowlist and frontier (all run paths)
            source = spider.source
            settings.setdict(source.scrapy_settings(), priority="spider")
            allowed = settings.getlist("THBSCAN_ALLOWED_PRIVATE_HOSTS")
            settings.set(
                "THBSCAN_ALLOWED_PRIVATE_HOSTS",
                sorted({*allowed, *source.private_hosts()}),
                priority="spider",
            )
            if settings.get("THBSCAN_REDIS_URL"):
                spider_priority = SETTINGS_PRIORITIES["spider"]
                shared = redis_settings(
                    settings, source.name, len(spider.allowed_domains or ()) or 1
                )
                for key, value in shared.items():
                    settings.set(key, value, max(settings.getpriority(key) or 0, spider_priority))
        spider.max_links = settings.getint("THBSCAN_MAX_LINKS_PER_PAGE", THBSCAN_MAX_LINKS_PER_PAGE)
        spider.max_pages = settings.getint("THBSCAN_MAX_LISTING_PAGES", THBSCAN_MAX_LISTING_PAGES)
        return spider

    async def start(self) -> Any:
        for url in self.start_urls:
            yield scrapy.Request(url, callback=self.parse, dont_filter=False)

    def follow(
        self,
        response: Response,
        href: str,
        callback: Any,
        meta: dict[str, Any] | None = None,
        priority: int = 0,
    ) -> scrapy.Request | None:
        """A request for a link on a page; None for a malformed or non-http(s) link (R14)."""
        try:
            url = response.urljoin(href.strip())
            if urlsplit(url).scheme.lower() not in ("http", "https"):
                raise ValueError(f"scheme of {url[:100]!r} is not http(s)")
            return response.follow(url, callback=callback, meta=meta, priority=priority)
        except ValueError:
            self.crawler.stats.inc_value("thbscan/links/invalid")
            return None

    def follow_listing_pages(self, response: TextResponse) -> Iterator[scrapy.Request]:
        links = self.source.links
        page = response.meta.get("thbscan_page", 1)
        for href in select(response, links.next).getall()[:1] if links.next else ():
            if page >= self.max_pages:
                # Counted: a crawl that did not reach the last page is incomplete.
                self.crawler.stats.inc_value("thbscan/pagination/truncated")
                logger.warning(
                    "%s: listing page %d reached max_pages; the rest is not crawled",
                    self.source.name,
                    page,
                )
                break
            # The next listing page first, and before the detail pages in the frontier:
            # discovery runs ahead, so the frontier holds work for every download slot
            # (and, shared in Redis, for every worker). Pagination is bounded by
            # max_pages, not by the depth limit (depth_reset).
            meta = {"thbscan_page": page + 1, "depth_reset": True}
            request = self.follow(response, href, self.parse, meta, LISTING_PRIORITY)
            if request is not None:
                yield request
        hrefs = select(response, links.detail).getall() if links.detail else []
        if len(hrefs) > self.max_links:
            self.crawler.stats.inc_value("thbscan/links/truncated", len(hrefs) - self.max_links)
        for href in hrefs[: self.max_links]:
            request = self.follow(response, href, self.parse_detail)
            if request is not None:
                yield request

    @guarded
    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        discovery = self.source.discovery
        if discovery == "sitemap":
            yield from self.parse_sitemap(response)
        elif discovery == "feed":
            for entry in feed_entries(response):
                request = (
                    self.follow(response, entry.link, self.parse_detail) if entry.link else None
                )
                if request is not None:
                    yield request
        elif isinstance(response, TextResponse):
            yield from self.follow_listing_pages(response)

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        pattern = self.source.links.sitemap_follow
        for entry in sitemap_entries(response):
            request = None
            if entry.is_index:
                request = self.follow(response, entry.loc, self.parse)
            elif follow_allowed(entry.loc, pattern):
                meta = {"thbscan_lastmod": entry.lastmod} if entry.lastmod else {}
                request = self.follow(response, entry.loc, self.parse_detail, meta)
            if request is not None:
                yield request

    def parse_detail(self, response: Response) -> Iterator[Any]:
        raise NotImplementedError

    def make_item(
        self,
        response: Response,
        *,
        natural_key: str | None,
        title: str,
        text: str,
        fields: dict[str, Any],
    ) -> ListingItem:
        allow = set(self.source.field_allowlist)
        kept = {k: v for k, v in fields.items() if k in allow and v not in (None, "")}  # R08
        chain = [str(u) for u in response.meta.get("redirect_urls", [])]
        headers = response.headers
        return ListingItem(
            source=self.source.name,
            natural_key=natural_key or response.url,
            url=chain[0] if chain else response.url,
            title=title,
            text=text,
            fields=kept,
            fetched_at=datetime.now(UTC).isoformat(),
            final_url=response.url,
            redirect_chain=chain,
            etag=(headers.get(b"ETag") or b"").decode("latin-1")[:200],
            last_modified=(headers.get(b"Last-Modified") or b"").decode("latin-1")[:100],
        )
