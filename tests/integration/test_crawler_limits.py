"""Back-off, run limits and runs that fetch nothing, against real servers on loopback
(R13, R16, R27, R31): a host's Retry-After holds requests already queued, a 5xx storm
slows down and pauses the host, ``--max-runtime`` ends the run on time, a run that a
limit truncated never marks listings removed, and a run that fetched nothing says so.
"""

from __future__ import annotations

import itertools
import json
import socket
import time

import pytest
from crawlhelp import last_json, run_thbscan, write_source
from hostile_server import start_hostile_server

from fixture_site import start_fixture_site

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def hostile():
    server = start_hostile_server(other_port=_free_port())
    try:
        yield server
    finally:
        server.stop()


def _board(tmp_path, name: str, base_url: str, start: str, extra: str = "", **politeness) -> str:
    rules = "\n".join(f"{k} = {v}" for k, v in {"download_delay": 0, **politeness}.items())
    write_source(
        tmp_path / "sources",
        name,
        f"""spider = "board"
base_url = "{base_url}/"
start_urls = ["{start}"]
allow_private = true
[links]
detail = "a.l::attr(href)"
next = "a.next::attr(href)"
{extra}
[fields]
title = "h1"
text = "div.text"
[politeness]
{rules}
""",
    )
    return str(tmp_path / "sources")


def _crawl(tmp_path, name: str, *more: str, env=None) -> tuple[int, dict, str]:
    db = f"sqlite:///{tmp_path / 'limits.db'}"
    args = ["crawl", name, "--sources-dir", str(tmp_path / "sources"), "--db", db, "--json"]
    code, out, err, _ = run_thbscan(*args, *more, env=env, timeout=240)
    summary = last_json(out)[name] if out.strip() else {}
    return code, summary, err


def _jobs(tmp_path) -> list[dict]:
    db = f"sqlite:///{tmp_path / 'limits.db'}"
    code, out, err, _ = run_thbscan("crawl-jobs", "--db", db, "--json")
    assert code == 0, err
    return json.loads(out)["crawl_jobs"]


def test_retry_after_holds_the_requests_already_queued(tmp_path, hostile) -> None:
    # (a delay above 0: at 0, Scrapy sends every waiting request at once, see docs/crawler.md)
    _board(
        tmp_path, "ra", hostile.url, "/limits/ra/", concurrency_per_domain=1, download_delay=0.05
    )
    code, summary, err = _crawl(tmp_path, "ra")
    assert code == 0, err[-3000:]
    assert summary["status"] == "complete" and summary["items"] == 40
    times = [(t, p) for t, p in hostile.requests if p.startswith("/limits/ra/") and p[11:]]
    first = times[0][0]  # answered 429, Retry-After: 3
    after = [t - first for t, _p in times[1:]]
    assert len(after) == 40  # 39 other pages and the first one again
    assert min(after) >= 2.9, after[:5]


def test_5xx_storm_backs_off_exponentially_then_pauses_the_host(tmp_path, hostile) -> None:
    _board(
        tmp_path,
        "storm",
        hostile.url,
        "/limits/storm/",
        concurrency_per_domain=1,
        backoff=0.2,
        download_delay=0.05,
    )
    started = time.monotonic()
    code, summary, err = _crawl(tmp_path, "storm")
    assert code == 3, err[-3000:]
    assert summary["status"] == "stopped" and summary["finish_reason"] == "host_paused"
    times = [t for t, p in hostile.requests if p.startswith("/limits/storm/") and p[14:]]
    # paused after 8 answers 5xx in a row, not 40 pages x 3 attempts at full rate
    assert len(times) == 8, len(times)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    for k, gap in enumerate(gaps):  # 0.2 s, 0.4 s, 0.8 s, ... doubled every time
        assert gap >= 0.2 * 2**k * 0.95, gaps
    assert time.monotonic() - started < 120
    assert "pausing host 127.0.0.1" in err and "8 responses 5xx in a row" in err
    job = _jobs(tmp_path)[0]
    assert job["status"] == "stopped" and job["stop_reason"] == "host_paused"


