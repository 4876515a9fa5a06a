"""Crawl a hostile server to a clean finish with bounded memory (R12, R13, R16, R17)."""

from __future__ import annotations

import socket

import pytest
from crawlhelp import last_json, run_thbscan, write_source
from hostile_server import start_hostile_server

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_hostile_server_crawled_to_a_clean_finish(tmp_path) -> None:
    server = start_hostile_server(other_port=_free_port())
    try:
        write_source(
            tmp_path / "sources",
            "hostile",
            f"""spider = "board"
base_url = "{server.url}/"
start_urls = ["/"]
allow_private = true
[links]
detail = "a.l::attr(href)"
next = "a.next::attr(href)"
max_pages = 12
[fields]
title = "h1"
text = "div.text"
[politeness]
download_delay = 0
concurrency_per_domain = 2
depth_limit = 12
download_timeout = 3
""",
        )
        code, out, err, rss_kb = run_thbscan(
            "crawl",
            "hostile",
            "--sources-dir",
            str(tmp_path / "sources"),
            "--db",
            f"sqlite:///{tmp_path / 'h.db'}",
            "--json",
            "--log-level",
            "INFO",
            timeout=180,
        )
    finally:
        server.stop()
    # finished, but incomplete: pagination cut at max_pages, refusals, failed pages
    assert code == 3, err[-3000:]
    summary = last_json(out)["hostile"]
    assert summary["finish_reason"] == "finished" and summary["status"] == "incomplete"
    assert "listing pages over the source's max_pages" in summary["detail"]
    assert "requests refused by the SSRF guard" in summary["detail"]
    assert summary["removed"] == 0
    paths = [p for _t, p in server.requests]
    # fetched what is fine, including the slow page, the retried 429 and the bad charset
    for path in ("/ok/1", "/ok/2", "/slow", "/bad-charset"):
        assert path in paths
    assert summary["items"] >= 5, (paths, err[-6000:])
    # Retry-After: 2 honoured
    times_429 = [t for t, p in server.requests if p == "/429"]
    assert len(times_429) == 2 and times_429[1] - times_429[0] >= 1.9
    # never fetched a robots-disallowed page; redirect loop and endless pagination bounded
    assert not any(p.startswith("/private/") for p in paths)
    assert paths.count("/loop/a") + paths.count("/loop/b") <= 8
    assert max(int(p.rsplit("/", 1)[1]) for p in paths if p.startswith("/page/")) <= 13
    # internal redirect targets refused before any connection (R12)
    assert summary["ssrf_refused"] >= 3
    assert "SSRF guard refused http://169.254.169.254/" in err
    assert "SSRF guard refused http://metadata.google.internal/" in err
    assert "SSRF guard refused http://127.0.0.1:" in err
    # the 50 MB pages and the gzip bomb were cut off; memory stayed bounded
    assert "exceeds DOWNLOAD_MAXSIZE" in err or "larger than download max size" in err
    assert rss_kb < 300 * 1024, f"peak RSS {rss_kb} kB"
    print(f"hostile crawl peak RSS {rss_kb // 1024} MB")
