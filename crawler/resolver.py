"""Connect-time SSRF check (R12): a DNS resolver that refuses internal addresses.

Installed with ``TWISTED_DNS_RESOLVER``. Every connection, redirects included,
resolves its host through here, so the address checked is the address connected
to (no DNS-rebinding gap). A name resolving to a loopback, private, link-local,
shared or metadata address fails with :class:`InternalAddressError` unless the
name is allowlisted (``THBSCAN_ALLOWED_PRIVATE_HOSTS``, registered by the SSRF
middleware of each crawler in the process).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer
from twisted.internet.base import ReactorBase

from crawler.errors import InternalAddressError
from crawler.middlewares.ssrf import (
    ALLOWED_PRIVATE_NAMES,
    METADATA_HOSTS,
    AllowList,
    is_public_address,
)

logger = logging.getLogger(__name__)

__all__ = ["InternalAddressError", "SSRFSafeResolver"]

REFUSED: list[str] = []  # names refused in this process (for stats and tests)


class SSRFSafeResolver(CachingThreadedResolver):
    def __init__(
        self, reactor: ReactorBase, cache_size: int, timeout: float, allowed: Sequence[str] = ()
    ) -> None:
        super().__init__(reactor, cache_size, timeout)
        self.allowed = AllowList(allowed).hosts

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: ReactorBase) -> SSRFSafeResolver:
        settings = crawler.settings
        cache = settings.getint("DNSCACHE_SIZE") if settings.getbool("DNSCACHE_ENABLED") else 0
        return cls(
            reactor,
            cache,
            settings.getfloat("DNS_TIMEOUT"),
            settings.getlist("THBSCAN_ALLOWED_PRIVATE_HOSTS"),
        )

    def name_allowed(self, name: str) -> bool:
        name = name.lower().strip("[]").rstrip(".")
        return name in self.allowed or name in ALLOWED_PRIVATE_NAMES

    def check(self, name: str, address: str) -> str:
        if name.lower() in METADATA_HOSTS or address in METADATA_HOSTS:
            internal = True
        else:
            try:
                internal = not is_public_address(address)
            except ValueError:
                internal = True
        if internal and not (self.name_allowed(name) and address not in METADATA_HOSTS):
            REFUSED.append(name)
            logger.warning("connect-time SSRF check refused %s (resolves to %s)", name, address)
            raise InternalAddressError(f"{name} resolves to internal address {address}: refused")
        return address

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> defer.Deferred[str]:
        d = super().getHostByName(name, timeout)
        d.addCallback(lambda address: self.check(name, address))
        return d
