"""Errors raised by the fixture listing site."""

from __future__ import annotations


class FixtureSiteError(Exception):
    """A fixture-site problem; the message names the value involved and what to do."""


class FixtureDataError(FixtureSiteError, ValueError):
    """A data file under ``fixture_site/data/`` cannot be used."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class NonLoopbackHostError(FixtureSiteError, ValueError):
    """The fixture site was asked to listen on an address other than loopback."""
