"""HTTPS certificates are verified (R19): a real TLS fixture site on 127.0.0.1.

Scrapy's default accepts any certificate. The crawler verifies the chain against the trust
store (here a test CA given through SSL_CERT_FILE, which OpenSSL reads) and the host name.
"""

from __future__ import annotations

import pytest
import trustme
from crawlhelp import last_json, run_thbscan

from fixture_site import start_fixture_site

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def _server_pem(tmp_path, ca: trustme.CA, name: str) -> str:
    """A certificate for ``name`` issued by ``ca``, with its key, in one PEM file."""
    pem = tmp_path / f"server-{name}.pem"
    ca.issue_cert(name).private_key_and_cert_chain_pem.write_to_path(str(pem))
    return str(pem)


def _crawl(
    site_url: str, db: str, env: dict[str, str] | None = None, *, refused: bool = False
) -> tuple[dict, str]:
    """The crawl's summary and log; a refused certificate means not one page fetched
    (exit 6, status nothing_fetched)."""
    code, out, err, _ = run_thbscan(
        "crawl", "fixture-jobs", "--base-url", site_url, "--db", db, "--json", env=env
    )
    assert code == (6 if refused else 0), err[-3000:]
    result = last_json(out)["fixture-jobs"]
    assert result["status"] == ("nothing_fetched" if refused else "complete"), result
    return result, err


def test_a_certificate_from_an_unknown_authority_is_refused(tmp_path, ca):
    with start_fixture_site(
        n_jobs=3, n_ads=0, ssl_certfile=_server_pem(tmp_path, ca, "127.0.0.1")
    ) as site:
        assert site.url.startswith("https://")
        result, err = _crawl(site.url, f"sqlite:///{tmp_path / 'a.db'}", refused=True)
        served = [path for _method, path in site.requests]
    assert result["new"] == 0 and result["pages"] == 0
    assert served == []  # no request got past the handshake
    assert "certificate verify failed" in err or "CERTIFICATE_VERIFY_FAILED" in err


def _crawl_trusting_ca(
    tmp_path, ca: trustme.CA, certificate_name: str, *, refused: bool = False
) -> tuple[dict, list]:
    """Crawl a site whose certificate the test CA issued for ``certificate_name``, with that
    CA in the crawler's trust store; the crawl summary and the paths the site served."""
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with start_fixture_site(
        n_jobs=3, n_ads=0, ssl_certfile=_server_pem(tmp_path, ca, certificate_name)
    ) as site:
        result, _err = _crawl(
            site.url,
            f"sqlite:///{tmp_path / 'trusted.db'}",
            env={"SSL_CERT_FILE": str(ca_file)},
            refused=refused,
        )
        served = [path for _method, path in site.requests]
    return result, served


def test_a_trusted_certificate_for_another_name_is_refused(tmp_path, ca):
    result, served = _crawl_trusting_ca(tmp_path, ca, "listings.example", refused=True)
    assert result["new"] == 0 and served == []
    assert "DownloadFailedError" in result["detail"]


def test_a_trusted_certificate_for_the_host_is_crawled(tmp_path, ca):
    result, _served = _crawl_trusting_ca(tmp_path, ca, "127.0.0.1")
    assert result["new"] == 3
