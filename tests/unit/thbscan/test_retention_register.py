"""The purge is driven by the data register: every table of the schema has one purge rule,
whose retention class is the one the register's tags give the table's rows, and each class's
period is given once, in store/register.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from review_queue.services.retention import ORDER
from review_queue.services.retention_rules import RULES, Cutoffs
from store import register
from thbscan.commands.data_register import schema


def test_every_table_has_one_rule_of_its_registered_class() -> None:
    tables = {t.name: t for t in register.tables(schema())}
    assert set(RULES) == set(tables)
    for name, table in tables.items():
        assert RULES[name].retention == register.table_retention(table), name
        assert RULES[name].expires, name


def test_the_purge_goes_through_every_purgeable_table_once() -> None:
    purgeable = {name for name, rule in RULES.items() if rule.purgeable is not None}
    assert sorted(ORDER) == sorted(purgeable)
    assert len(ORDER) == len(set(ORDER))
    assert {n for n, r in RULES.items() if r.purgeable is None} == {
        "alembic_version",
        "control_switches",
    }


def test_what_refers_to_a_row_is_purged_before_it() -> None:
    position = {name: i for i, name in enumerate(ORDER)}
    for table in register.tables(schema()):
        for fk in table.foreign_keys:
            if fk.use_alter:  # a listing's current version: set aside before it goes
                continue
            parent = fk.column.table.name
            if table.name in position and parent in position and parent != table.name:
                assert position[table.name] < position[parent], (table.name, parent)


def test_the_periods_come_from_the_register() -> None:
    now = datetime(2031, 6, 1, tzinfo=UTC)
    c = Cutoffs.at(now)
    assert now - c.listing == timedelta(days=register.RETENTION[register.LISTING].days or 0)
    assert now - c.audit == timedelta(days=5 * 365)
    assert now - c.recent == timedelta(days=90)
    with pytest.raises(ValueError, match="no period"):
        register.cutoff(register.CURRENT, now)
    with pytest.raises(ValueError, match="naive datetime"):
        Cutoffs.at(datetime(2031, 6, 1))


def test_a_table_whose_columns_name_two_classes_is_refused() -> None:
    from sqlalchemy import Column, Integer, MetaData, Table

    table = Table(
        "mixed",
        MetaData(),
        Column("id", Integer, primary_key=True, info=register.tag(register.OPERATIONAL)),
        Column("n", Integer, info=register.tag(register.OPERATIONAL, register.AUDIT)),
        info=register.tag(retention=register.RECENT),
    )
    with pytest.raises(ValueError, match="table mixed: its columns name the retention classes"):
        register.table_retention(table)
