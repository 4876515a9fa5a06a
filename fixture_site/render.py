"""Render the fixture site's pages (HTML, robots.txt, sitemap, RSS) once, before serving.

Every text that comes from the data files or listings goes through ``html.escape``.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import format_datetime
from typing import Any

from .generate import FixtureListing
from .site_data import SiteData, load_site_data

SITE_NAME = "Fixture Listings"
JOB_SOURCE_NAME = "FixtureJobs"
HTML_TYPE = "text/html; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"
SITEMAP_TYPE = "application/xml; charset=utf-8"
FEED_TYPE = "application/rss+xml; charset=utf-8"
PRIVATE_KEY = "/private/"


@dataclass(frozen=True)
class Page:
    """A pre-rendered response body with its validators."""

    body: bytes
    content_type: str
    etag: str  # quoted sha256 of the body
    modified: datetime  # aware, UTC, whole seconds
    last_modified: str  # HTTP date of ``modified``


def make_page(text: str, content_type: str, modified: datetime) -> Page:
    body = text.encode("utf-8")
    return Page(
        body=body,
        content_type=content_type,
        etag=f'"{hashlib.sha256(body).hexdigest()}"',
        modified=modified,
        last_modified=format_datetime(modified, usegmt=True),
    )


def list_key(board: str, page: int) -> str:
    return f"/{board}/?page={page}"


def list_href(board: str, page: int) -> str:
    return f"/{board}/" if page == 1 else f"/{board}/?page={page}"


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _day(iso: str) -> datetime:
    return datetime.combine(date.fromisoformat(iso), datetime.min.time(), tzinfo=UTC)


def _layout(title: str, main: str, *, lang: str = "en", head: str = "") -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="{_e(lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)} | {SITE_NAME}</title>\n{head}</head>\n<body>\n"
        f'<header class="site-header"><a class="site-home" href="/">{SITE_NAME}</a>\n'
        '<nav><a href="/jobs/">Jobs</a> <a href="/ads/">Classifieds</a></nav></header>\n'
        f"<main>\n{main}\n</main>\n"
        '<footer class="site-footer"><p>All listings on this site are fictional and generated '
        "for testing thbscan. No real people, firms or phone numbers.</p></footer>\n"
        "</body>\n</html>\n"
    )


def _paragraphs(listing: FixtureListing) -> str:
    return "\n".join(f"<p>{_e(p)}</p>" for p in listing.paragraphs)


def _pagination(board: str, page: int, pages: int) -> str:
    links = []
    if page > 1:
        links.append(f'<a class="prev" rel="prev" href="{list_href(board, page - 1)}">Previous</a>')
    links.append(f'<span class="page-number">Page {page} of {pages}</span>')
    if page < pages:
        links.append(f'<a class="next" rel="next" href="{list_href(board, page + 1)}">Next</a>')
    return '<nav class="pagination">' + " ".join(links) + "</nav>"


_STAFF_LINK = '<p class="staff"><a href="/private/admin">Staff area</a></p>'


def render_job_list(items: Sequence[FixtureListing], page: int, pages: int) -> str:
    cards = []
    for job in items:
        company = job.fields.get("company")
        cards.append(
            f'<article class="job-card" lang="{_e(job.lang)}">'
            f'<a class="job-link" href="{_e(job.path)}">{_e(job.title)}</a> '
            + (f'<span class="job-card-company">{_e(company)}</span> ' if company else "")
            + f'<span class="job-card-location">{_e(job.fields["location"])}</span> '
            f'<time class="job-card-date" datetime="{_e(job.fields["date_posted"])}">'
            f"{_e(job.fields['date_posted'])}</time></article>"
        )
    main = (
        f"<h1>Jobs</h1>\n"
        f'<section class="job-list">\n{chr(10).join(cards)}\n</section>\n'
        f"{_pagination('jobs', page, pages)}\n{_STAFF_LINK}"
    )
    return _layout(f"Jobs, page {page}", main)


def render_ad_list(items: Sequence[FixtureListing], page: int, pages: int) -> str:
    rows = [
        f'<li class="ad-item" lang="{_e(ad.lang)}">'
        f'<a class="ad-link" href="{_e(ad.path)}">{_e(ad.title)}</a> '
        f'<span class="ad-item-city">{_e(ad.fields["city"])}</span> '
        f'<span class="ad-item-category">{_e(ad.fields["category"])}</span></li>'
        for ad in items
    ]
    main = (
        f"<h1>Classifieds</h1>\n"
        f'<ul class="ad-list">\n{chr(10).join(rows)}\n</ul>\n'
        f"{_pagination('ads', page, pages)}\n{_STAFF_LINK}"
    )
    return _layout(f"Classifieds, page {page}", main)


def job_posting_json_ld(job: FixtureListing) -> dict[str, Any]:
    """The schema.org JobPosting of a job listing."""
    doc: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "JobPosting",
        "title": job.title,
        "description": job.text,
        "identifier": {"@type": "PropertyValue", "name": JOB_SOURCE_NAME, "value": job.id},
        "datePosted": job.fields["date_posted"],
        "validThrough": job.fields["valid_through"],
        "employmentType": job.fields["employment_type"],
    }
    if company := job.fields.get("company"):
        doc["hiringOrganization"] = {"@type": "Organization", "name": company}
    doc["jobLocation"] = {
        "@type": "Place",
        "address": {
            "@type": "PostalAddress",
            "addressLocality": job.fields["location"],
            "addressCountry": "DK",
        },
    }
    if salary := job.base_salary:
        doc["baseSalary"] = {
            "@type": "MonetaryAmount",
            "currency": salary["currency"],
            "value": {
                "@type": "QuantitativeValue",
                "minValue": salary["min"],
                "maxValue": salary["max"],
                "unitText": salary["unit"],
            },
        }
    return doc


def _script_json(doc: dict[str, Any]) -> str:
    text = json.dumps(doc, ensure_ascii=False)  # no indent: the C encoder is much faster
    # Keep "</script>" and friends out of the script element; JSON parsers read the escapes.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_job_detail(job: FixtureListing, data: SiteData) -> str:
    labels = data.labels[job.lang]
    kinds = data.employment_type_labels[job.lang]
    f = job.fields
    kind = f["employment_type"]
    facts = [
        ("company", "job-company", f.get("company") or labels["not_stated"]),
        ("location", "job-location", f["location"]),
        ("salary", "job-salary", f.get("salary") or labels["not_stated"]),
        ("employment_type", "job-employment-type", kinds.get(kind, kind)),
    ]
    rows = [f'<dt>{_e(labels[k])}</dt><dd class="{cls}">{_e(v)}</dd>' for k, cls, v in facts]
    for key, cls in (("date_posted", "job-date-posted"), ("valid_through", "job-valid-through")):
        rows.append(
            f'<dt>{_e(labels[key])}</dt><dd><time class="{cls}" datetime="{_e(f[key])}">'
            f"{_e(f[key])}</time></dd>"
        )
    main = (
        '<article class="job-posting">\n'
        f'<h1 class="job-title">{_e(job.title)}</h1>\n'
        f'<dl class="job-facts">\n{chr(10).join(rows)}\n</dl>\n'
        f'<div class="job-description">\n{_paragraphs(job)}\n</div>\n'
        f'<p class="job-ref">Ref. {_e(job.id)}</p>\n'
        "</article>\n"
        '<p><a class="back" href="/jobs/">All jobs</a></p>'
    )
    json_ld = _script_json(job_posting_json_ld(job))
    head = f'<script type="application/ld+json">\n{json_ld}\n</script>\n'
    return _layout(job.title, main, lang=job.lang, head=head)


def render_ad_detail(ad: FixtureListing, data: SiteData) -> str:
    labels = data.labels[ad.lang]
    f = ad.fields
    meta = [
        f'{_e(labels["category"])}: <span class="ad-category">{_e(f["category"])}</span>',
        f'{_e(labels["city"])}: <span class="ad-city">{_e(f["city"])}</span>',
    ]
    if "age" in f:
        meta.append(f'{_e(labels["age"])}: <span class="ad-age">{_e(f["age"])}</span>')
    meta.append(
        f'<time class="ad-date" datetime="{_e(f["date_posted"])}">{_e(f["date_posted"])}</time>'
    )
    main = (
        f'<article class="ad" data-listing-id="{_e(ad.id)}">\n'
        f'<h1 class="ad-title">{_e(ad.title)}</h1>\n'
        f'<p class="ad-meta">{" · ".join(meta)}</p>\n'
        f'<div class="ad-body">\n{_paragraphs(ad)}\n</div>\n'
        f'<p class="ad-contact">{_e(labels["phone"])}: '
        f'<span class="ad-phone">{_e(f["phone"])}</span></p>\n'
        "</article>\n"
        '<p><a class="back" href="/ads/">All classifieds</a></p>'
    )
    return _layout(ad.title, main, lang=ad.lang)


def render_index(n_jobs: int, n_ads: int) -> str:
    main = (
        f"<h1>{SITE_NAME}</h1>\n"
        "<p>A local test site with a job board and a classified ad board.</p>\n"
        '<ul class="boards">\n'
        f'<li><a href="/jobs/">Jobs</a> ({n_jobs})</li>\n'
        f'<li><a href="/ads/">Classifieds</a> ({n_ads})</li>\n'
        "</ul>\n"
        '<p><a href="/feed.xml">RSS feed of the classifieds</a> · '
        '<a href="/sitemap.xml">Sitemap of the jobs</a></p>'
    )
    head = (
        '<link rel="alternate" type="application/rss+xml" title="Classifieds" href="/feed.xml">\n'
    )
    return _layout(SITE_NAME, main, head=head)


def render_private() -> str:
    main = (
        '<h1 class="private-title">Staff area</h1>\n'
        "<p>This part of the site is disallowed in robots.txt; "
        "a polite crawler never fetches it.</p>"
    )
    return _layout("Staff area", main)


def render_not_found() -> str:
    return _layout("Not found", "<h1>Not found</h1>\n<p>No page at this address.</p>")


@functools.cache
def not_found_page() -> Page:
    """The 404 page both servers answer with (the same bytes on every start)."""
    return make_page(render_not_found(), HTML_TYPE, datetime(2025, 1, 1, tzinfo=UTC))


def render_robots(base_url: str) -> str:
    return f"User-agent: *\nDisallow: /private/\n\nSitemap: {base_url}/sitemap.xml\n"


def render_sitemap(jobs: Sequence[FixtureListing], base_url: str) -> str:
    urls = "".join(
        f"<url><loc>{_e(base_url + job.path)}</loc><lastmod>{_e(job.updated)}</lastmod></url>\n"
        for job in jobs
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{urls}</urlset>\n'
    )


def render_feed(ads: Sequence[FixtureListing], base_url: str, built: datetime) -> str:
    newest_first = sorted(ads, key=lambda ad: (ad.fields["date_posted"], ad.id), reverse=True)
    items = []
    for ad in newest_first:
        link = _e(base_url + ad.path)
        published = format_datetime(_day(ad.fields["date_posted"]), usegmt=True)
        items.append(
            f"<item><title>{_e(ad.title)}</title><link>{link}</link>"
            f"<description>{_e(ad.text)}</description><pubDate>{published}</pubDate>"
            f'<guid isPermaLink="true">{link}</guid></item>\n'
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0">\n<channel>\n'
        f"<title>{SITE_NAME}: classifieds</title>\n<link>{_e(base_url)}/ads/</link>\n"
        "<description>Fictional classified ads for testing thbscan.</description>\n"
        f"<lastBuildDate>{format_datetime(built, usegmt=True)}</lastBuildDate>\n"
        f"{''.join(items)}</channel>\n</rss>\n"
    )


def build_pages(
    listings: Sequence[FixtureListing], base_url: str, page_size: int
) -> dict[str, Page]:
    """Render every page of the site, keyed by path (list pages by "/jobs/?page=N")."""
    data = load_site_data()
    jobs = [x for x in listings if x.board == "jobs"]
    ads = [x for x in listings if x.board == "ads"]
    site_modified = max(
        (_day(x.updated) for x in listings), default=_day(data.reference_date.isoformat())
    )
    pages: dict[str, Page] = {
        "/": make_page(render_index(len(jobs), len(ads)), HTML_TYPE, site_modified),
        "/robots.txt": make_page(render_robots(base_url), TEXT_TYPE, site_modified),
        "/sitemap.xml": make_page(render_sitemap(jobs, base_url), SITEMAP_TYPE, site_modified),
        "/feed.xml": make_page(render_feed(ads, base_url, site_modified), FEED_TYPE, site_modified),
        PRIVATE_KEY: make_page(render_private(), HTML_TYPE, site_modified),
    }
    for board, items, render_list in (
        ("jobs", jobs, render_job_list),
        ("ads", ads, render_ad_list),
    ):
        n_pages = max(1, math.ceil(len(items) / page_size))
        for number in range(1, n_pages + 1):
            chunk = items[(number - 1) * page_size : number * page_size]
            modified = max((_day(x.updated) for x in chunk), default=site_modified)
            text = render_list(chunk, number, n_pages)
            pages[list_key(board, number)] = make_page(text, HTML_TYPE, modified)
    for job in jobs:
        pages[job.path] = make_page(render_job_detail(job, data), HTML_TYPE, _day(job.updated))
    for ad in ads:
        pages[ad.path] = make_page(render_ad_detail(ad, data), HTML_TYPE, _day(ad.updated))
    return pages
