"""Refuse requests to internal addresses (R12).

Only http and https; the host must resolve to public addresses only, unless it
is listed in ``THBSCAN_ALLOWED_PRIVATE_HOSTS`` (the fixture site on 127.0.0.1).
Redirects come back through ``process_request`` and are checked again.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

logger = logging.getLogger(__name__)

METADATA_HOSTS = frozenset({"169.254.169.254", "metadata.google.internal", "100.100.100.200",
                            "fd00:ec2::254"})


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class SSRFGuardMiddleware:
    def __init__(self, allowed_private_hosts: list[str] | tuple[str, ...] = ()) -> None:
        self.allowed = frozenset(h.lower() for h in allowed_private_hosts)
        self._cache: dict[str, bool] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SSRFGuardMiddleware:
        mw = cls(crawler.settings.getlist("THBSCAN_ALLOWED_PRIVATE_HOSTS"))
        mw.stats = crawler.stats
        return mw

    stats = None

    def _refuse(self, request: Request, why: str) -> None:
        if self.stats is not None:
            self.stats.inc_value("thbscan/ssrf/refused")
        logger.warning("refused %s: %s", request.url[:200], why)
        raise IgnoreRequest(f"refused {request.url[:200]}: {why}")

    def host_allowed(self, host: str) -> bool:
        host = host.lower().strip("[]")
        if host in self.allowed:
            return True
        if host in METADATA_HOSTS:
            return False
        if host not in self._cache:
            try:
                infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
                self._cache[host] = bool(infos) and all(
                    is_public_address(info[4][0]) for info in infos
                )
            except (OSError, ValueError):
                self._cache[host] = False
        return self._cache[host]

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        parts = urlsplit(request.url)
        if parts.scheme not in ("http", "https"):
            self._refuse(request, f"scheme {parts.scheme!r} is not http or https")
        if not parts.hostname:
            self._refuse(request, "no host")
        if not self.host_allowed(parts.hostname):
            self._refuse(request, f"host {parts.hostname!r} is internal or does not resolve")
        return None
