"""Errors of the crawler package."""

from twisted.internet.error import DNSLookupError


class CrawlerError(Exception):
    """A crawler problem with a message that names the value and what to do."""


class SourceConfigError(CrawlerError):
    """A source config file that cannot be used: file, key and problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class InternalAddressError(DNSLookupError):
    """The host resolves to an internal address and is not allowlisted (R12)."""