def test_max_runtime_ends_the_run_on_time(tmp_path, hostile) -> None:
    _board(tmp_path, "slow", hostile.url, "/limits/ok/", concurrency_per_domain=1, download_delay=2)
    code, summary, err = _crawl(tmp_path, "slow", "--max-runtime", "6")
    assert code == 3, err[-3000:]
    assert summary["finish_reason"] == "closespider_timeout"
    times = [t for t, _p in hostile.requests]
    # the first request (robots.txt) is sent when the spider opens, the deadline's start
    assert times[-1] - times[0] <= 6 + 2.5, [round(t - times[0], 1) for t in times]
    assert summary["items"] < 40
    job = _jobs(tmp_path)[0]
    assert job["status"] == "stopped" and job["stop_reason"] == "closespider_timeout"


def test_truncated_pagination_is_incomplete_and_removes_nothing(tmp_path) -> None:
    with start_fixture_site(n_jobs=60, n_ads=0, page_size=10) as site:
        jobs = f"""spider = "jobposting"
base_url = "{site.url}/"
start_urls = ["/jobs/"]
allow_private = true
[links]
detail = "a.job-link::attr(href)"
next = "a.next::attr(href)"
max_pages = {{pages}}
[politeness]
download_delay = 0
concurrency_per_domain = 4
"""
        write_source(tmp_path / "sources", "jobs", jobs.format(pages=100))
        code, summary, err = _crawl(tmp_path, "jobs")
        assert code == 0, err[-3000:]
        assert summary["status"] == "complete" and summary["new"] == 60
        write_source(tmp_path / "sources", "jobs", jobs.format(pages=2))
        code, summary, err = _crawl(tmp_path, "jobs")
    assert code == 3, err[-3000:]
    assert summary["status"] == "incomplete" and summary["removed"] == 0
    assert "listing pages over the source's max_pages" in summary["detail"]
    assert "reached max_pages" in err
    job = _jobs(tmp_path)[0]
    assert job["status"] == "incomplete" and "max_pages" in job["detail"]


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("robots-5xx", "robots.txt could not be fetched"),
        ("robots-hang", "robots.txt could not be fetched"),
        ("robots-reset", "robots.txt could not be fetched"),
        ("robots-disallow-all", "robots.txt disallows the start URLs"),
        ("unreachable", "download errors: DownloadConnectionRefusedError"),
        ("denylisted", "the start URLs are denylisted"),
        ("ssrf", "the SSRF guard refused the start URLs"),
    ],
)
def test_a_run_that_fetched_nothing_says_so(tmp_path, hostile, case, reason) -> None:
    base, env = hostile.url, None
    if case.startswith("robots-"):
        hostile.robots = case[len("robots-") :]
    elif case == "unreachable":
        base = f"http://127.0.0.1:{_free_port()}"
    elif case == "denylisted":
        (tmp_path / "deny.txt").write_text("127.0.0.1\n", encoding="utf-8")
        env = {"THBSCAN_DENYLIST_FILE": str(tmp_path / "deny.txt")}
    _board(tmp_path, "nothing", base, "/limits/ok/", download_timeout=2)
    if case == "ssrf":  # a loopback start URL of a source not marked allow_private
        path = tmp_path / "sources" / "nothing.toml"
        text = path.read_text().replace("allow_private = true\n", "")
        path.write_text(text.replace("download_delay = 0", "download_delay = 1"))
    code, summary, err = _crawl(tmp_path, "nothing", env=env)
    assert code == 6, (code, err[-3000:])
    assert summary["status"] == "nothing_fetched" and summary["pages"] == 0
    assert reason in summary["detail"], summary["detail"]
    assert "not one page was fetched" in err
    if case == "ssrf":
        assert summary["ssrf_refused"] >= 1
    job = _jobs(tmp_path)[0]
    assert job["status"] == "failed" and reason in job["detail"]
    assert not [p for _t, p in hostile.requests if p.startswith("/limits/")]
