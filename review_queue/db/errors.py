"""Errors of the storage layer."""


class DatabaseError(Exception):
    """A storage problem with a message that says what to do."""


class DatabaseConfigError(DatabaseError):
    """A database URL or set-up that cannot work."""


class SchemaOutOfDate(DatabaseError):
    """The database schema is older than this version of thbscan."""
