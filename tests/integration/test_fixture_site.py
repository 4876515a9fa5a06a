"""The fixture site over real HTTP on 127.0.0.1 (the only site the tests ever fetch)."""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from email.message import Message

import pytest

from fixture_site import FixtureSite, ground_truth, start_fixture_site


@pytest.fixture(scope="module")
def site() -> Iterator[FixtureSite]:
    with start_fixture_site("127.0.0.1", 0) as running:
        yield running


def get(
    site: FixtureSite, path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, Message, bytes]:
    conn = http.client.HTTPConnection(site.host, site.port, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.headers, response.read()  # any case of a name
    finally:
        conn.close()


def test_site_attributes(site: FixtureSite) -> None:
    assert site.host == "127.0.0.1" and site.port > 0
    assert site.url == f"http://127.0.0.1:{site.port}"
    assert site.ground_truth == ground_truth()


def test_robots(site: FixtureSite) -> None:
    status, headers, body = get(site, "/robots.txt")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    text = body.decode()
    assert "User-agent: *" in text and "Disallow: /private/" in text
    assert f"Sitemap: {site.url}/sitemap.xml" in text


def test_index_links_both_boards(site: FixtureSite) -> None:
    status, headers, body = get(site, "/")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert b'href="/jobs/"' in body and b'href="/ads/"' in body


def test_list_pages(site: FixtureSite) -> None:
    status, _, body = get(site, "/jobs/")
    assert status == 200
    html = body.decode()
    links = re.findall(r'<a class="job-link" href="(/jobs/job-\d{4})">', html)
    assert len(links) == 20 and links[0] == "/jobs/job-0001"
    assert '<a class="next" rel="next" href="/jobs/?page=2">' in html
    assert 'href="/private/admin"' in html
    assert get(site, "/jobs/?page=1")[2] == body
    status, _, body = get(site, "/jobs/?page=12")
    assert status == 200 and b'class="next"' not in body
    status, _, body = get(site, "/ads/?page=2")
    assert status == 200 and re.search(rb'<a class="ad-link" href="/ads/ad-\d{4}">', body)


def test_job_detail(site: FixtureSite) -> None:
    status, headers, body = get(site, "/jobs/job-0007")
    assert status == 200 and headers["ETag"].startswith('"') and "Last-Modified" in headers
    html = body.decode()
    listing = site.ground_truth["/jobs/job-0007"]
    script = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.DOTALL)
    assert script
    doc = json.loads(script.group(1))
    assert doc["@type"] == "JobPosting" and doc["title"] == listing.title
    assert doc["identifier"]["value"] == "job-0007"
    assert doc["datePosted"] == listing.fields["date_posted"]
    assert f'<html lang="{listing.lang}">' in html
    assert '<div class="job-description">' in html


def test_ad_detail(site: FixtureSite) -> None:
    status, _, body = get(site, "/ads/ad-0042")
    assert status == 200
    html = body.decode()
    listing = site.ground_truth["/ads/ad-0042"]
    assert "ld+json" not in html
    for cls in ("ad-title", "ad-body", "ad-city", "ad-phone", "ad-category", "ad-date"):
        assert f'class="{cls}"' in html
    assert f'<span class="ad-city">{listing.fields["city"]}</span>' in html


def test_sitemap_and_feed(site: FixtureSite) -> None:
    status, headers, body = get(site, "/sitemap.xml")
    assert status == 200 and "xml" in headers["Content-Type"]
    ns = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    urls = ET.fromstring(body).findall("sm:url", ns)
    jobs = [path for path in site.ground_truth if path.startswith("/jobs/")]
    assert len(urls) == len(jobs)
    assert urls[0].findtext("sm:loc", namespaces=ns) == f"{site.url}/jobs/job-0001"
    assert all(u.findtext("sm:lastmod", namespaces=ns) for u in urls)

    status, headers, body = get(site, "/feed.xml")
    assert status == 200 and headers["Content-Type"].startswith("application/rss+xml")
    items = ET.fromstring(body).findall("channel/item")
    assert len(items) == len(site.ground_truth) - len(jobs)
    for item in items[:5]:
        for tag in ("title", "link", "description", "pubDate", "guid"):
            assert item.findtext(tag), tag


