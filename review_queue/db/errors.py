"""Errors of the schema and its migrations."""

from store.errors import StoreError as DatabaseError


class SchemaOutOfDate(DatabaseError):
    """The database schema is older than this version of thbscan."""
