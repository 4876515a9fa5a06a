"""Refuse requests to internal addresses (R12), before any connection.

This middleware checks every request, redirects included (they come back
through ``process_request``): only http and https, no metadata hosts, and an
IP-literal or ``localhost`` host only when allowlisted with its port in
``THBSCAN_ALLOWED_PRIVATE_HOSTS`` (``127.0.0.1:8765``, or a bare host for any
port). Names are NOT resolved here: the connect-time check is the resolver
(:mod:`crawler.resolver`), which sees the address actually connected to, so
DNS rebinding cannot slip through.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

from crawler.errors import InternalAddressError

logger = logging.getLogger(__name__)

METADATA_HOSTS = frozenset(
    {
        "169.254.169.254",
        "metadata.google.internal",
        "metadata",
        "100.100.100.200",
        "fd00:ec2::254",
        "instance-data",
    }
)
LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})

# Hosts (bare, lower case) that the process-wide resolver lets resolve to internal addresses.
# Filled by the middlewares of the crawlers in this process from their settings.
ALLOWED_PRIVATE_NAMES: set[str] = set()


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


class AllowList:
    """``host`` or ``host:port`` entries; IPv6 hosts as ``[::1]:8765``."""

    def __init__(self, entries: Iterable[str] = ()) -> None:
        self.any_port: set[str] = set()
        self.with_port: set[tuple[str, int]] = set()
        for entry in entries:
            entry = entry.strip().lower()
            if not entry:
                continue
            parts = urlsplit(f"//{entry}")
            host = (parts.hostname or "").strip("[]")
            if parts.port is None:
                self.any_port.add(host)
            else:
                self.with_port.add((host, parts.port))

    @property
    def hosts(self) -> set[str]:
        return self.any_port | {h for h, _p in self.with_port}

    def allows(self, host: str, port: int) -> bool:
        return host in self.any_port or (host, port) in self.with_port


def check_url(url: str, allow: AllowList) -> str | None:
    """Why ``url`` must not be fetched, or None. No DNS lookups."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return f"scheme {scheme!r} is not http or https"
    try:
        host = (parts.hostname or "").lower().rstrip(".")
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        return "bad port"
    if not host:
        return "no host"
    if host in METADATA_HOSTS:
        return f"host {host!r} is a cloud metadata endpoint"
    if allow.allows(host, port):
        return None
    ip = _ip(host)
    if ip is not None and not is_public_address(host):
        return f"address {host} is internal and not allowlisted"
    if ip is None and (host in LOCAL_NAMES or host.endswith(".localhost")):
        return f"host {host!r} is local and not allowlisted"
    if ip is None and host in allow.hosts:
        return f"host {host!r} is allowlisted for another port only"
    return None


class SSRFGuardMiddleware:
    def __init__(self, allowed_private_hosts: Iterable[str] = (), stats: object = None) -> None:
        self.allow = AllowList(allowed_private_hosts)
        self.stats = stats
        ALLOWED_PRIVATE_NAMES.update(self.allow.hosts)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SSRFGuardMiddleware:
        mw = cls(crawler.settings.getlist("THBSCAN_ALLOWED_PRIVATE_HOSTS"), crawler.stats)
        # Checked when scheduled too (redirects included), like Scrapy's offsite filter.
        crawler.signals.connect(mw.process_request, signal=signals.request_scheduled)
        return mw

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        why = check_url(request.url, self.allow)
        if why is None:
            return None
        if self.stats is not None:
            self.stats.inc_value("thbscan/ssrf/refused")  # type: ignore[attr-defined]
        logger.warning("SSRF guard refused %s: %s", request.url[:200], why)
        raise IgnoreRequest(f"refused {request.url[:200]}: {why}")

    def process_exception(
        self, request: Request, exception: Exception, spider: Spider | None = None
    ) -> None:
        """Count the resolver's connect-time refusals with the URL checks' (after the
        retries: this middleware runs last on the way back)."""
        if isinstance(exception, InternalAddressError) and self.stats is not None:
            self.stats.inc_value("thbscan/ssrf/refused")  # type: ignore[attr-defined]
