"""Errors raised by the ``nlp`` package."""

from __future__ import annotations


class NlpError(Exception):
    """Base class for every error raised by ``nlp``."""


class ConfigurationError(NlpError):
    """A setting is missing or unusable (for example the pseudonymisation key)."""


class InputError(NlpError, ValueError):
    """A value passed to an ``nlp`` function is not acceptable."""
