"""Rendering of the fixture site's pages, without a server."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import xml.etree.ElementTree as ET

import pytest

from fixture_site import FixtureListing, generate_listings
from fixture_site.render import Page, build_pages, job_posting_json_ld

BASE = "http://127.0.0.1:8765"


@pytest.fixture(scope="module")
def listings() -> list[FixtureListing]:
    return generate_listings(n_jobs=45, n_ads=25)


@pytest.fixture(scope="module")
def pages(listings: list[FixtureListing]) -> dict[str, Page]:
    return build_pages(listings, BASE, page_size=20)


def _text(page: Page) -> str:
    return page.body.decode("utf-8")


def _json_ld(page: Page) -> dict:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', _text(page), re.DOTALL)
    assert match
    return json.loads(match.group(1))


def test_page_keys(pages: dict[str, Page], listings: list[FixtureListing]) -> None:
    expected = {"/", "/robots.txt", "/sitemap.xml", "/feed.xml", "/private/"}
    expected |= {f"/jobs/?page={n}" for n in (1, 2, 3)} | {f"/ads/?page={n}" for n in (1, 2)}
    expected |= {x.path for x in listings}
    assert set(pages) == expected


def test_validators(pages: dict[str, Page]) -> None:
    for page in pages.values():
        assert page.etag == f'"{hashlib.sha256(page.body).hexdigest()}"'
        assert page.last_modified.endswith(" GMT")


def test_rendering_is_deterministic(listings: list[FixtureListing], pages) -> None:
    again = build_pages(generate_listings(n_jobs=45, n_ads=25), BASE, page_size=20)
    assert {k: p.body for k, p in again.items()} == {k: p.body for k, p in pages.items()}


def test_job_list_pagination(pages: dict[str, Page]) -> None:
    first, last = _text(pages["/jobs/?page=1"]), _text(pages["/jobs/?page=3"])
    assert first.count('<article class="job-card"') == 20
    assert last.count('<article class="job-card"') == 5
    assert '<a class="next" rel="next" href="/jobs/?page=2">' in first
    assert 'class="next"' not in last
    assert '<a class="prev" rel="prev" href="/jobs/?page=2">' in last
    assert '<a class="job-link" href="/jobs/job-0001">' in first
    assert 'href="/private/admin"' in first


def test_ad_list(pages: dict[str, Page]) -> None:
    first = _text(pages["/ads/?page=1"])
    assert first.count('<li class="ad-item"') == 20
    assert re.search(r'<a class="ad-link" href="/ads/ad-0001">', first)
    assert '<a class="next" rel="next" href="/ads/?page=2">' in first


def test_job_detail(pages: dict[str, Page], listings: list[FixtureListing]) -> None:
    for job in (x for x in listings if x.board == "jobs"):
        page = _text(pages[job.path])
        doc = _json_ld(pages[job.path])
        assert doc["@context"] == "https://schema.org" and doc["@type"] == "JobPosting"
        assert doc["title"] == job.title and doc["description"] == job.text
        assert doc["identifier"] == {
            "@type": "PropertyValue",
            "name": "FixtureJobs",
            "value": job.id,
        }
        assert doc["jobLocation"]["address"]["addressLocality"] == job.fields["location"]
        assert ("hiringOrganization" in doc) == ("company" in job.fields)
        assert f'<html lang="{job.lang}">' in page
        assert '<h1 class="job-title">' in page and '<dl class="job-facts">' in page
        assert page.count("<p>") >= len(job.paragraphs)
    assert any("baseSalary" in _json_ld(pages[x.path]) for x in listings if x.board == "jobs")


def test_ad_detail(pages: dict[str, Page], listings: list[FixtureListing]) -> None:
    for ad in (x for x in listings if x.board == "ads"):
        page = _text(pages[ad.path])
        assert "application/ld+json" not in page
        for cls in ("ad-title", "ad-city", "ad-phone", "ad-category"):
            assert f'class="{cls}"' in page
        assert ('class="ad-age"' in page) == ("age" in ad.fields)
        assert f'<time class="ad-date" datetime="{ad.fields["date_posted"]}">' in page


def test_listing_text_is_escaped() -> None:
    job, ad = generate_listings(n_jobs=1, n_ads=1)
    payload = '</script><script>alert("x")</script> & <b>'
    job = dataclasses.replace(job, title=payload, text=payload)
    ad = dataclasses.replace(ad, title=payload, text=payload)
    pages = build_pages([job, ad], BASE, page_size=20)
    for page in (pages[job.path], pages[ad.path], pages["/jobs/?page=1"], pages["/ads/?page=1"]):
        text = _text(page)
        assert "<script>alert" not in text and "<b>" not in text
    assert _json_ld(pages[job.path])["description"] == payload
    assert job_posting_json_ld(job)["title"] == payload
    feed = ET.fromstring(pages["/feed.xml"].body)
    assert feed.find("channel/item/title").text == payload


def test_robots_sitemap_feed(pages: dict[str, Page], listings: list[FixtureListing]) -> None:
    robots = _text(pages["/robots.txt"])
    assert "User-agent: *\nDisallow: /private/\n" in robots
    assert f"Sitemap: {BASE}/sitemap.xml" in robots
    ns = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    urlset = ET.fromstring(pages["/sitemap.xml"].body)
    locs = [u.findtext("sm:loc", namespaces=ns) for u in urlset.findall("sm:url", ns)]
    assert locs == [BASE + x.path for x in listings if x.board == "jobs"]
    assert all(u.findtext("sm:lastmod", namespaces=ns) for u in urlset.findall("sm:url", ns))
    rss = ET.fromstring(pages["/feed.xml"].body)
    assert rss.tag == "rss" and rss.get("version") == "2.0"
    items = rss.findall("channel/item")
    assert {i.findtext("guid") for i in items} == {
        BASE + x.path for x in listings if x.board == "ads"
    }
    assert all(i.findtext("pubDate") and i.findtext("description") for i in items)
