"""Finding detail pages through sitemaps and RSS/Atom feeds (shared by the spiders)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree
from scrapy.http import Response
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap

logger = logging.getLogger(__name__)

MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemaps.org limit, uncompressed
MAX_ENTRIES = 50_000


@dataclass(frozen=True)
class SitemapEntry:
    loc: str
    lastmod: str | None
    is_index: bool


def sitemap_entries(response: Response) -> Iterator[SitemapEntry]:
    body = response.body
    if body[:2] == b"\x1f\x8b":
        try:
            body = gunzip(body, max_size=MAX_SITEMAP_BYTES)
        except Exception:  # bad or oversized gzip: skip this sitemap
            logger.warning("unreadable gzip sitemap %s", response.url[:200])
            return
    try:
        sitemap = Sitemap(body)
    except Exception:
        logger.warning("unparsable sitemap %s", response.url[:200])
        return
    is_index = sitemap.type == "sitemapindex"
    entries = iter(sitemap)
    for _n in range(MAX_ENTRIES):
        try:
            entry = next(entries)
        except StopIteration:
            return
        except Exception:  # e.g. UnicodeDecodeError from a lone surrogate (R14)
            logger.warning("unreadable entry in sitemap %s: rest skipped", response.url[:200])
            return
        loc = entry.get("loc")
        if loc:
            yield SitemapEntry(str(loc).strip(), entry.get("lastmod"), is_index)


@dataclass(frozen=True)
class FeedEntry:
    link: str
    title: str
    description: str
    guid: str
    published: str


_PARSER = etree.XMLParser(
    recover=True, resolve_entities=False, no_network=True, remove_comments=True, huge_tree=False
)


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _child_text(node: etree._Element, *names: str) -> str:
    for child in node:
        if _local(child.tag) in names:
            if _local(child.tag) == "link" and child.get("href"):
                return child.get("href") or ""
            return "".join(child.itertext())[:100_000]
    return ""


def feed_entries(response: Response) -> Iterator[FeedEntry]:
    """Items of an RSS 2.0 / RSS 1.0 / Atom feed; hostile XML yields nothing."""
    try:
        root = etree.fromstring(response.body[:MAX_SITEMAP_BYTES], parser=_PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return
    if root is None:
        return
    count = 0
    for node in root.iter():
        if _local(node.tag) not in ("item", "entry"):
            continue
        count += 1
        if count > MAX_ENTRIES:
            return
        link = _child_text(node, "link").strip()
        try:
            link = response.urljoin(link) if link else ""
        except ValueError:  # a malformed link (R14): the entry keeps no link
            link = ""
        yield FeedEntry(
            link=link,
            title=_child_text(node, "title"),
            description=_child_text(node, "description", "summary", "content", "encoded"),
            guid=_child_text(node, "guid", "id").strip(),
            published=_child_text(node, "pubdate", "published", "updated", "date").strip(),
        )


def follow_allowed(url: str, pattern: str | None) -> bool:
    return pattern is None or re.search(pattern, url) is not None
