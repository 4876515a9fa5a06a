"""The asyncio server of the fixture site at the HTTP level: what a client library would not
send (pipelining, HTTP/1.0, a body, a malformed or oversized head), over a raw socket."""

from __future__ import annotations

import http.client
import re
import socket
import ssl
import time
from collections.abc import Iterator

import pytest
import trustme

from thbscan.fixture_site import FixtureSite, start_fixture_site


@pytest.fixture(scope="module")
def site() -> Iterator[FixtureSite]:
    with start_fixture_site(n_jobs=5, n_ads=2, engine="asyncio") as running:
        yield running


def exchange(site: FixtureSite, raw: bytes, timeout: float = 5) -> bytes:
    """Send ``raw`` and read until the server closes the connection."""
    with socket.create_connection((site.host, site.port), timeout=timeout) as sock:
        sock.sendall(raw)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_pipelined_requests_are_answered_in_order(site: FixtureSite) -> None:
    raw = (b"GET /robots.txt HTTP/1.1\r\nHost: x\r\n\r\n"
           b"HEAD /jobs/job-0002 HTTP/1.1\r\nHost: x\r\n\r\n"
           b"GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    answer = exchange(site, raw)
    assert re.findall(rb"HTTP/1.1 (\d{3}) ", answer) == [b"200", b"200", b"404"]
    assert b"User-agent: *" in answer
    assert answer.endswith(b"</html>\n")  # the 404 page is the last thing sent


def test_http_1_0_closes_unless_kept_alive(site: FixtureSite) -> None:
    answer = exchange(site, b"GET /robots.txt HTTP/1.0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n") and b"Connection: close\r\n" in answer
    conn = http.client.HTTPConnection(site.host, site.port, timeout=5)
    conn._http_vsn, conn._http_vsn_str = 10, "HTTP/1.0"  # an HTTP/1.0 client
    conn.request("GET", "/robots.txt", headers={"Connection": "keep-alive"})
    response = conn.getresponse()
    assert response.status == 200 and response.read()
    conn.close()


def test_a_request_with_a_body_is_answered_and_the_connection_closed(site: FixtureSite):
    answer = exchange(site, b"GET /robots.txt HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd"
                            b"GET /robots.txt HTTP/1.1\r\n\r\n")
    assert answer.count(b"HTTP/1.1 200") == 1 and b"Connection: close" in answer


@pytest.mark.parametrize("raw", [b"nonsense\r\n\r\n", b"GET /robots.txt SPDY/3\r\n\r\n",
                                 b"GET /" + b"a" * 70_000,
                                 b"GET / HTTP/1.1\r\nX: " + b"a" * 70_000 + b"\r\n\r\n"])
def test_a_malformed_or_oversized_head_gets_400(site: FixtureSite, raw: bytes) -> None:
    answer = exchange(site, raw)
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")


def test_other_methods_get_405_and_close(site: FixtureSite) -> None:
    answer = exchange(site, b"DELETE /jobs/ HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 405") and b"Allow: GET, HEAD\r\n" in answer
    assert answer.count(b"HTTP/1.1 ") == 1
    assert site.requests[-1] == ("DELETE", "/jobs/")


def test_stopped_right_after_start() -> None:
    started = time.monotonic()
    start_fixture_site(n_jobs=2, n_ads=0, engine="asyncio").stop()  # maybe before it serves
    assert time.monotonic() - started < 5


def test_https() -> None:
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    with start_fixture_site(n_jobs=2, n_ads=0, ssl_context=server_context,
                            engine="asyncio") as tls:
        assert tls.url.startswith("https://127.0.0.1:")
        conn = http.client.HTTPSConnection(tls.host, tls.port, timeout=5,
                                           context=client_context)
        conn.request("GET", "/jobs/job-0001")
        response = conn.getresponse()
        assert response.status == 200 and b"application/ld+json" in response.read()
        conn.close()
