"""R14: hostile bytes never crash a spider's parse callbacks.

Arbitrary bytes (invalid UTF-8, NUL bytes, contradicting charset headers and
meta tags, broken JSON-LD and microdata) go through the spiders' real callbacks
as Scrapy responses; the callbacks must not raise and every text they produce
is a str without NUL.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
from budget import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scrapy import Request, Spider
from scrapy.http import HtmlResponse, TextResponse, XmlResponse
from scrapy.utils.test import get_crawler

from crawler.items import ListingItem
from crawler.spiders.board import BoardSpider
from crawler.spiders.feed import FeedSpider
from crawler.spiders.jobposting import JobPostingSpider

URL = "http://127.0.0.1:8765/jobs/job-1.html"

CHARSETS = [
    b"utf-8",
    b"UTF-16",
    b"utf-32-be",
    b"shift_jis",
    b"iso-8859-1",
    b"cp1252",
    b"koi8-r",
    b"bogus-charset",
    b"",
    b"utf-7",
    b"x-user-defined",
    b"\x00\xff",
    b"gb18030",
    b"utf-8; charset=latin1",
]
FRAGMENTS = [
    b"<html>",
    b"<head>",
    b"<body>",
    b"</div>",
    b"<div class='ad-body'>",
    b"<h1 class=",
    b"<meta charset=",
    b'<meta http-equiv="Content-Type" content="text/html; charset=',
    b'<script type="application/ld+json">',
    b"</script>",
    b'{"@type": "JobPosting", ',
    b'"title": "\\u0000x", "description": "<p>a\\ud800</p>"}',
    b"<a href='",
    b"'>",
    b'<a class=ad-link href="javascript:x">',
    b"<a class=job-link href=//[::1",
    b"]/>",
    b"\x00",
    b"\xff\xfe",
    b"\xfe\xff",
    b"\xef\xbb\xbf",
    b"\xc3\x28",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"&#0;",
    b"&#xD800;",
    b"&#x110000;",
    b"<![CDATA[",
    b"]]>",
    b"<!--",
    b"-->",
    b"<?xml version='1.0' encoding='utf-16'?>",
    b"<rss><channel><item>",
    b"<link>",
    b"</link>",
    b"<urlset><url><loc>",
    b"</loc></url>",
    b"<div itemscope itemtype='http://schema.org/JobPosting'><span itemprop='title'>",
    b"<p>",
    b"<nav>",
    b"<table><tr><td>",
    b"<noscript>",
    b"<template>",
    b"<svg><style>",
    b"\r\n",
    b" ",
]

chunk = st.one_of(
    st.binary(max_size=64),
    st.sampled_from(FRAGMENTS),
    st.sampled_from(CHARSETS).map(lambda c: b'<meta charset="' + c + b'">'),
    st.text(max_size=40).map(lambda t: t.encode("utf-8", "surrogatepass")),
)
bodies = st.lists(chunk, max_size=40).map(b"".join)
content_types = st.one_of(
    st.none(),
    st.sampled_from(CHARSETS).map(lambda c: b"text/html; charset=" + c),
    st.sampled_from(
        [
            b"text/html",
            b"application/xhtml+xml",
            b"text/plain",
            b"",
            b"application/rss+xml; charset=utf-16",
            b"text/xml",
        ]
    ),
    st.binary(max_size=30),
)


def make_spider(cls: type[Spider], source: str) -> Any:
    return cls.from_crawler(get_crawler(Spider, {}), source=source)


SPIDERS = {
    "jobposting": make_spider(JobPostingSpider, "fixture-jobs"),
    "jobposting-sitemap": make_spider(JobPostingSpider, "fixture-jobs-sitemap"),
    "board": make_spider(BoardSpider, "fixture-ads"),
    "feed": make_spider(FeedSpider, "fixture-feed"),
}


def response(
    body: bytes, content_type: bytes | None, kind: type[TextResponse] = HtmlResponse
) -> TextResponse:
    headers = {} if content_type is None else {"Content-Type": content_type}
    return kind(URL, body=body, headers=headers, request=Request(URL))


def consume(results: Iterable[Any]) -> list[Any]:
    out = list(results)
    for obj in out:
        if isinstance(obj, ListingItem):
            for value in (
                obj.title,
                obj.text,
                obj.natural_key,
                obj.url,
                *(v for v in obj.fields.values() if isinstance(v, str)),
            ):
                assert isinstance(value, str) and "\x00" not in value
        else:
            assert isinstance(obj, Request)
    return out


def run_all_callbacks(body: bytes, content_type: bytes | None) -> None:
    for kind in (HtmlResponse, XmlResponse):
        resp = response(body, content_type, kind)
        for spider in SPIDERS.values():
            consume(spider.parse(resp))
            if hasattr(spider, "parse_detail") and spider.name != "feed":
                consume(spider.parse_detail(resp))


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies, content_type=content_types)
def test_hostile_bytes_never_crash_the_callbacks(body: bytes, content_type: bytes | None) -> None:
    run_all_callbacks(body, content_type)


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body>" + b"<div>" * 10_000 + b"<p>deep \x00 text</p>" + b"</div>" * 10_000,
        b"<html><body>" + b"<span><a href='x'>" * 10_000 + b"deep",
        b"<html><body><p title='" + b"a" * 5_000_000 + b"'>huge attribute</p></body></html>",
        b"<html><body><div class='" + b"nav " * 1_250_000 + b"'><p>classes</p></div>",
        b"<html><head><meta charset='utf-16'></head><body>\xff\xfe\x00<\x00p\x00>\x00",
        b"\xef\xbb\xbf<meta charset='shift_jis'><body><h1>\x82\xa0\xed\xa0\x80</h1>",
        b"<script type='application/ld+json'>" + b"[" * 100_000 + b"</script>",
        b"<div itemscope itemtype='http://schema.org/JobPosting'>" * 2_000,
    ],
    ids=[
        "deep-10000",
        "deep-unclosed",
        "huge-attribute-5MB",
        "huge-class",
        "utf16-meta",
        "bom-vs-meta",
        "jsonld-nesting",
        "microdata-nesting",
    ],
)
@pytest.mark.parametrize(
    "content_type", [None, b"text/html; charset=utf-8", b"text/html; charset=utf-16"]
)
def test_pathological_pages_never_crash(body: bytes, content_type: bytes | None) -> None:
    run_all_callbacks(body, content_type)


def test_deep_page_text_is_still_found() -> None:
    body = (
        b"<html><body>"
        + b"<div>" * 10_000
        + b"<h1>Deep title</h1><p>"
        + b"Deep \x00 paragraph. " * 20
        + b"</p>"
        + b"</div>" * 10_000
    )
    items = consume(SPIDERS["jobposting"].parse_detail(response(body, None)))
    assert len(items) == 1
    assert items[0].title == "Deep title" and "Deep paragraph." in items[0].text


@pytest.mark.parametrize("spider_name", ["jobposting-sitemap", "feed", "board", "jobposting"])
def test_malformed_links_are_skipped_not_raised(spider_name: str) -> None:
    bad = [
        "//[::1",
        'j:"',
        "javascript:alert(1)",
        "http://[",
        "file:///etc/passwd",
        "\x00",
        "http://a:99999999/",
        "data:text/html,x",
    ]
    sitemap = "".join(f"<url><loc>{b}</loc></url>" for b in bad)
    feed = "".join(f"<item><link>{b}</link><title>t</title></item>" for b in bad)
    links = "".join(f"<a class='job-link ad-link' href='{b}'>x</a>" for b in bad)
    body = (
        f"<urlset>{sitemap}<url><loc>http://127.0.0.1:8765/jobs/ok</loc></url></urlset>"
        if spider_name.endswith("sitemap")
        else f"<rss><channel>{feed}</channel></rss>"
        if spider_name == "feed"
        else f"<html><body>{links}<a class='job-link ad-link' href='/jobs/ok'>ok</a></body>"
    )
    spider = SPIDERS[spider_name]
    out = consume(
        spider.parse(
            response(body.encode(), b"text/xml", XmlResponse)
            if spider_name in ("feed", "jobposting-sitemap")
            else response(body.encode(), None)
        )
    )
    requests = [o for o in out if isinstance(o, Request)]
    assert all(r.url.startswith("http://127.0.0.1:8765/") for r in requests)
    if spider_name != "feed":  # an empty (NUL-only) href is the page itself: harmless
        assert "http://127.0.0.1:8765/jobs/ok" in [r.url for r in requests]


def test_the_next_listing_page_comes_first_and_before_the_details() -> None:
    """Discovery runs ahead: the next-page request is yielded before the detail pages and
    has a higher priority, so the frontier (local or shared in Redis) serves it first."""
    from crawler.spiders.base import LISTING_PRIORITY

    body = (
        "<html><body>"
        + "".join(f"<a class='job-link' href='/jobs/{i}'>x</a>" for i in range(3))
        + "<a class='next' href='/jobs/?page=2'>next</a></body></html>"
    )
    out = consume(SPIDERS["jobposting"].parse(response(body.encode(), None)))
    assert [r.url.rsplit("/", 1)[1] for r in out] == ["?page=2", "0", "1", "2"]
    assert out[0].priority == LISTING_PRIORITY > 0
    assert all(r.priority == 0 for r in out[1:])
