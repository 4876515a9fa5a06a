"""The connect-time resolver check, the host guard and the denylist, built without a crawler."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import HtmlResponse, Response
from twisted.internet import reactor

from crawler.denylist import Denylist, read_denylist_file
from crawler.errors import CrawlerError
from crawler.middlewares import ssrf
from crawler.middlewares.denylist_guard import DenylistMiddleware
from crawler.middlewares.hostguard import HostGuardMiddleware, parse_retry_after
from crawler.resolver import InternalAddressError, SSRFSafeResolver


@pytest.fixture(autouse=True)
def no_process_allowlist(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("crawler.resolver.ALLOWED_PRIVATE_NAMES", set())


def resolver(*allowed: str) -> SSRFSafeResolver:
    return SSRFSafeResolver(reactor, 0, 5.0, allowed)


@pytest.mark.parametrize(
    ("name", "address"),
    [
        ("a.example", "127.0.0.1"),
        ("a.example", "10.1.2.3"),
        ("a.example", "192.168.0.1"),
        ("a.example", "172.16.5.5"),
        ("a.example", "169.254.169.254"),
        ("a.example", "0.0.0.0"),
        ("a.example", "100.64.0.1"),
        ("a.example", "100.127.255.254"),
        ("a.example", "::1"),
        ("a.example", "::ffff:127.0.0.1"),
        ("a.example", "::ffff:10.0.0.1"),
        ("a.example", "fe80::1%eth0"),
        ("a.example", "fd00:ec2::254"),
        ("a.example", "fc00::1"),
        ("metadata.google.internal", "8.8.8.8"),
        ("a.example", "not-an-address"),
    ],
)
def test_internal_addresses_are_refused(name: str, address: str) -> None:
    with pytest.raises(InternalAddressError, match="refused"):
        resolver().check(name, address)


def test_public_address_and_allowlisted_loopback_pass() -> None:
    assert resolver().check("jobs.example", "93.184.216.34") == "93.184.216.34"
    assert resolver("127.0.0.1:8765").check("127.0.0.1", "127.0.0.1") == "127.0.0.1"
    assert resolver("localhost").check("localhost", "::1") == "::1"
    # an allowlisted name still never reaches a metadata address
    with pytest.raises(InternalAddressError):
        resolver("a.example").check("a.example", "169.254.169.254")


def test_a_name_resolving_to_loopback_is_refused_unless_allowlisted() -> None:
    address = socket.gethostbyname("localhost")  # /etc/hosts: no network
    assert address.startswith("127.")
    with pytest.raises(InternalAddressError):
        resolver("127.0.0.1").check("localhost", address)  # the address is not the name
    assert resolver("localhost").check("localhost", address) == address


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("http://127.0.0.1:8765/x", False),
        ("http://127.0.0.1:9999/x", True),
        ("http://[::ffff:127.0.0.1]/", True),
        ("http://0.0.0.0/", True),
        ("http://100.64.1.1/", True),
        ("http://metadata/", True),
        ("ftp://jobs.example/", True),
        ("http://localhost/", True),
        ("https://jobs.example/", False),
    ],
)
def test_url_check_before_connecting(url: str, refused: bool) -> None:
    allow = ssrf.AllowList(["127.0.0.1:8765"])
    assert (ssrf.check_url(url, allow) is not None) is refused


# --- host guard (R16, R17) ---------------------------------------------------------------


def reply(
    status: int,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    url: str = "https://jobs.example/a",
) -> tuple[Request, Response]:
    request = Request(url)
    return request, HtmlResponse(
        url, status=status, body=body, headers=headers or {}, request=request
    )


@pytest.mark.parametrize("status", [401, 403])
def test_401_403_pause_the_host(status: int) -> None:
    guard = HostGuardMiddleware()
    guard.process_response(*reply(status))
    assert "jobs.example" in guard.paused
    with pytest.raises(IgnoreRequest, match="paused"):
        _run(guard.process_request(Request("https://jobs.example/b")))
    assert _run(guard.process_request(Request("https://other.example/b"))) is None


def _run(coro):  # the middleware's process_request is a coroutine that never awaits here
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    raise AssertionError("process_request waited")


def test_captcha_page_pauses_the_host() -> None:
    guard = HostGuardMiddleware()
    body = b"<html><head><title>Please solve the CAPTCHA</title></head></html>"
    with pytest.raises(IgnoreRequest, match="CAPTCHA"):
        guard.process_response(*reply(200, body))
    assert guard.paused["jobs.example"] == "CAPTCHA page"
    other = HostGuardMiddleware()
    with pytest.raises(IgnoreRequest):
        other.process_response(*reply(200, b"<div class='g-recaptcha'></div>"))
    assert "jobs.example" in other.paused
    fine = HostGuardMiddleware()
    fine.process_response(*reply(200, b"<p>ordinary page</p>"))
    assert not fine.paused


def test_repeated_429_pause_and_retry_after_delays() -> None:
    guard = HostGuardMiddleware(max_429=3, retry_after_max=300)
    guard.process_response(*reply(429, headers={"Retry-After": "2"}))
    assert not guard.paused
    assert 1.5 < guard.not_before["jobs.example"] - time.monotonic() <= 2.0
    guard.process_response(*reply(429, headers={"Retry-After": "1"}))
    assert not guard.paused
    guard.process_response(*reply(429))
    assert "3 responses 429" in guard.paused["jobs.example"]


def test_long_retry_after_pauses() -> None:
    guard = HostGuardMiddleware(retry_after_max=60)
    guard.process_response(*reply(503, headers={"Retry-After": "3600"}))
    assert "Retry-After" in guard.paused["jobs.example"]


def test_parse_retry_after_seconds_and_http_date() -> None:
    now = time.time()
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(b" 7 ") == 7.0
    later = format_datetime(datetime.fromtimestamp(now, UTC) + timedelta(seconds=90), usegmt=True)
    assert 88 <= parse_retry_after(later, now=now) <= 90
    past = format_datetime(datetime.fromtimestamp(now, UTC) - timedelta(hours=1), usegmt=True)
    assert parse_retry_after(past, now=now) == 0.0
    for bad in (None, "", "soon", b"\xff\xfe", "-5", "Thu, 99 Foo 2024"):
        assert parse_retry_after(bad) is None


# --- denylist (R18) ------------------------------------------------------------------------


def test_denylist_hosts_and_subdomains(tmp_path) -> None:
    path = tmp_path / "deny.txt"
    path.write_text(
        "# opted out\nBad.Example.  # trailing comment\n\n  shop.test\n", encoding="utf-8"
    )
    assert read_denylist_file(path) == ["Bad.Example.", "shop.test"]
    deny = Denylist.from_values(["other.example"], path)
    assert deny.host_denied("bad.example") and deny.host_denied("jobs.bad.example")
    assert deny.host_denied("A.B.SHOP.TEST.") and deny.host_denied("other.example")
    assert not deny.host_denied("notbad.example") and not deny.host_denied("example")
    assert not deny.host_denied(None) and not deny.host_denied("shop.test.evil")
    assert deny.url_denied("https://www.bad.example:8443/x?y")
    assert deny.url_denied("http://[::1")  # unparsable: refused
    assert not deny.url_denied("https://good.example/")
    with pytest.raises(CrawlerError, match="THBSCAN_DENYLIST_FILE"):
        read_denylist_file(tmp_path / "missing.txt")


def test_denylist_middleware_drops_requests() -> None:
    with pytest.raises(NotConfigured):
        DenylistMiddleware(Denylist([]))
    mw = DenylistMiddleware(Denylist(["bad.example"]))
    out = list(
        mw.process_spider_output(
            None,
            [Request("https://x.bad.example/1"), Request("https://good.example/2"), {"item": 1}],
        )
    )
    assert [getattr(o, "url", o) for o in out] == ["https://good.example/2", {"item": 1}]


def test_5xx_in_a_row_back_off_exponentially_then_pause() -> None:
    guard = HostGuardMiddleware(retry_after_default=1.0, retry_after_max=300, max_5xx=4)
    waits = []
    for status in (503, 500, 502):
        guard.process_response(*reply(status))
        waits.append(guard.not_before["jobs.example"] - time.monotonic())
    assert [round(w) for w in waits] == [1, 2, 4] and not guard.paused
    guard.process_response(*reply(200, b"<p>fine</p>"))
    guard.process_response(*reply(503))  # a good answer started the count again
    assert guard.count_5xx["jobs.example"] == 1 and not guard.paused
    for _ in range(3):
        guard.process_response(*reply(503))
    assert guard.paused["jobs.example"] == "4 responses 5xx in a row"


def test_a_5xx_back_off_past_the_cap_pauses() -> None:
    guard = HostGuardMiddleware(retry_after_default=100.0, retry_after_max=300)
    guard.process_response(*reply(500))
    guard.process_response(*reply(500))
    assert not guard.paused
    guard.process_response(*reply(500))  # 400 s > 300 s
    assert "back-off of 400 s after 3 responses 5xx in a row" in guard.paused["jobs.example"]
