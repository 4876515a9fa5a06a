"""robots.txt handling of the crawler (R15, R16), through real crawls of a local server.

Each test starts an HTTP server on 127.0.0.1 whose robots.txt misbehaves in a chosen
way, then runs a Scrapy crawl in a subprocess with the project's settings (the
fail-closed robots middleware among them; ``robots_crawl.py``) and checks what the
server was asked for and what the crawl counted.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]

pytestmark = pytest.mark.slow


class RobotsServer(ThreadingHTTPServer):
    """Serves pages under any path; robots.txt answers from ``robots`` in turn (the last
    one repeats): an (HTTP status, body) pair, or "drop" to close the connection."""

    daemon_threads = True
    request_queue_size = 64

    def __init__(self, robots: list[tuple[int, str] | str], robots_delay: float = 0.0) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.robots = robots
        self.robots_delay = robots_delay
        self.log: list[tuple[float, str]] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def paths(self, prefix: str = "/") -> list[str]:
        return [p for _t, p in self.log if p.startswith(prefix)]


class _Handler(BaseHTTPRequestHandler):
    server: RobotsServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.log.append((time.monotonic(), self.path))
            answer = None
            if self.path == "/robots.txt":
                served = sum(1 for _t, p in self.server.log if p == "/robots.txt")
                answer = self.server.robots[min(served, len(self.server.robots)) - 1]
        if answer is not None:
            time.sleep(self.server.robots_delay)
        if answer == "drop":
            self.close_connection = True
            return
        status, body = answer if answer is not None else (200, f"<p>{self.path}</p>")
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain" if answer else "text/html")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def serve() -> Iterator:
    servers: list[RobotsServer] = []

    def start(robots: list[tuple[int, str] | str], robots_delay: float = 0.0) -> RobotsServer:
        server = RobotsServer(robots, robots_delay)
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def crawl(
    requests: list[tuple[float, str]], servers: list[RobotsServer], **settings: object
) -> dict:
    """Fetch ``requests`` ((seconds from start, URL)) in a real crawl; stats and responses."""
    allowed = [f"127.0.0.1:{s.server_address[1]}" for s in servers]
    spec = {
        "requests": requests,
        "settings": {"THBSCAN_ALLOWED_PRIVATE_HOSTS": allowed, **settings},
    }
    proc = subprocess.run(
        [sys.executable, str(HERE / "robots_crawl.py"), json.dumps(spec)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


ROBOTS = (200, "User-agent: *\nDisallow: /private/\n")


def test_disallowed_requests_are_refused_and_counted_as_denials(serve) -> None:
    site = serve([ROBOTS])
    result = crawl(
        [
            (0.0, f"{site.url}/a"),
            (0.5, f"{site.url}/private/x"),
            (0.5, f"{site.url}/private/y"),
            (0.5, f"{site.url}/b"),
        ],
        [site],
    )
    assert sorted(site.paths("/")) == ["/a", "/b", "/robots.txt"]
    assert result["stats"]["robotstxt/forbidden"] == 2
    assert sorted(u for u, _s in result["fetched"]) == [f"{site.url}/a", f"{site.url}/b"]


def test_requests_waiting_for_robots_txt_are_all_checked(serve) -> None:
    """Many requests arrive while robots.txt is still being fetched: every one of them is
    checked against it (Scrapy 2.19 let all but the first through unchecked)."""
    site = serve([ROBOTS], robots_delay=0.5)
    paths = [f"/private/{i}" for i in range(6)] + [f"/ok/{i}" for i in range(6)]
    result = crawl([(0.0, f"{site.url}{p}") for p in paths], [site])
    assert site.paths("/private/") == []
    assert sorted(site.paths("/ok/")) == sorted(p for p in paths if p.startswith("/ok/"))
    assert result["stats"]["robotstxt/forbidden"] == 6


@pytest.mark.parametrize("failure", [(503, "busy"), (500, "oops"), (429, "slow down"), "drop"])
def test_unavailable_robots_txt_disallows_the_host_for_a_while(serve, failure) -> None:
    """5xx, 429 or a network error: nothing is fetched from the host until
    THBSCAN_ROBOTS_FAIL_TTL has passed; then robots.txt is fetched again and obeyed."""
    site = serve([failure, ROBOTS])
    result = crawl(
        [
            (0.0, f"{site.url}/early/1"),
            (0.3, f"{site.url}/early/2"),
            (2.5, f"{site.url}/late/1"),
            (2.6, f"{site.url}/private/late"),
        ],
        [site],
        THBSCAN_ROBOTS_FAIL_TTL=1.5,
        RETRY_TIMES=0,
        THBSCAN_RETRY_AFTER_DEFAULT=0.2,
    )
    stats = result["stats"]
    assert site.paths("/early/") == []  # disallowed while robots.txt is unavailable
    assert site.paths("/late/") == ["/late/1"]  # allowed once robots.txt answered again
    assert site.paths("/private/") == []
    assert site.paths("/robots.txt") == ["/robots.txt"] * 2
    assert stats["thbscan/robots/disallow_all"] == 1
    assert stats["robotstxt/forbidden"] == 3  # two early requests and /private/late


def test_robots_txt_failing_after_retries_fails_closed(serve) -> None:
    """With Scrapy's retries on (the default), robots.txt is asked for three times; still
    failing, the host is disallowed."""
    site = serve([(503, "busy")])
    result = crawl([(0.0, f"{site.url}/a"), (0.2, f"{site.url}/b")], [site])
    assert site.paths("/robots.txt") == ["/robots.txt"] * 3
    assert site.paths("/a") == site.paths("/b") == []
    assert result["stats"]["thbscan/robots/disallow_all"] == 1
    assert result["stats"]["robotstxt/forbidden"] == 2


@pytest.mark.parametrize("status", [404, 410, 400])
def test_a_4xx_robots_txt_means_no_restrictions(serve, status: int) -> None:
    site = serve([(status, "User-agent: *\nDisallow: /\n")])  # the body is not robots.txt
    result = crawl([(0.0, f"{site.url}/a"), (0.3, f"{site.url}/private/b")], [site])
    assert sorted(site.paths("/")) == ["/a", "/private/b", "/robots.txt"]
    assert result["stats"].get("robotstxt/forbidden", 0) == 0
    assert "thbscan/robots/disallow_all" not in result["stats"]


@pytest.mark.parametrize("status", [401, 403])
def test_a_robots_txt_behind_a_login_pauses_the_host(serve, status: int) -> None:
    """RFC 9309 reads 401/403 as "no restrictions", but a host that asks for credentials
    is not crawled at all here (the host guard pauses it, R17)."""
    site = serve([(status, "")])
    result = crawl([(0.0, f"{site.url}/a"), (0.3, f"{site.url}/b")], [site])
    assert site.paths("/") == ["/robots.txt"]
    assert result["stats"]["thbscan/host/paused"] == 1


def test_robots_txt_is_fetched_once_per_host_and_applies_to_that_host(serve) -> None:
    open_site = serve([(200, "User-agent: *\nDisallow:\n")])
    closed_site = serve([(200, "User-agent: *\nDisallow: /\n")])
    requests = [(0.1 * i, f"{s.url}/page/{i}") for i in range(8) for s in (open_site, closed_site)]
    result = crawl(requests, [open_site, closed_site])
    assert open_site.paths("/robots.txt") == ["/robots.txt"]
    assert closed_site.paths("/robots.txt") == ["/robots.txt"]
    assert len(open_site.paths("/page/")) == 8
    assert closed_site.paths("/page/") == []
    assert result["stats"]["robotstxt/forbidden"] == 8


def _gaps(site: RobotsServer, prefix: str) -> list[float]:
    times = [t for t, p in site.log if p.startswith(prefix)]
    return [b - a for a, b in itertools.pairwise(times)]


def test_crawl_delay_is_honoured(serve) -> None:
    site = serve([(200, "User-agent: *\nCrawl-delay: 0.7\n")])
    result = crawl([(0.0, f"{site.url}/page/{i}") for i in range(4)], [site])
    assert len(site.paths("/page/")) == 4
    assert min(_gaps(site, "/page/")) >= 0.6, _gaps(site, "/page/")
    key = "thbscan/robots/crawl_delay/127.0.0.1"
    assert result["stats"][key] == pytest.approx(0.7)


def test_crawl_delay_is_capped(serve) -> None:
    site = serve([(200, "User-agent: *\nCrawl-delay: 3600\n")])
    crawl([(0.0, f"{site.url}/page/{i}") for i in range(3)], [site], THBSCAN_CRAWL_DELAY_MAX=0.5)
    gaps = _gaps(site, "/page/")
    assert len(gaps) == 2 and all(0.4 <= g < 3 for g in gaps), gaps
