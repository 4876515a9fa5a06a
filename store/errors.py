"""Errors of the listing store; messages name the value and what to do."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, OperationalError


class StoreError(Exception):
    """A storage problem with a message that says what to do."""


class DatabaseConfigError(StoreError):
    """A database URL or set-up that cannot work."""


class InvalidListing(StoreError, ValueError):
    """A listing the store refuses (no source, no key, neither title nor text)."""


class DatabaseUnavailable(StoreError):
    """The database server went away mid-run and did not come back in time."""


class DiskFull(OperationalError, StoreError):
    """SQLite's "database or disk is full" (SQLITE_FULL), naming the database file.

    Still a database error (callers that retry or roll back a failed transaction treat it
    as one), and a store error (the command line prints its message, not a traceback).
    SQLite rolls the failed transaction back and keeps every committed one, so the message
    can say so."""

    def __init__(self, path: str, cause: DBAPIError) -> None:
        super().__init__(cause.statement, cause.params, cause.orig or cause)
        self.path = path
        self.message = (
            f"the disk holding the SQLite database {path} is full: the transaction being "
            "written was rolled back and everything committed before it is kept; free space "
            "on that disk (or move the database to a larger one and pass --db), then run the "
            "command again"
        )

    def __str__(self) -> str:
        return self.message