def test_conditional_requests(site: FixtureSite) -> None:
    status, headers, body = get(site, "/jobs/job-0003")
    etag, modified = headers["ETag"], headers["Last-Modified"]
    status, headers, body = get(site, "/jobs/job-0003", {"If-None-Match": etag})
    assert status == 304 and body == b"" and headers["ETag"] == etag
    status, _, body = get(site, "/jobs/job-0003", {"If-None-Match": f'"other", W/{etag}'})
    assert status == 304
    status, _, body = get(site, "/jobs/job-0003", {"If-Modified-Since": modified})
    assert status == 304
    status, _, body = get(site, "/jobs/job-0003", {"If-None-Match": '"stale"'})
    assert status == 200 and body
    status, _, body = get(
        site, "/ads/ad-0001", {"If-Modified-Since": "Mon, 01 Jan 2024 00:00:00 GMT"}
    )
    assert status == 200 and body


def test_not_found_and_private(site: FixtureSite) -> None:
    for path in ("/nope", "/jobs/job-9999", "/ads/ad-0000", "/jobs/?page=0", "/jobs/?page=x"):
        status, headers, _ = get(site, path)
        assert status == 404, path
        assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert get(site, "/private/admin")[0] == 200
    status, headers, _ = get(site, "/jobs")
    assert status == 301 and headers["Location"] == "/jobs/"
    assert get(site, "/jobs/", method="POST")[0] == 405


def test_head_has_no_body(site: FixtureSite) -> None:
    status, headers, body = get(site, "/jobs/job-0001", method="HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 0


def test_requests_are_logged(site: FixtureSite) -> None:
    before = len(site.requests)
    get(site, "/jobs/?page=3")
    get(site, "/ads/ad-0005", method="HEAD")
    assert site.requests[before:] == [("GET", "/jobs/?page=3"), ("HEAD", "/ads/ad-0005")]


def test_concurrent_clients(site: FixtureSite) -> None:
    paths = list(site.ground_truth)[:200]
    statuses: list[int] = []

    def fetch(chunk: list[str]) -> None:
        conn = http.client.HTTPConnection(site.host, site.port, timeout=10)
        for path in chunk:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            statuses.append(response.status)
        conn.close()

    threads = [threading.Thread(target=fetch, args=(paths[i::16],)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert statuses.count(200) == len(paths)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.1"])
def test_refuses_non_loopback(host: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(host))):
        start_fixture_site(host, 0)


def test_stop_closes_the_site() -> None:
    running = start_fixture_site(n_jobs=3, n_ads=2)
    conn = http.client.HTTPConnection(running.host, running.port, timeout=5)
    conn.request("GET", "/robots.txt")
    assert conn.getresponse().read()
    running.stop()
    running.stop()  # idempotent
    with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
        conn.request("GET", "/robots.txt")
        conn.getresponse()
    with pytest.raises(OSError):
        http.client.HTTPConnection(running.host, running.port, timeout=2).request("GET", "/")


def test_same_content_on_every_start(site: FixtureSite) -> None:
    with start_fixture_site() as other:
        for path in ("/jobs/job-0010", "/ads/ad-0010", "/jobs/?page=2"):
            assert get(other, path)[2] == get(site, path)[2]


@pytest.mark.slow
def test_large_site_starts_fast_and_serves_keep_alive() -> None:
    started = time.perf_counter()
    with start_fixture_site(n_jobs=10_000, n_ads=200) as large:
        assert time.perf_counter() - started < 15
        assert get(large, "/jobs/job-10000")[0] == 200
        assert get(large, "/jobs/?page=500")[0] == 200
        conn = http.client.HTTPConnection(large.host, large.port, timeout=10)
        began = time.perf_counter()
        for number in range(1, 1001):
            conn.request("GET", f"/jobs/job-{number:04d}")
            response = conn.getresponse()
            assert response.status == 200 and response.read()
        conn.close()
        assert time.perf_counter() - began < 10  # loose: about 0.5 s on a laptop
