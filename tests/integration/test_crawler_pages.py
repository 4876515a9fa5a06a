"""Generic extraction on real saved job-board pages.

The pages are read where they are, from ``html/`` in the directory THBSCAN_REAL_DATA
names (they are never copied into the repository); without them the tests skip. No
network: each page is fed to the spider's own parse callback as a Scrapy response.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from parsel import Selector
from scrapy import Request, Spider
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.extraction import main_text, page_title
from crawler.items import ListingItem
from crawler.spiders.jobposting import JobPostingSpider

REAL_DATA = os.environ.get("THBSCAN_REAL_DATA", "")
HTML_DIR = Path(REAL_DATA) / "html"
WORKBC = sorted((HTML_DIR / "workbc").glob("detail-*.html")) if REAL_DATA else []
CAREERS = sorted((HTML_DIR / "careers").glob("*.html")) if REAL_DATA else []
MISSING = (
    "real saved job-board pages not given: set THBSCAN_REAL_DATA to a directory with "
    "html/workbc/detail-*.html and html/careers/*.html"
)

pytestmark = pytest.mark.skipif(not (WORKBC and CAREERS), reason=MISSING)


def words(text: str) -> str:
    return " ".join(text.split())


def response_for(path: Path) -> HtmlResponse:
    url = f"https://jobs.example.invalid/{path.parent.name}/{path.name}"
    return HtmlResponse(url=url, body=path.read_bytes(), request=Request(url))


@pytest.fixture(scope="module")
def spider() -> JobPostingSpider:
    crawler = get_crawler(Spider, {})
    return JobPostingSpider.from_crawler(crawler, source="fixture-jobs")


def extract(spider: JobPostingSpider, path: Path) -> ListingItem:
    items = list(spider.parse_detail(response_for(path)))
    assert len(items) == 1, f"{path.name}: {len(items)} items"
    item = items[0]
    assert isinstance(item, ListingItem)
    return item


def noise_snippets(sel: Selector) -> list[str]:
    """Text of scripts, styles and navigation that must not reach the main text."""
    snippets = []
    for code in sel.xpath("//script/text() | //style/text() | //noscript//text()").getall():
        code = words(code)
        if len(code) >= 40:
            snippets.append(code[:40])
    for nav in sel.xpath("//nav"):
        text = words(" ".join(nav.xpath(".//text()[not(ancestor::script)]").getall()))
        if len(text) >= 60:
            snippets.append(text)
    return snippets


@pytest.mark.parametrize("path", WORKBC, ids=lambda p: p.name)
def test_workbc_detail_title_and_duties(spider: JobPostingSpider, path: Path) -> None:
    sel = Selector(text=path.read_text(encoding="utf-8"))
    shown_title = words(" ".join(sel.css("h2.job-title ::text").getall()))
    duties = [words(t) for t in sel.css(".job-description li ::text").getall() if words(t)]
    headings = [words(t) for t in sel.css(".job-description h3::text").getall()]
    assert shown_title and len(duties) >= 5 and "Job Requirements" in headings  # as saved

    item = extract(spider, path)
    assert item.title == shown_title
    assert item.title not in ("JOB POSTING", "Find Jobs | WorkBC")
    text = words(item.text)
    missing = [d for d in duties if d not in text]
    assert not missing, f"{path.name}: duties/requirements missing: {missing[:5]}"
    assert [h for h in headings if h not in text] == []  # Education, Tasks, Benefits...
    # page chrome and promotion around the posting are not main text
    assert "EXPLORE CAREERS" not in text and "HIGH OPPORTUNITY OCCUPATIONS" not in text
    assert not text.startswith("Home")
    for snippet in noise_snippets(sel):
        assert snippet not in text, f"{path.name}: noise {snippet!r}"
    assert "\x00" not in item.text


@pytest.mark.parametrize("path", CAREERS, ids=lambda p: p.name)
def test_careers_page_title_and_main_text(spider: JobPostingSpider, path: Path) -> None:
    sel = Selector(text=path.read_bytes().decode("utf-8", "replace"))
    item = extract(spider, path)
    assert 2 <= len(item.title) <= 500 and "\n" not in item.title
    text = item.text
    assert 300 <= len(text) <= 50_000, f"{path.name}: main text of {len(text)} characters"
    flat = words(text)
    for snippet in noise_snippets(sel):
        assert snippet not in flat, f"{path.name}: noise {snippet!r}"
    assert not re.search(r"function\s*\(|@media|window\.|<\w+[ >/]", text), path.name
    # the text is made of readable paragraphs, not one run-on line
    assert text.count("\n\n") >= 3


def test_every_page_gives_a_title_and_text() -> None:
    """A summary that names what the generic extractor recovers per directory."""
    recovered: dict[str, int] = {}
    for path in [*WORKBC, *CAREERS]:
        sel = HtmlResponse(url="https://x.invalid/", body=path.read_bytes()).selector
        if page_title(sel) and len(main_text(sel)) >= 300:
            recovered[path.parent.name] = recovered.get(path.parent.name, 0) + 1
    assert recovered == {"workbc": len(WORKBC), "careers": len(CAREERS)}
    assert len(WORKBC) == 8 and len(CAREERS) == 12
