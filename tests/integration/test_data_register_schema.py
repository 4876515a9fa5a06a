"""The data register covers the schema the migrations make: every table and column of a
migrated database, alembic's own table included, has a data category and a retention class."""

from __future__ import annotations

from sqlalchemy import inspect

from store import register
from thbscan.commands.data_register import schema


def test_every_migrated_column_is_in_the_register(migrated_engine) -> None:
    inspector = inspect(migrated_engine)
    migrated = {
        (table, column["name"])
        for table in inspector.get_table_names()
        for column in inspector.get_columns(table)
    }
    entries = register.collect(schema())
    assert migrated == {(e.table, e.column) for e in entries}
    assert register.problems(schema()) == []
