"""Generic schema.org JobPosting spider.

Detail pages are found through listing pages (``links``), sitemaps
(``discovery = "sitemap"``, with lastmod passed on for incremental re-crawls) or
RSS/Atom feeds (``discovery = "feed"``). JSON-LD and microdata (extruct) are read;
a page with neither falls back to its title and main text.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scrapy.http import Response, TextResponse

from crawler.extraction import (
    html_to_text,
    job_posting_fields,
    jsonld_objects,
    microdata_objects,
    page_title_and_text,
)
from crawler.spiders.base import SourceSpider, guarded


class JobPostingSpider(SourceSpider):
    name = "jobposting"

    @guarded
    def parse_detail(self, response: Response) -> Iterator[Any]:
        if not isinstance(response, TextResponse):
            return
        postings = jsonld_objects(response.selector, "JobPosting")
        if not postings:
            postings = microdata_objects(response.text, response.url, "JobPosting")
            if postings:
                self.crawler.stats.inc_value("thbscan/jobposting/microdata")
        if not postings:
            self.crawler.stats.inc_value("thbscan/jobposting/no_structured_data")
            title, text = page_title_and_text(response.selector, response.text)
            if title or text:
                yield self.make_item(response, natural_key=None, title=title, text=text, fields={})
            return
        posting = postings[0]
        fields = job_posting_fields(posting)
        title = html_to_text(str(posting.get("title") or posting.get("name") or ""))
        text = html_to_text(str(posting.get("description") or ""))
        listing_id = fields.get("listing_id")
        yield self.make_item(
            response, natural_key=listing_id, title=title, text=text, fields=fields
        )
