import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest

from crawler.middlewares.ssrf import SSRFGuardMiddleware, is_public_address


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "::1",
        "fe80::1",
        "::ffff:127.0.0.1",
        "0.0.0.0",
        "100.64.0.1",
    ],
)
def test_internal_addresses_are_not_public(address: str) -> None:
    assert not is_public_address(address)


def test_public_address() -> None:
    assert is_public_address("93.184.216.34")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost:8000/x",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "ftp://example.org/",
        "file:///etc/passwd",
        "http://10.0.0.1/",
    ],
)
def test_refused_without_allowlist(url: str) -> None:
    with pytest.raises(IgnoreRequest):
        SSRFGuardMiddleware().process_request(Request(url))


def test_allowlisted_loopback_passes() -> None:
    mw = SSRFGuardMiddleware(["127.0.0.1"])
    assert mw.process_request(Request("http://127.0.0.1:8765/jobs/")) is None
    with pytest.raises(IgnoreRequest):
        mw.process_request(Request("http://169.254.169.254/"))
