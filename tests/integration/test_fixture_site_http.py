"""The fixture site at the HTTP level, over a raw socket: what a client library would not
send (pipelining, HTTP/1.0, a malformed or oversized head, other methods), and HTTPS."""

from __future__ import annotations

import http.client
import re
import socket
import ssl
import time
from collections.abc import Iterator

import pytest
import trustme

from fixture_site import FixtureSite, start_fixture_site


@pytest.fixture(scope="module")
def site() -> Iterator[FixtureSite]:
    with start_fixture_site(n_jobs=5, n_ads=2) as running:
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
    raw = (
        b"GET /robots.txt HTTP/1.1\r\nHost: x\r\n\r\n"
        b"HEAD /jobs/job-0002 HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    answer = exchange(site, raw)
    assert re.findall(rb"HTTP/1.1 (\d{3}) ", answer) == [b"200", b"200", b"404"]
    assert b"User-agent: *" in answer
    assert answer.endswith(b"</html>\n")  # the 404 page is the last thing sent


def test_http_1_0_closes(site: FixtureSite) -> None:
    answer = exchange(site, b"GET /robots.txt HTTP/1.0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n") and b"User-agent: *" in answer


@pytest.mark.parametrize(
    "raw",
    [
        b"nonsense\r\n\r\n",
        b"GET /robots.txt SPDY/3\r\n\r\n",
        b"GET /" + b"a" * 70_000,
        b"GET / HTTP/1.1\r\nX: " + b"a" * 70_000 + b"\r\n\r\n",
    ],
)
def test_a_malformed_or_oversized_head_gets_400(site: FixtureSite, raw: bytes) -> None:
    answer = exchange(site, raw)
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")


def test_other_methods_get_405(site: FixtureSite) -> None:
    answer = exchange(
        site,
        b"DELETE /jobs/ HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    assert answer.startswith(b"HTTP/1.1 405") and b"allow: get, head\r\n" in answer.lower()
    assert site.requests[-2:] == [("DELETE", "/jobs/"), ("GET", "/")]


def test_stopped_right_after_start() -> None:
    started = time.monotonic()
    start_fixture_site(n_jobs=2, n_ads=0).stop()  # maybe before it serves
    assert time.monotonic() - started < 5


def test_https(tmp_path) -> None:
    ca = trustme.CA()
    pem = tmp_path / "server.pem"
    ca.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(pem))
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    with start_fixture_site(n_jobs=2, n_ads=0, ssl_certfile=str(pem)) as tls:
        assert tls.url.startswith("https://127.0.0.1:")
        conn = http.client.HTTPSConnection(tls.host, tls.port, timeout=5, context=client_context)
        conn.request("GET", "/jobs/job-0001")
        response = conn.getresponse()
        assert response.status == 200 and b"application/ld+json" in response.read()
        conn.close()
