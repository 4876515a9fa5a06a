"""Crawl hostile HTML for real: the stored title and text are the page's text (R14).

The hostile server on 127.0.0.1 serves pages with an 8 MB attribute (one of them
nested deeper than the HTML parser goes) and pages whose charset is unknown to
Python (in the Content-Type header, in ``<meta charset>``, next to a BOM). One
crawl through ``thbscan crawl`` stores them; each test reads back one kind.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from crawlhelp import last_json, run_thbscan, write_source
from hostile_server import HTML_PAGES, HTML_TEXT, start_hostile_server
from sqlalchemy import select

from store import Listing, ListingVersion, create_engine_for

pytestmark = pytest.mark.slow
MAX_TEXT = 50_000  # the extraction's bound on a page's text
MARKUP = ("<h1", "<div", "<body", "<meta", "title=", "aaaaaaaa")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, str]]:
    """Title and text stored for each hostile page, by path."""
    tmp: Path = tmp_path_factory.mktemp("hostile-html")
    server = start_hostile_server(other_port=_free_port())
    try:
        write_source(
            tmp / "sources",
            "hostile-html",
            f"""spider = "jobposting"
base_url = "{server.url}/"
start_urls = ["/html/"]
allow_private = true
[links]
detail = "a.l::attr(href)"
[politeness]
download_delay = 0
concurrency_per_domain = 2
download_timeout = 10
""",
        )
        db = f"sqlite:///{tmp / 'h.db'}"
        code, out, err, _rss = run_thbscan(
            "crawl",
            "hostile-html",
            "--sources-dir",
            str(tmp / "sources"),
            "--db",
            db,
            "--json",
            timeout=120,
        )
    finally:
        server.stop()
    assert code == 0, err[-3000:]
    assert last_json(out)["hostile-html"]["finish_reason"] == "finished"
    with create_engine_for(db).connect() as conn:
        rows = conn.execute(
            select(Listing.url, ListingVersion.title, ListingVersion.text).join(
                ListingVersion, ListingVersion.id == Listing.current_version_id
            )
        ).all()
    return {url.removeprefix(server.url): (title, text) for url, title, text in rows}


def _assert_real_text(stored: dict[str, tuple[str, str]], path: str) -> None:
    assert path in stored, sorted(stored)
    title, text = stored[path]
    assert title == HTML_PAGES[path]
    assert HTML_TEXT in text and len(text) <= MAX_TEXT
    for markup in MARKUP:
        assert markup not in title and markup not in text, (markup, text[:300])


@pytest.mark.parametrize("path", ["/html/huge-attribute", "/html/deep-huge-attribute"])
def test_an_8mb_attribute_leaves_the_real_title_and_text(
    stored: dict[str, tuple[str, str]], path: str
) -> None:
    _assert_real_text(stored, path)


@pytest.mark.parametrize(
    "path", ["/html/bogus-charset-utf8", "/html/bogus-charset-legacy", "/html/bogus-meta-charset"]
)
def test_an_unknown_charset_keeps_the_text_intact(
    stored: dict[str, tuple[str, str]], path: str
) -> None:
    _assert_real_text(stored, path)
    if path == "/html/bogus-meta-charset":  # and a BOM still wins over bogus declarations
        title, text = stored["/html/bogus-charset-bom"]
        assert title == "Kok søges æøå" and HTML_TEXT in text
