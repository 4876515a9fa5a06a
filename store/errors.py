"""Errors of the listing store; messages name the value and what to do."""


class StoreError(Exception):
    """A storage problem with a message that says what to do."""


class DatabaseConfigError(StoreError):
    """A database URL or set-up that cannot work."""


class InvalidListing(StoreError, ValueError):
    """A listing the store refuses (no source, no key, neither title nor text)."""
