"""Generic schema.org JobPosting spider: listing pages -> detail pages with JSON-LD."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scrapy.http import Response

from crawler.extraction import element_text, html_to_text, job_posting_fields, jsonld_objects
from crawler.spiders.base import SourceSpider


class JobPostingSpider(SourceSpider):
    name = "jobposting"

    def parse_detail(self, response: Response) -> Iterator[Any]:
        if not hasattr(response, "text"):
            return
        postings = jsonld_objects(response.selector, "JobPosting")
        if not postings:
            self.crawler.stats.inc_value("thbscan/jobposting/no_jsonld")
            title = element_text(response.css("h1")) or element_text(response.css("title"))
            text = element_text(response.css("main")) or element_text(response.css("body"))
            if title or text:
                yield self.make_item(response, natural_key=None, title=title, text=text,
                                     fields={})
            return
        posting = postings[0]
        fields = job_posting_fields(posting)
        title = html_to_text(str(posting.get("title") or posting.get("name") or ""))
        text = html_to_text(str(posting.get("description") or ""))
        listing_id = fields.get("listing_id")
        yield self.make_item(response, natural_key=listing_id, title=title, text=text,
                             fields=fields)
